// Replay: every correct history replays (closed, open, terminated, continued, children closing in every
// way, signals to itself), replay ends where the history ends, and damaged histories give typed errors.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// Replays every recorded run of `rt` with the definition its type names; returns how many it replayed.
template <class... Ws>
std::size_t replay_all(const coflow::runtime& rt) {
    std::size_t n = 0;
    for (const auto& h : rt.histories()) {
        INFO("replaying " << h->workflow_id << " (" << h->workflow_type << "), run " << h->run_id << "\n"
                          << h->to_json_lines());
        bool known = false;
        (
            [&] {
                if (h->workflow_type == Ws::definition.name) {
                    known = true;
                    CHECK_NOTHROW(coflow::replay(*h, Ws::definition));
                }
            }(),
            ...);
        REQUIRE(known);
        ++n;
    }
    return n;
}

// Every closed run's history ends with its closing event, and holds exactly one.
void require_closing_last(const coflow::runtime& rt) {
    for (const auto& h : rt.histories()) {
        INFO(h->workflow_id << "\n" << h->to_json_lines());
        std::size_t closing = 0;
        for (const auto& e : h->events) closing += coflow::is_closing(e.kind) ? 1 : 0;
        REQUIRE(closing <= 1);
        if (closing == 1) CHECK(coflow::is_closing(h->events.back().kind));
    }
}

class leaf {
public:
    coflow::workflow<int> run(int v) {
        co_await coflow::wait_condition([this] { return go_; });
        co_return v * 10;
    }
    void go() { go_ = true; }
    static constexpr auto definition = coflow::define<leaf>("leaf").run(&leaf::run).signal("go", &leaf::go);

private:
    bool go_ = false;
};

class failing_leaf {
public:
    coflow::workflow<int> run(int v) {
        co_await coflow::sleep(1ms);
        if (v > 0) throw std::runtime_error("leaf failed on " + std::to_string(v));
        co_return v;
    }
    static constexpr auto definition = coflow::define<failing_leaf>("failing_leaf").run(&failing_leaf::run);
};

// Starts a child every 10 ms, forever: its history never closes.
class spawner {
public:
    coflow::workflow<void> run() {
        for (int i = 0;; ++i) {
            co_await coflow::sleep(10ms);
            (void)coflow::start_child_workflow(&leaf::run, i,
                                               {.id = "leaf-" + std::to_string(i),
                                                .parent_close = coflow::parent_close_policy::abandon});
        }
    }
    static constexpr auto definition = coflow::define<spawner>("spawner").run(&spawner::run);
};

// Continues as new every 5 ms, forever.
class ticker {
public:
    coflow::workflow<void> run(int n) {
        co_await coflow::sleep(5ms);
        co_await coflow::continue_as_new(n + 1);
    }
    static constexpr auto definition = coflow::define<ticker>("ticker").run(&ticker::run);
};

// Starts a child under a policy, waits for its result or not, and sums what it got.
class parent_of {
public:
    coflow::workflow<std::string> run(int policy, bool await_child) {
        auto child = coflow::start_child_workflow(&leaf::run, 4,
                                                  {.id = "kid", .parent_close = static_cast<coflow::parent_close_policy>(policy)});
        if (!await_child) {
            co_await coflow::sleep(1ms);
            co_return "left";
        }
        try {
            co_return "got " + std::to_string(co_await child.result());
        } catch (const coflow::workflow_terminated& e) {
            co_return std::string("terminated: ") + e.what();
        } catch (const coflow::workflow_cancelled&) {
            co_return "cancelled";
        }
    }
    static constexpr auto definition = coflow::define<parent_of>("parent_of").run(&parent_of::run);
};

class fail_parent {
public:
    coflow::workflow<std::string> run() {
        try {
            (void)co_await coflow::execute_child_workflow(&failing_leaf::run, 3, {.id = "bad"});
        } catch (const coflow::workflow_failed& e) {
            co_return e.what();
        }
        co_return "no failure";
    }
    static constexpr auto definition = coflow::define<fail_parent>("fail_parent").run(&fail_parent::run);
};

// Sums signals; continues as new every `every` signals, carrying what is queued.
class counter {
public:
    coflow::signal_channel<int> adds;

