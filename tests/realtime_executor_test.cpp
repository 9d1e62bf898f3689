// realtime_executor: timers on the steady clock, a loop that sleeps while idle, and the hand-off through
// which other threads reach workflows. Timing checks assert lower bounds strictly and upper bounds with
// generous slack, so that a loaded machine (or a sanitizer) cannot make them fail.
#include <coflow/coflow.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <exception>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

static_assert(std::is_base_of_v<coflow::executor, coflow::realtime_executor>);
static_assert(!std::is_copy_constructible_v<coflow::realtime_executor>);

namespace {

#ifdef NDEBUG
constexpr bool thread_checks = false;
#else
constexpr bool thread_checks = true;
#endif

// Slack on every upper bound: a timer may fire this much later than due without failing a test.
constexpr auto slack = 200ms;

double seconds(steady::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time used by the whole process so far, in seconds.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

class ticker {
public:
    coflow::workflow<int> run(int n, coflow::duration period) {
        for (int i = 0; i < n; ++i) {
            co_await coflow::sleep(period);
            ticks_.push_back(coflow::now());
        }
        co_return n;
    }
    std::vector<coflow::time_point> ticks() const { return ticks_; }
    static constexpr auto definition = coflow::define<ticker>("ticker").run(&ticker::run).query("ticks", &ticker::ticks);

private:
    std::vector<coflow::time_point> ticks_;
};

class counter {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return count_;
    }
    void add(int n) { count_ += n; }
    void finish() { done_ = true; }
    int count() const { return count_; }
    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::add)
                                           .signal("finish", &counter::finish)
                                           .query("count", &counter::count);

private:
    int count_ = 0;
    bool done_ = false;
};

constexpr int producers = 8;
constexpr int per_producer = 100'000;
constexpr int sinks = 4;

// Signals handled by every sink, counted on the loop's thread.
std::size_t handled = 0;

// Checks the order of each producer's signals: their sequence numbers must grow.
class sink {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([this] { return done_; }); }
    void item(int producer, int seq) {
        const auto p = static_cast<std::size_t>(producer);
        if (seq <= last_[p]) ++out_of_order_;
        last_[p] = seq;
        ++count_[p];
        ++handled;
    }
    void finish() { done_ = true; }
    std::array<int, producers> counts() const { return count_; }
    int out_of_order() const { return out_of_order_; }
    static constexpr auto definition = coflow::define<sink>("sink")
                                           .run(&sink::run)
                                           .signal("item", &sink::item)
                                           .signal("finish", &sink::finish)
                                           .query("counts", &sink::counts)
                                           .query("out_of_order", &sink::out_of_order);

private:
    std::array<int, producers> last_ = [] {
        std::array<int, producers> a{};
        a.fill(-1);
        return a;
    }();
    std::array<int, producers> count_{};
    int out_of_order_ = 0;
    bool done_ = false;
};

}  // namespace

TEST_CASE("issue 18: now() is the steady clock's time since the executor was made", "[realtime_executor][regression]") {
    const steady::time_point before = steady::now();
    coflow::realtime_executor ex;
    const steady::time_point after = steady::now();
    CHECK(ex.epoch() >= before);
    CHECK(ex.epoch() <= after);
    std::this_thread::sleep_for(20ms);
    const steady::time_point t0 = steady::now();
    const coflow::time_point t = ex.now();
    const steady::time_point t1 = steady::now();
    CHECK(ex.to_steady(t) >= t0);
    CHECK(ex.to_steady(t) <= t1);
    CHECK(t.time_since_epoch() >= 20ms);
    CHECK(ex.from_steady(ex.to_steady(t)) == t);
    CHECK(ex.to_steady(coflow::time_point::max()) == steady::time_point::max());
}

