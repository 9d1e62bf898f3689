// bench/bench.cpp: coflow's implementation of benchmark scenarios S1-S6 (bench/SCENARIOS.md), and
// U1, update round trips (sized by --n, as S1), and the durable-run scenarios D1 and D2 (save and load of
// S3's workflows: see "Durable runs" below) are coflow's own: the peers have neither. One JSON line per
// scenario, the same fields as the peers; exits 1 on a checksum mismatch.
//
// Build: the CMake target coflow_bench (always -O2 -DNDEBUG). Run:
//   coflow_bench [--scenario S1..S6|U1|S1x|D1|D2] [--n N] [--w W] [--r R] [--q Q]
// S1x (S1's signals sent from another thread through the realtime executor's hand-off) is coflow's own: it runs
// when no scenario is named, or when named.
// bench/compare runs S1-S6 beside the hand-written floor and the asyncio and Node peers.
#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <sys/resource.h>  // getrusage: peak RSS, as the peers measure it

#include "handoff.hpp"
#include <unistd.h>        // sysconf: page size for /proc/self/statm

namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;

constexpr u64 fnv_offset = 0xcbf29ce484222325ULL;
constexpr u64 fnv_prime = 0x100000001b3ULL;
constexpr u64 fnv(u64 h, u64 v) { return (h ^ v) * fnv_prime; }

// Hides a value from the optimiser (as the floor does), so that a loop of identical queries is not
// folded into one: a real client calls into code it cannot see through.
template <class T>
inline T opaque(T v) {
    asm volatile("" : "+r"(v));
    return v;
}

// ---- measurement and output --------------------------------------------------------------------

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

long current_rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return peak_rss_kib() * 1024;
    long pages_total = 0, pages_resident = 0;
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

bool report(const char* scenario, u64 n, double seconds, double ops, u64 checksum, u64 expected,
            const std::string& extra = {}) {
    std::printf("{\"impl\":\"coflow\",\"scenario\":\"%s\",\"n\":%llu,\"seconds\":%.6f,\"ops_per_sec\":%.1f,"
                "\"peak_rss_kib\":%ld,\"checksum\":\"0x%016llx\"%s}\n",
                scenario, static_cast<unsigned long long>(n), seconds, ops / seconds, peak_rss_kib(),
                static_cast<unsigned long long>(checksum), extra.c_str());
    std::fflush(stdout);
    if (checksum != expected) {
        std::fprintf(stderr, "%s: checksum 0x%016llx, expected 0x%016llx\n", scenario,
                     static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(expected));
        return false;
    }
    return true;
}

// 0 + 1 + ... + (m - 1) mod 2^64, without overflowing the intermediate product.
constexpr u64 triangle(u64 m) { return m == 0 ? 0 : (m % 2 == 0 ? (m / 2) * (m - 1) : m * ((m - 1) / 2)); }

// The runtime's default limits are Temporal's: 10,000 received signals per run. S1 sends a million
// signals to one run and S2 two hundred thousand balls to each side, so those scenarios lift the limit
// (0 means none). S3, S4 and S5 stay far below it; S6 continues as new every 10,000 ops, exactly as the
// limit expects of an entity, so it keeps the default.
constexpr coflow::runtime_options unlimited{.max_received_signals_per_run = 0};

// ---- S1 signal_throughput: one workflow, n ordered signals through a signal_channel ------------

class accumulator {
public:
    coflow::signal_channel<i64> adds;

    coflow::workflow<u64> run(u64 n) {
        u64 h = fnv_offset;
        for (u64 i = 0; i < n; ++i) h = fnv(h, static_cast<u64>(co_await adds.receive()));
        co_return h;
    }

    static constexpr auto definition =
        coflow::define<accumulator>("accumulator").run(&accumulator::run).signal("add", &accumulator::adds);
};

bool s1(u64 n) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, unlimited};  // a million signals to one run: see `unlimited`
    auto t0 = clock_type::now();
    auto h = rt.start_workflow(&accumulator::run, n, {.id = "accumulator"});
    ex.run_until_idle();
    for (u64 b = 0; b < n; b += 1000) {
        const u64 e = std::min(n, b + 1000);
        for (u64 v = b; v < e; ++v) h.signal(&accumulator::adds, static_cast<i64>(v));
        ex.run_until_idle();
    }
    const double s = since(t0);
    const u64 got = h.status() == coflow::workflow_status::completed ? h.result() : 0;
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, v);
    return report("S1", n, s, static_cast<double>(n), got, expected);
}

