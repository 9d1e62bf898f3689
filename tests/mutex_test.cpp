// coflow::mutex and coflow::semaphore: FIFO locks for workflow code, handed straight to the next waiter,
// cancellation-aware, and never lost to a frame that goes away.
#include <coflow/mutex.hpp>
#include <coflow/semaphore.hpp>

#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<coflow::mutex>);
static_assert(!std::is_move_constructible_v<coflow::mutex>);
static_assert(!std::is_copy_constructible_v<coflow::semaphore>);
static_assert(!std::is_copy_constructible_v<coflow::mutex_guard>);
static_assert(std::is_nothrow_move_constructible_v<coflow::mutex_guard>);
static_assert(std::is_nothrow_move_assignable_v<coflow::mutex_guard>);
static_assert(!std::is_copy_constructible_v<coflow::semaphore_permit>);
static_assert(std::is_nothrow_move_constructible_v<coflow::semaphore_permit>);
static_assert(!std::is_convertible_v<coflow::mutex_guard, bool>);  // explicit: `if (guard)` only

namespace {

// The body and "work" handlers take turns in one critical section that spans a sleep.
class ledger {
public:
    coflow::workflow<std::vector<std::string>> run() {
        {
            auto guard = co_await m_.lock();
            log_.push_back("body in");
            co_await coflow::sleep(1s);  // the handlers queue meanwhile
            log_.push_back("body out");
        }
        auto again = co_await m_.lock();  // behind the handlers that asked first
        log_.push_back("body again");
        again.unlock();
        co_await coflow::wait_condition([this] { return stop_ && coflow::all_handlers_finished(); });
        co_return log_;
    }
    coflow::task<void> work(std::string who) {
        auto guard = co_await m_.lock();
        log_.push_back(who + " in");
        co_await coflow::sleep(1s);
        log_.push_back(who + " out");
    }
    // Unlocks and locks again in one step while others wait.
    coflow::task<void> greedy(std::string who) {
        auto guard = co_await m_.lock();
        log_.push_back(who + " in");
        co_await coflow::sleep(1s);
        guard.unlock();
        guard = co_await m_.lock();
        log_.push_back(who + " in again");
    }
    void stop() { stop_ = true; }
    bool locked() const { return m_.locked(); }
    std::size_t waiting() const { return m_.waiting(); }

    static constexpr auto definition = coflow::define<ledger>("ledger")
                                           .run(&ledger::run)
                                           .signal("stop", &ledger::stop)
                                           .signal("work", &ledger::work)
                                           .signal("greedy", &ledger::greedy)
                                           .query("locked", &ledger::locked)
                                           .query("waiting", &ledger::waiting);

private:
    coflow::mutex m_;
    std::vector<std::string> log_;
    bool stop_ = false;
};

using strings = std::vector<std::string>;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The message of the invalid_operation that failed the run of `h` ("" if it did not fail so).
template <class H>
std::string failure_of(const H& h) {
    try {
        h.result();
    } catch (const coflow::workflow_failed& e) {
        try {
            std::rethrow_exception(e.cause());
        } catch (const coflow::invalid_operation& cause) {
            return cause.what();
        } catch (...) {
        }
    } catch (...) {
    }
    return {};
}

}  // namespace

TEST_CASE("issue 17: a mutex goes to its waiters in the order they asked, handlers and body alike",
          "[mutex][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&ledger::run);
    ex.advance(0s);
    h.signal(&ledger::work, std::string("a"));
    h.signal(&ledger::work, std::string("b"));
    ex.advance(0s);
    CHECK(h.query(&ledger::waiting) == 2);
    h.signal(&ledger::stop);
    ex.run_until_idle();
    CHECK(h.result() == strings{"body in", "body out", "a in", "a out", "b in", "b out", "body again"});
    CHECK_FALSE(h.query(&ledger::locked));
}

