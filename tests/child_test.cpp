// Child workflows, continue-as-new and signal-with-start.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <memory>
#include <deque>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "isolated.hpp"
#include "counted.hpp"

// Written inside co_await expressions, so trivially destructible (see README, compiler notes).
static_assert(std::is_trivially_destructible_v<coflow::child_options>);
static_assert(std::is_aggregate_v<coflow::child_options>);

using namespace std::chrono_literals;

namespace {

class doubler {
public:
    coflow::workflow<std::int64_t> run(std::int64_t v) {
        co_await coflow::sleep(std::chrono::milliseconds(v));
        if (v < 0) throw std::invalid_argument("negative input " + std::to_string(v));
        co_return 2 * v;
    }
    static constexpr auto definition = coflow::define<doubler>("doubler").run(&doubler::run);
};

class parent {
public:
    coflow::workflow<std::string> run(std::vector<std::int64_t> inputs, bool forget) {
        std::string out;
        for (std::int64_t v : inputs) {
            try {
                const std::int64_t r = co_await coflow::execute_child_workflow(
                    &doubler::run, v, {.id = "child-" + std::to_string(v), .forget_on_result = forget});
                out += std::to_string(r) + ";";
            } catch (const coflow::workflow_failed& e) {
                try {
                    std::rethrow_exception(e.cause());
                } catch (const std::invalid_argument& cause) {
                    out += std::string("failed(") + cause.what() + ");";
                }
            }
        }
        co_return out;
    }
    static constexpr auto definition = coflow::define<parent>("parent").run(&parent::run);
};

// A child that waits for a signal, so the parent can signal it and close around it.
class listener {
public:
    coflow::workflow<std::string> run() {
        co_await coflow::wait_condition([this] { return !word_.empty(); });
        co_return word_;
    }
    void say(std::string w) { word_ = std::move(w); }
    static constexpr auto definition = coflow::define<listener>("listener").run(&listener::run).signal("say", &listener::say);

private:
    std::string word_;
};

class talker {
public:
    coflow::workflow<std::string> run(int policy, bool wait_for_child) {
        auto child = coflow::start_child_workflow(
            &listener::run, {.id = "listener", .parent_close = static_cast<coflow::parent_close_policy>(policy)});
        if (!wait_for_child) co_return "left early";
        co_await child.signal(&listener::say, "hello child");
        co_return co_await child.result();
    }
    static constexpr auto definition = coflow::define<talker>("talker").run(&talker::run);
};

class waits_on_child {
public:
    coflow::workflow<std::string> run() {
        try {
            co_await coflow::execute_child_workflow(&listener::run, {.id = "inner"});
        } catch (const coflow::cancelled&) {
            co_return "parent saw cancelled";
        }
        co_return "child finished";
    }
    static constexpr auto definition = coflow::define<waits_on_child>("waits_on_child").run(&waits_on_child::run);
};

class dup_child {
public:
    coflow::workflow<std::string> run() {
        auto first = coflow::start_child_workflow(&listener::run, {.id = "same"});
        try {
            auto second = coflow::start_child_workflow(&listener::run, {.id = "same"});
        } catch (const coflow::workflow_already_started& e) {
            co_return e.what();
        }
        co_return "no error";
    }
    static constexpr auto definition = coflow::define<dup_child>("dup_child").run(&dup_child::run);
};

// Counts to `limit` in runs of `per_run` signals, continuing as new in between.
class counter {
public:
    coflow::signal_channel<int> values;
    coflow::workflow<std::vector<int>> run(std::vector<int> seen, int per_run, int limit, int runs) {
        seen_ = std::move(seen);
        runs_ = runs;
        for (int i = 0; i < per_run && static_cast<int>(seen_.size()) < limit; ++i) seen_.push_back(co_await values.receive());
        if (static_cast<int>(seen_.size()) < limit) co_await coflow::continue_as_new(seen_, per_run, limit, runs + 1);
        co_return seen_;
    }
    void poke() { ++pokes_; }
    int runs() const { return runs_; }
    int pokes() const { return pokes_; }
    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("value", &counter::values)
                                           .signal("poke", &counter::poke)
                                           .query("runs", &counter::runs)
                                           .query("pokes", &counter::pokes);

private:
    std::vector<int> seen_;
    int runs_ = 0;
    int pokes_ = 0;
};

// Signals itself, then continues as new in the same step: the signal is accepted into the closing run's
// inbox as the step ends, and must reach the new run.
class self_poker {
public:
    coflow::workflow<int> run(int generation) {
        if (generation == 0) {
            (void)coflow::get_external_workflow_handle(coflow::info().id).signal("poke");
            co_await coflow::continue_as_new(generation + 1);
        }
        co_await coflow::wait_condition([this] { return pokes_ > 0; });
        co_return pokes_;
    }
    void poke() { ++pokes_; }
    static constexpr auto definition =
        coflow::define<self_poker>("self_poker").run(&self_poker::run).signal("poke", &self_poker::poke);

private:
    int pokes_ = 0;
};

class stepper {
public:
    coflow::workflow<int> run(int v) {
        value_ = v;
        if (v < 5) co_await coflow::continue_as_new(v + 1);
        co_return v;
    }
    int value() const { return value_; }
    static constexpr auto definition = coflow::define<stepper>("stepper").run(&stepper::run).query("value", &stepper::value);

private:
    int value_ = 0;
};

class bad_continue {
public:
    coflow::workflow<std::string> run(int mode) {
        try {
            if (mode == 0) co_await coflow::continue_as_new(std::string("wrong type"));
            if (mode == 1) co_await coflow::continue_as_new(1, 2);
        } catch (const coflow::argument_mismatch& e) {
            co_return e.what();
        }
        co_return "continued?";
    }
    coflow::task<void> from_handler() {
        co_await coflow::continue_as_new(5);
    }
    static constexpr auto definition = coflow::define<bad_continue>("bad_continue")
                                           .run(&bad_continue::run)
                                           .signal("from_handler", &bad_continue::from_handler);
};

class cart {
public:
    coflow::workflow<std::vector<std::string>> run(std::string owner) {
        log_.push_back("body starts for " + owner + " with " + std::to_string(items_.size()) + " item(s)");
        co_await coflow::wait_condition([this] { return items_.size() >= 3; });
        co_return items_;
    }
    void add(std::string item, int qty) { items_.push_back(item + "x" + std::to_string(qty)); }
    std::vector<std::string> log() const { return log_; }
    static constexpr auto definition =
        coflow::define<cart>("cart").run(&cart::run).signal("add", &cart::add).query("log", &cart::log);

private:
    std::vector<std::string> items_;
    std::vector<std::string> log_;
};

// A workflow<R> body that ends by continuing as new, in both spellings: `co_return continue_as_new(...)`
// and a last statement `co_await continue_as_new(...)`. With -Wall -Werror (-Wreturn-type) this file would
// not compile if a compiler thought either body could fall off its end.
class rolls_on {
public:
    coflow::workflow<int> run(int gen, bool by_await) {
        gen_ = gen;
        if (gen == 3) co_return gen;
        co_await coflow::sleep(1s);
        if (!by_await) co_return coflow::continue_as_new(&rolls_on::run, gen + 1, by_await);
        co_await coflow::continue_as_new(&rolls_on::run, gen + 1, by_await);
    }
    int gen() const { return gen_; }
    static constexpr auto definition = coflow::define<rolls_on>("rolls_on").run(&rolls_on::run).query("gen", &rolls_on::gen);

private:
    int gen_ = 0;
};

// The same for a workflow<void>, which cannot co_return a value: it co_awaits.
class rolls_on_void {
public:
    coflow::workflow<void> run(int gen) {
        gen_ = gen;
        if (gen == 3) co_return;
        co_await coflow::continue_as_new(gen + 1);
    }
    int gen() const { return gen_; }
    static constexpr auto definition =
        coflow::define<rolls_on_void>("rolls_on_void").run(&rolls_on_void::run).query("gen", &rolls_on_void::gen);

private:
    int gen_ = 0;
};

// Sleeps, then returns continue_as_new: a cancel request accepted while its resumption was queued wins.
class sleeps_then_continues {
public:
    coflow::workflow<int> run(int gen) {
        if (gen > 0) co_return gen;
        co_await coflow::sleep(1s);
        co_return coflow::continue_as_new(gen + 1);
    }
    static constexpr auto definition =
        coflow::define<sleeps_then_continues>("sleeps_then_continues").run(&sleeps_then_continues::run);
};

// An aggregate with a non-trivial destructor: what g++ 12 destroys twice when it is made inside a
// co_await expression. A deque is what a double destruction frees twice even when moved from.
struct ledger {
    counted probe;
    std::string owner;
    std::deque<int> entries;
};

// The pattern that once gave a port a double free: the next run's input, made in place.
class ledger_keeper {
public:
    coflow::workflow<std::string> run(ledger in, int gen) {
        if (gen == 3) co_return in.owner + ":" + std::to_string(in.entries.size());
        co_await coflow::sleep(1s);
        co_return coflow::continue_as_new(&ledger_keeper::run, ledger{{}, in.owner + "+", {gen, gen}}, gen + 1);
    }
    static constexpr auto definition = coflow::define<ledger_keeper>("ledger_keeper").run(&ledger_keeper::run);
};

// A workflow<void> must co_await: the request is made in a statement of its own.
class ledger_keeper_void {
public:
    coflow::workflow<void> run(ledger in, int gen) {
        if (gen == 3) co_return;
        auto next = coflow::continue_as_new(&ledger_keeper_void::run, ledger{{}, in.owner, {gen}}, gen + 1);
        co_await next;
    }
    static constexpr auto definition =
        coflow::define<ledger_keeper_void>("ledger_keeper_void").run(&ledger_keeper_void::run);
};

class ledger_child {
public:
    coflow::workflow<std::size_t> run(ledger in) { co_return in.entries.size() + in.owner.size(); }
    static constexpr auto definition = coflow::define<ledger_child>("ledger_child").run(&ledger_child::run);
};

// A child started with an aggregate made in place, then awaited: start_child_workflow is no co_await.
class ledger_parent {
public:
    coflow::workflow<std::size_t> run() {
        auto child = coflow::start_child_workflow(&ledger_child::run, ledger{{}, "ann", {1, 2, 3}});
        const std::size_t a = co_await child.result();
        const ledger named{{}, "bo", {4}};
        const std::size_t b = co_await coflow::execute_child_workflow(&ledger_child::run, named);  // a copy
        co_return a + b;
    }
    static constexpr auto definition = coflow::define<ledger_parent>("ledger_parent").run(&ledger_parent::run);
};

}  // namespace

