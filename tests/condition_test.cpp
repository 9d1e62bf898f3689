// wait_condition: evaluated when awaited and only after code of the same workflow ran; timeouts; cancel.
#include <coflow/coflow.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

namespace {

// Waits until `target` signals arrived, counting how often its predicate is evaluated.
class gate {
public:
    coflow::workflow<int> run(int target) {
        co_await coflow::wait_condition([this, target] {
            ++evaluations_;
            return bumps_ >= target;
        });
        co_return bumps_;
    }
    void bump() { ++bumps_; }
    void nothing() {}
    int evaluations() const { return evaluations_; }

    static constexpr auto definition = coflow::define<gate>("gate")
                                           .run(&gate::run)
                                           .signal("bump", &gate::bump)
                                           .signal("nothing", &gate::nothing)
                                           .query("evaluations", &gate::evaluations);

private:
    int bumps_ = 0;
    int evaluations_ = 0;
};

class timed_gate {
public:
    coflow::workflow<std::string> run(int timeout_s) {
        const bool ok = co_await coflow::wait_condition([this] { return open_; }, std::chrono::seconds(timeout_s));
        co_return (ok ? "opened at " : "timed out at ") +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(coflow::now().time_since_epoch()).count());
    }
    void open() { open_ = true; }
    static constexpr auto definition =
        coflow::define<timed_gate>("timed_gate").run(&timed_gate::run).signal("open", &timed_gate::open);

private:
    bool open_ = false;
};

// As timed_gate, with any duration; reports whether it opened or timed out.
class long_gate {
public:
    coflow::workflow<std::string> run(coflow::duration timeout) {
        const bool ok = co_await coflow::wait_condition([this] { return open_; }, timeout);
        co_return ok ? "opened" : "timed out";
    }
    void open() { open_ = true; }
    static constexpr auto definition =
        coflow::define<long_gate>("long_gate").run(&long_gate::run).signal("open", &long_gate::open);

private:
    bool open_ = false;
};

class two_waiters {
public:
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return go_ && woke_ == 1; });
        log_.push_back("body");
        co_return log_;
    }
    coflow::task<void> watch() {
        co_await coflow::wait_condition([this] { return go_; });
        log_.push_back("handler");
        ++woke_;
    }
    void go() { go_ = true; }
    static constexpr auto definition = coflow::define<two_waiters>("two_waiters")
                                           .run(&two_waiters::run)
                                           .signal("watch", &two_waiters::watch)
                                           .signal("go", &two_waiters::go);

private:
    std::vector<std::string> log_;
    bool go_ = false;
    int woke_ = 0;
};

class cancellable {
public:
    coflow::workflow<std::string> run(bool catch_it) {
        try {
            co_await coflow::wait_condition([] { return false; });
        } catch (const coflow::cancelled&) {
            if (!catch_it) throw;
            cleaned_ = true;
        }
        co_await coflow::sleep(1s);  // cleanup may still await after catching
        co_return "cleaned up";
    }
    bool cleaned() const { return cleaned_; }
    static constexpr auto definition =
        coflow::define<cancellable>("cancellable").run(&cancellable::run).query("cleaned", &cancellable::cleaned);

private:
    bool cleaned_ = false;
};

class fragile {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] {
            if (armed_) throw std::runtime_error("predicate broke");
            return false;
        });
        co_return 0;
    }
    void arm() { armed_ = true; }
    static constexpr auto definition = coflow::define<fragile>("fragile").run(&fragile::run).signal("arm", &fragile::arm);

private:
    bool armed_ = false;
};

// Its predicate captures values with non-trivial destructors by copy, which g++ 12 destroys twice when
// the lambda is made inside a co_await expression: the predicate is a variable, awaited after.
class waits_for_word {
public:
    coflow::workflow<std::string> run(std::string word) {
        auto heard = [this, word, probe = counted{}] { return said_ == word; };
        co_await coflow::wait_condition(heard);
        co_return said_;
    }
    void say(std::string w) { said_ = std::move(w); }
    static constexpr auto definition =
        coflow::define<waits_for_word>("waits_for_word").run(&waits_for_word::run).signal("say", &waits_for_word::say);

private:
    std::string said_;
};

}  // namespace

// Debug builds ask each predicate twice (a predicate that answers differently is refused): one test of a
// condition is that many calls.
#ifdef NDEBUG
constexpr int asks = 1;
#else
constexpr int asks = 2;
#endif