TEST_CASE("issue 18: a workflow's sleeps end once their real time has passed, and soon after",
          "[realtime_executor][timer][regression]") {
    coflow::realtime_executor ex;
    coflow::runtime rt{ex};
    const steady::time_point start = steady::now();
    auto h = rt.start_workflow(&ticker::run, 3, 50ms);
    const coflow::time_point started = ex.now();
    REQUIRE(ex.run_until(h));
    const steady::duration elapsed = steady::now() - start;
    CHECK(h.result() == 3);
    CHECK(elapsed >= 150ms);
    CHECK(elapsed < 150ms + 3 * slack);
    const std::vector<coflow::time_point> ticks = h.query(&ticker::ticks);
    REQUIRE(ticks.size() == 3);
    coflow::time_point previous = started;
    for (const coflow::time_point tick : ticks) {
        INFO("tick after " << seconds(tick - previous) << " s");
        CHECK(tick - previous >= 50ms);  // never early
        CHECK(tick - previous < 50ms + slack);
        previous = tick;
    }
}

TEST_CASE("issue 18: timers run in the order of their due times, ties in the order posted, and cancel takes one out",
          "[realtime_executor][timer][regression]") {
    coflow::realtime_executor ex;
    std::vector<int> order;
    const steady::time_point start = steady::now();
    const coflow::time_point t = ex.now() + 30ms;
    (void)ex.post_at(t + 10ms, [&] { order.push_back(3); });
    (void)ex.post_at(t, [&] { order.push_back(1); });
    const coflow::timer_id dropped = ex.post_at(t, [&] { order.push_back(99); });
    (void)ex.post_at(t, [&] { order.push_back(2); });
    ex.post([&] { order.push_back(0); });
    CHECK(ex.timer_count() == 4);
    ex.cancel(dropped);
    ex.cancel(dropped);  // ignored: already cancelled
    CHECK(ex.timer_count() == 3);
    CHECK(ex.run_until_idle() == 4);
    CHECK(steady::now() - start >= 40ms);  // the last timer was due 40 ms after `start`, or later
    CHECK(order == std::vector<int>{0, 1, 2, 3});
    CHECK(ex.timer_count() == 0);
}

TEST_CASE("issue 18: an idle loop sleeps instead of spinning", "[realtime_executor][regression]") {
    coflow::realtime_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&ticker::run, 1, 1h);  // a timer far away
    (void)ex.poll();
    CHECK(ex.timer_count() == 1);

    SECTION("run_for") {
        const double cpu0 = cpu_seconds();
        const steady::time_point start = steady::now();
        CHECK(ex.run_for(300ms) == 0);
        const steady::duration elapsed = steady::now() - start;
        const double cpu = cpu_seconds() - cpu0;
        INFO("CPU time " << cpu << " s in " << seconds(elapsed) << " s");
        CHECK(elapsed >= 300ms);
        CHECK(elapsed < 300ms + slack);
        CHECK(cpu < 0.05);  // a spinning loop would use about 0.3 s
    }
    SECTION("run until another thread stops it") {
        const double cpu0 = cpu_seconds();
        const steady::time_point start = steady::now();
        std::thread stopper([&] {
            std::this_thread::sleep_for(300ms);
            ex.stop();
        });
        CHECK(ex.run() == 0);
        stopper.join();
        const double cpu = cpu_seconds() - cpu0;
        INFO("CPU time " << cpu << " s");
        CHECK(steady::now() - start >= 300ms);
        CHECK(cpu < 0.05);
    }
    CHECK_FALSE(h.is_closed());
}

TEST_CASE("issue 18: run_for runs the timers due within its time and returns at its end",
          "[realtime_executor][timer][regression]") {
    coflow::realtime_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&ticker::run, 100, 40ms);
    const steady::time_point start = steady::now();
    (void)ex.run_for(300ms);
    CHECK(steady::now() - start >= 300ms);
    const std::size_t ticks = h.query(&ticker::ticks).size();
    CHECK(ticks >= 1);
    CHECK(ticks <= 7);  // 40, 80, ... 280 ms: never more than fit in 300 ms
}

TEST_CASE("issue 18: a stop made while no loop runs ends the next loop call at once, and only that one",
          "[realtime_executor][regression]") {
    coflow::realtime_executor ex;
    int ran = 0;
    ex.post([&] { ++ran; });
    ex.stop();
    CHECK(ex.run() == 0);
    CHECK(ran == 0);
    CHECK(ex.run_until_idle() == 1);
    CHECK(ran == 1);
}