TEST_CASE("execute_child_workflow returns each child's result in turn", "[child]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&parent::run, std::vector<std::int64_t>{3, 1, 2}, false);
    ex.run_until_idle();
    CHECK(h.result() == "6;2;4;");
    CHECK(ex.now().time_since_epoch() == 6ms);  // one child after another
    CHECK(rt.get_workflow_handle_for<doubler>("child-3").result() == 6);  // children are workflows by id
    CHECK(rt.size() == 4);
}

TEST_CASE("a child's failure reaches the parent as workflow_failed with the cause kept", "[child][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&parent::run, std::vector<std::int64_t>{1, -5, 2}, false);
    ex.run_until_idle();
    CHECK(h.result() == "2;failed(negative input -5);4;");
    CHECK(rt.get_workflow_handle("child--5").status() == coflow::workflow_status::failed);
}

TEST_CASE("forget_on_result drops each child once the parent has its result", "[child]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&parent::run, std::vector<std::int64_t>{1, -1, 2}, true);
    ex.run_until_idle();
    CHECK(h.result() == "2;failed(negative input -1);4;");
    CHECK(rt.size() == 1);
    CHECK_THROWS_AS(rt.get_workflow_handle("child-1").status(), coflow::workflow_not_found);
}

TEST_CASE("a parent signals its child through the child handle and awaits its result", "[child]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&talker::run, 0, true);
    ex.run_until_idle();
    CHECK(h.result() == "hello child");
}

