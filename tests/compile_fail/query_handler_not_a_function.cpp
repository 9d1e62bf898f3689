// expect: a query handler must be a const member function returning a value (queries are read-only and cannot suspend)
// A query names a const member function: a data member cannot be registered as one.
#include <coflow/coflow.hpp>

class counter {
public:
    coflow::workflow<int> run() { co_return value; }
    int value = 0;

    static constexpr auto definition =
        coflow::define<counter>("counter").run(&counter::run).query("value", &counter::value);  // misuse: data
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run);
    ex.run_until_idle();
    return h.result();
}