TEST_CASE("issue 18: stop from a work ends the loop once that work returns", "[realtime_executor][regression]") {
    coflow::realtime_executor ex;
    std::vector<int> order;
    ex.post([&] {
        order.push_back(1);
        ex.stop();
    });
    ex.post([&] { order.push_back(2); });
    CHECK(ex.run() == 1);
    CHECK(order == std::vector<int>{1});
    CHECK(ex.run_until_idle() == 1);  // the rest waited
    CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("issue 18: functions submitted from other threads run on the loop's thread, in the order each thread submitted them",
          "[realtime_executor][threads][regression]") {
    coflow::realtime_executor ex;
    const std::thread::id loop_thread = std::this_thread::get_id();
    std::vector<int> seen;
    bool all_on_loop_thread = true;
    std::thread other([&] {
        for (int i = 0; i < 1000; ++i)
            ex.submit([&, i] {
                seen.push_back(i);
                all_on_loop_thread = all_on_loop_thread && std::this_thread::get_id() == loop_thread;
            });
    });
    const steady::time_point limit = steady::now() + 30s;
    CHECK(ex.run_until([&] { return seen.size() == 1000 || steady::now() > limit; }));
    other.join();
    REQUIRE(seen.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(seen[static_cast<std::size_t>(i)] == i);
    CHECK(all_on_loop_thread);
}

TEST_CASE("issue 18: other threads start, signal, query and finish workflows through submit and call",
          "[realtime_executor][threads][regression]") {
    coflow::realtime_executor ex;
    std::optional<coflow::runtime> rt;  // made on the loop's thread, which then owns it
    std::thread loop([&] {
        rt.emplace(ex);
        (void)ex.run();
    });

    auto h = ex.call([&] { return rt->start_workflow(&counter::run, {.id = "c"}); }).get();
    CHECK(h.id() == "c");
    for (int i = 1; i <= 10; ++i) ex.submit([h, i] { h.signal(&counter::add, i); });
    // The signals are accepted in order; a call queued right behind them may run before the workflow's
    // activation delivers them (as a query right after a signal does). Once one call has come back, that
    // activation is queued ahead of any later call.
    ex.call([] {}).get();
    CHECK(ex.call([h] { return h.query(&counter::count); }).get() == 55);

    // The callable's exception reaches the caller through the future.
    auto missing = ex.call([&] { return rt->get_workflow_handle("nope").query<int>("count"); });
    CHECK_THROWS_AS(missing.get(), coflow::workflow_not_found);

    if (thread_checks) {  // without the hand-off: refused, not a data race
        std::string what = "no error";
        try {
            (void)h.query(&counter::count);
        } catch (const coflow::wrong_thread& e) {
            what = e.what();
        }
        CHECK(what.rfind("[coflow.wrong_thread] workflow 'c'", 0) == 0);
    }

    ex.call([h] { h.signal(&counter::finish); }).get();  // the workflow's activation is queued now
    CHECK(ex.call([h] { return h.is_closed(); }).get());
    CHECK(ex.call([h] { return h.result(); }).get() == 55);
    ex.stop();
    loop.join();
}

TEST_CASE("issue 18: 8 producer threads send 100,000 signals each through the hand-off, each handled once and in order",
          "[realtime_executor][threads][tsan][regression]") {
    coflow::realtime_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 0}};
    std::vector<coflow::workflow_handle<sink>> to;
    for (int s = 0; s < sinks; ++s) to.push_back(rt.start_workflow(&sink::run, {.id = "sink-" + std::to_string(s)}));
    handled = 0;

    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&ex, &to, p] {
            for (int k = 0; k < per_producer; ++k)
                ex.submit([&to, p, k] { to[static_cast<std::size_t>(k % sinks)].signal(&sink::item, p, k); });
        });
    constexpr std::size_t total = std::size_t{producers} * per_producer;
    const steady::time_point limit = steady::now() + 120s;  // never hang, even under a sanitizer
    CHECK(ex.run_until([&] { return handled == total || steady::now() > limit; }));
    for (std::thread& t : threads) t.join();

    CHECK(handled == total);
    for (auto& h : to) {
        CHECK(h.query(&sink::out_of_order) == 0);
        for (const int n : h.query(&sink::counts)) CHECK(n == per_producer / sinks);
        h.signal(&sink::finish);
    }
    (void)ex.run_until_idle();
    for (auto& h : to) CHECK(h.status() == coflow::workflow_status::completed);
}