TEST_CASE("issue 17: unlocking hands the lock to the first waiter, so a lock in the same step queues behind it",
          "[mutex][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&ledger::run);
    ex.advance(2s);  // the body is through its first section and holds nothing
    h.signal(&ledger::greedy, std::string("g"));
    ex.advance(0s);
    h.signal(&ledger::work, std::string("w"));
    h.signal(&ledger::stop);
    ex.run_until_idle();
    // The body's second lock came first, then g, then w; g's relock waits for w.
    CHECK(h.result() == strings{"body in", "body out", "body again", "g in", "w in", "w out", "g in again"});
}

namespace {

// Two handlers reserve the same resource. `use_mutex` picks the lock; otherwise a boolean flag and
// wait_condition, which is not a lock: both waiters see !busy_ in the same pass and both go in.
class booking {
public:
    explicit booking(bool use_mutex) : use_mutex_(use_mutex) {}
    coflow::workflow<int> run(bool) {
        co_await coflow::wait_condition([this] { return done_ == 2; });
        co_return most_inside_;
    }
    coflow::task<void> reserve() {
        coflow::mutex_guard guard;
        if (use_mutex_) {
            guard = co_await m_.lock();
        } else {
            co_await coflow::wait_condition([this] { return !busy_; });
            busy_ = true;
        }
        ++inside_;
        most_inside_ = std::max(most_inside_, inside_);
        co_await coflow::sleep(1s);
        --inside_;
        busy_ = false;
        ++done_;
    }
    void hold() { busy_ = true; }  // so that both reservations wait
    void free() { busy_ = false; }
    coflow::task<void> hold_lock() {
        auto guard = co_await m_.lock();
        co_await coflow::wait_condition([this] { return !busy_; });
    }

    static constexpr auto definition = coflow::define<booking>("booking")
                                           .run(&booking::run)
                                           .signal("reserve", &booking::reserve)
                                           .signal("hold", &booking::hold)
                                           .signal("free", &booking::free)
                                           .signal("hold_lock", &booking::hold_lock);

private:
    coflow::mutex m_;
    bool use_mutex_;
    bool busy_ = false;
    int inside_ = 0, most_inside_ = 0, done_ = 0;
};

}  // namespace

TEST_CASE("issue 17: a flag and wait_condition let two handlers in at once, a mutex lets one",
          "[mutex][condition][regression]") {
    const bool use_mutex = GENERATE(false, true);
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&booking::run, use_mutex);
    h.signal(&booking::hold);
    h.signal(&booking::hold_lock);  // holds the mutex until busy_ is false
    h.signal(&booking::reserve);
    h.signal(&booking::reserve);
    ex.advance(0s);
    h.signal(&booking::free);  // both waits are satisfied in the same pass
    ex.run_until_idle();
    CHECK(h.result() == (use_mutex ? 1 : 2));
}

namespace {

// try_lock, early unlock, moves and scope ends, read back through a log.
class guards {
public:
    coflow::workflow<std::vector<std::string>> run() {
        std::vector<std::string> out;
        auto note = [&](const char* what, bool v) { out.push_back(std::string(what) + (v ? ": yes" : ": no")); };
        {
            auto g = m_.try_lock();
            note("try_lock on a free mutex", static_cast<bool>(g));
            note("locked", m_.locked());
            auto second = m_.try_lock();
            note("try_lock again", static_cast<bool>(second));
            coflow::mutex_guard moved = std::move(g);
            note("moved-from guard owns", g.owns_lock());
            note("moved-to guard owns", moved.owns_lock());
            moved.unlock();
            note("locked after unlock", m_.locked());
            moved.unlock();  // nothing held: nothing happens
        }
        {
            auto g = co_await m_.lock();
            note("lock on a free mutex", g.owns_lock());
        }
        note("locked after the scope", m_.locked());
        auto kept = co_await m_.lock();
        coflow::mutex_guard other = m_.try_lock();
        other = std::move(kept);  // `other` was empty: takes the lock
        note("moved-assigned guard owns", other.owns_lock());
        other = coflow::mutex_guard();  // assigning an empty guard unlocks
        note("locked after assigning an empty guard", m_.locked());
        co_return out;
    }
    static constexpr auto definition = coflow::define<guards>("guards").run(&guards::run);

private:
    coflow::mutex m_;
};

}  // namespace