    coflow::workflow<int> run(int total, int seen) {
        total_ = total;
        for (;;) {
            const int v = co_await adds.receive();
            total_ += v;
            if (v < 0) co_return total_;
            if (++seen % 3 == 0) co_await coflow::continue_as_new(total_, seen);
        }
    }
    void bump(int v) { bumps_ += v; }
    int total() const { return total_; }
    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::adds)
                                           .signal("bump", &counter::bump)
                                           .query("total", &counter::total);

private:
    int total_ = 0;
    int bumps_ = 0;
};

// Signals itself through an external handle, and cancels itself at the end.
class self_talker {
public:
    coflow::workflow<int> run(int n) {
        auto me = coflow::get_external_workflow_handle(coflow::info().id);
        for (int i = 0; i < n; ++i) co_await me.signal("ping", i);
        co_await coflow::wait_condition([&] { return pings_ == n; });
        co_return sum_;
    }
    void ping(int i) {
        ++pings_;
        sum_ += i;
    }
    static constexpr auto definition =
        coflow::define<self_talker>("self_talker").run(&self_talker::run).signal("ping", &self_talker::ping);

private:
    int pings_ = 0;
    int sum_ = 0;
};

coflow::runtime_options recorded() { return {.record_history = true}; }

}  // namespace

TEST_CASE("issue 14: replay of a parent starting children from a timer loop ends where its history ends",
          "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&spawner::run, {.id = "spawner"});
    ex.advance(105ms);
    const auto hist = h.fetch_history();
    REQUIRE(hist->events.size() > 20);
    CHECK_NOTHROW(coflow::replay(*hist, spawner::definition));
    replay_all<spawner, leaf>(rt);
}

TEST_CASE("issue 14: replay of each run of a continue-as-new chain on a timer ends", "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    (void)rt.start_workflow(&ticker::run, 0, {.id = "ticker"});
    ex.advance(52ms);
    REQUIRE(rt.histories().size() == 11);
    CHECK(replay_all<ticker>(rt) == 11);
    require_closing_last(rt);
}

TEST_CASE("issue 14: a run terminated by a client replays", "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&leaf::run, 1, {.id = "t"});
    ex.advance(3ms);
    h.terminate("enough");
    CHECK(h.fetch_history()->events.back().kind == coflow::event_kind::workflow_terminated);
    CHECK_NOTHROW(coflow::replay(*h.fetch_history(), leaf::definition));
}

TEST_CASE("issue 14: a parent replays whichever way its child closed, and its history ends with its own close",
          "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    SECTION("a client terminated the child") {
        auto p = rt.start_workflow(&parent_of::run, 0, true, {.id = "p"});
        ex.advance(2ms);
        rt.get_workflow_handle("kid").terminate("by hand");
        ex.run_until_idle();
        CHECK(p.result().find("by hand") != std::string::npos);
    }
    SECTION("a client cancelled the child") {
        auto p = rt.start_workflow(&parent_of::run, 0, true, {.id = "p"});
        ex.advance(2ms);
        rt.get_workflow_handle("kid").cancel();
        ex.run_until_idle();
        CHECK(p.result() == "cancelled");
    }
    SECTION("the child completed on a client's signal") {
        auto p = rt.start_workflow(&parent_of::run, 0, true, {.id = "p"});
        ex.advance(2ms);
        rt.get_workflow_handle("kid").signal("go");
        ex.run_until_idle();
        CHECK(p.result() == "got 40");
    }
    for (const auto policy : {coflow::parent_close_policy::terminate, coflow::parent_close_policy::request_cancel,
                              coflow::parent_close_policy::abandon}) {
        DYNAMIC_SECTION("the parent closed first, policy " << static_cast<int>(policy)) {
            auto p = rt.start_workflow(&parent_of::run, static_cast<int>(policy), false, {.id = "p"});
            ex.run_until_idle();
            REQUIRE(p.result() == "left");
            auto kid = rt.get_workflow_handle("kid");
            if (policy == coflow::parent_close_policy::abandon) {
                CHECK(kid.describe().status == coflow::workflow_status::running);
                kid.signal("go");
                ex.run_until_idle();
            }
            CHECK(kid.describe().status != coflow::workflow_status::running);
        }
    }
    SECTION("the child failed") {
        auto p = rt.start_workflow(&fail_parent::run, {.id = "p"});
        ex.run_until_idle();
        CHECK(p.result().find("leaf failed on 3") != std::string::npos);
    }
    require_closing_last(rt);
    CHECK(replay_all<parent_of, fail_parent, leaf, failing_leaf>(rt) == 2);
}