TEST_CASE("when a parent closes, its open children follow the parent close policy", "[child]") {
    using policy = coflow::parent_close_policy;
    auto child_status_after = [](policy p) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&talker::run, static_cast<int>(p), false);
        ex.run_until_idle();
        REQUIRE(h.result() == "left early");
        return rt.get_workflow_handle("listener").status();
    };
    CHECK(child_status_after(policy::terminate) == coflow::workflow_status::terminated);
    CHECK(child_status_after(policy::request_cancel) == coflow::workflow_status::cancelled);
    CHECK(child_status_after(policy::abandon) == coflow::workflow_status::running);
}

TEST_CASE("cancelling a parent cancels its children", "[child][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&waits_on_child::run);
    ex.run_until_idle();
    REQUIRE(rt.get_workflow_handle("inner").status() == coflow::workflow_status::running);
    h.cancel();
    ex.run_until_idle();
    CHECK(h.result() == "parent saw cancelled");
    CHECK(rt.get_workflow_handle("inner").status() == coflow::workflow_status::cancelled);
}

namespace {

// A child that continues as new `rolls` times, then waits for a signal and returns its generation.
class roller {
public:
    coflow::workflow<int> run(int gen, int rolls) {
        gen_ = gen;
        if (gen < rolls) co_await coflow::continue_as_new(gen + 1, rolls);
        co_await coflow::wait_condition([this] { return done_; });
        co_return gen;
    }
    void finish() { done_ = true; }
    [[nodiscard]] int gen() const { return gen_; }
    static constexpr auto definition =
        coflow::define<roller>("roller").run(&roller::run).signal("finish", &roller::finish).query("gen", &roller::gen);

private:
    int gen_ = 0;
    bool done_ = false;
};

// Starts a roller child under `policy`, then returns after a second (mode 0) or awaits it (mode 1).
class roller_parent {
public:
    coflow::workflow<int> run(int mode, int policy) {
        auto child = coflow::start_child_workflow(
            &roller::run, 0, 3, {.id = "roller", .parent_close = static_cast<coflow::parent_close_policy>(policy)});
        if (mode == 0) {
            co_await coflow::sleep(1s);
            co_return -1;
        }
        try {
            co_return co_await child.result();
        } catch (const coflow::cancelled&) {
            co_return -2;
        }
    }
    static constexpr auto definition = coflow::define<roller_parent>("roller_parent").run(&roller_parent::run);
};

}  // namespace