TEST_CASE("issue 17: a mutex guard unlocks when destroyed, unlocked, or assigned over, and try_lock never waits",
          "[mutex][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&guards::run);
    ex.run_until_idle();
    CHECK(h.result() == strings{"try_lock on a free mutex: yes", "locked: yes", "try_lock again: no",
                                "moved-from guard owns: no", "moved-to guard owns: yes", "locked after unlock: no",
                                "lock on a free mutex: yes", "locked after the scope: no",
                                "moved-assigned guard owns: yes", "locked after assigning an empty guard: no"});
}

namespace {

// Handlers take permits from a semaphore of 3 and hold them until "finish" releases them, in order.
class slots {
public:
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return done_ == expected_; });
        co_return log_;
    }
    void expect(int n) { expected_ = n; }
    coflow::task<void> take(std::string who, std::size_t k) {
        auto permit = co_await s_.acquire(k);
        log_.push_back(who + " got " + std::to_string(permit.count()) + ", " + std::to_string(s_.available()) +
                       " left");
        held_.emplace_back(who, std::move(permit));
        co_await coflow::wait_condition([this, &who] { return released_ == who; });
        ++done_;
    }
    void finish(std::string who) {
        released_ = who;
        for (auto& [owner, permit] : held_)
            if (owner == who) permit.release();
    }
    void try_take(std::string who, std::size_t k) {
        auto p = s_.try_acquire(k);
        log_.push_back(who + (p ? " tried: got " + std::to_string(p.count()) : std::string(" tried: none")));
    }
    std::size_t available() const { return s_.available(); }
    std::size_t waiting() const { return s_.waiting(); }

    static constexpr auto definition = coflow::define<slots>("slots")
                                           .run(&slots::run)
                                           .signal("expect", &slots::expect)
                                           .signal("take", &slots::take)
                                           .signal("finish", &slots::finish)
                                           .signal("try_take", &slots::try_take)
                                           .query("available", &slots::available)
                                           .query("waiting", &slots::waiting);

private:
    coflow::semaphore s_{3, "slots"};
    std::vector<std::pair<std::string, coflow::semaphore_permit>> held_;
    std::vector<std::string> log_;
    std::string released_;
    int expected_ = -1, done_ = 0;
};

}  // namespace

TEST_CASE("issue 17: a semaphore counts its permits and serves requests strictly in order",
          "[mutex][semaphore][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&slots::run);
    h.signal(&slots::expect, 4);
    h.signal(&slots::take, std::string("a"), std::size_t{2});
    h.signal(&slots::take, std::string("b"), std::size_t{2});  // 1 left: waits
    h.signal(&slots::take, std::string("c"), std::size_t{1});  // fits, but b asked first: waits
    h.signal(&slots::try_take, std::string("t"), std::size_t{1});  // nobody barges: none
    ex.advance(0s);
    CHECK(h.query(&slots::available) == 1);
    CHECK(h.query(&slots::waiting) == 2);
    h.signal(&slots::take, std::string("d"), std::size_t{1});
    h.signal(&slots::finish, std::string("a"));  // 3 free: b takes 2 and c 1 (both before b resumes), d waits
    ex.advance(0s);
    CHECK(h.query(&slots::available) == 0);
    CHECK(h.query(&slots::waiting) == 1);
    h.signal(&slots::finish, std::string("c"));
    ex.advance(0s);
    h.signal(&slots::finish, std::string("b"));
    ex.advance(0s);
    h.signal(&slots::try_take, std::string("t"), std::size_t{2});
    h.signal(&slots::finish, std::string("d"));
    ex.run_until_idle();
    CHECK(h.result() == strings{"a got 2, 1 left", "t tried: none", "b got 2, 0 left", "c got 1, 0 left",
                                "d got 1, 0 left", "t tried: got 2"});
    CHECK(h.query(&slots::available) == 3);
}