TEST_CASE("an already true condition does not suspend and is evaluated once", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&gate::run, 0);
    ex.run_until_idle();
    CHECK(h.result() == 0);
    CHECK(h.query(&gate::evaluations) == asks);
}

TEST_CASE("a condition is re-evaluated only after code of its own workflow ran", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto watched = rt.start_workflow(&gate::run, 3, {.id = "watched"});
    auto other = rt.start_workflow(&gate::run, 1'000, {.id = "other"});
    ex.run_until_idle();
    const int before = watched.query(&gate::evaluations);
    CHECK(before == asks);
    for (int i = 0; i < 100; ++i) other.signal(&gate::bump);  // activity elsewhere
    ex.run_until_idle();
    ex.advance(1h);
    CHECK(watched.query(&gate::evaluations) == before);  // never polled

    watched.signal(&gate::nothing);  // a handler of its own ran: one more evaluation
    ex.run_until_idle();
    CHECK(watched.query(&gate::evaluations) == before + asks);

    watched.signal(&gate::bump);  // three signals in one activation: still one evaluation
    watched.signal(&gate::bump);
    watched.signal(&gate::bump);
    ex.run_until_idle();
    CHECK(watched.query(&gate::evaluations) == before + 2 * asks);
    CHECK(watched.result() == 3);
}

TEST_CASE("queries never re-evaluate conditions", "[condition][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&gate::run, 5);
    ex.run_until_idle();
    for (int i = 0; i < 10; ++i) CHECK(h.query(&gate::evaluations) == asks);
    CHECK(ex.idle());
}

TEST_CASE("wait_condition with a timeout returns false when the time passes first", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&timed_gate::run, 30);
    ex.run_until_idle();
    CHECK(h.result() == "timed out at 30");
}

TEST_CASE("wait_condition with a timeout returns true when the predicate wins", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&timed_gate::run, 30);
    ex.advance(12s);
    CHECK_FALSE(h.is_closed());
    h.signal(&timed_gate::open);
    ex.advance(1s);
    CHECK(h.result() == "opened at 12");
    ex.advance(1h);  // the timeout was cancelled when the predicate won
    CHECK(h.result() == "opened at 12");
}

TEST_CASE("a zero timeout times out at once unless the predicate holds", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&timed_gate::run, 0);
    ex.run_until_idle();
    CHECK(h.result() == "timed out at 0");
}

TEST_CASE("every waiter whose predicate is true wakes in the same pass", "[condition]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&two_waiters::run);
    h.signal(&two_waiters::watch);
    ex.run_until_idle();
    h.signal(&two_waiters::go);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"handler", "body"});
}

TEST_CASE("cancelling a workflow throws cancelled at the body's wait, and the body may clean up", "[condition][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cancellable::run, true);
    ex.run_until_idle();
    h.cancel();
    CHECK(h.describe().cancel_requested);
    h.cancel();  // only the first request counts
    ex.run_until_idle();
    CHECK(h.query(&cancellable::cleaned));
    CHECK(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() == "cleaned up");
    CHECK(ex.now().time_since_epoch() == 1s);
}

TEST_CASE("a cancellation that escapes the body closes the run as cancelled", "[condition][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cancellable::run, false, {.id = "doomed"});
    ex.run_until_idle();
    h.cancel();
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::cancelled);
    CHECK_THROWS_AS(h.result(), coflow::workflow_cancelled);
    CHECK_THROWS_AS(h.cancel(), coflow::workflow_closed);
}

TEST_CASE("a cancel requested before the body starts is raised at its first wait", "[condition][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cancellable::run, true);
    h.cancel();
    ex.run_until_idle();
    CHECK(h.query(&cancellable::cleaned));
    CHECK(h.result() == "cleaned up");
}

TEST_CASE("wait_condition outside workflow code throws not_in_workflow", "[condition][errors]") {
    try {
        (void)coflow::wait_condition([] { return true; });
        FAIL("no exception");
    } catch (const coflow::not_in_workflow& e) {
        CHECK(std::string(e.what()).find("coflow::wait_condition") != std::string::npos);
    }
    CHECK_THROWS_AS(coflow::all_handlers_finished(), coflow::not_in_workflow);
}

