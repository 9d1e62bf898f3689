// when_any, when_all, selector and task_scope: racing and joining waits inside a workflow, and tasks
// spawned beside the body.
#include <coflow/when_any.hpp>

#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

std::int64_t seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(coflow::now().time_since_epoch()).count();
}

// Races a value from `orders` against a timeout, then reports what won and when.
class order_or_timeout {
    coflow::signal_channel<int> orders_;

public:
    coflow::workflow<std::string> run(std::int64_t timeout_s) {
        auto r = co_await coflow::when_any(orders_.receive(), coflow::sleep(std::chrono::seconds(timeout_s)));
        if (r.index() == 0) co_return "order " + std::to_string(std::get<0>(r)) + " at " + std::to_string(seconds_now());
        co_return "timeout at " + std::to_string(seconds_now());
    }
    std::size_t queued() const { return orders_.size(); }
    static constexpr auto definition = coflow::define<order_or_timeout>("order_or_timeout")
                                           .run(&order_or_timeout::run)
                                           .signal("order", &order_or_timeout::orders_)
                                           .query("queued", &order_or_timeout::queued);

};

// Races two channels; whatever is left in them stays for later receives.
class two_channels {
    coflow::signal_channel<int> a_, b_;
    bool done_ = false;

public:
    coflow::workflow<std::vector<int>> run() {
        std::vector<int> got;
        auto r = co_await coflow::when_any(a_.receive(), b_.receive());
        got.push_back(static_cast<int>(r.index()));
        got.push_back(r.index() == 0 ? std::get<0>(r) : std::get<1>(r));
        co_await coflow::wait_condition([this] { return done_; });
        while (auto v = a_.try_receive()) got.push_back(*v);
        while (auto v = b_.try_receive()) got.push_back(100 + *v);
        co_return got;
    }
    void done() { done_ = true; }
    static constexpr auto definition = coflow::define<two_channels>("two_channels")
                                           .run(&two_channels::run)
                                           .signal("a", &two_channels::a_)
                                           .signal("b", &two_channels::b_)
                                           .signal("done", &two_channels::done);

};

coflow::task<int> after(std::int64_t s, int value) {
    co_await coflow::sleep(std::chrono::seconds(s));
    co_return value;
}

coflow::task<int> fail_after(std::int64_t s) {
    co_await coflow::sleep(std::chrono::seconds(s));
    throw std::runtime_error("failed at " + std::to_string(seconds_now()));
}

// Runs one of several race shapes, chosen by name.
class racer {
public:
    coflow::workflow<std::string> run(std::string shape) {
        if (shape == "tasks") {
            auto r = co_await coflow::when_any(after(5, 1), after(3, 2), after(3, 3));
            co_return std::to_string(r.index()) + ":" + std::to_string(std::visit([](int v) { return v; }, r)) +
                " at " + std::to_string(seconds_now());
        }
        if (shape == "ready") {  // all ready at once: the first argument wins
            auto r = co_await coflow::when_any(coflow::wait_condition([] { return true; }), after(0, 7));
            co_return "winner " + std::to_string(r.index());
        }
        if (shape == "all") {
            auto [a, b, c] = co_await coflow::when_all(after(5, 1), after(3, 2), coflow::sleep(4s));
            (void)c;
            co_return std::to_string(a) + "," + std::to_string(b) + " at " + std::to_string(seconds_now());
        }
        if (shape == "all_fails") {
            try {
                (void)co_await coflow::when_all(after(3600, 1), fail_after(2));
            } catch (const std::runtime_error& e) {
                co_return std::string("caught ") + e.what();
            }
            co_return "no failure";
        }
        if (shape == "any_fails") {
            try {
                (void)co_await coflow::when_any(after(3600, 1), fail_after(2));
            } catch (const std::runtime_error& e) {
                co_return std::string("caught ") + e.what();
            }
            co_return "no failure";
        }
        if (shape == "forever") {
            (void)co_await coflow::when_any(coflow::sleep(1h), coflow::wait_condition([this] { return flag_; }));
            co_return "ended";
        }
        co_return "unknown shape";
    }
    void set() { flag_ = true; }
    static constexpr auto definition =
        coflow::define<racer>("racer").run(&racer::run).signal("set", &racer::set);

private:
    bool flag_ = false;
};

}  // namespace