// ---- U1 update round trips, beside S1: one workflow, n updates, each sent, run and answered in turn --
// As in S1 the workflow folds each value into the ordered hash, but through an update whose answer is the
// hash so far, and the client reads each answer before it sends the next value: one round trip per update
// (S1 sends its signals in batches). A run keeps each update's outcome for deduplication by id and takes
// at most 2,000 (Temporal's limits, the runtime's defaults), so the workflow continues as new at 1,800,
// where Temporal suggests it: a run's records stay small, as in a real entity. Checksum: S1's.

constexpr u64 updates_per_run = 1800;

class folder {
public:
    folder(u64, u64 done, u64 hash) : hash_(hash), done_(done) {}

    coflow::workflow<u64> run(u64 n, u64, u64) {
        co_await coflow::wait_condition([this, n] { return done_ == n || in_run_ == updates_per_run; });
        if (done_ == n) co_return hash_;
        co_return coflow::continue_as_new(&folder::run, n, done_, hash_);
    }
    u64 add(i64 v) {
        hash_ = fnv(hash_, static_cast<u64>(v));
        ++done_;
        ++in_run_;
        return hash_;
    }

    static constexpr auto definition = coflow::define<folder>("folder").run(&folder::run).update("add", &folder::add);

private:
    u64 hash_;
    u64 done_;
    u64 in_run_ = 0;
};

bool u1(u64 n) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};  // default limits: each run takes at most 2,000 updates
    auto t0 = clock_type::now();
    auto h = rt.start_workflow(&folder::run, n, u64{0}, fnv_offset, {.id = "folder"});
    ex.run_until_idle();
    u64 last = 0;
    for (u64 v = 0; v < n; ++v) {
        auto u = h.start_update(&folder::add, static_cast<i64>(v));
        ex.run_until_idle();
        last = u.result();
    }
    const double s = since(t0);
    const u64 got = h.status() == coflow::workflow_status::completed && h.result() == last ? last : 0;
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, v);
    return report("U1", n, s, static_cast<double>(n), got, expected);
}

// ---- S1x handoff: S1's signals sent from another thread, through realtime_executor::submit ---------
// Not one of SCENARIOS.md's: coflow's own figure, beside S1 (bench/handoff.cpp runs it). Its coflow code lives
// in that file so that it cannot change how the compiler inlines S1's here.

bool s1x(u64 n) {
    const handoff_run r = run_handoff(n);
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, v);
    char extra[64];
    std::snprintf(extra, sizeof extra, ",\"cpu_seconds\":%.6f", r.cpu_seconds);
    return report("S1x", n, r.seconds, static_cast<double>(n), r.checksum, expected, extra);
}

// ---- S2 ping_pong: two workflows signalling each other through external handles ------------------

class ping_wf;

class pong_wf {
public:
    coflow::signal_channel<i64> balls;
    coflow::workflow<void> run();  // defined below, once ping_wf is complete
    static constexpr auto definition = coflow::define<pong_wf>("pong").run(&pong_wf::run).signal("ball", &pong_wf::balls);
};

class ping_wf {
public:
    coflow::signal_channel<i64> balls;

    coflow::workflow<i64> run(i64 r) {
        auto pong = coflow::get_external_workflow_handle_for<pong_wf>("pong");
        co_await pong.signal(&pong_wf::balls, i64{0});
        for (;;) {
            const i64 next = co_await balls.receive() + 1;
            if (next >= 2 * r) co_return next;
            co_await pong.signal(&pong_wf::balls, next);
        }
    }

    static constexpr auto definition = coflow::define<ping_wf>("ping").run(&ping_wf::run).signal("ball", &ping_wf::balls);
};

// Pong never returns (like the peers' pong): it is still waiting when the runtime is destroyed.
coflow::workflow<void> pong_wf::run() {
    auto ping = coflow::get_external_workflow_handle_for<ping_wf>("ping");
    for (;;) {
        const i64 c = co_await balls.receive();
        co_await ping.signal(&ping_wf::balls, c + 1);
    }
}