TEST_CASE("issue 18: call on the loop's own thread is refused, since waiting for its future would never end",
          "[realtime_executor][regression]") {
    coflow::realtime_executor ex;
    std::string what;
    ex.post([&] {
        try {
            (void)ex.call([] { return 1; });
        } catch (const coflow::invalid_operation& e) {
            what = e.what();
        }
    });
    (void)ex.run_until_idle();
    CHECK(what.find("realtime_executor::call was called on the thread that drives the executor") != std::string::npos);
    // Outside the loop the same thread may call, and run the loop to get the answer.
    auto answer = ex.call([] { return 7; });
    (void)ex.run_until_idle();
    CHECK(answer.get() == 7);
}

TEST_CASE("issue 18: a loop method called from work the loop runs, or while another thread drives it, is refused",
          "[realtime_executor][regression]") {
    coflow::realtime_executor ex;
    std::string nested, other;
    ex.post([&] {
        try {
            (void)ex.poll();
        } catch (const coflow::invalid_operation& e) {
            nested = e.what();
        }
        std::thread t([&] {
            try {
                (void)ex.run_until_idle();
            } catch (const coflow::invalid_operation& e) {
                other = e.what();
            }
        });
        t.join();
    });
    (void)ex.run_until_idle();
    CHECK(nested.find("realtime_executor::poll was called from work the executor runs") != std::string::npos);
    CHECK(other.find("realtime_executor::run_until_idle was called while another thread drives") != std::string::npos);
}

TEST_CASE("issue 18: in builds without NDEBUG, posting to the loop from another thread while it runs raises wrong_thread",
          "[realtime_executor][regression]") {
    if (!thread_checks) return;
    coflow::realtime_executor ex;
    std::string what = "no error";
    std::thread other([&] {
        ex.call([] {}).get();  // the loop runs now, on the main thread
        try {
            ex.post([] {});
        } catch (const coflow::wrong_thread& e) {
            what = e.what();
        }
        ex.stop();
    });
    (void)ex.run();
    other.join();
    CHECK(what.rfind("[coflow.wrong_thread] realtime_executor::post was called on a thread that does not own the "
                     "executor's loop",
                     0) == 0);
}

TEST_CASE("issue 18: work still queued when the executor goes is destroyed unrun, and call's future says so",
          "[realtime_executor][regression]") {
    std::future<int> answer;
    bool ran = false;
    {
        coflow::realtime_executor ex;
        answer = ex.call([] { return 1; });
        ex.submit([&] { ran = true; });
        (void)ex.post_at(ex.now() + 1h, [&] { ran = true; });
    }
    CHECK_FALSE(ran);
    try {
        (void)answer.get();
        FAIL("the future should hold broken_promise");
    } catch (const std::future_error& e) {
        CHECK(e.code() == std::future_errc::broken_promise);
    }
}

namespace {
// Rings 300 ms after it starts.
class alarm_clock {
public:
    coflow::workflow<coflow::time_point> run() {
        co_await coflow::sleep(300ms);
        co_return coflow::now();
    }
    static constexpr auto definition = coflow::define<alarm_clock>("alarm_clock").run(&alarm_clock::run);
};
}  // namespace

TEST_CASE("issue 15: a save made on the virtual clock loads onto the realtime executor and goes on in real time",
          "[realtime_executor][save][regression]") {
    std::string saved;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        rt.start_workflow(&alarm_clock::run, {.id = "alarm"});
        ex.advance(250ms);  // 50 ms to go
        saved = coflow::save(rt);
    }
    coflow::realtime_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    // The clock shows the save's time from when load restores it, before the runs replay.
    const auto t0 = std::chrono::steady_clock::now();
    coflow::load(rt, saved, alarm_clock::definition);
    CHECK(ex.now() >= coflow::time_point(250ms));
    CHECK(ex.now() < coflow::time_point(250ms + 200ms));
    auto h = rt.get_workflow_handle_for<alarm_clock>("alarm");
    REQUIRE(ex.run_until(h));
    CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);  // the 50 ms left, in real time
    CHECK(h.result() >= coflow::time_point(300ms));
}
