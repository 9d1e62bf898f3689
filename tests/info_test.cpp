// info_test.cpp: coflow::info(), what workflow code knows about its own run: ids (its chain's first run, the
// run it continued from, its parent), its start time, how long its history is, and its signal counters.
#include <coflow/info.hpp>

#include <coflow/child.hpp>
#include <coflow/condition.hpp>
#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/errors.hpp>
#include <coflow/handle.hpp>
#include <coflow/runtime.hpp>
#include <coflow/signal.hpp>
#include <coflow/time.hpp>
#include <coflow/workflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(std::is_same_v<decltype(coflow::workflow_info::start_time), coflow::time_point>);

namespace {

/// Keeps the info each run saw as its body started, and again when it was poked.
class remembers {
public:
    coflow::workflow<int> run(int gen, int last) {
        at_start_ = coflow::info();
        if (gen < last) {
            co_await coflow::sleep(1s);
            co_return coflow::continue_as_new(&remembers::run, gen + 1, last);
        }
        co_await coflow::wait_condition([this] { return poked_; });
        co_return gen;
    }
    void poke() {
        later_ = coflow::info();
        poked_ = true;
    }
    [[nodiscard]] coflow::workflow_info at_start() const { return at_start_; }
    [[nodiscard]] coflow::workflow_info later() const { return later_; }
    static constexpr auto definition = coflow::define<remembers>("remembers")
                                           .run(&remembers::run)
                                           .signal("poke", &remembers::poke)
                                           .query("at_start", &remembers::at_start)
                                           .query("later", &remembers::later);

private:
    coflow::workflow_info at_start_;
    coflow::workflow_info later_;
    bool poked_ = false;
};

/// Starts a `remembers` chain as its child and waits for it.
class family {
public:
    coflow::workflow<int> run(int last) {
        self_ = coflow::info();
        co_return co_await coflow::execute_child_workflow(&remembers::run, 1, last, {.id = "kid"});
    }
    [[nodiscard]] coflow::workflow_info self() const { return self_; }
    static constexpr auto definition =
        coflow::define<family>("family").run(&family::run).query("self", &family::self);

private:
    coflow::workflow_info self_;
};

/// Continues as new once its run has taken `budget` steps: the history-free way to keep runs short.
class bounded {
public:
    coflow::signal_channel<int> items;
    coflow::workflow<int> run(int total, int runs, int budget) {
        runs_ = runs;
        for (;;) {
            if (coflow::info().steps >= static_cast<std::uint64_t>(budget))
                co_return coflow::continue_as_new(&bounded::run, total, runs + 1, budget);
            const int v = co_await items.receive();
            if (v < 0) co_return total;
            total += v;
        }
    }
    [[nodiscard]] int runs() const { return runs_; }
    static constexpr auto definition = coflow::define<bounded>("bounded")
                                           .run(&bounded::run)
                                           .signal("item", &bounded::items)
                                           .query("runs", &bounded::runs);

private:
    int runs_ = 0;
};

/// Reads the history length at each step of its body.
class counts_events {
public:
    coflow::workflow<std::vector<std::size_t>> run() {
        std::vector<std::size_t> lengths{coflow::info().history_length};
        co_await coflow::sleep(1s);
        lengths.push_back(coflow::info().history_length);
        co_await coflow::sleep(1s);
        lengths.push_back(coflow::info().history_length);
        co_return lengths;
    }
    static constexpr auto definition = coflow::define<counts_events>("counts_events").run(&counts_events::run);
};

/// Records the signal counters each handler call sees.
class tallies {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    void note() {
        const coflow::workflow_info i = coflow::info();
        seen_.push_back(std::to_string(i.received_signals) + "/" + std::to_string(i.pending_signals) + "/" +
                        std::to_string(i.max_received_signals) + (i.continue_as_new_suggested ? " due" : ""));
    }
    [[nodiscard]] std::vector<std::string> seen() const { return seen_; }
    static constexpr auto definition =
        coflow::define<tallies>("tallies").run(&tallies::run).signal("note", &tallies::note).query("seen", &tallies::seen);

private:
    std::vector<std::string> seen_;
};

}  // namespace

