// expect: a signal target must be a non-const member function of the workflow type returning void or coflow::task<void>
// A signal changes the workflow: a const member function cannot handle one.
#include <coflow/coflow.hpp>

class cart {
public:
    coflow::workflow<int> run() { co_return 0; }
    void add(int) const {}  // misuse: const

    static constexpr auto definition = coflow::define<cart>("cart").run(&cart::run).signal("add", &cart::add);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cart::run);
    ex.run_until_idle();
    return h.result();
}