namespace {

class greedy_semaphore {
public:
    coflow::workflow<void> run(std::size_t k) {
        auto p = co_await s_.acquire(k);
        (void)p;
    }
    static constexpr auto definition = coflow::define<greedy_semaphore>("greedy_semaphore").run(&greedy_semaphore::run);

private:
    coflow::semaphore s_{2};
};

}  // namespace

TEST_CASE("issue 17: asking a semaphore for no permits or for more than it has is refused",
          "[mutex][semaphore][regression]") {
    const std::size_t k = GENERATE(std::size_t{0}, std::size_t{3});
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&greedy_semaphore::run, k, {.id = "greedy"});
    ex.run_until_idle();
    const std::string message = failure_of(h);
    CHECK(contains(message, "workflow 'greedy': coflow::semaphore::acquire of " + std::to_string(k) +
                                " permits from a semaphore of 2"));
}

namespace {

// The body waits for a lock a handler holds, with a handler queued behind it.
class standoff {
public:
    coflow::workflow<std::vector<std::string>> run() {
        try {
            auto guard = co_await m_.lock();
            log_.push_back("body in");
        } catch (const coflow::cancelled&) {
            log_.push_back("body cancelled, " + std::to_string(m_.waiting()) + " waiting");
        }
        co_await coflow::wait_condition([this] { return done_ == 2; });
        co_return log_;
    }
    coflow::task<void> hold() {
        auto guard = co_await m_.lock();
        co_await coflow::wait_condition([this] { return !holding_; });
        log_.push_back("holder out");
        ++done_;
    }
    coflow::task<void> queue() {
        auto guard = co_await m_.lock();
        log_.push_back("queued handler in");
        ++done_;
    }
    void let_go() { holding_ = false; }
    bool locked() const { return m_.locked(); }
    std::size_t waiting() const { return m_.waiting(); }

    static constexpr auto definition = coflow::define<standoff>("standoff")
                                           .run(&standoff::run)
                                           .signal("hold", &standoff::hold)
                                           .signal("queue", &standoff::queue)
                                           .signal("let_go", &standoff::let_go)
                                           .query("locked", &standoff::locked)
                                           .query("waiting", &standoff::waiting);

private:
    coflow::mutex m_;
    std::vector<std::string> log_;
    bool holding_ = true;
    int done_ = 0;
};

}  // namespace

TEST_CASE("issue 17: the body cancelled while waiting for a lock gets cancelled and leaves the queue",
          "[mutex][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&standoff::run);
    h.signal(&standoff::hold);  // delivered before the body's first line: the handler locks first
    ex.advance(0s);
    h.signal(&standoff::queue);  // behind the body
    ex.advance(0s);
    CHECK(h.query(&standoff::waiting) == 2);
    h.cancel();
    ex.advance(0s);
    CHECK(h.query(&standoff::waiting) == 1);
    CHECK(h.query(&standoff::locked));
    h.signal(&standoff::let_go);
    ex.run_until_idle();
    CHECK(h.result() == strings{"body cancelled, 1 waiting", "holder out", "queued handler in"});
    CHECK_FALSE(h.query(&standoff::locked));
}

TEST_CASE("issue 17: a run terminated while its code holds or waits for a lock leaves the mutex free and empty",
          "[mutex][lifetime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&standoff::run);
    h.signal(&standoff::hold);
    ex.advance(0s);
    h.signal(&standoff::queue);
    ex.advance(0s);
    REQUIRE(h.query(&standoff::waiting) == 2);
    h.terminate("enough");
    CHECK(h.status() == coflow::workflow_status::terminated);
    CHECK_FALSE(h.query(&standoff::locked));  // the holder's guard went with its frame, and woke nobody
    CHECK(h.query(&standoff::waiting) == 0);
    CHECK(ex.idle());
}

