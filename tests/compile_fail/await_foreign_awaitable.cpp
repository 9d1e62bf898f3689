// expect: workflow code may only co_await coflow awaitables
// Workflow code is resumed only by the runtime: an awaitable from elsewhere could resume it anywhere.
#include <coroutine>

#include <coflow/coflow.hpp>

class impatient {
public:
    coflow::workflow<int> run() {
        co_await std::suspend_always{};  // misuse: not a coflow awaitable
        co_return 1;
    }

    static constexpr auto definition = coflow::define<impatient>("impatient").run(&impatient::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&impatient::run);
    ex.run_until_idle();
    return h.result();
}