bool s2(u64 r) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, unlimited};  // r balls to each run: see `unlimited`
    auto t0 = clock_type::now();
    (void)rt.start_workflow(&pong_wf::run, {.id = "pong"});
    auto h = rt.start_workflow(&ping_wf::run, static_cast<i64>(r), {.id = "ping"});
    ex.run_until_idle();
    const double s = since(t0);
    const u64 got = h.status() == coflow::workflow_status::completed ? static_cast<u64>(h.result()) : 0;
    return report("S2", r, s, static_cast<double>(r), got, 2 * r);
}

// ---- S3 many_workflows: w suspended counters, k signals each, then queries on the closed runs ---

constexpr int k_signals = 10;

class counter {
public:
    coflow::workflow<i64> run([[maybe_unused]] i64 i) {
        co_await coflow::wait_condition([this] { return received_ >= k_signals; });
        co_return sum_;
    }
    void inc(i64 v) {
        sum_ += v;
        ++received_;
    }
    i64 sum() const { return sum_; }

    static constexpr auto definition =
        coflow::define<counter>("counter").run(&counter::run).signal("inc", &counter::inc).query("sum", &counter::sum);

private:
    i64 sum_ = 0;
    int received_ = 0;
};

bool s3(u64 w) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    std::vector<coflow::workflow_handle<counter>> handles;
    handles.reserve(w);
    const long rss0 = current_rss_bytes();

    auto t0 = clock_type::now();
    for (u64 i = 0; i < w; ++i)
        handles.push_back(rt.start_workflow(&counter::run, static_cast<i64>(i), {.id = "counter-" + std::to_string(i)}));
    ex.run_until_idle();
    const double t_start = since(t0);
    const long rss1 = current_rss_bytes();

    auto t1 = clock_type::now();
    for (u64 j = 0; j < k_signals; ++j) {
        for (u64 i = 0; i < w; ++i) handles[i].signal(&counter::inc, static_cast<i64>(i * k_signals + j));
        ex.run_until_idle();
    }
    const double t_signal = since(t1);

    auto t2 = clock_type::now();
    u64 sum = 0;
    for (u64 i = 0; i < w; ++i) sum += static_cast<u64>(opaque(&handles[i])->query(&counter::sum));
    const double t_query = since(t2);

    // Every counter must have closed, and its result must be what the query read (outside the timed part,
    // as in the floor; result() is synchronous in coflow).
    u64 results = 0;
    for (const auto& h : handles) {
        if (h.status() != coflow::workflow_status::completed) {
            sum = 0;
            break;
        }
        results += static_cast<u64>(h.result());
    }
    if (results != sum) sum = 0;

    const double total = t_start + t_signal + t_query;
    const u64 wk = w * k_signals;
    char extra[256];
    std::snprintf(extra, sizeof extra,
                  ",\"bytes_per_workflow\":%.1f,\"starts_per_sec\":%.1f,\"signals_per_sec\":%.1f,"
                  "\"queries_per_sec\":%.1f",
                  static_cast<double>(rss1 - rss0) / static_cast<double>(w), static_cast<double>(w) / t_start,
                  static_cast<double>(wk) / t_signal, static_cast<double>(w) / t_query);
    return report("S3", w, total, static_cast<double>(w + wk + w), sum, triangle(wk), extra);
}

// ---- S4 timers: w sleepers, 10 sleeps each, on the executor's virtual clock ----------------------

constexpr u64 sleep_ms(u64 i, u64 j) { return ((i * 7919 + j * 104729) % 1000) + 1; }

class sleeper {
public:
    coflow::workflow<u64> run(u64 i) {
        for (u64 j = 0; j < 10; ++j) co_await coflow::sleep(std::chrono::milliseconds(static_cast<i64>(sleep_ms(i, j))));
        co_return static_cast<u64>(
            std::chrono::duration_cast<std::chrono::milliseconds>(coflow::now().time_since_epoch()).count());
    }
    static constexpr auto definition = coflow::define<sleeper>("sleeper").run(&sleeper::run);
};

bool s4(u64 w) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    std::vector<coflow::workflow_handle<sleeper>> handles;
    handles.reserve(w);
    auto t0 = clock_type::now();
    for (u64 i = 0; i < w; ++i) handles.push_back(rt.start_workflow(&sleeper::run, i, {.id = "sleeper-" + std::to_string(i)}));
    ex.run_until_idle();
    const double s = since(t0);
    u64 sum = 0;
    for (const auto& h : handles) sum += h.status() == coflow::workflow_status::completed ? h.result() : 0;
    u64 expected = 0;
    for (u64 i = 0; i < w; ++i)
        for (u64 j = 0; j < 10; ++j) expected += sleep_ms(i, j);
    return report("S4", w, s, static_cast<double>(10 * w), sum, expected);
}