TEST_CASE("a child that continued as new stays the parent's child: close policy, cancellation, result",
          "[child][continue_as_new]") {
    using policy = coflow::parent_close_policy;
    SECTION("the parent's close reaches the child's latest run") {
        for (const policy p : {policy::terminate, policy::request_cancel, policy::abandon}) {
            coflow::deterministic_executor ex;
            coflow::runtime rt{ex};
            auto child = rt.get_workflow_handle_for<roller>("roller");
            auto h = rt.start_workflow(&roller_parent::run, 0, static_cast<int>(p), {.id = "p"});
            ex.advance(500ms);
            REQUIRE(child.query(&roller::gen) == 3);  // three continue-as-news: a fourth run, still the child
            ex.run_until_idle();                      // the parent's sleep ends and it closes
            CHECK(h.result() == -1);
            const auto expected = p == policy::terminate        ? coflow::workflow_status::terminated
                                  : p == policy::request_cancel ? coflow::workflow_status::cancelled
                                                                : coflow::workflow_status::running;
            CHECK(child.status() == expected);
        }
    }
    SECTION("a cancelled parent cancels the child's latest run") {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&roller_parent::run, 1, static_cast<int>(policy::terminate), {.id = "p"});
        ex.run_until_idle();
        auto child = rt.get_workflow_handle_for<roller>("roller");
        REQUIRE(child.query(&roller::gen) == 3);  // three continue-as-news: a fourth run, still the child
        h.cancel();
        ex.run_until_idle();
        CHECK(child.status() == coflow::workflow_status::cancelled);
        CHECK(h.result() == -2);
    }
    SECTION("the parent gets the result of the child's last run") {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&roller_parent::run, 1, static_cast<int>(policy::terminate), {.id = "p"});
        ex.run_until_idle();
        rt.get_workflow_handle_for<roller>("roller").signal(&roller::finish);
        ex.run_until_idle();
        CHECK(h.result() == 3);
    }
}

TEST_CASE("starting a child under an id that is running throws workflow_already_started in the parent", "[child][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&dup_child::run);
    ex.run_until_idle();
    CHECK(h.result().find("[coflow.workflow_already_started] workflow 'same'") != std::string::npos);
}

TEST_CASE("continue-as-new starts a fresh run under the same id and handles follow it", "[child][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, std::vector<int>{}, 2, 7, 1, {.id = "counter"});
    ex.run_until_idle();
    const auto first_run = h.describe().run_id;
    for (int i = 0; i < 3; ++i) h.signal(&counter::values, i);
    ex.run_until_idle();
    CHECK(h.query(&counter::runs) == 2);
    CHECK(h.describe().run_id != first_run);
    CHECK(h.status() == coflow::workflow_status::running);
    for (int i = 3; i < 7; ++i) rt.get_workflow_handle("counter").signal("value", i);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
    CHECK(h.query(&counter::runs) == 4);
}

TEST_CASE("signals not yet handled move to the new run in order, from the inbox and from channels", "[child][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 0}};
    auto h = rt.start_workflow(&counter::run, std::vector<int>{}, 10, 100, 1, {.id = "counter"});
    // All hundred arrive before the first run even starts: each run takes ten and passes the rest on.
    for (int i = 0; i < 100; ++i) h.signal(&counter::values, i);
    for (int i = 0; i < 3; ++i) h.signal(&counter::poke);  // handler signals wait in the inbox
    ex.run_until_idle();
    std::vector<int> expected;
    for (int i = 0; i < 100; ++i) expected.push_back(i);
    CHECK(h.result() == expected);
    CHECK(h.query(&counter::runs) == 10);
    // The pokes sat behind the hundred values in the first run's inbox; each run delivers its whole
    // inbox before its body runs, so the first run handled them (its state, which the next runs do not
    // inherit: state goes through the run arguments). The last run saw none.
    CHECK(h.query(&counter::pokes) == 0);
}

TEST_CASE("a signal accepted as a run continues as new is handled by the new run", "[child][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&self_poker::run, 0);
    ex.run_until_idle();
    CHECK(h.result() == 1);
}

