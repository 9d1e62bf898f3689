// Execution and run timeouts (start options, as Temporal's): a run past its deadline closes as timed out,
// runs no more code, and its result, its parent and its history say which timeout passed.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(std::is_aggregate_v<coflow::child_options>);
static_assert(std::is_trivially_destructible_v<coflow::child_options>);
static_assert(std::is_aggregate_v<coflow::start_options>);
static_assert(std::is_base_of_v<coflow::error, coflow::workflow_timed_out>);
static_assert(coflow::to_string(coflow::workflow_status::timed_out) == "timed_out");
static_assert(coflow::to_string(coflow::timeout_kind::execution) == "execution");
static_assert(coflow::to_string(coflow::timeout_kind::run) == "run");
static_assert(coflow::to_string(coflow::errc::workflow_timed_out) == "workflow_timed_out");
static_assert(coflow::to_string(coflow::event_kind::workflow_timed_out) == "workflow_timed_out");
static_assert(coflow::is_closing(coflow::event_kind::workflow_timed_out));

namespace {

std::int64_t ms(coflow::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

coflow::runtime_options recorded() { return coflow::runtime_options{.record_history = true}; }

// Sleeps `s` seconds, then returns them; a signal "poke" counts (so that inputs reach its history).
class sleeper {
public:
    coflow::workflow<int> run(int s) {
        started_ = true;
        co_await coflow::sleep(std::chrono::seconds(s));
        woke_ = true;
        co_return s;
    }
    void poke() { ++pokes_; }
    int pokes() const { return pokes_; }
    bool woke() const { return woke_; }
    static constexpr auto definition = coflow::define<sleeper>("sleeper")
                                           .run(&sleeper::run)
                                           .signal("poke", &sleeper::poke)
                                           .query("pokes", &sleeper::pokes)
                                           .query("woke", &sleeper::woke);

private:
    bool started_ = false;
    bool woke_ = false;
    int pokes_ = 0;
};

// Sleeps 4 s per run and continues as new, forever; each run notes what info() says of its timeouts.
class looper {
public:
    coflow::workflow<int> run(int n) {
        const coflow::workflow_info i = coflow::info();
        execution_timeout_ = i.execution_timeout;
        run_timeout_ = i.run_timeout;
        deadline_ms_ = i.deadline ? ms(*i.deadline) : -1;
        co_await coflow::sleep(4s);
        co_return coflow::continue_as_new(&looper::run, n + 1);
    }
    std::int64_t deadline_ms() const { return deadline_ms_; }
    coflow::duration execution_timeout() const { return execution_timeout_; }
    coflow::duration run_timeout() const { return run_timeout_; }
    static constexpr auto definition = coflow::define<looper>("looper")
                                           .run(&looper::run)
                                           .query("deadline_ms", &looper::deadline_ms)
                                           .query("execution_timeout", &looper::execution_timeout)
                                           .query("run_timeout", &looper::run_timeout);

private:
    std::int64_t deadline_ms_ = -2;
    coflow::duration execution_timeout_{}, run_timeout_{};
};

// Runs a child sleeper of `child_s` seconds with a run timeout of `timeout_s`; returns the child's result
// or what its timeout raised in the parent.
class waits_for_child {
public:
    coflow::workflow<std::string> run(int child_s, int timeout_s) {
        try {
            const int r = co_await coflow::execute_child_workflow(
                &sleeper::run, child_s, {.id = "kid", .run_timeout = std::chrono::seconds(timeout_s)});
            co_return "returned " + std::to_string(r);
        } catch (const coflow::workflow_timed_out& e) {
            co_return std::string(coflow::to_string(e.which())) + " at " + std::to_string(ms(coflow::now())) + "ms: " +
                e.what();
        }
    }
    static constexpr auto definition =
        coflow::define<waits_for_child>("waits_for_child").run(&waits_for_child::run);
};

// Starts a long child with the given close policy, then sleeps longer than its own run timeout.
class outlived_parent {
public:
    coflow::workflow<void> run(int policy) {
        auto kid = coflow::start_child_workflow(&sleeper::run, 100,
                                                {.id = "orphan",
                                                 .parent_close = static_cast<coflow::parent_close_policy>(policy)});
        co_await coflow::sleep(100s);
        (void)co_await kid.result();
    }
    static constexpr auto definition = coflow::define<outlived_parent>("outlived_parent").run(&outlived_parent::run);
};

// Each run sleeps until a second before its deadline, then continues as new, three runs in all.
class punctual {
public:
    coflow::workflow<int> run(int n) {
        const std::optional<coflow::time_point> deadline = coflow::info().deadline;
        co_await coflow::sleep(deadline ? *deadline - coflow::now() - 1s : coflow::duration(1s));
        if (n < 2) co_return coflow::continue_as_new(&punctual::run, n + 1);
        co_return n;
    }
    static constexpr auto definition = coflow::define<punctual>("punctual").run(&punctual::run);
};

std::string timed_out_message(const coflow::workflow_handle<sleeper>& h) {
    try {
        (void)h.result();
    } catch (const coflow::workflow_timed_out& e) {
        return e.what();
    }
    return "no workflow_timed_out";
}

}  // namespace

TEST_CASE("issue 17: a run timeout closes the run at exactly its deadline on the virtual clock",
          "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "slow", .run_timeout = 10s});
    ex.advance(9999ms);
    CHECK(h.status() == coflow::workflow_status::running);
    ex.advance(1ms);
    CHECK(h.status() == coflow::workflow_status::timed_out);
    CHECK(ms(ex.now()) == 10'000);
    // No code ran at the timeout, and the sleep's timer left with the frame: nothing drags the clock on.
    CHECK_FALSE(h.query(&sleeper::woke));
    CHECK(ex.timer_count() == 0);
    ex.run_until_idle();
    CHECK(ms(ex.now()) == 10'000);
}

TEST_CASE("issue 17: an execution timeout alone closes the run at its deadline", "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "slow", .execution_timeout = 30s});
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::timed_out);
    CHECK(ms(ex.now()) == 30'000);
    CHECK(timed_out_message(h).find("execution timeout") != std::string::npos);
}

TEST_CASE("issue 17: result() throws workflow_timed_out naming the workflow, the timeout and its length",
          "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "slow", .execution_timeout = 1h, .run_timeout = 1500ms});
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::timed_out);
    CHECK(timed_out_message(h) == "[coflow.workflow_timed_out] workflow 'slow' timed out: its run timeout (1500ms) passed");
    try {
        (void)rt.get_workflow_handle("slow").result<int>();
        FAIL("result() did not throw");
    } catch (const coflow::workflow_timed_out& e) {
        CHECK(e.code() == coflow::errc::workflow_timed_out);
        CHECK(e.which() == coflow::timeout_kind::run);
        CHECK(e.timeout() == 1500ms);
    }
}

TEST_CASE("issue 17: a run that finishes before its timeouts leaves no timer behind", "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 1, {.id = "quick", .execution_timeout = 24h, .run_timeout = 1h});
    CHECK(ex.timer_count() == 1);  // the timeout, before the body's first line
    ex.run_until_idle();
    CHECK(h.result() == 1);
    CHECK(ex.timer_count() == 0);
    CHECK(ms(ex.now()) == 1'000);  // the clock was not dragged to a dead timeout

    SECTION("nor does a run that is terminated, or cancelled") {
        auto t = rt.start_workflow(&sleeper::run, 5, {.id = "t", .run_timeout = 1h});
        auto c = rt.start_workflow(&sleeper::run, 5, {.id = "c", .run_timeout = 1h});
        ex.advance(1s);
        t.terminate("enough");
        c.cancel();
        ex.run_until_idle();
        CHECK(c.status() == coflow::workflow_status::cancelled);
        CHECK(ex.timer_count() == 0);
        CHECK(ms(ex.now()) == 2'000);
    }
    SECTION("nor a runtime destroyed while its run is open") {
        {
            coflow::runtime other{ex};
            (void)other.start_workflow(&sleeper::run, 5, {.id = "gone", .run_timeout = 1h});
            ex.advance(1s);
        }
        CHECK(ex.timer_count() == 0);
        ex.run_until_idle();
        CHECK(ms(ex.now()) == 2'000);
    }
}

TEST_CASE("issue 17: an execution timeout spans continue-as-new, a run timeout starts again with each run",
          "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};

    SECTION("the execution deadline is carried over, not restarted") {
        auto h = rt.start_workflow(&looper::run, 0, {.id = "loop", .execution_timeout = 10s, .run_timeout = 5s});
        ex.advance(8s);  // runs started at 0 s, 4 s and 8 s
        CHECK(h.query(&looper::deadline_ms) == 10'000);  // 8 s + 5 s, cut to the chain's 10 s
        CHECK(h.query(&looper::execution_timeout) == 10s);
        CHECK(h.query(&looper::run_timeout) == 5s);
        ex.run_until_idle();
        CHECK(h.status() == coflow::workflow_status::timed_out);
        CHECK(ms(ex.now()) == 10'000);
        try {
            (void)h.result();
        } catch (const coflow::workflow_timed_out& e) {
            CHECK(e.which() == coflow::timeout_kind::execution);
            CHECK(e.timeout() == 10s);
        }
        CHECK(ex.timer_count() == 0);
    }
    SECTION("a run timeout alone never ends a chain whose runs are short") {
        auto h = rt.start_workflow(&looper::run, 0, {.id = "loop", .run_timeout = 5s});
        ex.advance(8s);
        CHECK(h.query(&looper::deadline_ms) == 13'000);
        ex.advance(40s);
        CHECK(h.status() == coflow::workflow_status::running);
        CHECK(ex.timer_count() == 2);  // the current run's sleep and its timeout: none of the runs before
        CHECK(h.query(&looper::execution_timeout) == 0s);
    }
    SECTION("without timeouts, info() shows none") {
        auto h = rt.start_workflow(&looper::run, 0, {.id = "loop"});
        ex.advance(1s);
        CHECK(h.query(&looper::deadline_ms) == -1);
        CHECK(ex.timer_count() == 1);
    }
}

TEST_CASE("issue 17: a child that times out makes execute_child_workflow throw workflow_timed_out in its parent",
          "[timeout][child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto p = rt.start_workflow(&waits_for_child::run, 100, 5, {.id = "parent"});
    ex.run_until_idle();
    CHECK(p.result() ==
          "run at 5000ms: [coflow.workflow_timed_out] workflow 'kid' timed out: its run timeout (5s) passed");
    CHECK(rt.get_workflow_handle("kid").status() == coflow::workflow_status::timed_out);

    SECTION("and a child that finishes first returns as usual") {
        auto q = rt.start_workflow(&waits_for_child::run, 2, 5, {.id = "parent2"});
        ex.run_until_idle();
        CHECK(q.result() == "returned 2");
        CHECK(ex.timer_count() == 0);
    }
}

TEST_CASE("issue 17: a timed-out parent's open children get its parent-close policy", "[timeout][child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    using policy = coflow::parent_close_policy;
    const policy pol = GENERATE(policy::terminate, policy::request_cancel, policy::abandon);
    auto p = rt.start_workflow(&outlived_parent::run, static_cast<int>(pol), {.id = "p", .run_timeout = 10s});
    ex.advance(10s);
    REQUIRE(p.status() == coflow::workflow_status::timed_out);
    auto kid = rt.get_workflow_handle_for<sleeper>("orphan");
    switch (pol) {
        case policy::terminate:
            CHECK(kid.status() == coflow::workflow_status::terminated);
            try {
                (void)kid.result();
            } catch (const coflow::workflow_terminated& e) {
                CHECK(std::string(e.what()).find("parent workflow 'p' closed") != std::string::npos);
            }
            break;
        case policy::request_cancel:
            ex.run_until_idle();
            CHECK(kid.status() == coflow::workflow_status::cancelled);
            break;
        case policy::abandon:
            CHECK(kid.status() == coflow::workflow_status::running);
            ex.run_until_idle();
            CHECK(kid.result() == 100);
            break;
    }
}

TEST_CASE("issue 17: a timed-out run describes itself as timed out and refuses signals, cancel and terminate",
          "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "slow", .run_timeout = 3s});
    ex.run_until_idle();
    const coflow::workflow_description d = h.describe();
    CHECK(d.status == coflow::workflow_status::timed_out);
    CHECK(d.waiting_on.empty());
    CHECK(h.is_closed());
    try {
        h.signal(&sleeper::poke);
        FAIL("a timed-out run took a signal");
    } catch (const coflow::workflow_closed& e) {
        CHECK(std::string(e.what()).find("is closed (timed_out)") != std::string::npos);
    }
    CHECK_THROWS_AS(h.cancel(), coflow::workflow_closed);
    CHECK_THROWS_AS(h.terminate(), coflow::workflow_closed);
    // Queries still read the closed run, and its id may be used again.
    CHECK(h.query(&sleeper::pokes) == 0);
    auto again = rt.start_workflow(&sleeper::run, 1, {.id = "slow", .id_reuse = coflow::id_reuse_policy::allow_duplicate_failed_only});
    ex.run_until_idle();
    CHECK(again.result() == 1);
}

TEST_CASE("issue 17: a negative timeout is refused before anything starts", "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK_THROWS_AS(rt.start_workflow(&sleeper::run, 1, {.id = "neg", .run_timeout = -1s}), coflow::invalid_operation);
    CHECK_THROWS_AS(rt.start_workflow(&sleeper::run, 1, {.id = "neg", .execution_timeout = -1ns}),
                    coflow::invalid_operation);
    CHECK(rt.size() == 0);
    CHECK(ex.timer_count() == 0);
}

TEST_CASE("issue 17: signal-with-start gives its timeouts to the run it starts, not to a running one",
          "[timeout][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "s", .run_timeout = 10s, .start_signal = "poke"});
    ex.advance(5s);
    (void)rt.start_workflow(&sleeper::run, 100, {.id = "s", .run_timeout = 1s, .start_signal = "poke"});
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::timed_out);
    CHECK(ms(ex.now()) == 10'000);
    CHECK(h.query(&sleeper::pokes) == 2);
}

TEST_CASE("issue 17: a timed-out run's history ends with workflow_timed_out and replays", "[timeout][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&sleeper::run, 100, {.id = "slow", .run_timeout = 5s});
    ex.advance(2s);
    h.signal(&sleeper::poke);
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::timed_out);
    const std::shared_ptr<const coflow::history> hist = h.fetch_history();
    INFO(hist->to_json_lines());
    const coflow::history_event& last = hist->events.back();
    CHECK(last.kind == coflow::event_kind::workflow_timed_out);
    CHECK(last.time_ns == 5'000'000'000);
    CHECK(last.args == std::vector<std::string>{"\"run\"", "5000000000"});
    CHECK(hist->to_json_lines().find("\"event\":\"workflow_timed_out\",\"name\":\"\",\"args\":[\"run\",5000000000]") !=
          std::string::npos);
    CHECK(rt.trace_json().find("\"workflow_timed_out\"") != std::string::npos);
    CHECK_NOTHROW(coflow::replay(*hist, sleeper::definition));

    SECTION("a timeout is an input: it replays wherever the history puts it") {
        coflow::history earlier = *hist;
        earlier.events.erase(earlier.events.end() - 3, earlier.events.end() - 1);  // the signal never came
        earlier.events.back().time_ns = 3'000'000'000;
        CHECK_NOTHROW(coflow::replay(earlier, sleeper::definition));
    }
    SECTION("a timeout whose input was not kept is a damaged history") {
        coflow::history damaged = *hist;
        damaged.events.back().input = nullptr;
        CHECK_THROWS_AS(coflow::replay(damaged, sleeper::definition), coflow::invalid_history);
    }
}

TEST_CASE("issue 17: a parent whose child timed out replays, and so does the child", "[timeout][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto p = rt.start_workflow(&waits_for_child::run, 100, 5, {.id = "parent"});
    ex.run_until_idle();
    REQUIRE(p.status() == coflow::workflow_status::completed);
    const auto parent_history = p.fetch_history();
    INFO(parent_history->to_json_lines());
    bool child_closed = false;
    for (const auto& e : parent_history->events)
        if (e.kind == coflow::event_kind::child_closed) {
            child_closed = true;
            CHECK(e.args == std::vector<std::string>{"\"timed_out\"", "\"run\"", "5000000000"});
        }
    CHECK(child_closed);
    CHECK_NOTHROW(coflow::replay(*parent_history, waits_for_child::definition));
    CHECK_NOTHROW(coflow::replay(*rt.get_workflow_handle("kid").fetch_history(), sleeper::definition));
}

TEST_CASE("issue 17: each run of a chain replays with the timeouts and the deadline it was recorded with",
          "[timeout][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&punctual::run, 0, {.id = "p", .execution_timeout = 11s, .run_timeout = 5s});
    ex.run_until_idle();
    CHECK(h.result() == 2);
    CHECK(ms(ex.now()) == 10'000);  // runs from 0 s, 4 s and 8 s: the last one's deadline is the chain's, 11 s
    REQUIRE(rt.histories().size() == 3);
    const coflow::history& last = *rt.histories().back();
    CHECK(last.execution_timeout_ns == 11'000'000'000);
    CHECK(last.run_timeout_ns == 5'000'000'000);
    CHECK(last.execution_deadline_ns == 11'000'000'000);
    for (const auto& run : rt.histories()) {
        INFO(run->to_json_lines());
        CHECK_NOTHROW(coflow::replay(*run, punctual::definition));
    }
}