TEST_CASE("issue 17: when_any gives the first to end and cancels the loser's timer", "[when_any][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&order_or_timeout::run, 3600);
    ex.advance(12s);
    REQUIRE(ex.timer_count() == 1);
    h.signal("order", 42);
    ex.run_until_idle();
    CHECK(h.result() == "order 42 at 12");
    CHECK(ex.timer_count() == 0);
    CHECK(ex.now().time_since_epoch() == 12s);  // not dragged to the dead timeout
}

TEST_CASE("issue 17: a value handed to a losing receive goes back to its channel, in order",
          "[when_any][signal][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&two_channels::run);
    ex.run_until_idle();
    // Both arrive before the body runs again: b's receive is handed its value first and wins; a's
    // receive was handed 1 too, and loses: 1 goes back to channel a, before 2.
    h.signal("b", 10);
    h.signal("a", 1);
    h.signal("a", 2);
    h.signal("done");
    ex.run_until_idle();
    CHECK(h.result() == std::vector<int>{1, 10, 1, 2});
}

TEST_CASE("issue 17: when_any over tasks: ties in time go to the earlier argument", "[when_any][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto tasks = rt.start_workflow(&racer::run, std::string("tasks"));
    auto ready = rt.start_workflow(&racer::run, std::string("ready"));
    ex.run_until_idle();
    CHECK(tasks.result() == "1:2 at 3");
    CHECK(ready.result() == "winner 0");
    CHECK(ex.timer_count() == 0);
    CHECK(ex.now().time_since_epoch() == 3s);  // the 5 s loser's timer was cancelled
}

TEST_CASE("issue 17: when_all gives every result, and the first failure cancels the rest", "[when_any][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto all = rt.start_workflow(&racer::run, std::string("all"));
    ex.run_until_idle();
    CHECK(all.result() == "1,2 at 5");

    auto fails = rt.start_workflow(&racer::run, std::string("all_fails"));
    auto any_fails = rt.start_workflow(&racer::run, std::string("any_fails"));
    ex.run_until_idle();
    CHECK(fails.result() == "caught failed at 7");
    CHECK(any_fails.result() == "caught failed at 7");
    CHECK(ex.timer_count() == 0);
    CHECK(ex.now().time_since_epoch() == 7s);  // the hour-long racers' timers went with them
}

TEST_CASE("issue 17: cancelling a run racing in its body cancels every racer", "[when_any][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&racer::run, std::string("forever"));
    ex.advance(1s);
    const auto d = h.describe();
    CHECK(d.waiting_on == std::vector<std::string>{"task: sleep until 3600000ms", "task: wait_condition", "body: when_any"});
    h.cancel();
    ex.advance(0s);
    CHECK(h.status() == coflow::workflow_status::cancelled);
    CHECK(ex.timer_count() == 0);
    CHECK(ex.idle());
}

TEST_CASE("issue 17: terminating a racing run destroys its racers and their timers", "[when_any][lifetime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&racer::run, std::string("forever"));
    ex.advance(1s);
    h.terminate("over");
    CHECK(ex.timer_count() == 0);
    auto again = rt.start_workflow(&racer::run, std::string("forever"), {.id = "left"});
    ex.advance(1s);
    // Destroying the runtime with a racing run suspended frees it all (ASan and the leak check say so).
}

TEST_CASE("issue 17: a run that raced replays from its history", "[when_any][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto a = rt.start_workflow(&two_channels::run, {.id = "two"});
    auto b = rt.start_workflow(&racer::run, std::string("all"), {.id = "all"});
    auto c = rt.start_workflow(&racer::run, std::string("forever"), {.id = "forever"});
    ex.advance(10s);
    a.signal("b", 10);
    a.signal("a", 1);
    a.signal("done");
    c.signal("set");
    ex.run_until_idle();
    REQUIRE(a.is_closed());
    REQUIRE(c.result() == "ended");
    CHECK_NOTHROW(coflow::replay(*a.fetch_history(), two_channels::definition));
    CHECK_NOTHROW(coflow::replay(*b.fetch_history(), racer::definition));
    CHECK_NOTHROW(coflow::replay(*c.fetch_history(), racer::definition));
}