TEST_CASE("info names the run, its type and its start time", "[info]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    ex.advance(5s);
    auto h = rt.start_workflow(&remembers::run, 1, 1, {.id = "r"});
    ex.advance(2s);  // the body starts at once: the clock moves only once nothing is ready
    const coflow::workflow_info i = h.query(&remembers::at_start);
    CHECK(i.id == "r");
    CHECK(i.run_id == h.describe().run_id);
    CHECK(i.type == "remembers");
    CHECK(i.start_time == coflow::time_point(5s));
    CHECK(i.first_run_id == i.run_id);  // the first run of its chain
    CHECK(i.continued_run_id.empty());
    CHECK(i.parent_id.empty());
    CHECK(i.steps == 1);  // the body's start
}

TEST_CASE("across continue-as-new, info names the chain's first run and the run each continued from",
          "[info][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&remembers::run, 1, 3, {.id = "r"});
    ex.run_until_idle();
    REQUIRE(rt.histories().size() == 3);
    const std::string first = rt.histories()[0]->run_id;
    const std::string second = rt.histories()[1]->run_id;
    const std::string third = rt.histories()[2]->run_id;
    const coflow::workflow_info i = h.query(&remembers::at_start);
    CHECK(i.run_id == third);
    CHECK(i.first_run_id == first);
    CHECK(i.continued_run_id == second);
    CHECK(i.start_time == coflow::time_point(2s));  // each run before slept a second
    h.signal(&remembers::poke);
    ex.run_until_idle();
    const coflow::workflow_info j = h.query(&remembers::later);  // from a signal handler
    CHECK(j.first_run_id == first);
    CHECK(j.continued_run_id == second);
    CHECK(h.result() == 3);
}

TEST_CASE("a child's info names its parent, in every run of its chain", "[info][child]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto parent = rt.start_workflow(&family::run, 2, {.id = "mum"});
    ex.run_until_idle();
    auto kid = rt.get_workflow_handle_for<remembers>("kid");
    const coflow::workflow_info k = kid.query(&remembers::at_start);
    CHECK(k.parent_id == "mum");
    CHECK(k.continued_run_id != "");  // the kid's second run
    CHECK(k.first_run_id != k.run_id);
    CHECK(parent.query(&family::self).parent_id.empty());
    kid.signal(&remembers::poke);
    ex.run_until_idle();
    CHECK(kid.query(&remembers::later).parent_id == "mum");
    CHECK(parent.result() == 2);
}

TEST_CASE("info's history length counts the events this run recorded so far", "[info][history]") {
    coflow::deterministic_executor ex;
    SECTION("recorded") {
        coflow::runtime rt{ex, {.record_history = true}};
        auto h = rt.start_workflow(&counts_events::run);
        ex.run_until_idle();
        // started | wait_started, timer_started, timer_fired, wait_ended | the same again
        CHECK(h.result() == std::vector<std::size_t>{1, 5, 9});
        CHECK(h.fetch_history()->events.size() == 10);  // and the closing event
    }
    SECTION("not recorded: zero") {
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&counts_events::run);
        ex.run_until_idle();
        CHECK(h.result() == std::vector<std::size_t>{0, 0, 0});
    }
}

TEST_CASE("info's steps grow with the run's work, recorded or not, and start again in a new run", "[info]") {
    std::vector<int> runs;
    for (const bool record : {false, true}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.record_history = record}};
        auto h = rt.start_workflow(&bounded::run, 0, 1, 10);
        for (int i = 1; i <= 30; ++i) {
            h.signal(&bounded::items, i);
            ex.run_until_idle();
        }
        h.signal(&bounded::items, -1);
        ex.run_until_idle();
        CHECK(h.result() == 465);
        runs.push_back(h.query(&bounded::runs));
    }
    CHECK(runs[0] == 7);        // a run takes five items (a step to fill the channel, one to resume)
    CHECK(runs[1] == runs[0]);  // and the same with a history
}

TEST_CASE("info counts the signals this run received and has still to handle, against its limit", "[info][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 10}};
    auto h = rt.start_workflow(&tallies::run);
    for (int i = 0; i < 3; ++i) h.signal(&tallies::note);
    ex.run_until_idle();
    for (int i = 0; i < 5; ++i) h.signal(&tallies::note);
    ex.run_until_idle();
    // received/pending/limit, and "due" from 80% of the limit
    CHECK(h.query(&tallies::seen) == std::vector<std::string>{"3/2/10", "3/1/10", "3/0/10", "8/4/10 due", "8/3/10 due",
                                                               "8/2/10 due", "8/1/10 due", "8/0/10 due"});
}

TEST_CASE("info is only for workflow code", "[info][errors]") {
    CHECK_THROWS_AS(coflow::info(), coflow::not_in_workflow);
}
