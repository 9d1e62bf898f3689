// Virtual time in workflow code: sleep, now, random; deterministic across runs.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

std::int64_t ms_since_epoch(coflow::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class sleeper {
public:
    coflow::workflow<std::int64_t> run(int ms, int times) {
        for (int i = 0; i < times; ++i) {
            co_await coflow::sleep(std::chrono::milliseconds(ms));
            ++wakes_;
        }
        co_return ms_since_epoch(coflow::now());
    }
    int wakes() const { return wakes_; }
    static constexpr auto definition =
        coflow::define<sleeper>("sleeper").run(&sleeper::run).query("wakes", &sleeper::wakes);

private:
    int wakes_ = 0;
};

// Appends its name to a shared log when its single sleep ends.
std::vector<std::string>* wake_log = nullptr;
class alarm {
public:
    coflow::workflow<void> run(std::string name, int ms) {
        co_await coflow::sleep(std::chrono::milliseconds(ms));
        wake_log->push_back(name);
    }
    static constexpr auto definition = coflow::define<alarm>("alarm").run(&alarm::run);
};

class dice {
public:
    coflow::workflow<std::vector<std::uint64_t>> run(int n) {
        std::vector<std::uint64_t> out;
        for (int i = 0; i < n; ++i) {
            out.push_back(coflow::random().uniform(1, 6));
            co_await coflow::sleep(1ms);
        }
        out.push_back(coflow::random()());
        co_return out;
    }
    static constexpr auto definition = coflow::define<dice>("dice").run(&dice::run);
};

// Sleeps once for `d`; -1 if cancelled instead.
class napper {
public:
    coflow::workflow<int> run(coflow::duration d) {
        try {
            co_await coflow::sleep(d);
        } catch (const coflow::cancelled&) {
            co_return -1;
        }
        co_return 1;
    }
    static constexpr auto definition = coflow::define<napper>("napper").run(&napper::run);
};

// Waits for each ping with an hour's timeout; counts the pings seen and the timeouts.
class pinged {
public:
    coflow::workflow<int> run(int pings) {
        while (seen_ < pings) {
            if (co_await coflow::wait_condition([this] { return pings_ > seen_; }, 1h)) ++seen_;
            else ++timeouts_;
        }
        co_return timeouts_;
    }
    void ping() { ++pings_; }
    static constexpr auto definition = coflow::define<pinged>("pinged").run(&pinged::run).signal("ping", &pinged::ping);

private:
    int pings_ = 0;
    int seen_ = 0;
    int timeouts_ = 0;
};

// An executor that ignores cancel, as the executor contract allows: every timer runs at its time.
class forgetful_executor final : public coflow::executor {
public:
    void post(coflow::work w) override { inner.post(std::move(w)); }
    coflow::timer_id post_at(coflow::time_point t, coflow::work w) override { return inner.post_at(t, std::move(w)); }
    void cancel(coflow::timer_id) noexcept override {}
    [[nodiscard]] coflow::time_point now() const noexcept override { return inner.now(); }
    coflow::deterministic_executor inner;
};

}  // namespace

TEST_CASE("sleep waits in virtual time only and now() reads the executor's clock", "[time]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 250, 4);
    ex.run_until_idle();
    CHECK(h.result() == 1000);
    CHECK(ex.now().time_since_epoch() == 1s);
}

TEST_CASE("a game loop advancing by frames wakes a sleeper on the first frame at or past its time", "[time]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 100, 1);
    int frames = 0;
    while (!h.is_closed()) {
        ex.advance(16ms);
        ++frames;
    }
    CHECK(frames == 7);  // 7 * 16 = 112 >= 100
    CHECK(h.result() == 100);
    CHECK(ex.now().time_since_epoch() == 112ms);
}

TEST_CASE("timers of different workflows fire by due time, ties in the order they were set", "[time]") {
    std::vector<std::string> log;
    wake_log = &log;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&alarm::run, "c", 30);
    (void)rt.start_workflow(&alarm::run, "a", 10);
    (void)rt.start_workflow(&alarm::run, "b1", 20);
    (void)rt.start_workflow(&alarm::run, "b2", 20);
    ex.run_until_idle();
    CHECK(log == std::vector<std::string>{"a", "b1", "b2", "c"});
    wake_log = nullptr;
}

TEST_CASE("a negative sleep is a zero sleep that still yields to the executor", "[time]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, -5, 3);
    CHECK(ex.step());  // the body runs and sets its first timer
    CHECK(h.query(&sleeper::wakes) == 0);
    ex.run_until_idle();
    CHECK(h.result() == 0);
    CHECK(h.query(&sleeper::wakes) == 3);
}

