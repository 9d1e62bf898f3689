// coflow::timer: a deadline that workflow code waits for, and that a signal may move or cancel meanwhile.
#include <coflow/timer.hpp>

#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<coflow::timer>);
static_assert(!std::is_move_constructible_v<coflow::timer>);
static_assert(std::is_nothrow_invocable_v<decltype(&coflow::timer::cancel), coflow::timer&>);

namespace {

std::int64_t seconds(coflow::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Sleeps until a deadline that signals move (in seconds of executor time) or cancel.
class alarm_clock {
public:
    coflow::workflow<std::string> run(std::int64_t first_s) {
        alarm_.reset(std::chrono::seconds(first_s));
        const bool expired = co_await alarm_;
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return (expired ? "rang at " : "cancelled at ") + std::to_string(seconds(coflow::now()));
    }
    void ring_at(std::int64_t at_s) { alarm_.reset_at(coflow::time_point{} + std::chrono::seconds(at_s)); }
    void snooze(std::int64_t for_s) { alarm_.reset(std::chrono::seconds(for_s)); }
    void off() { alarm_.cancel(); }
    // A handler that waits on the same timer as the body.
    coflow::task<void> watch() {
        const bool expired = co_await alarm_.wait();
        log_.push_back(std::string(expired ? "handler: rang at " : "handler: cancelled at ") +
                       std::to_string(seconds(coflow::now())));
    }
    std::int64_t deadline() const { return alarm_.deadline() ? seconds(*alarm_.deadline()) : -1; }
    std::vector<std::string> log() const { return log_; }

    static constexpr auto definition = coflow::define<alarm_clock>("alarm_clock")
                                           .run(&alarm_clock::run)
                                           .signal("ring_at", &alarm_clock::ring_at)
                                           .signal("snooze", &alarm_clock::snooze)
                                           .signal("off", &alarm_clock::off)
                                           .signal("watch", &alarm_clock::watch)
                                           .query("deadline", &alarm_clock::deadline)
                                           .query("log", &alarm_clock::log);

private:
    coflow::timer alarm_;
    std::vector<std::string> log_;
};

// Awaits a timer that was never set, then one whose deadline has passed, then waits for it again after a reset.
class eager {
public:
    coflow::workflow<std::vector<std::string>> run() {
        std::vector<std::string> out;
        coflow::timer t;
        // Each result is bound first: g++ 12 miscompiles a co_await inside a larger expression with temporaries.
        const bool unset = co_await t;
        out.push_back(unset ? "unset: expired" : "unset: no deadline");
        t.reset(0s);
        const bool now = co_await t;
        out.push_back(now ? "now: expired" : "now: no deadline");
        t.reset(-5s);
        out.push_back("deadline " + std::to_string(seconds(*t.deadline())));
        t.reset(3s);
        const bool later = co_await t.wait();
        out.push_back(std::string(later ? "3s: expired at " : "3s: cancelled at ") + std::to_string(seconds(coflow::now())));
        t.cancel();
        out.push_back(t.deadline() ? "still set" : "cancelled: no deadline");
        co_return out;
    }
    static constexpr auto definition = coflow::define<eager>("eager").run(&eager::run);
};

}  // namespace

TEST_CASE("issue 17: a timer wakes its waiter at the deadline, which deadline() reports", "[timer][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(0s);
    CHECK(h.query(&alarm_clock::deadline) == 30);
    CHECK(ex.timer_count() == 1);
    ex.run_until_idle();
    CHECK(h.result() == "rang at 30");
    CHECK(ex.now().time_since_epoch() == 30s);
}

TEST_CASE("issue 17: a reset while the body waits moves its wake-up later or earlier", "[timer][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(10s);

    SECTION("later") {
        h.signal(&alarm_clock::ring_at, std::int64_t{100});
        ex.advance(0s);
        CHECK(h.query(&alarm_clock::deadline) == 100);
        CHECK(ex.timer_count() == 1);  // the first wake-up is gone, not left to fire into nothing
        ex.advance(60s);               // past the first deadline
        CHECK_FALSE(h.is_closed());
        ex.run_until_idle();
        CHECK(h.result() == "rang at 100");
    }
    SECTION("earlier, by a duration from now") {
        h.signal(&alarm_clock::snooze, std::int64_t{5});
        ex.run_until_idle();
        CHECK(h.result() == "rang at 15");
        CHECK(ex.idle());
    }
    SECTION("to a time already passed: it rings in the executor's next turn") {
        h.signal(&alarm_clock::ring_at, std::int64_t{2});
        ex.advance(0s);
        CHECK(h.result() == "rang at 10");
        CHECK(h.query(&alarm_clock::deadline) == 2);
    }
    SECTION("many times: only the last deadline counts") {
        for (std::int64_t s = 11; s < 1000; ++s) {
            h.signal(&alarm_clock::ring_at, 2 * s);
            ex.advance(1s);
        }
        CHECK(ex.timer_count() == 1);
        ex.run_until_idle();
        CHECK(h.result() == "rang at 1998");
    }
}

TEST_CASE("issue 17: cancelling a timer wakes its waiter with false and leaves no timer behind", "[timer][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(10s);
    h.signal(&alarm_clock::off);
    ex.advance(0s);
    CHECK(h.result() == "cancelled at 10");
    CHECK(h.query(&alarm_clock::deadline) == -1);
    CHECK(ex.timer_count() == 0);
    CHECK(ex.idle());
}

TEST_CASE("issue 17: a timer with no deadline yields false at once and a passed one true at once", "[timer][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&eager::run);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"unset: no deadline", "now: expired", "deadline 0",
                                                 "3s: expired at 3", "cancelled: no deadline"});
}

