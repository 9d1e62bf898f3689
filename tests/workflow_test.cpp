// workflow_test.cpp: workflow<R>, the run body: lazy until the executor runs it, its result kept after its
// frame is freed, and failures (from the body or from a signal handler) reported as workflow_failed.
#include <coflow/workflow.hpp>

#include <coflow/child.hpp>
#include <coflow/condition.hpp>
#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/errors.hpp>
#include <coflow/handle.hpp>
#include <coflow/info.hpp>
#include <coflow/replay.hpp>
#include <coflow/runtime.hpp>
#include <coflow/status.hpp>
#include <coflow/task.hpp>
#include <coflow/time.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<coflow::workflow<int>>);
static_assert(!std::is_copy_assignable_v<coflow::workflow<int>>);
static_assert(std::is_nothrow_move_constructible_v<coflow::workflow<int>>);
static_assert(std::is_same_v<coflow::workflow<>, coflow::workflow<void>>);
static_assert(std::is_same_v<coflow::workflow<std::string>::result_type, std::string>);

namespace {

/// Counts constructions and destructions: a body's locals and parameters are counted, so the counts show
/// when its frame is freed.
struct counted {
    static inline int constructed = 0;
    static inline int copied = 0;
    static inline int moved = 0;
    static inline int destroyed = 0;
    static void reset() { constructed = copied = moved = destroyed = 0; }
    static int alive() { return constructed + copied + moved - destroyed; }

    counted() { ++constructed; }
    counted(const counted&) { ++copied; }
    counted(counted&&) noexcept { ++moved; }
    counted& operator=(const counted&) = delete;
    counted& operator=(counted&&) = delete;
    ~counted() { ++destroyed; }
};

class bad_input : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The rethrown cause of a workflow_failed, as "<kind>: <message>".
std::string cause_of(const coflow::workflow_failed& e) {
    try {
        std::rethrow_exception(e.cause());
    } catch (const bad_input& b) {
        return std::string("bad_input: ") + b.what();
    } catch (const std::exception& x) {
        return std::string("other: ") + x.what();
    }
}

std::vector<std::string>& global_log() {
    static std::vector<std::string> log;
    return log;
}

class lazy_start {
public:
    coflow::workflow<int> run(int x) {
        started_ = true;
        global_log().push_back("body " + std::to_string(x));
        co_return x + 1;
    }
    [[nodiscard]] bool started() const { return started_; }

    static constexpr auto definition =
        coflow::define<lazy_start>("lazy_start").run(&lazy_start::run).query("started", &lazy_start::started);

private:
    bool started_ = false;
};

class keeps_result {
public:
    coflow::workflow<std::string> run(counted arg, std::string word) {
        counted local;
        (void)arg;
        steps_ = 1;
        co_await coflow::sleep(1s);
        steps_ = 2;
        co_return word + "!";
    }
    [[nodiscard]] int steps() const { return steps_; }

    static constexpr auto definition =
        coflow::define<keeps_result>("keeps_result").run(&keeps_result::run).query("steps", &keeps_result::steps);

private:
    int steps_ = 0;
};

class fails {
public:
    coflow::workflow<int> run(bool after_sleep) {
        counted local;
        if (after_sleep) co_await coflow::sleep(5ms);
        throw bad_input("order 7 has no lines");
        co_return 0;
    }

    static constexpr auto definition = coflow::define<fails>("fails").run(&fails::run);
};

class void_body {
public:
    coflow::workflow<void> run() {
        co_await coflow::sleep(1ms);
        done_ = true;
    }
    [[nodiscard]] bool done() const { return done_; }

    static constexpr auto definition =
        coflow::define<void_body>("void_body").run(&void_body::run).query("done", &void_body::done);

private:
    bool done_ = false;
};

class strict {
public:
    coflow::workflow<int> run() {
        counted local;
        co_await coflow::wait_condition([this] { return done_; });
        co_return total_;
    }
    void add(int v) {
        if (v < 0) throw bad_input("negative amount " + std::to_string(v));
        total_ += v;
    }
    coflow::task<void> add_later(int v) {
        co_await coflow::sleep(1s);
        if (v < 0) throw bad_input("late negative amount " + std::to_string(v));
        total_ += v;
    }
    void finish() { done_ = true; }
    [[nodiscard]] int total() const { return total_; }