TEST_CASE("between continue-as-new and the new run's first step, queries see the last run's state", "[child][continue_as_new][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&stepper::run, 1);
    std::vector<int> seen;
    while (ex.step()) seen.push_back(h.query(&stepper::value));
    CHECK(seen == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(h.result() == 5);
}

TEST_CASE("a received-signal limit is per run: continue-as-new resets it and loses nothing", "[child][continue_as_new][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 5}};
    auto h = rt.start_workflow(&counter::run, std::vector<int>{}, 4, 12, 1, {.id = "counter"});
    int next = 0, rejected = 0;
    while (next < 12) {
        try {
            h.signal(&counter::values, next);
            ++next;
        } catch (const coflow::signal_limit_exceeded&) {
            ++rejected;
            ex.run_until_idle();  // the workflow drains and continues as new; then resend
        }
    }
    ex.run_until_idle();
    std::vector<int> expected;
    for (int i = 0; i < 12; ++i) expected.push_back(i);
    CHECK(h.result() == expected);
    CHECK(rejected > 0);
}

TEST_CASE("continue_as_new checks its arguments against the run method and is for the body only", "[child][continue_as_new][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto a = rt.start_workflow(&bad_continue::run, 0);
    auto b = rt.start_workflow(&bad_continue::run, 1);
    ex.run_until_idle();
    CHECK(a.result().find("expects (int), given (std::string)") != std::string::npos);
    CHECK(b.result().find("expects (int), given (int, int)") != std::string::npos);
    auto c = rt.start_workflow(&bad_continue::run, 2);
    c.signal(&bad_continue::from_handler);
    ex.run_until_idle();
    CHECK(c.status() == coflow::workflow_status::failed);
    try {
        (void)c.result();
    } catch (const coflow::workflow_failed& e) {
        CHECK(std::string(e.what()).find("not by a signal handler") != std::string::npos);
    }
}

TEST_CASE("signal-with-start starts a workflow whose handler runs before the body's first line", "[runtime][signal_with_start]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cart::run, "ann",
                               {.id = "cart-1", .start_signal = "add", .start_signal_args = coflow::args("apple", 2)});
    ex.run_until_idle();
    CHECK(h.query(&cart::log) == std::vector<std::string>{"body starts for ann with 1 item(s)"});
    const auto run = h.describe().run_id;
    // The id is running: this only signals it; the owner argument is ignored and no new run starts.
    auto again = rt.start_workflow(&cart::run, "bob",
                                   {.id = "cart-1", .start_signal = "add", .start_signal_args = coflow::args("pear", 1)});
    ex.run_until_idle();
    CHECK(again.describe().run_id == run);
    CHECK(h.describe().received_signals == 2);
    h.signal(&cart::add, "fig", 3);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"applex2", "pearx1", "figx3"});
}

TEST_CASE("signal-with-start with a bad signal starts nothing", "[runtime][signal_with_start][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK_THROWS_AS(rt.start_workflow(&cart::run, "ann", {.id = "c", .start_signal = "ad", .start_signal_args = coflow::args("x", 1)}),
                    coflow::unknown_signal);
    CHECK_THROWS_AS(rt.start_workflow(&cart::run, "ann", {.id = "c", .start_signal = "add", .start_signal_args = coflow::args("x")}),
                    coflow::argument_mismatch);
    CHECK(rt.size() == 0);
    (void)rt.start_workflow(&doubler::run, 1, {.id = "d"});
    CHECK_THROWS_AS(rt.start_workflow(&cart::run, "ann", {.id = "d", .start_signal = "add", .start_signal_args = coflow::args("x", 1)}),
                    coflow::workflow_type_mismatch);
}

namespace {

// A child that counts bumps; `roll` makes it continue as new with 100 more, `finish` ends it.
class tally {
public:
    coflow::workflow<int> run(int base) {
        co_await coflow::wait_condition([this] { return done_ || roll_; });
        if (!done_) co_await coflow::continue_as_new(base + 100);
        co_return base + bumps_;
    }
    void bump() { ++bumps_; }
    void roll() { roll_ = true; }
    void finish() { done_ = true; }
    [[nodiscard]] int bumps() const { return bumps_; }
    static constexpr auto definition = coflow::define<tally>("tally")
                                           .run(&tally::run)
                                           .signal("bump", &tally::bump)
                                           .signal("roll", &tally::roll)
                                           .signal("finish", &tally::finish)
                                           .query("bumps", &tally::bumps);

private:
    int bumps_ = 0;
    bool roll_ = false;
    bool done_ = false;
};

// Something else that may take the id "kid" once the child closed.
class stranger {
public:
    coflow::workflow<std::string> run() { co_return "stranger"; }
    static constexpr auto definition = coflow::define<stranger>("stranger").run(&stranger::run);
};

// Starts the tally child "kid", then uses its handle as its orders say: "result", "signal", "cancel",
// and "stop" to return what each did.
class keeper {
public:
    coflow::workflow<std::vector<std::string>> run(bool forget) {
        auto kid = coflow::start_child_workflow(
            &tally::run, 0,
            {.id = "kid", .parent_close = coflow::parent_close_policy::abandon, .forget_on_result = forget});
        for (;;) {
            co_await coflow::wait_condition([this] { return !orders_.empty(); });
            const std::string order = orders_.front();
            orders_.erase(orders_.begin());
            if (order == "stop") co_return log_;
            try {
                if (order == "result") {
                    log_.push_back("result " + std::to_string(co_await kid.result()));
                } else if (order == "signal") {
                    co_await kid.signal(&tally::bump);
                    log_.push_back("signalled");
                } else {
                    co_await kid.cancel();
                    log_.push_back("cancelled");
                }
            } catch (const coflow::error& e) {
                log_.push_back(order + " " + std::string(coflow::to_string(e.code())));
            }
        }
    }
    void order(std::string o) { orders_.push_back(std::move(o)); }
    static constexpr auto definition = coflow::define<keeper>("keeper").run(&keeper::run).signal("order", &keeper::order);

private:
    std::vector<std::string> orders_;
    std::vector<std::string> log_;
};

// Runs `keeper` until its child "kid" completed with 1 (one bump).
coflow::workflow_handle<keeper> keeper_with_closed_kid(coflow::runtime& rt, coflow::deterministic_executor& ex,
                                                       bool forget = false) {
    auto h = rt.start_workflow(&keeper::run, forget, {.id = "keeper"});
    ex.run_until_idle();
    auto kid = rt.get_workflow_handle_for<tally>("kid");
    kid.signal(&tally::bump);
    kid.signal(&tally::finish);
    ex.run_until_idle();
    REQUIRE(kid.result() == 1);
    return h;
}

std::vector<std::string> obey(coflow::workflow_handle<keeper>& h, coflow::deterministic_executor& ex,
                              const std::vector<std::string>& orders) {
    for (const auto& o : orders) h.signal(&keeper::order, o);
    h.signal(&keeper::order, "stop");
    ex.run_until_idle();
    return h.result();
}

}  // namespace