TEST_CASE("a predicate that throws fails the workflow with that exception as the cause", "[condition][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&fragile::run, {.id = "fragile"});
    ex.run_until_idle();
    CHECK_FALSE(h.is_closed());
    h.signal(&fragile::arm);
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::failed);
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::workflow_failed& e) {
        CHECK(std::string(e.what()).find("predicate broke") != std::string::npos);
        CHECK_THROWS_WITH(std::rethrow_exception(e.cause()), "predicate broke");
    }
}

TEST_CASE("issue 14: wait_condition with duration::max() waits for the predicate only and never moves the clock",
          "[condition][regression]") {
    constexpr auto forever = coflow::duration::max();
    struct scenario {
        coflow::duration clock, timeout;
    };
    for (const auto [clock, timeout] :
         {scenario{0s, forever}, scenario{5s, forever}, scenario{5s, forever - 5s + 1ns}, scenario{5s, forever - 1s}}) {
        {
            CAPTURE(clock.count(), timeout.count());
            coflow::deterministic_executor ex;
            coflow::runtime rt{ex};
            ex.advance(clock);
            auto h = rt.start_workflow(&long_gate::run, timeout);
            ex.run_until_idle();
            CHECK_FALSE(h.is_closed());
            CHECK(ex.now().time_since_epoch() == clock);
            CHECK(ex.idle());
            CHECK(h.describe().waiting_on == std::vector<std::string>{"body: wait_condition"});
            ex.advance(1h);
            h.signal(&long_gate::open);
            ex.run_until_idle();
            CHECK(h.result() == "opened");
            CHECK(ex.now().time_since_epoch() == clock + 1h);
        }
    }
}

TEST_CASE("issue 14: a negative timeout times out at once, as a zero one does, wherever the clock is",
          "[condition][regression]") {
    for (const coflow::duration timeout : {coflow::duration(-1ns), coflow::duration(-5s), coflow::duration::min()}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        ex.advance(5s);
        auto h = rt.start_workflow(&long_gate::run, timeout);
        ex.run_until_idle();
        CHECK(h.result() == "timed out");
        CHECK(ex.now().time_since_epoch() == 5s);
    }
}

TEST_CASE("issue 17: a satisfied wait leaves no timer behind", "[condition][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&timed_gate::run, 3600, {.id = "gate"});
    ex.advance(12s);
    REQUIRE(ex.timer_count() == 1);  // the wait's timeout

    SECTION("the predicate wins") {
        h.signal(&timed_gate::open);
        ex.advance(0s);
        CHECK(h.result() == "opened at 12");
    }
    SECTION("the run is cancelled while it waits") {
        h.cancel();
        ex.advance(0s);
        CHECK(h.status() == coflow::workflow_status::cancelled);
    }
    SECTION("the run is terminated, destroying the waiting frame") {
        h.terminate("done with it");
        CHECK(h.status() == coflow::workflow_status::terminated);
    }
    CHECK(ex.timer_count() == 0);
    CHECK(ex.idle());
}

TEST_CASE("issue 17: run_until_idle never moves the clock to a dead timer", "[condition][deterministic_executor][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&timed_gate::run, 3600);
    auto later = rt.start_workflow(&timed_gate::run, 60);  // times out at one minute: a live timer
    ex.advance(12s);
    h.signal(&timed_gate::open);
    ex.run_until_idle();
    CHECK(h.result() == "opened at 12");
    CHECK(later.result() == "timed out at 60");
    CHECK(ex.now().time_since_epoch() == 60s);  // not 3600 s, where h's timeout was due
}

TEST_CASE("issue 17: a predicate capturing values by copy is destroyed once", "[condition][regression][lifetime]") {
    auto by_copy = [s = std::string("x")] { return s.empty(); };
    auto by_ref = [&by_copy] { return by_copy(); };
    using marked = coflow::detail::given_fragile_temporary<coflow::detail::condition_awaitable<decltype(by_copy), false>>;
    static_assert(std::is_same_v<decltype(coflow::wait_condition(std::move(by_copy))), marked>);
    static_assert(!std::is_same_v<decltype(coflow::wait_condition(by_copy)), marked>);
    static_assert(std::is_same_v<decltype(coflow::wait_condition(std::move(by_ref))),
                                 coflow::detail::condition_awaitable<decltype(by_ref), false>>);  // trivially destructible
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&waits_for_word::run, "go");
        ex.run_until_idle();
        h.signal(&waits_for_word::say, "go");
        ex.run_until_idle();
        CHECK(h.result() == "go");
    }
    CHECK(counted::created == counted::destroyed);
}
