// bench/handoff.cpp: scenario S1x (see handoff.hpp). A producer thread hands each signal to the loop as a
// function of its own (one lock each); the loop, on the calling thread, takes them a batch at a time and sleeps
// when it has caught up. The same workflow and checksum as S1.
#include "handoff.hpp"

#include <coflow/coflow.hpp>

#include <chrono>
#include <thread>

#include <sys/resource.h>  // getrusage: CPU time of every thread

namespace {

using u64 = std::uint64_t;

constexpr u64 fnv_offset = 0xcbf29ce484222325ULL;
constexpr u64 fnv_prime = 0x100000001b3ULL;
constexpr u64 fnv(u64 h, u64 v) { return (h ^ v) * fnv_prime; }

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto secs = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

class accumulator {
public:
    coflow::signal_channel<u64> adds;

    coflow::workflow<u64> run(u64 n) {
        u64 h = fnv_offset;
        for (u64 i = 0; i < n; ++i) h = fnv(h, co_await adds.receive());
        co_return h;
    }

    static constexpr auto definition =
        coflow::define<accumulator>("accumulator").run(&accumulator::run).signal("add", &accumulator::adds);
};

}  // namespace

handoff_run run_handoff(u64 n) {
    coflow::realtime_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 0}};  // a million signals to one run, as S1
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto h = rt.start_workflow(&accumulator::run, n, {.id = "accumulator"});
    std::thread producer([&ex, &h, n] {  // h is used only inside the functions, on the loop's thread
        for (u64 v = 0; v < n; ++v) ex.submit([&h, v] { h.signal(&accumulator::adds, v); });
    });
    (void)ex.run_until(h);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    producer.join();
    const double cpu = cpu_seconds() - cpu0;
    return {seconds, cpu, h.status() == coflow::workflow_status::completed ? h.result() : 0};
}