    static constexpr auto definition = coflow::define<strict>("strict")
                                           .run(&strict::run)
                                           .signal("add", &strict::add)
                                           .signal("add_later", &strict::add_later)
                                           .signal("finish", &strict::finish)
                                           .query("total", &strict::total);

private:
    int total_ = 0;
    bool done_ = false;
};

// Initialised by its constructor from the run's arguments (Python's @workflow.init). It also has a default
// constructor: before issue 17 coflow used that one, and the body had to initialise the state itself,
// overwriting what a signal handled before the body's first line had done.
class opening_tally {
public:
    opening_tally() = default;
    opening_tally(int opening, const std::string& owner) : total_(opening), owner_(owner) {}

    coflow::workflow<int> run(int opening, std::string owner) {
        (void)opening;  // the constructor took what it needed
        (void)owner;
        co_await coflow::sleep(std::chrono::milliseconds(total_));  // replay checks this delay
        co_await coflow::wait_condition([this] { return closed_; });
        co_return total_;
    }
    void add(int n) {
        seen_.push_back(owner_ + ":" + std::to_string(total_));
        total_ += n;
    }
    void close() { closed_ = true; }
    [[nodiscard]] int total() const { return total_; }
    [[nodiscard]] std::vector<std::string> seen() const { return seen_; }

    static constexpr auto definition = coflow::define<opening_tally>("opening_tally")
                                           .run(&opening_tally::run)
                                           .signal("add", &opening_tally::add)
                                           .signal("close", &opening_tally::close)
                                           .query("total", &opening_tally::total)
                                           .query("seen", &opening_tally::seen);

private:
    int total_ = 0;
    std::string owner_ = "nobody";
    std::vector<std::string> seen_;
    bool closed_ = false;
};

// No default constructor at all: only the run's arguments can build it.
class needs_init {
public:
    explicit needs_init(std::string name) : greeting_("hello " + name) {}
    coflow::workflow<std::string> run(std::string name) {
        co_return greeting_ + " (run got " + name + ")";
    }
    static constexpr auto definition = coflow::define<needs_init>("needs_init").run(&needs_init::run);

private:
    std::string greeting_;
};

// Each run of a continue-as-new chain is built from that run's arguments.
class generations {
public:
    explicit generations(int gen) : gen_(gen), built_with_(gen) {}
    coflow::workflow<int> run(int gen) {
        if (gen < 3) co_await coflow::continue_as_new(&generations::run, gen + 1);
        co_await coflow::wait_condition([this] { return !pokes_.empty(); });
        co_return gen_;
    }
    void poke() { pokes_.push_back(gen_); }
    [[nodiscard]] int built_with() const { return built_with_; }
    [[nodiscard]] std::vector<int> pokes() const { return pokes_; }
    static constexpr auto definition = coflow::define<generations>("generations")
                                           .run(&generations::run)
                                           .signal("poke", &generations::poke)
                                           .query("built_with", &generations::built_with)
                                           .query("pokes", &generations::pokes);

private:
    int gen_;
    int built_with_;
    std::vector<int> pokes_;
};

// The constructor sees the arguments as const lvalues; the body gets the values. A constructor that
// takes a parameter by const reference copies nothing, so move-only arguments work too.
class holds_ticket {
public:
    holds_ticket(const counted&, const std::unique_ptr<int>& ticket) : seen_(*ticket) {}
    coflow::workflow<int> run(counted probe, std::unique_ptr<int> ticket) {
        (void)probe;
        co_return seen_ * 100 + *ticket;
    }
    static constexpr auto definition = coflow::define<holds_ticket>("holds_ticket").run(&holds_ticket::run);

private:
    int seen_;
};

// The constructor runs when the run is made, outside workflow code: coflow::info() is refused there,
// even when a parent starts it from its own code.
class asks_info_early {
public:
    explicit asks_info_early(int) : id_(coflow::info().id) {}
    coflow::workflow<int> run(int n) { co_return n; }
    static constexpr auto definition = coflow::define<asks_info_early>("asks_info_early").run(&asks_info_early::run);

private:
    std::string id_;
};

class starts_early_asker {
public:
    coflow::workflow<std::string> run() {
        try {
            co_return std::to_string(co_await coflow::execute_child_workflow(&asks_info_early::run, 1));
        } catch (const coflow::not_in_workflow& e) {
            co_return std::string("refused: ") + e.what();
        }
    }
    static constexpr auto definition = coflow::define<starts_early_asker>("starts_early_asker").run(&starts_early_asker::run);
};

}  // namespace