TEST_CASE("issue 14: a child handle's result is its own child's, after a new run of the same type took the id",
          "[child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = keeper_with_closed_kid(rt, ex);
    auto newcomer = rt.start_workflow(&tally::run, 50, {.id = "kid"});  // id reuse is allowed by default
    ex.run_until_idle();
    CHECK(obey(h, ex, {"result", "signal", "cancel"}) ==
          std::vector<std::string>{"result 1", "signal workflow_not_found", "cancel workflow_not_found"});
    // The newcomer is not the keeper's child: nothing reached it.
    CHECK(newcomer.status() == coflow::workflow_status::running);
    CHECK(newcomer.query(&tally::bumps) == 0);
    CHECK_FALSE(newcomer.describe().cancel_requested);
}

TEST_CASE("issue 14: a child handle's result is its own child's, after a workflow of another type took the id",
          "[child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = keeper_with_closed_kid(rt, ex);
    auto newcomer = rt.start_workflow(&stranger::run, {.id = "kid"});
    ex.run_until_idle();
    REQUIRE(newcomer.result() == "stranger");
    CHECK(obey(h, ex, {"result", "result"}) == std::vector<std::string>{"result 1", "result 1"});
}

TEST_CASE("issue 14: a child handle keeps its child's outcome after the closed run was forgotten",
          "[child][regression]") {
    SECTION("by runtime::forget") {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = keeper_with_closed_kid(rt, ex);
        REQUIRE(rt.forget("kid"));
        CHECK(obey(h, ex, {"result", "signal"}) == std::vector<std::string>{"result 1", "signal workflow_not_found"});
    }
    SECTION("by forget_on_result, read twice") {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = keeper_with_closed_kid(rt, ex, true);
        CHECK(obey(h, ex, {"result", "result"}) == std::vector<std::string>{"result 1", "result 1"});
        CHECK_THROWS_AS(rt.get_workflow_handle("kid").status(), coflow::workflow_not_found);
    }
}

TEST_CASE("issue 14: a child handle follows its child through continue-as-new, and only it", "[child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&keeper::run, false, {.id = "keeper"});
    ex.run_until_idle();
    auto kid = rt.get_workflow_handle_for<tally>("kid");
    kid.signal(&tally::roll);  // continues as new with base 100: still the keeper's child
    ex.run_until_idle();
    h.signal(&keeper::order, "signal");
    ex.run_until_idle();
    CHECK(kid.query(&tally::bumps) == 1);
    kid.signal(&tally::finish);
    ex.run_until_idle();
    REQUIRE(kid.result() == 101);
    auto newcomer = rt.start_workflow(&tally::run, 7, {.id = "kid"});
    newcomer.signal(&tally::finish);
    ex.run_until_idle();
    REQUIRE(newcomer.result() == 7);
    CHECK(obey(h, ex, {"result"}) == std::vector<std::string>{"signalled", "result 101"});
}

