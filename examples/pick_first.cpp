// pick_first.cpp: Temporal's pick-first sample (samples-go's pickfirst) with coflow::when_any.
// A workflow starts two workers that do the same job at different speeds, takes the first result and
// cancels the slower one. Times are seconds on the executor's virtual clock.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>

using namespace std::chrono_literals;

long long seconds_now() {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(coflow::now().time_since_epoch()).count());
}

// The sample's activity: works for a while, then answers. Cancellation interrupts its sleep.
class worker {
public:
    coflow::workflow<std::string> run(std::string name, std::int64_t work_s) {
        std::printf("  %4llds  %s: working for %llds\n", seconds_now(), name.c_str(), static_cast<long long>(work_s));
        try {
            co_await coflow::sleep(std::chrono::seconds(work_s));
        } catch (const coflow::cancelled&) {
            std::printf("  %4llds  %s: cancelled, stopping\n", seconds_now(), name.c_str());
            throw;
        }
        std::printf("  %4llds  %s: done\n", seconds_now(), name.c_str());
        co_return name + " finished first";
    }
    static constexpr auto definition = coflow::define<worker>("worker").run(&worker::run);
};

class pick_first {
public:
    coflow::workflow<std::string> run() {
        auto slow = coflow::start_child_workflow(&worker::run, std::string("slow"), std::int64_t{10}, {.id = "slow"});
        auto fast = coflow::start_child_workflow(&worker::run, std::string("fast"), std::int64_t{2}, {.id = "fast"});
        // Go's selector over two futures: the first result wins; the other wait is dropped.
        auto first = co_await coflow::when_any(slow.result(), fast.result());
        std::printf("  %4llds  pick_first: got \"%s\"\n", seconds_now(), std::visit([](auto& s) { return s; }, first).c_str());
        // A lost race does not stop the loser's work: cancel it, as the sample cancels its context, and
        // wait until it has stopped (else closing this run would terminate it, its parent-close policy).
        auto& loser = first.index() == 0 ? fast : slow;
        co_await loser.cancel();
        try {
            (void)co_await loser.result();
        } catch (const coflow::workflow_cancelled&) {
            std::printf("  %4llds  pick_first: the other worker was cancelled\n", seconds_now());
        }
        co_return std::visit([](auto& s) { return s; }, first);
    }
    static constexpr auto definition = coflow::define<pick_first>("pick_first").run(&pick_first::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&pick_first::run, {.id = "pick-first"});
    ex.run_until_idle();
    std::printf("result: %s\n", h.result().c_str());
    std::printf("slow worker: %s at %llds\n", std::string(coflow::to_string(rt.get_workflow_handle("slow").status())).c_str(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(ex.now().time_since_epoch()).count()));
    return h.result() == "fast finished first" ? 0 : 1;
}