// ---- S5 queries: q reads with a parameter on a running workflow --------------------------------

class holder {
public:
    coflow::workflow<i64> run() {
        co_await coflow::wait_condition([this] { return exit_; });
        co_return state_;
    }
    void set(i64 v) { state_ = v; }
    void exit() { exit_ = true; }
    i64 get(i64 x) const { return state_ + x; }

    static constexpr auto definition = coflow::define<holder>("holder")
                                           .run(&holder::run)
                                           .signal("set", &holder::set)
                                           .signal("exit", &holder::exit)
                                           .query("get", &holder::get);

private:
    i64 state_ = 0;
    bool exit_ = false;
};

bool s5(u64 q) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&holder::run, {.id = "holder"});
    h.signal(&holder::set, i64{42});
    ex.run_until_idle();

    auto t0 = clock_type::now();
    u64 sum = 0;
    for (u64 x = 0; x < q; ++x) sum += static_cast<u64>(opaque(&h)->query(&holder::get, static_cast<i64>(x)));
    const double s = since(t0);

    const bool was_running = !h.is_closed();
    h.signal(&holder::exit);
    ex.run_until_idle();
    if (!was_running || h.result() != 42) sum = 0;
    return report("S5", q, s, static_cast<double>(q), sum, 42 * q + triangle(q));
}

// ---- S6 entity: ordered ops, one child each, continue-as-new every 10,000 ops ------------------

constexpr u64 ops_per_run = 10000;

class apply_wf {
public:
    coflow::workflow<i64> run(i64 v) { co_return 2 * v + 1; }
    static constexpr auto definition = coflow::define<apply_wf>("apply").run(&apply_wf::run);
};

class entity {
public:
    coflow::signal_channel<i64> ops;

    // `done` ops were handled by earlier runs, folded into `hash`. Ops not yet handled (values waiting in
    // `ops`, and signals accepted but not delivered) move to the next run by themselves at continue-as-new.
    coflow::workflow<u64> run(u64 n, u64 done, u64 hash) {
        for (u64 in_run = 0;; ++in_run) {
            if (in_run == ops_per_run) co_await coflow::continue_as_new(&entity::run, n, done, hash);
            const i64 v = co_await ops.receive();
            const std::string id = "apply-" + std::to_string(done);  // bound first: see README, compiler notes
            const i64 r = co_await coflow::execute_child_workflow(&apply_wf::run, v, {.id = id, .forget_on_result = true});
            hash = fnv(hash, static_cast<u64>(r));
            if (++done == n) co_return hash;
        }
    }

    static constexpr auto definition = coflow::define<entity>("entity").run(&entity::run).signal("op", &entity::ops);
};

bool s6(u64 n) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};  // default limits: each run receives at most ops_per_run signals
    auto t0 = clock_type::now();
    auto h = rt.start_workflow(&entity::run, n, u64{0}, fnv_offset, {.id = "entity"});
    ex.run_until_idle();
    for (u64 b = 0; b < n; b += 1000) {
        const u64 e = std::min(n, b + 1000);
        for (u64 v = b; v < e; ++v) h.signal(&entity::ops, static_cast<i64>(v));
        ex.run_until_idle();
    }
    const double s = since(t0);
    // Completed, and every child forgotten once read: only the entity's id is left.
    const u64 got = h.status() == coflow::workflow_status::completed && rt.size() == 1 ? h.result() : 0;
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, 2 * v + 1);
    return report("S6", n, s, static_cast<double>(n), got, expected);
}

// ---- D1, D2 durable runs: S3's counters saved and loaded into a fresh runtime -------------------
//
// S3's w counters, recording histories, are saved (coflow::save) with D1: each just started and waiting for
// its first signal (S3's memory point), or D2: each half-way, 5 of its 10 signals handled. The save is then
// loaded (coflow::load) into a fresh runtime, which replays every run's history through its code. Figures:
// the restore rate in history events per second (ops_per_sec; seconds is the load's time), runs restored per
// second, the save's time, and the save's bytes per workflow. The checksum is S3's: the loaded counters get
// the rest of their signals, and the sum of their results must be S3's sum.

