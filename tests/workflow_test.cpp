// workflow_test.cpp: workflow<R>, the run body: lazy until the executor runs it, its result kept after its
// frame is freed, and failures (from the body or from a signal handler) reported as workflow_failed.
#include <coflow/workflow.hpp>

#include <coflow/condition.hpp>
#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/errors.hpp>
#include <coflow/handle.hpp>
#include <coflow/runtime.hpp>
#include <coflow/status.hpp>
#include <coflow/task.hpp>
#include <coflow/time.hpp>

#include <chrono>
#include <exception>
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