TEST_CASE("random() repeats for the same seed and differs for another", "[time][determinism]") {
    auto roll = [](std::uint64_t seed) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.seed = seed}};
        auto a = rt.start_workflow(&dice::run, 20);
        auto b = rt.start_workflow(&dice::run, 20);
        ex.run_until_idle();
        auto ra = a.result();
        auto rb = b.result();
        ra.insert(ra.end(), rb.begin(), rb.end());
        ra.push_back(std::hash<std::string>{}(a.describe().run_id));
        return ra;
    };
    const auto first = roll(7);
    CHECK(first == roll(7));
    CHECK(first != roll(8));
    for (std::size_t i = 0; i < 20; ++i) {
        CHECK(first[i] >= 1);
        CHECK(first[i] <= 6);
    }
    // Two workflows of one runtime get different streams.
    CHECK(std::vector<std::uint64_t>(first.begin(), first.begin() + 21) !=
          std::vector<std::uint64_t>(first.begin() + 21, first.begin() + 42));
}

TEST_CASE("time functions outside workflow code throw not_in_workflow", "[time][errors]") {
    CHECK_THROWS_AS(coflow::now(), coflow::not_in_workflow);
    CHECK_THROWS_AS((void)coflow::sleep(1s), coflow::not_in_workflow);
    CHECK_THROWS_AS(coflow::random(), coflow::not_in_workflow);
}

TEST_CASE("cancelling a sleeping workflow throws cancelled at the sleep", "[time][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper::run, 1000, 5);
    ex.advance(1500ms);
    CHECK(h.query(&sleeper::wakes) == 1);
    h.cancel();
    ex.advance(1ms);
    CHECK(h.status() == coflow::workflow_status::cancelled);
    CHECK(h.query(&sleeper::wakes) == 1);
    CHECK(ex.timer_count() == 0);  // the sleep's timer went when the sleep ended
    ex.run_until_idle();
    CHECK(h.query(&sleeper::wakes) == 1);
}

TEST_CASE("issue 14: a sleep too long for the clock never ends and never moves the clock", "[time][regression]") {
    constexpr auto forever = coflow::duration::max();
    struct scenario {
        coflow::duration clock;  // where the clock is when the body sleeps
        coflow::duration d;
    };
    // duration::max() itself, and durations just past and at the end of the clock from where it is.
    for (const scenario s : {scenario{0s, forever}, scenario{5s, forever}, scenario{5s, forever - 5s + 1ns},
                             scenario{5s, forever - 5s}, scenario{5s, forever - 1s}}) {
        CAPTURE(s.clock.count(), s.d.count());
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        ex.advance(s.clock);
        auto h = rt.start_workflow(&napper::run, s.d, {.id = "nap"});
        ex.run_until_idle();
        CHECK_FALSE(h.is_closed());
        CHECK(ex.now().time_since_epoch() == s.clock);
        CHECK(ex.idle());  // no timer was set
        CHECK(h.describe().waiting_on == std::vector<std::string>{"body: sleep"});
        ex.advance(forever);  // the clock runs to its end: the sleep still does not end
        CHECK_FALSE(h.is_closed());
        h.cancel();
        ex.run_until_idle();
        CHECK(h.result() == -1);
    }
}

TEST_CASE("issue 14: a long sleep that fits the clock still fires at its time", "[time][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    ex.advance(5s);
    auto h = rt.start_workflow(&napper::run, coflow::duration(std::chrono::hours(24 * 365 * 200)), {.id = "nap"});
    ex.run_until_idle();
    CHECK(h.result() == 1);
    CHECK(ex.now().time_since_epoch() == 5s + std::chrono::hours(24 * 365 * 200));
}

TEST_CASE("issue 14: a negative sleep still behaves as a zero sleep once the clock has moved", "[time][regression]") {
    for (const coflow::duration d : {coflow::duration(-1ns), coflow::duration(-5s), coflow::duration::min()}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        ex.advance(5s);
        auto h = rt.start_workflow(&napper::run, d, {.id = "nap"});
        CHECK(ex.step());  // the body runs and sets a timer due now
        CHECK_FALSE(h.is_closed());
        ex.run_until_idle();
        CHECK(h.result() == 1);
        CHECK(ex.now().time_since_epoch() == 5s);
    }
}

TEST_CASE("issue 17: with an executor that ignores cancel, an ended wait's timer runs later and wakes nothing",
          "[time][regression]") {
    forgetful_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&pinged::run, 3);
    for (int i = 0; i < 3; ++i) {
        ex.inner.advance(1s);
        h.signal(&pinged::ping);
    }
    ex.inner.advance(0s);
    CHECK(h.result() == 0);  // no timeout: the three timers left behind (and reused slots) woke nothing
    CHECK(ex.inner.timer_count() == 3);
    ex.inner.run_until_idle();
    CHECK(ex.inner.now().time_since_epoch() == 1h + 2s);  // the dead timers ran, at their times
}