namespace {

// Holds the lock, hands it to a handler, then asks again with a timeout.
class patient {
public:
    coflow::workflow<std::vector<std::string>> run() {
        auto first = co_await m_.lock();
        std::vector<std::string> out;
        out.push_back(std::string("held: ") + (first ? "yes" : "no"));
        co_await coflow::wait_condition([this] { return asked_; });
        first.unlock();  // handed to the handler, which asked before the timed lock below
        auto second = co_await m_.lock(5s);
        out.push_back(std::string("timed lock: ") + (second ? "got it" : "timed out") + " at " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         coflow::now().time_since_epoch()).count()) + "s, " +
                      std::to_string(m_.waiting()) + " waiting");
        co_return out;
    }
    coflow::task<void> take() {
        asked_ = true;
        auto guard = co_await m_.lock();
        co_await coflow::sleep(1h);
    }
    static constexpr auto definition =
        coflow::define<patient>("patient").run(&patient::run).signal("take", &patient::take);

private:
    coflow::mutex m_;
    bool asked_ = false;
};

}  // namespace

TEST_CASE("issue 17: a timed lock that runs out yields an empty guard and leaves the queue",
          "[mutex][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&patient::run);
    ex.advance(0s);
    h.signal(&patient::take);
    ex.advance(10s);
    CHECK(h.result() == strings{"held: yes", "timed lock: timed out at 5s, 0 waiting"});
}

namespace {

// One request for 3 waits at the front of a semaphore of 3 with 2 free; a request for 1 waits behind it.
class front_leaves {
public:
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return log_.size() == 2; });
        co_return log_;
    }
    coflow::task<void> hold_one() {
        auto p = co_await s_.acquire();
        co_await coflow::sleep(1h);
    }
    coflow::task<void> big() {
        auto p = co_await s_.acquire(3, 10s);
        log_.push_back(p ? "big: got 3" : "big: timed out with " + std::to_string(s_.available()) + " free");
    }
    coflow::task<void> small() {
        auto p = co_await s_.acquire();
        log_.push_back("small: got 1 at " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                coflow::now().time_since_epoch()).count()) + "s");
    }
    static constexpr auto definition = coflow::define<front_leaves>("front_leaves")
                                           .run(&front_leaves::run)
                                           .signal("hold_one", &front_leaves::hold_one)
                                           .signal("big", &front_leaves::big)
                                           .signal("small", &front_leaves::small);

private:
    coflow::semaphore s_{3};
    std::vector<std::string> log_;
};

}  // namespace

TEST_CASE("issue 17: a semaphore request that leaves the queue lets the smaller ones behind it through",
          "[mutex][semaphore][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&front_leaves::run);
    h.signal(&front_leaves::hold_one);
    h.signal(&front_leaves::big);
    h.signal(&front_leaves::small);
    ex.advance(20s);
    // By the statement after big's co_await, small was handed one of the two free permits.
    CHECK(h.result() == strings{"big: timed out with 1 free", "small: got 1 at 10s"});
}