// ---- selector ------------------------------------------------------------------------------------

namespace {

// Go's Selector loop: orders and cancels on two channels, a default when idle, until "stop".
class dispatcher {
    coflow::signal_channel<std::string> orders_;
    coflow::signal_channel<int> stops_;
    std::vector<std::string> log_;
    bool stop_ = false;

public:
    coflow::workflow<std::vector<std::string>> run() {
        coflow::selector sel;
        sel.on_receive(orders_, [this](std::string o) { log_.push_back("order " + o); })
            .on_receive(stops_, [this](int) { stop_ = true; })
            .on_ready([] { return coflow::sleep(10s); }, [this] { log_.push_back("tick " + std::to_string(seconds_now())); });
        while (!stop_) co_await sel.select();
        coflow::selector drain;
        drain.on_receive(orders_, [this](std::string o) { log_.push_back("late " + o); }).on_default([this] {
            log_.push_back("empty");
        });
        co_await drain.select();
        co_await drain.select();
        co_return log_;
    }
    static constexpr auto definition = coflow::define<dispatcher>("dispatcher")
                                           .run(&dispatcher::run)
                                           .signal("order", &dispatcher::orders_)
                                           .signal("stop", &dispatcher::stops_);

};

}  // namespace

TEST_CASE("issue 17: a selector serves several channels in order and loses no value", "[when_any][selector][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&dispatcher::run);
    ex.advance(3s);
    h.signal("order", std::string("a"));
    h.signal("order", std::string("b"));
    ex.advance(10s);  // a tick at 13 s (the sleep restarts at each select)
    h.signal("stop", 1);
    h.signal("order", std::string("c"));
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"order a", "order b", "tick 13", "late c", "empty"});
    CHECK(ex.timer_count() == 0);
}

// ---- task_scope ----------------------------------------------------------------------------------

namespace {

coflow::task<> worker(std::vector<std::string>& log, std::string name, std::int64_t s) {
    log.push_back(name + " starts at " + std::to_string(seconds_now()));
    co_await coflow::sleep(std::chrono::seconds(s));
    log.push_back(name + " ends at " + std::to_string(seconds_now()));
}

coflow::task<> failing_worker(std::int64_t s) {
    co_await coflow::sleep(std::chrono::seconds(s));
    throw std::runtime_error("worker broke");
}

class spawner {
public:
    coflow::workflow<std::vector<std::string>> run(bool fail) {
        coflow::task_scope scope;
        scope.spawn(worker(log_, "w1", 5));
        scope.spawn(worker(log_, "w2", 2));
        log_.push_back("spawned " + std::to_string(scope.running()));
        if (fail) scope.spawn(failing_worker(3));
        try {
            co_await scope.join();
        } catch (const std::runtime_error& e) {
            log_.push_back(std::string("join: ") + e.what() + " at " + std::to_string(seconds_now()));
        }
        log_.push_back("joined, running " + std::to_string(scope.running()));
        co_return log_;
    }
    // A handler with its own scope: it spawns a task per request and joins them.
    coflow::task<> burst(int n) {
        coflow::task_scope scope;
        for (int i = 0; i < n; ++i) scope.spawn(worker(log_, "h" + std::to_string(i), i + 1));
        co_await scope.join();
        log_.push_back("burst done");
    }
    std::vector<std::string> log() const { return log_; }
    static constexpr auto definition = coflow::define<spawner>("spawner")
                                           .run(&spawner::run)
                                           .signal("burst", &spawner::burst)
                                           .query("log", &spawner::log);

private:
    std::vector<std::string> log_;
};

// A scope as a member of the workflow object is refused: it would outlive the run's frames.
class scope_member {
public:
    coflow::workflow<> run() { co_return; }
    static constexpr auto definition = coflow::define<scope_member>("scope_member").run(&scope_member::run);

private:
    coflow::task_scope scope_;
};

}  // namespace