namespace {

// Each run starts a child one level shallower and awaits it; the innermost waits for ever.
class nesting_doll {
public:
    coflow::workflow<int> run(int depth, int policy) {
        if (depth == 0) {
            co_await coflow::wait_condition([] { return false; });
            co_return 0;
        }
        co_return 1 + co_await coflow::execute_child_workflow(
                          &nesting_doll::run, depth - 1, policy,
                          {.parent_close = static_cast<coflow::parent_close_policy>(policy)});
    }
    static constexpr auto definition = coflow::define<nesting_doll>("nesting_doll").run(&nesting_doll::run);
};

// Starts `n` children in one step; child k sleeps n - k milliseconds, so they close in the reverse order
// of their start. Awaits the even ones (in start order) and sums their results.
class fan_leaf {
public:
    coflow::workflow<int> run(int delay_ms) {
        co_await coflow::sleep(std::chrono::milliseconds(delay_ms));
        co_return 1;
    }
    static constexpr auto definition = coflow::define<fan_leaf>("fan_leaf").run(&fan_leaf::run);
};

class fan_root {
public:
    coflow::workflow<long long> run(int n) {
        std::vector<coflow::child_workflow_handle<fan_leaf>> awaited;
        for (int k = 0; k < n; ++k) {
            auto child = coflow::start_child_workflow(&fan_leaf::run, n - k, {.forget_on_result = true});
            if (k % 2 == 0) awaited.push_back(std::move(child));
        }
        long long sum = 0;
        for (auto& child : awaited) sum += co_await child.result();
        co_return sum;
    }
    static constexpr auto definition = coflow::define<fan_root>("fan_root").run(&fan_root::run);
};

}  // namespace

TEST_CASE("issue 14: a chain of twenty thousand nested children is closed and destroyed without recursion",
          "[child][lifetime][regression]") {
    constexpr int depth = 20'000;
    enum class end { terminate, terminate_cancelling_children, cancel, destroy };
    auto attempt = [](end how) {
        return [how]() -> int {
            coflow::deterministic_executor ex;
            auto rt = std::make_unique<coflow::runtime>(ex);
            const auto policy = how == end::terminate_cancelling_children ? coflow::parent_close_policy::request_cancel
                                                                          : coflow::parent_close_policy::terminate;
            auto top = rt->start_workflow(&nesting_doll::run, depth, static_cast<int>(policy), {.id = "doll"});
            ex.run_until_idle();
            auto innermost = rt->get_workflow_handle("nesting_doll-" + std::to_string(depth));
            if (top.is_closed() || innermost.is_closed() || rt->size() != depth + 1) return 1;
            auto expected = coflow::workflow_status::running;
            switch (how) {
                case end::terminate:
                    top.terminate("test over");
                    expected = coflow::workflow_status::terminated;
                    break;
                case end::terminate_cancelling_children:
                    top.terminate("test over");
                    ex.run_until_idle();
                    expected = coflow::workflow_status::cancelled;
                    break;
                case end::cancel:
                    top.cancel();
                    ex.run_until_idle();
                    expected = coflow::workflow_status::cancelled;
                    break;
                case end::destroy: break;
            }
            if (innermost.status() != expected) return 2;
            rt.reset();
            return 0;
        };
    };
    auto describe = [](int code) -> std::string {
        switch (code) {
            case 0: return "ok";
            case 1: return "the chain was not built";
            case 2: return "the innermost child did not end as expected";
            default: return "exit code " + std::to_string(code);
        }
    };
    SECTION("terminating the outermost run terminates them all") {
        CHECK(run_in_child_process(attempt(end::terminate), describe) == "ok");
    }
    SECTION("terminating the outermost run cancels them all under request_cancel") {
        CHECK(run_in_child_process(attempt(end::terminate_cancelling_children), describe) == "ok");
    }
    SECTION("cancelling the outermost run cancels them all") {
        CHECK(run_in_child_process(attempt(end::cancel), describe) == "ok");
    }
    SECTION("destroying the runtime") {
        CHECK(run_in_child_process(attempt(end::destroy), describe) == "ok");
    }
}

TEST_CASE("issue 14: a parent that starts two hundred thousand children closes each in constant time",
          "[child][regression]") {
    // They close in the reverse order of their start: a parent that searched its list of open children
    // on each close would take quadratic time (minutes, past the test timeout).
    constexpr int n = 200'000;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&fan_root::run, n, {.id = "fan"});
    ex.run_until_idle();
    CHECK(h.result() == n / 2);
    CHECK(rt.size() == 1 + n / 2);  // the awaited children were forgotten once read
}

TEST_CASE("issue 17: a workflow<R> body that ends in continue-as-new compiles cleanly and continues as new",
          "[child][continue_as_new][regression]") {
    for (const bool by_await : {false, true}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.record_history = true}};
        auto h = rt.start_workflow(&rolls_on::run, 1, by_await, {.id = "r"});
        ex.run_until_idle();
        CHECK(h.result() == 3);
        REQUIRE(rt.histories().size() == 3);
        for (std::size_t i = 0; i < 2; ++i) {
            CHECK(rt.histories()[i]->events.back().kind == coflow::event_kind::continued_as_new);
            CHECK_NOTHROW(coflow::replay(*rt.histories()[i], rolls_on::definition));
        }
    }
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto v = rt.start_workflow(&rolls_on_void::run, 1);
    ex.run_until_idle();
    CHECK(v.status() == coflow::workflow_status::completed);
    CHECK(v.query(&rolls_on_void::gen) == 3);
}

