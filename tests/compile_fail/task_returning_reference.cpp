// expect: task<R> and workflow<R> return values, not references
// A task's result outlives its frame only as a value: a reference into the frame would dangle.
#include <coflow/coflow.hpp>

int stored = 0;

coflow::task<int&> pick() { co_return stored; }  // misuse: a reference result

class picker {
public:
    coflow::workflow<int> run() {
        int& r = co_await pick();
        co_return r;
    }

    static constexpr auto definition = coflow::define<picker>("picker").run(&picker::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&picker::run);
    ex.run_until_idle();
    return h.result();
}