TEST_CASE("issue 17: spawned tasks start after the spawner goes on and join waits for all",
          "[when_any][task_scope][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&spawner::run, false);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"spawned 2", "w1 starts at 0", "w2 starts at 0", "w2 ends at 2",
                                                 "w1 ends at 5", "joined, running 0"});
}

TEST_CASE("issue 17: a failing spawned task cancels its siblings and join rethrows it",
          "[when_any][task_scope][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&spawner::run, true);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"spawned 2", "w1 starts at 0", "w2 starts at 0", "w2 ends at 2",
                                                 "join: worker broke at 3", "joined, running 0"});
    CHECK(ex.now().time_since_epoch() == 3s);  // w1's timer went with it
    CHECK(ex.timer_count() == 0);
}

TEST_CASE("issue 17: a handler spawns and joins its own tasks while the body waits", "[when_any][task_scope][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&spawner::run, false);
    h.signal("burst", 2);
    ex.advance(1s);
    const auto d = h.describe();
    CHECK(std::count_if(d.waiting_on.begin(), d.waiting_on.end(),
                        [](const std::string& w) { return w.rfind("task: sleep", 0) == 0; }) == 3);
    ex.run_until_idle();
    const auto log = h.query(&spawner::log);
    CHECK(std::find(log.begin(), log.end(), "burst done") != log.end());
    CHECK(std::find(log.begin(), log.end(), "h1 ends at 2") != log.end());
}

TEST_CASE("issue 17: a task_scope must be a local of workflow code", "[when_any][task_scope][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK_THROWS_AS(coflow::task_scope(), coflow::not_in_workflow);
    CHECK_THROWS_AS(rt.start_workflow(&scope_member::run), coflow::not_in_workflow);
    CHECK(rt.size() == 0);
}

// ---- a lock as a racer -----------------------------------------------------------------------------

namespace {

// The body races a channel against a lock that a handler holds; a second handler queues for the lock.
class lock_racer {
    coflow::signal_channel<std::string> items_;
    coflow::mutex lock_{"desk"};
    std::optional<coflow::mutex_guard> held_;
    std::vector<std::string> log_;

public:
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return held_.has_value(); });
        auto r = co_await coflow::when_any(items_.receive(), lock_.lock());
        log_.push_back(r.index() == 0 ? "body: item " + std::get<0>(r) : std::string("body: lock"));
        co_await coflow::wait_condition([this] { return log_.size() == 2; });
        co_return log_;
    }
    coflow::task<> hold() { held_.emplace(co_await lock_.lock()); }
    void unlock() { held_.reset(); }
    coflow::task<> second() {
        auto guard = co_await lock_.lock();
        log_.push_back("second: lock");
    }
    static constexpr auto definition = coflow::define<lock_racer>("lock_racer")
                                           .run(&lock_racer::run)
                                           .signal("item", &lock_racer::items_)
                                           .signal("hold", &lock_racer::hold)
                                           .signal("unlock", &lock_racer::unlock)
                                           .signal("second", &lock_racer::second);
};

}  // namespace

TEST_CASE("issue 17: a lock handed to a racer that lost passes on to the next waiter",
          "[when_any][mutex][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&lock_racer::run);
    h.signal("hold");
    ex.run_until_idle();
    h.signal("second");
    ex.run_until_idle();
    // One step: the item is handed to the receive, then the unlock hands the lock to the body's lock
    // racer; the receive resumes first and wins, and the lock goes on to "second" as the loser goes,
    // before the body resumes.
    h.signal("item", std::string("x"));
    h.signal("unlock");
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"second: lock", "body: item x"});
}

// ---- cancellation meeting a racer's end ---------------------------------------------------------------