namespace {

// "ghost" is a lock request driven by hand, as the frame of a lost race holds one: it asks, is handed the
// lock, and is destroyed without ever taking it.
class ghostly {
public:
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return log_.size() == 2; });
        co_return log_;
    }
    coflow::task<void> holder(bool ghost_goes_in_same_step) {
        auto guard = co_await m_.lock();
        co_await coflow::wait_condition([this] { return !holding_; });
        guard.unlock();  // handed to the ghost, which asked next
        log_.push_back(std::string("holder out, ghost handed the lock: ") + (m_.locked() ? "yes" : "no"));
        if (ghost_goes_in_same_step) ghost_.reset();
    }
    void ghost_asks() {
        ghost_.emplace(m_.lock());
        if (!ghost_->await_ready()) (void)ghost_->await_suspend(std::noop_coroutine());
    }
    void ghost_goes() { ghost_.reset(); }
    coflow::task<void> other() {
        auto guard = co_await m_.lock();
        log_.push_back("other in");
    }
    void let_go() { holding_ = false; }
    bool locked() const { return m_.locked(); }
    std::size_t waiting() const { return m_.waiting(); }

    static constexpr auto definition = coflow::define<ghostly>("ghostly")
                                           .run(&ghostly::run)
                                           .signal("holder", &ghostly::holder)
                                           .signal("ghost_asks", &ghostly::ghost_asks)
                                           .signal("ghost_goes", &ghostly::ghost_goes)
                                           .signal("other", &ghostly::other)
                                           .signal("let_go", &ghostly::let_go)
                                           .query("locked", &ghostly::locked)
                                           .query("waiting", &ghostly::waiting);

private:
    coflow::mutex m_;
    std::optional<decltype(std::declval<coflow::mutex&>().lock())> ghost_;
    std::vector<std::string> log_;
    bool holding_ = true;
};

}  // namespace

TEST_CASE("issue 17: a lock handed to a waiter whose frame goes before it resumes passes on to the next",
          "[mutex][lifetime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&ghostly::run);

    SECTION("in a later step") {
        h.signal(&ghostly::holder, false);
        h.signal(&ghostly::ghost_asks);
        h.signal(&ghostly::other);
        ex.advance(0s);
        CHECK(h.query(&ghostly::waiting) == 2);
        h.signal(&ghostly::let_go);
        ex.advance(0s);
        CHECK(h.query(&ghostly::locked));  // the ghost has it, and will never take it
        CHECK(h.query(&ghostly::waiting) == 1);
        h.signal(&ghostly::ghost_goes);
    }
    SECTION("in the step that handed it") {
        h.signal(&ghostly::holder, true);
        h.signal(&ghostly::ghost_asks);
        h.signal(&ghostly::other);
        ex.advance(0s);
        h.signal(&ghostly::let_go);
    }
    ex.run_until_idle();
    REQUIRE(h.is_closed());
    CHECK(h.result() == strings{"holder out, ghost handed the lock: yes", "other in"});
    CHECK_FALSE(h.query(&ghostly::locked));
}

TEST_CASE("issue 17: describe() shows who waits for a mutex or a semaphore, by its name if it has one",
          "[mutex][semaphore][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};

    SECTION("an unnamed mutex") {
        auto h = rt.start_workflow(&ledger::run);
        ex.advance(0s);
        h.signal(&ledger::work, std::string("a"));
        h.signal(&ledger::work, std::string("b"));
        ex.advance(0s);
        CHECK(h.describe().waiting_on == strings{"body: sleep until 1000ms", "handler: mutex", "handler: mutex"});
    }
    SECTION("a named semaphore") {
        auto h = rt.start_workflow(&slots::run);
        h.signal(&slots::take, std::string("a"), std::size_t{3});
        h.signal(&slots::take, std::string("b"), std::size_t{1});
        ex.advance(0s);
        CHECK(h.describe().waiting_on ==
              strings{"handler: wait_condition", "handler: semaphore 'slots'", "body: wait_condition"});
    }
    SECTION("the body, with a timeout") {
        auto h = rt.start_workflow(&patient::run);
        ex.advance(0s);
        h.signal(&patient::take);
        ex.advance(1s);
        CHECK(h.describe().waiting_on == strings{"body: mutex until 5000ms", "handler: sleep until 3600000ms"});
    }
}

