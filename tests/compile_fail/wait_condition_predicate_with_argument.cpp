// expect: wait_condition takes a predicate callable with no arguments that returns bool
// The predicate reads the workflow's state itself: it is called with no arguments.
#include <coflow/coflow.hpp>

class waiter {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([](int n) { return n > 0; });  // misuse: takes an argument
        co_return 1;
    }

    static constexpr auto definition = coflow::define<waiter>("waiter").run(&waiter::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&waiter::run);
    ex.run_until_idle();
    return h.result();
}