namespace {

class cancellable_joiner {
public:
    coflow::workflow<std::string> run(bool scope_mode) {
        if (!scope_mode) {
            try {
                (void)co_await coflow::when_any(coflow::sleep(1s), coflow::sleep(5s));
            } catch (const coflow::cancelled&) {
                co_return "race cancelled at " + std::to_string(seconds_now());
            }
            co_return "race ended";
        }
        coflow::task_scope scope;
        scope.spawn(nap(1));
        scope.spawn(nap(2));
        try {
            co_await scope.join();
        } catch (const coflow::cancelled&) {
            log_ += "join cancelled at " + std::to_string(seconds_now()) + "; ";
        }
        co_await scope.join();  // joined again, after the cancellation was caught
        co_return log_ + "joined at " + std::to_string(seconds_now()) + ", naps " + std::to_string(naps_);
    }
    static constexpr auto definition =
        coflow::define<cancellable_joiner>("cancellable_joiner").run(&cancellable_joiner::run);

private:
    coflow::task<> nap(int s) {
        co_await coflow::sleep(std::chrono::seconds(s));
        ++naps_;
    }
    std::string log_;
    int naps_ = 0;
};

}  // namespace

TEST_CASE("issue 17: a cancel and a racer's end in the same step wake the body once", "[when_any][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cancellable_joiner::run, false);
    ex.advance(999ms);
    REQUIRE(ex.step());  // the 1 s racer's timer fires: the run is scheduled, not run yet
    h.cancel();          // the cancellation wakes the body's race too
    ex.run_until_idle();
    CHECK(h.result() == "race cancelled at 1");
    CHECK(ex.timer_count() == 0);
}

TEST_CASE("issue 17: a scope whose join was cancelled can be joined again", "[when_any][task_scope][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cancellable_joiner::run, true);
    ex.advance(500ms);
    h.cancel();
    ex.run_until_idle();
    CHECK(h.result() == "join cancelled at 0; joined at 2, naps 2");
}

// ---- losers of every kind -------------------------------------------------------------------------

namespace {

class slow_child {
public:
    coflow::workflow<int> run(std::int64_t s) {
        co_await coflow::sleep(std::chrono::seconds(s));
        co_return static_cast<int>(s);
    }
    static constexpr auto definition = coflow::define<slow_child>("slow_child").run(&slow_child::run);
};

// Races a child's result, a coflow::timer and a condition against a short sleep, which wins; then
// checks that each loser's source is intact: the child runs on, the timer still fires, the condition
// still works.
class every_loser {
public:
    coflow::workflow<std::string> run() {
        auto child = coflow::start_child_workflow(&slow_child::run, std::int64_t{10}, {.id = "kid"});
        deadline_.reset(20s);
        auto r = co_await coflow::when_any(child.result(), deadline_.wait(),
                                           coflow::wait_condition([this] { return flag_; }), coflow::sleep(1s));
        std::string out = "winner " + std::to_string(r.index()) + " at " + std::to_string(seconds_now());
        out += "; child " + std::to_string(co_await child.result()) + " at " + std::to_string(seconds_now());
        const bool rang = co_await deadline_;
        out += std::string("; timer ") + (rang ? "rang" : "cancelled") + " at " + std::to_string(seconds_now());
        co_await coflow::wait_condition([this] { return flag_; });
        co_return out + "; flag at " + std::to_string(seconds_now());
    }
    void set() { flag_ = true; }
    static constexpr auto definition =
        coflow::define<every_loser>("every_loser").run(&every_loser::run).signal("set", &every_loser::set);

private:
    coflow::timer deadline_;
    bool flag_ = false;
};

}  // namespace

TEST_CASE("issue 17: losing a child's result, a timer or a condition leaves each of them intact",
          "[when_any][child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&every_loser::run);
    ex.advance(1s);
    // The child's 10 s sleep only: the losing wait on the deadline took its executor timer with it (the
    // deadline stays set, and a later wait arms a timer again).
    CHECK(ex.timer_count() == 1);
    ex.advance(29s);
    h.signal("set");
    ex.run_until_idle();
    CHECK(h.result() == "winner 3 at 1; child 10 at 10; timer rang at 20; flag at 30");
}