TEST_CASE("issue 14: a still-open run replays as far as its history goes", "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&counter::run, 0, 0, {.id = "c"});
    ex.run_until_idle();
    h.signal("add", 5);
    h.signal("bump", 2);
    // Snapshots at every point between steps: each one replays.
    std::vector<coflow::history> snapshots{*h.fetch_history()};
    while (ex.step()) snapshots.push_back(*h.fetch_history());
    h.signal("add", 1);
    snapshots.push_back(*h.fetch_history());
    for (const auto& s : snapshots) {
        INFO(s.to_json_lines());
        CHECK_NOTHROW(coflow::replay(s, counter::definition));
    }
}

TEST_CASE("issue 14: each run of a continue-as-new chain replays, including signals carried over",
          "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&counter::run, 0, 0, {.id = "c"});
    // Signals queued faster than the body takes them: each continue-as-new carries some over, both as
    // channel values and as undelivered signals.
    for (int i = 1; i <= 10; ++i) {
        h.signal("add", i);
        h.signal("bump", i);
    }
    ex.step();
    for (int i = 11; i <= 20; ++i) h.signal("add", i);
    h.signal("add", -1);
    ex.run_until_idle();
    REQUIRE(h.result() == 20 * 21 / 2 - 1);
    REQUIRE(rt.histories().size() > 3);
    bool carried = false;
    for (std::size_t r = 1; r < rt.histories().size(); ++r)
        carried = carried || rt.histories()[r]->events.at(1).kind == coflow::event_kind::signal_accepted;
    CHECK(carried);
    CHECK(replay_all<counter>(rt) == rt.histories().size());
}

TEST_CASE("issue 14: a run that signals itself replays", "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&self_talker::run, 4, {.id = "me"});
    ex.run_until_idle();
    REQUIRE(h.result() == 6);
    const auto hist = h.fetch_history();
    std::size_t self_sent = 0;
    for (const auto& e : hist->events) self_sent += e.self_sent ? 1 : 0;
    CHECK(self_sent == 4);
    CHECK_NOTHROW(coflow::replay(*hist, self_talker::definition));
}

namespace {

coflow::runtime* live_runtime = nullptr;

// Starts another workflow through a runtime it was given, not as a child.
class escaper {
public:
    coflow::workflow<int> run() {
        co_await coflow::sleep(1ms);
        (void)live_runtime->start_workflow(&leaf::run, 1, {.id = "side-" + std::to_string(coflow::random().uniform(0, 1000000))});
        co_return 1;
    }
    static constexpr auto definition = coflow::define<escaper>("escaper").run(&escaper::run);
};

}  // namespace

TEST_CASE("issue 14: replayed code that calls a runtime outside the replay is refused, and starts nothing there",
          "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    live_runtime = &rt;
    auto h = rt.start_workflow(&escaper::run, {.id = "e"});
    ex.run_until_idle();
    REQUIRE(h.result() == 1);
    const std::size_t runs = rt.size();
    try {
        coflow::replay(*h.fetch_history(), escaper::definition);
        FAIL("replay did not refuse");
    } catch (const coflow::nondeterminism_error& e) {
        // The refusal fails the replayed run, which the history says completed.
        CHECK(std::string(e.what()).find("workflow_failed") != std::string::npos);
        CHECK(std::string(e.what()).find("outside the replay") != std::string::npos);
    }
    CHECK(rt.size() == runs);
    live_runtime = nullptr;
}

namespace {

coflow::history recorded_counter_run() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&counter::run, 100, 0, {.id = "c"});
    h.signal("add", 1);
    ex.advance(5ms);
    h.signal("bump", 3);
    h.signal("add", 2);
    ex.advance(5ms);
    h.signal("add", -1);
    ex.run_until_idle();
    return *h.fetch_history();
}

// Replays `damaged` and returns the error's text; fails the test if the replay succeeds.
std::string replay_error(const coflow::history& damaged) {
    try {
        coflow::replay(damaged, counter::definition);
    } catch (const coflow::invalid_history& e) {
        return e.what();
    } catch (const coflow::nondeterminism_error& e) {
        return e.what();
    }
    FAIL("a damaged history replayed successfully:\n" << damaged.to_json_lines());
    return {};
}

}  // namespace

