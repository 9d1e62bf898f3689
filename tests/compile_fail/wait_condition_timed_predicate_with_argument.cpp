// expect: wait_condition takes a predicate callable with no arguments that returns bool
// The timed form checks its predicate the same way.
#include <chrono>

#include <coflow/coflow.hpp>

class waiter {
public:
    coflow::workflow<int> run() {
        const bool met = co_await coflow::wait_condition([this](int n) { return count_ > n; },  // misuse
                                                         std::chrono::seconds(1));
        co_return met ? 1 : 0;
    }

    static constexpr auto definition = coflow::define<waiter>("waiter").run(&waiter::run);

private:
    int count_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&waiter::run);
    ex.run_until_idle();
    return h.result();
}