TEST_CASE("issue 17: a handler and the body waiting on one timer both follow its resets and cancel",
          "[timer][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(0s);  // the body sets the deadline
    h.signal(&alarm_clock::watch);
    ex.advance(1s);
    CHECK(ex.timer_count() == 2);  // one for each waiter

    SECTION("reset") {
        h.signal(&alarm_clock::snooze, std::int64_t{4});
        ex.run_until_idle();
        CHECK(h.result() == "rang at 5");
        CHECK(h.query(&alarm_clock::log) == std::vector<std::string>{"handler: rang at 5"});
    }
    SECTION("cancel") {
        h.signal(&alarm_clock::off);
        ex.run_until_idle();
        CHECK(h.result() == "cancelled at 1");
        CHECK(h.query(&alarm_clock::log) == std::vector<std::string>{"handler: cancelled at 1"});
    }
    CHECK(ex.idle());
}

TEST_CASE("issue 17: cancelling the run throws cancelled at the body's timer wait", "[timer][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(1s);
    h.cancel();
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::cancelled);
    CHECK(ex.now().time_since_epoch() == 1s);
    CHECK(ex.idle());
}

TEST_CASE("issue 17: a run that moves its timer replays from its history", "[timer][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&alarm_clock::run, std::int64_t{30});
    ex.advance(10s);
    h.signal(&alarm_clock::ring_at, std::int64_t{100});
    ex.advance(20s);
    h.signal(&alarm_clock::snooze, std::int64_t{5});
    ex.run_until_idle();
    CHECK(h.result() == "rang at 35");
    CHECK_NOTHROW(coflow::replay(*h.fetch_history(), alarm_clock::definition));
}

TEST_CASE("issue 17: setting or awaiting a timer outside workflow code throws not_in_workflow", "[timer][errors][regression]") {
    coflow::timer t;
    CHECK_THROWS_AS(t.reset(1s), coflow::not_in_workflow);
    CHECK_THROWS_AS(t.reset_at(coflow::time_point{}), coflow::not_in_workflow);
    CHECK_THROWS_AS((void)t.wait(), coflow::not_in_workflow);
    t.cancel();  // nothing to wake
    CHECK_FALSE(t.deadline());
}