TEST_CASE("a workflow body does not run until the executor runs it", "[workflow]") {
    global_log().clear();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&lazy_start::run, 41, {.id = "lazy"});

    CHECK_FALSE(h.query(&lazy_start::started));
    CHECK(global_log().empty());
    CHECK(h.status() == coflow::workflow_status::running);
    CHECK_THROWS_AS(h.result(), coflow::result_not_ready);
    CHECK(ex.ready_count() == 1);  // its first activation is queued, nothing more

    CHECK(ex.run_until_idle() >= 1);
    CHECK(h.query(&lazy_start::started));
    CHECK(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() == 42);
}

TEST_CASE("workflows started before the executor runs first run in the order they were started",
          "[workflow][determinism]") {
    global_log().clear();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto a = rt.start_workflow(&lazy_start::run, 1, {.id = "a"});
    auto b = rt.start_workflow(&lazy_start::run, 2, {.id = "b"});
    auto c = rt.start_workflow(&lazy_start::run, 3, {.id = "c"});
    CHECK(global_log().empty());

    ex.run_until_idle();
    CHECK(global_log() == std::vector<std::string>{"body 1", "body 2", "body 3"});
    CHECK(a.result() == 2);
    CHECK(b.result() == 3);
    CHECK(c.result() == 4);
}

TEST_CASE("a workflow's result is kept after its frame is freed", "[workflow][lifetime]") {
    counted::reset();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&keeps_result::run, counted{}, "done", {.id = "keeper"});
    CHECK(counted::alive() == 1);  // the parameter, in the frame

    ex.advance(0ms);  // the first activation: the body runs to its sleep
    CHECK(h.query(&keeps_result::steps) == 1);
    CHECK(counted::alive() == 2);  // the parameter and the local
    CHECK(h.status() == coflow::workflow_status::running);

    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::completed);
    CHECK(counted::alive() == 0);  // the frame is gone: its parameter and local were destroyed

    CHECK(h.result() == "done!");
    CHECK(h.result() == "done!");  // asking again gives the same value
    CHECK(rt.get_workflow_handle("keeper").result<std::string>() == "done!");
    CHECK(h.query(&keeps_result::steps) == 2);  // the object outlives the frame
    CHECK(counted::alive() == 0);
}

TEST_CASE("a body that throws fails the run with workflow_failed holding the original exception",
          "[workflow][!throws]") {
    counted::reset();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    bool after_sleep = false;
    SECTION("before its first suspension") { after_sleep = false; }
    SECTION("after a sleep") { after_sleep = true; }

    auto h = rt.start_workflow(&fails::run, after_sleep, {.id = "order-7"});
    ex.run_until_idle();

    CHECK(h.is_closed());
    CHECK(h.status() == coflow::workflow_status::failed);
    CHECK(counted::alive() == 0);  // the frame was freed when the body failed

    try {
        (void)h.result();
        FAIL("result() should have thrown");
    } catch (const coflow::workflow_failed& e) {
        CHECK(e.code() == coflow::errc::workflow_failed);
        CHECK(cause_of(e) == "bad_input: order 7 has no lines");
        const std::string what = e.what();
        CHECK(what.find("order-7") != std::string::npos);
        CHECK(what.find("order 7 has no lines") != std::string::npos);
    }
    // The same failure through an untyped handle, and again (it is kept).
    CHECK_THROWS_AS(rt.get_workflow_handle("order-7").result<int>(), coflow::workflow_failed);
    CHECK_THROWS_AS(h.result(), coflow::workflow_failed);
}

TEST_CASE("result of a workflow<void> returns normally once it completed", "[workflow]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&void_body::run, {.id = "void"});
    static_assert(std::is_void_v<decltype(h.result())>);

    CHECK_THROWS_AS(h.result(), coflow::result_not_ready);
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::completed);
    CHECK(h.query(&void_body::done));
    CHECK_NOTHROW(h.result());
    CHECK_NOTHROW(rt.get_workflow_handle("void").result());
    CHECK_THROWS_AS(rt.get_workflow_handle("void").result<int>(), coflow::argument_mismatch);
}

