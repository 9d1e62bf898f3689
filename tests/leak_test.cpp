// Leaks: a runtime destroyed while thousands of workflows are suspended (on conditions, channels, timers,
// children, signals from other workflows, async handlers and task chains; or with signals, start signals and
// continue-as-new hand-overs still queued; or closed with their results kept) frees everything. Checked two
// ways: a counted probe in every frame, object and payload, and a count of live heap allocations, which must
// be back where it was once the runtime and its executor are gone. tools/run_tests.sh also runs this binary
// under valgrind, and the ASan build under LeakSanitizer.
//
// COFLOW_LEAK_COUNT=<n> sets how many workflows of each kind are started (default 300, about 5,000 in all).
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"

// ---- live heap allocations, counted by replacing the global operator new and delete -------------------

namespace {
long live_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
    if (void* p = std::malloc(n ? n : 1)) {
        ++live_allocations;
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    void* p = std::malloc(n ? n : 1);
    if (p) ++live_allocations;
    return p;
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept {
    if (!p) return;
    --live_allocations;
    std::free(p);
}
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }

using namespace std::chrono_literals;

namespace {

// ---- the probe --------------------------------------------------------------------------------------

struct probe {
    static inline long alive = 0;
    static inline long made = 0;
    probe() { ++alive, ++made; }
    probe(const probe&) { ++alive, ++made; }
    probe(probe&&) noexcept { ++alive, ++made; }
    probe& operator=(const probe&) = default;
    probe& operator=(probe&&) = default;
    ~probe() { --alive; }
};

// A payload that owns heap memory too (a string too long for the small-string buffer).
struct payload {
    probe p;
    std::string text = std::string(64, 'x');
};

// ---- workflows, one per way of being suspended -------------------------------------------------------

class on_condition {
public:
    coflow::workflow<int> run(payload arg) {
        probe local;
        co_await coflow::wait_condition([this] { return done_; });
        co_return static_cast<int>(arg.text.size());
    }
    void finish() { done_ = true; }
    static constexpr auto definition =
        coflow::define<on_condition>("on_condition").run(&on_condition::run).signal("finish", &on_condition::finish);

private:
    probe member_;
    bool done_ = false;
};

class on_channel {
public:
    coflow::signal_channel<payload> in;
    coflow::signal_channel<payload> unread;  // values queued here are never received
    coflow::workflow<int> run() {
        probe local;
        for (;;) {
            payload v = co_await in.receive();
            if (v.text.empty()) break;
        }
        co_return 0;
    }
    static constexpr auto definition =
        coflow::define<on_channel>("on_channel")
            .run(&on_channel::run)
            .signal("in", &on_channel::in)
            .signal("unread", &on_channel::unread);

private:
    probe member_;
};

class on_timer {
public:
    coflow::workflow<int> run() {
        probe local;
        co_await coflow::sleep(1h);
        const bool woke = co_await coflow::wait_condition([] { return false; }, 2h);  // a timed wait too
        co_return woke ? 1 : 0;
    }
    static constexpr auto definition = coflow::define<on_timer>("on_timer").run(&on_timer::run);

private:
    probe member_;
};

class parent_of_child {
public:
    coflow::workflow<int> run(std::string child_id, bool abandon) {
        probe local;
        coflow::child_options opts{};
        opts.id = child_id;
        if (abandon) opts.parent_close = coflow::parent_close_policy::abandon;
        auto child = coflow::start_child_workflow(&on_condition::run, payload{}, opts);
        const int r = co_await child.result();
        co_return r;
    }
    static constexpr auto definition = coflow::define<parent_of_child>("parent_of_child").run(&parent_of_child::run);

private:
    probe member_;
};

// Waits for "go", then signals its target by name (with a payload) and waits for ever.
class sender {
public:
    coflow::workflow<int> run(std::string target) {
        probe local;
        co_await coflow::wait_condition([this] { return go_; });
        const auto h = coflow::get_external_workflow_handle(target);
        // Payloads are aggregates with a non-trivial destructor, which g++ 12 destroys twice when made in
        // (or moved as a temporary into) a co_await expression: the awaited send is a statement of its own.
        auto sent = h.signal("in", payload{});
        co_await sent;
        (void)h.signal("unread", payload{});  // dropped unawaited: still sent
        co_await coflow::wait_condition([] { return false; });
        co_return 0;
    }
    void go() { go_ = true; }
    static constexpr auto definition = coflow::define<sender>("sender").run(&sender::run).signal("go", &sender::go);

private:
    probe member_;
    bool go_ = false;
};

// Async handlers suspended on a timer and on a condition, with probes in their frames.
class busy_handlers {
public:
    coflow::workflow<int> run() {
        probe local;
        co_await coflow::wait_condition([] { return false; });
        co_return 0;
    }
    coflow::task<void> work(payload p) {
        probe local;
        co_await coflow::sleep(1h);
        co_await coflow::wait_condition([] { return false; });
        (void)p;
    }
    static constexpr auto definition =
        coflow::define<busy_handlers>("busy_handlers").run(&busy_handlers::run).signal("work", &busy_handlers::work);

private:
    probe member_;
};

coflow::task<int> deep(int depth) {
    probe local;
    if (depth == 0) {
        co_await coflow::wait_condition([] { return false; });
        co_return 0;
    }
    const int r = co_await deep(depth - 1);
    co_return r + 1;
}

class task_chain {
public:
    coflow::workflow<int> run(int depth) {
        probe local;
        co_return co_await deep(depth);
    }
    static constexpr auto definition = coflow::define<task_chain>("task_chain").run(&task_chain::run);

private:
    probe member_;
};

// Continues as new, handing queued channel values to the next run; destroyed before that run first runs.
class relay {
public:
    coflow::signal_channel<payload> in;
    coflow::workflow<int> run(int gen, payload carried) {
        probe local;
        (void)carried;
        co_await coflow::wait_condition([this] { return roll_; });
        co_return coflow::continue_as_new(gen + 1, payload{});  // no co_await: any argument is safe
    }
    void roll() { roll_ = true; }
    static constexpr auto definition =
        coflow::define<relay>("relay").run(&relay::run).signal("in", &relay::in).signal("roll", &relay::roll);

private:
    probe member_;
    bool roll_ = false;
};

// Closed runs keep their objects and results until forgotten.
class finished {
public:
    coflow::workflow<payload> run(bool fail) {
        probe local;
        co_await coflow::sleep(1ms);
        if (fail) throw std::runtime_error(std::string(64, 'e'));
        co_return payload{};
    }
    static constexpr auto definition = coflow::define<finished>("finished").run(&finished::run);

private:
    probe member_;
};

int count_per_kind() {
    const char* v = std::getenv("COFLOW_LEAK_COUNT");
    return v && *v ? std::atoi(v) : 300;
}

// What the runtime held just before it was destroyed (read without Catch, whose assertions allocate).
struct snapshot {
    std::size_t ids = 0;
    std::size_t running = 0;
    std::size_t pending_in_targets = 0;    // external signals accepted, not delivered
    std::size_t running_handlers = 0;      // async handlers suspended
    std::size_t relays_continued = 0;      // relays whose new run has not run yet
    std::size_t closed_kept = 0;           // closed runs kept with their results
    std::size_t executor_work = 0;         // ready work and timers left in the executor
};

// Builds a runtime full of suspended workflows (every kind above), then destroys it.
snapshot fill_and_destroy(int n) {
    coflow::deterministic_executor ex;
    snapshot snap;
    {
        coflow::runtime rt{ex};
        const auto name = [](const char* kind, int i) { return std::string(kind) + "-" + std::to_string(i); };
        for (int i = 0; i < n; ++i) {
            (void)rt.start_workflow(&on_condition::run, payload{}, {.id = name("cond", i)});
            auto ch = rt.start_workflow(&on_channel::run, {.id = name("chan", i)});
            (void)rt.start_workflow(&on_timer::run, {.id = name("timer", i)});
            (void)rt.start_workflow(&parent_of_child::run, name("child", i), i % 2 == 0, {.id = name("parent", i)});
            (void)rt.start_workflow(&on_channel::run, {.id = name("target", i)});
            (void)rt.start_workflow(&sender::run, name("target", i), {.id = name("sender", i)});
            auto busy = rt.start_workflow(&busy_handlers::run, {.id = name("busy", i)});
            (void)rt.start_workflow(&task_chain::run, 1 + i % 8, {.id = name("chain", i)});
            auto rel = rt.start_workflow(&relay::run, 0, payload{}, {.id = name("relay", i)});
            (void)rt.start_workflow(&finished::run, i % 3 == 0, {.id = name("finished", i)});
            ch.signal(&on_channel::unread, payload{});
            busy.signal(&busy_handlers::work, payload{});
            rel.signal(&relay::in, payload{});
        }
        ex.advance(10ms);  // everything is suspended (or closed, for `finished`); the long timers stay

        // Continue-as-new, and signals from other workflows: each relay and each sender runs once (one step
        // each, in the order the signals were sent). A relay's new run then holds the old one (for queries)
        // until it first runs, with the channel values moved to it; a sender's signals wait in its target's
        // inbox. Neither new run nor target has run when the runtime goes.
        for (int i = 0; i < n; ++i) {
            auto rel = rt.get_workflow_handle_for<relay>(name("relay", i));
            rel.signal(&relay::in, payload{});
            rel.signal(&relay::roll);
        }
        for (int i = 0; i < n; ++i) rt.get_workflow_handle_for<sender>(name("sender", i)).signal(&sender::go);
        for (int i = 0; i < 2 * n; ++i) ex.step();

        // Work that never ran: client signals, by name too, and signal-with-start of new ids, all queued.
        for (int i = 0; i < n; ++i) {
            rt.get_workflow_handle_for<on_channel>(name("chan", i)).signal(&on_channel::in, payload{});
            rt.get_workflow_handle(name("target", i)).signal("unread", payload{});
            (void)rt.start_workflow(&on_channel::run, {.id = name("fresh", i), .start_signal = "unread",
                                                       .start_signal_args = coflow::args(payload{})});
        }
        snap.ids = rt.size();
        const char* kinds[] = {"cond",  "chan",  "timer", "parent", "child",    "target",
                               "sender", "busy", "chain", "relay",  "finished", "fresh"};
        for (int i = 0; i < n; ++i)
            for (const char* k : kinds) {
                const auto d = rt.get_workflow_handle(name(k, i)).describe();
                if (d.status == coflow::workflow_status::running) ++snap.running;
                else ++snap.closed_kept;
                if (std::string(k) == "target") snap.pending_in_targets += d.pending_signals;
                snap.running_handlers += d.running_handlers;
                if (std::string(k) == "relay" && d.received_signals == 0) ++snap.relays_continued;
            }
        snap.executor_work = ex.ready_count() + ex.timer_count();
    }
    // The runtime is gone; its posted work (activations and timers) is still in the executor and must do
    // nothing when run.
    ex.run_until_idle();
    return snap;
}

}  // namespace

TEST_CASE("a runtime destroyed with thousands of suspended workflows frees every frame, object and payload",
          "[leak][lifetime]") {
    const int n = count_per_kind();
    probe::alive = 0;
    probe::made = 0;
    // Blocks kept in this thread's block cache are not leaked, but they are live: none before, none after.
    coflow::detail::block_cache::release();
    const long allocations_before = live_allocations;
    const snapshot snap = fill_and_destroy(n);
    coflow::detail::block_cache::release();
    const long allocations_after = live_allocations;
    const auto N = static_cast<std::size_t>(n);
    CHECK(snap.ids == N * 12);  // ten kinds started, the children, the fresh starts
    CHECK(snap.closed_kept == N);  // `finished`
    CHECK(snap.running == N * 11);
    CHECK(snap.pending_in_targets == N * 3);  // "in" and "unread" from its sender, "unread" from the client
    CHECK(snap.running_handlers == N);
    CHECK(snap.relays_continued == N);
    CHECK(snap.executor_work > N * 4);
    CHECK(probe::made > 20L * n);
    CHECK(probe::alive == 0);
    CHECK(allocations_after == allocations_before);
}

TEST_CASE("forgetting closed runs frees them while the runtime lives", "[leak][lifetime]") {
    probe::alive = 0;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    const long allocations_before = live_allocations;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 200; ++i)
            (void)rt.start_workflow(&finished::run, i % 2 == 0, {.id = "f-" + std::to_string(i)});
        ex.run_until_idle();
        for (int i = 0; i < 200; ++i) REQUIRE(rt.forget("f-" + std::to_string(i)));
    }
    CHECK(rt.size() == 0);
    CHECK(probe::alive == 0);
    // The runtime keeps some capacity (slots, hash buckets, the executor's queues), but not per run (nor
    // does the block cache: at most 32 blocks of each size).
    CHECK(live_allocations - allocations_before < 64 + 3 * 32);
}

TEST_CASE("issue 19: blocks a thread's block cache kept go back to the heap when the thread exits",
          "[leak][lifetime]") {
    coflow::detail::block_cache::release();
    const long allocations_before = live_allocations;
    std::uint32_t cached_in_thread = 0;
    std::thread t([&] {
        {
            coflow::deterministic_executor ex;
            coflow::runtime rt{ex};
            for (int i = 0; i < 20; ++i)
                (void)rt.start_workflow(&finished::run, false, {.id = "f-" + std::to_string(i)});
            ex.run_until_idle();
        }  // the runs and their frames went to this thread's cache
        cached_in_thread = coflow::detail::block_cache::cached(sizeof(coflow::detail::instance<finished>));
    });
    t.join();
    if constexpr (coflow::detail::block_cache::enabled) CHECK(cached_in_thread > 0);
    CHECK(probe::alive == 0);
    CHECK(live_allocations == allocations_before);  // the thread's exit released them
}