bool durable(const char* scenario, u64 w, u64 signals_before) {
    coflow::runtime_options recording;
    recording.record_history = true;
    std::string saved;
    double t_save = 0;
    u64 events = 0;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, recording};
        std::vector<coflow::workflow_handle<counter>> handles;
        handles.reserve(w);
        for (u64 i = 0; i < w; ++i)
            handles.push_back(rt.start_workflow(&counter::run, static_cast<i64>(i), {.id = "counter-" + std::to_string(i)}));
        ex.run_until_idle();
        for (u64 j = 0; j < signals_before; ++j) {
            for (u64 i = 0; i < w; ++i) handles[i].signal(&counter::inc, static_cast<i64>(i * k_signals + j));
            ex.run_until_idle();
        }
        for (const auto& h : rt.histories()) events += h->events.size();
        auto t0 = clock_type::now();
        saved = coflow::save(rt);
        t_save = since(t0);
    }  // the first runtime is gone: the load starts from the text alone

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recording};
    auto t1 = clock_type::now();
    coflow::load(rt, saved, counter::definition);
    const double t_load = since(t1);

    u64 sum = 0;
    for (u64 i = 0; i < w; ++i) {
        auto h = rt.get_workflow_handle_for<counter>("counter-" + std::to_string(i));
        for (u64 j = signals_before; j < k_signals; ++j) h.signal(&counter::inc, static_cast<i64>(i * k_signals + j));
    }
    ex.run_until_idle();
    for (u64 i = 0; i < w; ++i) {
        auto h = rt.get_workflow_handle_for<counter>("counter-" + std::to_string(i));
        if (h.status() != coflow::workflow_status::completed) {
            sum = 0;
            break;
        }
        sum += static_cast<u64>(h.result());
    }

    char extra[320];
    std::snprintf(extra, sizeof extra,
                  ",\"events\":%llu,\"runs_per_sec\":%.1f,\"save_seconds\":%.6f,\"saved_bytes\":%zu,"
                  "\"saved_bytes_per_workflow\":%.1f",
                  static_cast<unsigned long long>(events), static_cast<double>(w) / t_load, t_save, saved.size(),
                  static_cast<double>(saved.size()) / static_cast<double>(w));
    return report(scenario, w, t_load, static_cast<double>(events), sum, triangle(w * k_signals), extra);
}

// ---- command line --------------------------------------------------------------------------------

u64 parse_size(const char* flag, const char* text) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (!end || *end != '\0' || v == 0) {
        std::fprintf(stderr, "bad value for %s: %s\n", flag, text);
        std::exit(2);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    std::string only;
    u64 n1 = 1000000, r = 200000, w3 = 100000, w4 = 100000, q = 1000000, n6 = 100000;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "usage: coflow_bench [--scenario S1..S6|U1|S1x|D1|D2] [--n N] [--w W] [--r R] [--q Q]\n");
            return 2;
        }
        const char* v = argv[++i];
        if (a == "--scenario") only = v;
        else if (a == "--n") n1 = n6 = parse_size("--n", v);
        else if (a == "--w") w3 = w4 = parse_size("--w", v);
        else if (a == "--r") r = parse_size("--r", v);
        else if (a == "--q") q = parse_size("--q", v);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const bool known = only == "U1" || only == "S1x" ||
                       (only.size() == 2 && ((only[0] == 'S' && only[1] >= '1' && only[1] <= '6') ||
                                             (only[0] == 'D' && (only[1] == '1' || only[1] == '2'))));
    if (!only.empty() && !known) {
        std::fprintf(stderr, "unknown scenario %s (S1..S6, U1, S1x, D1, D2)\n", only.c_str());
        return 2;
    }
    const auto want = [&](const char* s) { return only.empty() || only == s; };
    bool ok = true;
    try {
        if (want("S1")) ok = s1(n1) && ok;
        if (want("U1")) ok = u1(n1) && ok;
        if (want("S1x")) ok = s1x(n1) && ok;
        if (want("S2")) ok = s2(r) && ok;
        if (want("S3")) ok = s3(w3) && ok;
        if (want("S4")) ok = s4(w4) && ok;
        if (want("S5")) ok = s5(q) && ok;
        if (want("S6")) ok = s6(n6) && ok;
        if (want("D1")) ok = durable("D1", w3, 0) && ok;
        if (want("D2")) ok = durable("D2", w3, k_signals / 2) && ok;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coflow_bench: %s\n", e.what());
        return 1;
    }
    return ok ? 0 : 1;
}