namespace {

coflow::runtime_options recorded() { return {.record_history = true}; }

// Replays every recorded run of `rt` with W's definition.
template <class W>
void replay_all(const coflow::runtime& rt) {
    REQUIRE_FALSE(rt.histories().empty());
    for (const auto& h : rt.histories()) {
        INFO(h->to_json_lines());
        CHECK_NOTHROW(coflow::replay(*h, W::definition));
    }
}

}  // namespace

TEST_CASE("issue 17: runs that contend for a mutex record their waits and replay", "[mutex][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};

    SECTION("handlers and the body in turn") {
        auto h = rt.start_workflow(&ledger::run);
        ex.advance(0s);
        h.signal(&ledger::work, std::string("a"));
        h.signal(&ledger::greedy, std::string("g"));
        h.signal(&ledger::work, std::string("b"));
        h.signal(&ledger::stop);
        ex.run_until_idle();
        REQUIRE(h.is_closed());
        std::size_t mutex_waits = 0;
        for (const auto& e : h.fetch_history()->events)
            if (e.kind == coflow::event_kind::wait_started && e.name == "mutex") ++mutex_waits;
        CHECK(mutex_waits == 5);  // a, g, b, the body's second lock, g's relock
        replay_all<ledger>(rt);
    }
    SECTION("the body cancelled while it waits") {
        auto h = rt.start_workflow(&standoff::run);
        h.signal(&standoff::hold);
        ex.advance(0s);
        h.signal(&standoff::queue);
        ex.advance(0s);
        h.cancel();
        ex.advance(0s);
        h.signal(&standoff::let_go);
        ex.run_until_idle();
        REQUIRE(h.is_closed());
        replay_all<standoff>(rt);
    }
    SECTION("terminated while it holds and waits") {
        auto h = rt.start_workflow(&standoff::run);
        h.signal(&standoff::hold);
        ex.advance(0s);
        h.signal(&standoff::queue);
        ex.advance(0s);
        h.terminate("enough");
        replay_all<standoff>(rt);
    }
    SECTION("a semaphore with a timed request") {
        auto h = rt.start_workflow(&front_leaves::run);
        h.signal(&front_leaves::hold_one);
        h.signal(&front_leaves::big);
        h.signal(&front_leaves::small);
        ex.advance(20s);
        REQUIRE(h.is_closed());
        replay_all<front_leaves>(rt);
    }
}

namespace {

// Every run of this type locks the one mutex `shared_lock` points to: only the first run may.
coflow::mutex* shared_lock = nullptr;

class intruder {
public:
    coflow::workflow<void> run(bool use_try_lock) {
        if (use_try_lock) {
            auto guard = shared_lock->try_lock();
            co_await coflow::sleep(1s);
        } else {
            auto guard = co_await shared_lock->lock();
            co_await coflow::sleep(1s);
        }
    }
    static constexpr auto definition = coflow::define<intruder>("intruder").run(&intruder::run);
};

}  // namespace

TEST_CASE("issue 17: locking a mutex from another run than the one that first locked it is refused",
          "[mutex][regression]") {
    const bool use_try_lock = GENERATE(false, true);
    coflow::mutex m;  // outlives the runtime, which would destroy guards in frames
    shared_lock = &m;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto first = rt.start_workflow(&intruder::run, use_try_lock, {.id = "first"});
    auto second = rt.start_workflow(&intruder::run, use_try_lock, {.id = "second"});
    ex.run_until_idle();
    CHECK(first.status() == coflow::workflow_status::completed);
    const std::string message = failure_of(second);
    CHECK(contains(message, std::string("workflow 'second': coflow::mutex::") + (use_try_lock ? "try_lock" : "lock") +
                                " on a mutex of workflow 'first' (another run)"));
    // A later run under the first one's id is another run too.
    auto again = rt.start_workflow(&intruder::run, use_try_lock, {.id = "first"});
    ex.run_until_idle();
    CHECK(contains(failure_of(again), "workflow 'first': coflow::mutex::"));
    shared_lock = nullptr;
}