TEST_CASE("an exception escaping a sync signal handler fails the run", "[workflow][!throws]") {
    counted::reset();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&strict::run, {.id = "strict-1"});
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::running);
    REQUIRE(counted::alive() == 1);

    h.signal(&strict::add, 5);
    h.signal(&strict::add, -1);
    h.signal(&strict::finish);  // accepted, but the run fails before it is delivered
    ex.run_until_idle();

    CHECK(h.status() == coflow::workflow_status::failed);
    CHECK(h.is_closed());
    CHECK(counted::alive() == 0);             // the suspended body's frame was destroyed
    CHECK(h.query(&strict::total) == 5);      // the handlers before the failing one ran
    try {
        (void)h.result();
        FAIL("result() should have thrown");
    } catch (const coflow::workflow_failed& e) {
        CHECK(cause_of(e) == "bad_input: negative amount -1");
    }
    CHECK_THROWS_AS(h.signal(&strict::add, 1), coflow::workflow_closed);
    CHECK(ex.run_until_idle() == 0);
}

TEST_CASE("an exception escaping an async signal handler fails the run", "[workflow][!throws]") {
    counted::reset();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&strict::run, {.id = "strict-2"});
    h.signal(&strict::add_later, 3);
    h.signal(&strict::add_later, -4);
    ex.advance(0ms);
    CHECK(h.status() == coflow::workflow_status::running);  // both handlers wait in their sleep

    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::failed);
    CHECK(counted::alive() == 0);
    CHECK(h.query(&strict::total) == 3);
    try {
        (void)h.result();
        FAIL("result() should have thrown");
    } catch (const coflow::workflow_failed& e) {
        CHECK(cause_of(e) == "bad_input: late negative amount -4");
    }
}

TEST_CASE("issue 17: a signal delivered before the body's first line is not overwritten by initialisation",
          "[workflow][init][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&opening_tally::run, 10, "ann", {.id = "tally"});
    CHECK(h.query(&opening_tally::total) == 10);  // built before any handler or query sees it
    h.signal(&opening_tally::add, 5);              // handled before the body's first line
    ex.run_until_idle();
    CHECK(h.query(&opening_tally::seen) == std::vector<std::string>{"ann:10"});
    CHECK(h.query(&opening_tally::total) == 15);
    h.signal(&opening_tally::close);
    ex.run_until_idle();
    CHECK(h.result() == 15);
}

TEST_CASE("a workflow class constructible from its run arguments needs no default constructor", "[workflow][init]") {
    static_assert(!std::is_default_constructible_v<needs_init>);
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&needs_init::run, "ann");
    ex.run_until_idle();
    CHECK(h.result() == "hello ann (run got ann)");
}

TEST_CASE("each run of a continue-as-new chain is built from its own arguments", "[workflow][init][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&generations::run, 1, {.id = "gens"});
    CHECK(h.query(&generations::built_with) == 1);
    ex.run_until_idle();
    CHECK(h.query(&generations::built_with) == 3);
    h.signal(&generations::poke);
    ex.run_until_idle();
    CHECK(h.query(&generations::pokes) == std::vector<int>{3});
    CHECK(h.result() == 3);
}

TEST_CASE("the init constructor sees the run arguments as const and the body gets the values", "[workflow][init][lifetime]") {
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&holds_ticket::run, counted{}, std::make_unique<int>(7));
        CHECK(counted::copied == 0);  // the constructor took it by const reference: no copy for it
        ex.run_until_idle();
        CHECK(h.result() == 707);
    }
    CHECK(counted::alive() == 0);
}

TEST_CASE("replay builds the workflow object from the recorded run arguments", "[workflow][init][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&opening_tally::run, 25, "bo", {.id = "tally"});
    h.signal(&opening_tally::add, 1);
    ex.run_until_idle();
    h.signal(&opening_tally::close);
    ex.run_until_idle();
    REQUIRE(h.result() == 26);
    CHECK_NOTHROW(coflow::replay(*h.fetch_history(), opening_tally::definition));
}

TEST_CASE("the init constructor runs outside workflow code", "[workflow][init][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK_THROWS_AS(rt.start_workflow(&asks_info_early::run, 1, {.id = "early"}), coflow::not_in_workflow);
    CHECK(rt.size() == 0);  // nothing started
    auto parent = rt.start_workflow(&starts_early_asker::run);
    ex.run_until_idle();
    CHECK(parent.result().find("refused: ") == 0);  // not the parent's info
}