TEST_CASE("issue 14: damaged histories give a typed error naming the event, never a success",
          "[replay][regression][errors]") {
    const coflow::history good = recorded_counter_run();
    REQUIRE_NOTHROW(coflow::replay(good, counter::definition));
    const std::size_t n = good.events.size();
    REQUIRE(n > 8);
    for (std::size_t k = 0; k < n; ++k) {
        CAPTURE(k);
        {
            coflow::history h = good;  // an event removed from the middle (or the start)
            if (k + 1 < n) {
                h.events.erase(h.events.begin() + static_cast<std::ptrdiff_t>(k));
                CHECK_FALSE(replay_error(h).empty());
            }
        }
        // Two of the run's own decisions swapped. (Swapping an input with a decision can give another
        // correct history: two signals accepted before the activation that handles them.)
        if (k + 1 < n && !good.events[k].same_as(good.events[k + 1]) && !coflow::detail::is_input(good.events[k]) &&
            !coflow::detail::is_input(good.events[k + 1])) {
            coflow::history h = good;
            std::swap(h.events[k], h.events[k + 1]);
            CHECK_FALSE(replay_error(h).empty());
        }
        {
            coflow::history h = good;  // another kind
            h.events[k].kind = good.events[k].kind == coflow::event_kind::timer_started ? coflow::event_kind::timer_fired
                                                                                       : coflow::event_kind::timer_started;
            CHECK_FALSE(replay_error(h).empty());
        }
        {
            coflow::history h = good;  // a kind that does not exist
            h.events[k].kind = static_cast<coflow::event_kind>(99);
            const std::string what = replay_error(h);
            CHECK(what.find("invalid_history") != std::string::npos);
            CHECK(what.find("#" + std::to_string(k)) != std::string::npos);
        }
        for (const std::int64_t t : {std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}}) {
            coflow::history h = good;  // times from the far future or before the epoch
            h.events[k].time_ns = t;
            CHECK_FALSE(replay_error(h).empty());
        }
        if (good.events[k].input) {
            coflow::history h = good;  // an input whose arguments were lost
            h.events[k].input.reset();
            CHECK(replay_error(h).find("#" + std::to_string(k)) != std::string::npos);
        }
    }
    coflow::history empty;
    CHECK(replay_error(empty).find("no events") != std::string::npos);
}

namespace {

// An async handler waits for a job while the body waits for a roll; a roll continues as new.
class relay {
public:
    coflow::signal_channel<int> jobs;
    coflow::signal_channel<int> rolls;

    coflow::workflow<int> run(int total) {
        total_ = total;
        const int r = co_await rolls.receive();
        if (r >= 0) co_await coflow::continue_as_new(total_ + r);
        while (auto j = jobs.try_receive()) total_ += *j;
        co_return total_;
    }
    coflow::task<void> watch() { total_ += 100 * co_await jobs.receive(); }
    int queued() const { return static_cast<int>(jobs.size()); }
    static constexpr auto definition = coflow::define<relay>("relay")
                                           .run(&relay::run)
                                           .signal("job", &relay::jobs)
                                           .signal("roll", &relay::rolls)
                                           .signal("watch", &relay::watch)
                                           .query("queued", &relay::queued);

private:
    int total_ = 0;
};

}  // namespace

TEST_CASE("issue 14: a channel value handed to a waiting handler reaches the new run across continue-as-new",
          "[replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, recorded()};
    auto h = rt.start_workflow(&relay::run, 0, {.id = "r"});
    h.signal("watch");
    ex.run_until_idle();
    // One activation hands the roll to the body and the job to the handler; the body resumes first and
    // continues as new, so the handler never takes its job: the job goes to the new run's channel.
    h.signal("roll", 1);
    h.signal("job", 7);
    h.signal("job", 8);
    std::vector<int> queued{h.query(&relay::queued)};
    while (ex.step()) queued.push_back(h.query(&relay::queued));
    INFO("queued jobs seen by queries, step by step: " << ::Catch::Detail::stringify(queued));
    for (std::size_t i = 1; i < queued.size(); ++i) CHECK(queued[i] >= queued[i - 1]);
    CHECK(queued.back() == 2);
    h.signal("roll", -1);
    ex.run_until_idle();
    CHECK(h.result() == 1 + 7 + 8);
    CHECK(replay_all<relay>(rt) == 2);
}