TEST_CASE("a body that returns continue_as_new after a cancel request closes as cancelled",
          "[child][continue_as_new][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeps_then_continues::run, 0, {.id = "w"});
    REQUIRE(ex.step());  // first activation: the body sleeps
    REQUIRE(ex.step());  // the timer fires: the body's resumption is queued
    const std::string run = h.describe().run_id;
    h.cancel();          // accepted while the body is not suspended: it reaches its co_return
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::cancelled);
    CHECK(h.describe().run_id == run);  // no new run
}

TEST_CASE("issue 17: an aggregate temporary given to continue_as_new is destroyed once",
          "[child][continue_as_new][regression][lifetime]") {
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&ledger_keeper::run, ledger{{}, "ann", {7}}, 1);
        auto v = rt.start_workflow(&ledger_keeper_void::run, ledger{{}, "bo", {}}, 1);
        ex.run_until_idle();
        CHECK(h.result() == "ann++:2");
        CHECK(v.status() == coflow::workflow_status::completed);
    }
    CHECK(counted::created == counted::destroyed);
}

TEST_CASE("issue 17: an aggregate temporary given to a child's start is destroyed once",
          "[child][regression][lifetime]") {
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&ledger_parent::run);
        ex.run_until_idle();
        CHECK(h.result() == 3 + 3 + 1 + 2);
    }
    CHECK(counted::created == counted::destroyed);
}

TEST_CASE("issue 17: calls given a fragile temporary return an awaitable that co_await refuses to take as one",
          "[child][regression]") {
    using request = coflow::detail::continue_as_new_request;
    using marked = coflow::detail::given_fragile_temporary<request>;
    // Made in place or moved: the same to C++, so both are marked (co_await refuses them; a variable is fine).
    static_assert(std::is_same_v<decltype(coflow::continue_as_new(&ledger_keeper::run, std::declval<ledger>(), 1)), marked>);
    static_assert(std::is_same_v<decltype(coflow::continue_as_new(std::declval<ledger>(), 1)), marked>);
    // Named variables and plain values are not.
    static_assert(std::is_same_v<decltype(coflow::continue_as_new(&ledger_keeper::run, std::declval<ledger&>(), 1)), request>);
    static_assert(std::is_same_v<decltype(coflow::continue_as_new(1, std::string("x"))), request>);
    static_assert(std::is_same_v<decltype(coflow::execute_child_workflow(&ledger_child::run, std::declval<ledger>())),
                                 coflow::detail::given_fragile_temporary<coflow::detail::result_awaiter<std::size_t>>>);
    static_assert(std::is_same_v<decltype(coflow::execute_child_workflow(&ledger_child::run, std::declval<const ledger&>())),
                                 coflow::detail::result_awaiter<std::size_t>>);
    SUCCEED();
}

namespace {

class numbered_child {
public:
    coflow::workflow<int> run(int v) { co_return v; }
    static constexpr auto definition = coflow::define<numbered_child>("numbered_child").run(&numbered_child::run);
};

// Starts a child and awaits it only once told to: by then its id may hold another run.
class late_reader {
public:
    coflow::workflow<int> run() {
        auto result = coflow::execute_child_workflow(&numbered_child::run, 1, {.id = "reused"});
        co_await coflow::wait_condition([this] { return go_; });
        co_return co_await result;
    }
    void go() { go_ = true; }
    static constexpr auto definition =
        coflow::define<late_reader>("late_reader").run(&late_reader::run).signal("go", &late_reader::go);

private:
    bool go_ = false;
};

}  // namespace

TEST_CASE("issue 19: a child's result is read where the child was started, or by id once that run is gone",
          "[child][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    SECTION("the run it started") {
        auto parent = rt.start_workflow(&late_reader::run);
        ex.run_until_idle();
        parent.signal(&late_reader::go);
        ex.run_until_idle();
        CHECK(parent.result() == 1);
    }
    SECTION("the id's latest run, once the started one was forgotten and its slot taken by another") {
        auto parent = rt.start_workflow(&late_reader::run);
        ex.run_until_idle();
        REQUIRE(rt.forget("reused"));
        auto other = rt.start_workflow(&numbered_child::run, 2, {.id = "reused"});
        ex.run_until_idle();
        REQUIRE(other.result() == 2);
        parent.signal(&late_reader::go);
        ex.run_until_idle();
        CHECK(parent.result() == 2);
    }
}
