// task_test.cpp: task<R> is lazy, carries values and exceptions through co_await, and resumes by
// symmetric transfer. Tasks are awaited from workflow code, so most cases run inside a small workflow.
#include <coflow/task.hpp>

#include <coflow/condition.hpp>
#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/errors.hpp>
#include <coflow/runtime.hpp>
#include <coflow/status.hpp>
#include <coflow/time.hpp>
#include <coflow/workflow.hpp>

#include <chrono>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "isolated.hpp"

static_assert(!std::is_copy_constructible_v<coflow::task<int>>);
static_assert(!std::is_copy_assignable_v<coflow::task<int>>);
static_assert(std::is_nothrow_move_constructible_v<coflow::task<int>>);
static_assert(std::is_nothrow_move_assignable_v<coflow::task<int>>);
static_assert(std::is_same_v<coflow::task<>, coflow::task<void>>);
static_assert(std::is_same_v<coflow::task<std::string>::value_type, std::string>);

namespace {

/// Counts constructions and destructions: a task's frame holds one, so the counts show when it is freed.
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

/// What a test body records, read by the test after the workflow ran.
struct trace {
    std::vector<std::string> events;
    long long number = 0;
    std::string text;
};

class test_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using body_fn = coflow::task<void> (*)(trace&);

/// Runs one test body as a workflow: tasks are only awaited from workflow code.
class harness {
public:
    coflow::workflow<void> run(body_fn body, trace* t) { co_await body(*t); }

    static constexpr auto definition = coflow::define<harness>("task_harness").run(&harness::run);
};

/// Starts `body` in a workflow, runs the executor until idle, and rethrows a failure as workflow_failed.
void run_in_workflow(body_fn body, trace& t) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&harness::run, body, &t, {.id = "task-test"});
    ex.run_until_idle();
    REQUIRE(h.is_closed());
    h.result();
}

/// Runs `body` in a workflow in a child process (where one exists), so that a stack overflow fails the
/// test with a message instead of killing the test runner. Returns "ok" or what went wrong.
std::string run_isolated(body_fn body, long long expected_number, const std::string& expected_text) {
    auto attempt = [&]() -> int {
        trace t;
        try {
            coflow::deterministic_executor ex;
            coflow::runtime rt{ex};
            auto h = rt.start_workflow(&harness::run, body, &t, {.id = "deep"});
            ex.run_until_idle();
            if (!h.is_closed()) return 3;
            h.result();
        } catch (...) {
            return 2;
        }
        return t.number == expected_number && t.text == expected_text ? 0 : 1;
    };
    auto describe = [](int code) -> std::string {
        switch (code) {
            case 0: return "ok";
            case 1: return "wrong result";
            case 2: return "the workflow failed";
            case 3: return "the workflow did not finish";
            default: return "exit code " + std::to_string(code);
        }
    };
    return run_in_child_process(attempt, describe);
}

// g++ emits a symmetric-transfer resume as a tail call only at -O2, so coflow does not rely on it: every
// transfer goes through the engine's trampoline. These long chains prove the stack stays flat in the
// Debug builds of both compilers.
constexpr const char* stack_depth_tags = "[task]";

// ---- small tasks ---------------------------------------------------------------------------------

coflow::task<int> answer() { co_return 42; }

coflow::task<std::string> greet(std::string name) { co_return "hello, " + name; }

coflow::task<int> record(trace& t, std::string what, int value) {
    t.events.push_back(what);
    co_return value;
}

coflow::task<void> note(trace& t, std::string what) {
    t.events.push_back(what);
    co_return;
}

coflow::task<int> fail_with(std::string message) {
    throw test_error(message);
    co_return 0;  // makes it a coroutine
}

coflow::task<void> fail_void(std::string message) {
    throw test_error(message);
    co_return;
}

coflow::task<int> inner(trace& t, int x) {
    t.events.push_back("inner " + std::to_string(x));
    co_return x * 10;
}

coflow::task<int> middle(trace& t, int x) {
    t.events.push_back("middle");
    const int a = co_await inner(t, x);
    const int b = co_await inner(t, x + 1);
    co_return a + b;
}

coflow::task<int> outer(trace& t) {
    t.events.push_back("outer");
    co_return co_await middle(t, 1) + co_await middle(t, 3);
}

coflow::task<int> unwinding_middle(trace& t) {
    counted guard;  // a local of a frame the exception passes through
    t.events.push_back("middle before");
    const int v = co_await fail_with("deep");
    t.events.push_back("middle after");  // never reached
    co_return v;
}

coflow::task<int> probe_task(counted c, bool* ran) {
    *ran = true;
    (void)c;
    co_return 7;
}

coflow::task<int> one_bit(int i) { co_return i & 1; }

coflow::task<void> nothing() { co_return; }

coflow::task<long long> depth(int n) {
    if (n == 0) co_return 0;
    co_return 1 + co_await depth(n - 1);
}

coflow::task<long long> depth_then_throw(int n) {
    if (n == 0) throw test_error("bottom");
    co_return 1 + co_await depth_then_throw(n - 1);
}

/// A chain of `depth` nested awaits whose innermost task waits for ever, holding a probe.
coflow::task<void> wait_forever_below(int depth) {
    if (depth == 0) {
        counted probe;
        co_await coflow::wait_condition([] { return false; });
    } else {
        co_await wait_forever_below(depth - 1);
    }
}

coflow::task<std::unique_ptr<int>> make_unique_value(int v) { co_return std::make_unique<int>(v); }

coflow::task<int> slow_double(int x) {
    co_await coflow::sleep(std::chrono::seconds(10));
    co_return x * 2;
}

coflow::task<int> slow_fail() {
    co_await coflow::sleep(std::chrono::seconds(5));
    throw test_error("late failure");
}

coflow::task<void> sleepy(trace& t) {
    counted local;
    t.events.push_back("sleepy waits");
    co_await coflow::sleep(std::chrono::hours(1));
    t.events.push_back("sleepy woke");
}

// ---- bodies run by the harness -------------------------------------------------------------------

coflow::task<void> lazy_body(trace& t) {
    auto pending = record(t, "task body", 5);
    t.events.push_back("made");
    const int v = co_await std::move(pending);
    t.events.push_back("awaited " + std::to_string(v));
}

coflow::task<void> values_body(trace& t) {
    t.number = co_await answer();
    t.text = co_await greet("world");
}

coflow::task<void> lvalue_await_body(trace& t) {
    auto a = answer();
    t.number = co_await a;  // awaiting an lvalue task works too
}

coflow::task<void> exception_body(trace& t) {
    try {
        (void)co_await fail_with("task failed");
        t.events.push_back("not reached");
    } catch (const test_error& e) {
        t.events.push_back(std::string("caught: ") + e.what());
    }
    try {
        co_await fail_void("void task failed");
    } catch (const test_error& e) {
        t.events.push_back(std::string("caught: ") + e.what());
    }
    t.number = co_await answer();  // the body goes on normally after catching
}

coflow::task<void> uncaught_body(trace& t) {
    t.events.push_back("before");
    (void)co_await fail_with("escapes the body");
    t.events.push_back("after");
}

coflow::task<void> nested_body(trace& t) { t.number = co_await outer(t); }

coflow::task<void> nested_exception_body(trace& t) {
    try {
        (void)co_await unwinding_middle(t);
    } catch (const test_error& e) {
        t.events.push_back(std::string("outer caught: ") + e.what());
        t.number = counted::alive();
    }
}

coflow::task<void> void_body(trace& t) {
    co_await note(t, "first");
    co_await note(t, "second");
    co_await nothing();
    t.events.push_back("done");
}

coflow::task<void> million_values_body(trace& t) {
    long long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await one_bit(i);
    t.number = sum;
}

coflow::task<void> million_voids_body(trace& t) {
    long long n = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        co_await nothing();
        ++n;
    }
    t.number = n;
}

coflow::task<void> deep_body(trace& t) { t.number = co_await depth(100'000); }

coflow::task<void> deep_throw_body(trace& t) {
    try {
        (void)co_await depth_then_throw(100'000);
    } catch (const test_error& e) {
        t.text = e.what();
    }
}

/// Records its level when destroyed.
struct level_probe {
    trace* t;
    int level;
    level_probe(trace& tr, int l) : t(&tr), level(l) {}
    level_probe(const level_probe&) = delete;
    level_probe& operator=(const level_probe&) = delete;
    ~level_probe() { t->events.push_back(std::to_string(level)); }
};

coflow::task<void> probed_levels(trace& t, int level, int depth) {
    level_probe probe(t, level);
    if (level == depth) co_await coflow::wait_condition([] { return false; });
    else co_await probed_levels(t, level + 1, depth);
}

coflow::task<void> ten_probed_levels_body(trace& t) { co_await probed_levels(t, 1, 10); }

coflow::task<void> stuck_deep_body(trace& t) {
    co_await wait_forever_below(1'000'000);
    t.number = 1;  // never reached
}

coflow::task<void> moved_task_body(trace& t) {
    bool ran = false;
    coflow::task<int> a = probe_task(counted{}, &ran);
    coflow::task<int> b = std::move(a);
    t.events.push_back(a.valid() ? "a valid" : "a empty");  // NOLINT(bugprone-use-after-move)
    t.events.push_back(ran ? "ran early" : "not started");
    t.number = co_await std::move(b);
    t.events.push_back(ran ? "ran" : "did not run");
}

coflow::task<void> timed_body(trace& t) {
    const coflow::time_point start = coflow::now();
    t.number = co_await slow_double(21);
    t.events.push_back("after " + std::to_string((coflow::now() - start) / std::chrono::seconds(1)) + "s");
    try {
        (void)co_await slow_fail();
    } catch (const test_error& e) {
        t.events.push_back(std::string("caught ") + e.what() + " after " +
                           std::to_string((coflow::now() - start) / std::chrono::seconds(1)) + "s");
    }
}

coflow::task<void> sleeping_task_body(trace& t) {
    counted local;
    co_await sleepy(t);
    t.events.push_back("body resumed");
}

coflow::task<void> move_only_result_body(trace& t) {
    std::unique_ptr<int> p = co_await make_unique_value(99);
    t.number = p ? *p : -1;
}

// Bodies returning a braced list and a plain value, in a file that does not include child.hpp: the
// promise's continue-as-new return_value (for a type only declared here) must not make them ambiguous.
class braced_result {
public:
    coflow::workflow<std::vector<int>> run(bool empty) {
        if (empty) co_return {};
        co_return {1, 2};
    }
    static constexpr auto definition = coflow::define<braced_result>("braced_result").run(&braced_result::run);
};

}  // namespace

TEST_CASE("a task does not start until it is awaited", "[task]") {
    trace t;
    run_in_workflow(&lazy_body, t);
    CHECK(t.events == std::vector<std::string>{"made", "task body", "awaited 5"});
}

TEST_CASE("a task made but never awaited never runs its body and frees its frame", "[task][lifetime]") {
    counted::reset();
    bool ran = false;
    {
        coflow::task<int> t = probe_task(counted{}, &ran);
        CHECK(t.valid());
        CHECK(counted::alive() == 1);  // the parameter copy lives in the frame
    }
    CHECK_FALSE(ran);
    CHECK(counted::alive() == 0);
    CHECK(counted::copied == 0);
}

TEST_CASE("co_await gives the value a task returns", "[task]") {
    trace t;
    SECTION("from a prvalue task") {
        run_in_workflow(&values_body, t);
        CHECK(t.number == 42);
        CHECK(t.text == "hello, world");
    }
    SECTION("from an lvalue task") {
        run_in_workflow(&lvalue_await_body, t);
        CHECK(t.number == 42);
    }
    SECTION("of a move-only type") {
        run_in_workflow(&move_only_result_body, t);
        CHECK(t.number == 99);
    }
}

TEST_CASE("co_await rethrows the exception a task ended with", "[task]") {
    trace t;
    run_in_workflow(&exception_body, t);
    CHECK(t.events == std::vector<std::string>{"caught: task failed", "caught: void task failed"});
    CHECK(t.number == 42);
}

TEST_CASE("an exception from an awaited task that the body does not catch fails the workflow", "[task]") {
    trace t;
    try {
        run_in_workflow(&uncaught_body, t);
        FAIL("the workflow should have failed");
    } catch (const coflow::workflow_failed& e) {
        CHECK_THROWS_AS(std::rethrow_exception(e.cause()), test_error);
        CHECK_THROWS_WITH(std::rethrow_exception(e.cause()), "escapes the body");
    }
    CHECK(t.events == std::vector<std::string>{"before"});
}

TEST_CASE("nested tasks run in order and pass values up", "[task]") {
    trace t;
    run_in_workflow(&nested_body, t);
    // middle(1) = 10 + 20, middle(3) = 30 + 40
    CHECK(t.number == 100);
    CHECK(t.events == std::vector<std::string>{"outer", "middle", "inner 1", "inner 2", "middle", "inner 3",
                                               "inner 4"});
}

TEST_CASE("an exception passes through an intermediate task and destroys its locals", "[task][lifetime]") {
    counted::reset();
    trace t;
    run_in_workflow(&nested_exception_body, t);
    CHECK(t.events == std::vector<std::string>{"middle before", "outer caught: deep"});
    CHECK(t.number == 0);  // the intermediate frame was freed before the catch ran
    CHECK(counted::constructed == 1);
    CHECK(counted::alive() == 0);
}

TEST_CASE("task<void> runs its body when awaited and completes", "[task]") {
    trace t;
    run_in_workflow(&void_body, t);
    CHECK(t.events == std::vector<std::string>{"first", "second", "done"});
}

TEST_CASE("a million synchronously completing tasks awaited in a loop do not grow the stack", stack_depth_tags) {
    SECTION("tasks returning a value") {
        CHECK(run_isolated(&million_values_body, 500'000, "") == "ok");
    }
    SECTION("task<void>") {
        CHECK(run_isolated(&million_voids_body, 1'000'000, "") == "ok");
    }
}

TEST_CASE("a chain of one hundred thousand nested awaits completes without stack overflow", stack_depth_tags) {
    SECTION("returning values") {
        CHECK(run_isolated(&deep_body, 100'000, "") == "ok");
    }
    SECTION("rethrowing from the bottom") {
        CHECK(run_isolated(&deep_throw_body, 0, "bottom") == "ok");
    }
}

TEST_CASE("moving a task moves its frame, which still runs once awaited", "[task][lifetime]") {
    counted::reset();
    trace t;
    run_in_workflow(&moved_task_body, t);
    CHECK(t.events == std::vector<std::string>{"a empty", "not started", "ran"});
    CHECK(t.number == 7);
    CHECK(counted::alive() == 0);
}

TEST_CASE("move-assigning a task frees the frame it held", "[task][lifetime]") {
    counted::reset();
    bool ran_a = false;
    bool ran_b = false;
    {
        coflow::task<int> a = probe_task(counted{}, &ran_a);
        coflow::task<int> b = probe_task(counted{}, &ran_b);
        REQUIRE(counted::alive() == 2);

        a = std::move(b);  // a's first frame is destroyed, b's frame is now owned by a
        CHECK(counted::alive() == 1);
        CHECK(a.valid());
        CHECK_FALSE(b.valid());  // NOLINT(bugprone-use-after-move)

        coflow::task<int>& same = a;
        a = std::move(same);  // self-move keeps the frame
        CHECK(a.valid());
        CHECK(counted::alive() == 1);

        coflow::task<int> empty;
        CHECK_FALSE(empty.valid());
        a = std::move(empty);  // assigning an empty task frees the frame too
        CHECK_FALSE(a.valid());
        CHECK(counted::alive() == 0);
    }
    CHECK_FALSE(ran_a);
    CHECK_FALSE(ran_b);
    CHECK(counted::alive() == 0);
}

TEST_CASE("release gives up the frame, which the caller must then destroy", "[task][lifetime]") {
    counted::reset();
    bool ran = false;
    coflow::task<int> t = probe_task(counted{}, &ran);
    auto h = t.release();
    CHECK_FALSE(t.valid());
    REQUIRE(h);
    CHECK(counted::alive() == 1);
    h.destroy();
    CHECK(counted::alive() == 0);
    CHECK_FALSE(ran);
}

TEST_CASE("a task that suspends on a timer resumes its awaiting code when it finishes", "[task]") {
    trace t;
    run_in_workflow(&timed_body, t);
    CHECK(t.number == 42);
    CHECK(t.events == std::vector<std::string>{"after 10s", "caught late failure after 15s"});
}

TEST_CASE("a suspended task is destroyed with the workflow that awaits it", "[task][lifetime]") {
    counted::reset();
    trace t;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&harness::run, &sleeping_task_body, &t, {.id = "sleeper"});
    ex.advance(std::chrono::minutes(1));
    REQUIRE(t.events == std::vector<std::string>{"sleepy waits"});
    CHECK(counted::alive() == 2);  // the body's local and the task's local

    h.terminate("test over");
    CHECK(h.status() == coflow::workflow_status::terminated);
    CHECK(counted::alive() == 0);  // the body's frame and the task frame it owned are gone

    ex.run_until_idle();  // the task's timer comes due: nothing of the workflow runs
    CHECK(t.events == std::vector<std::string>{"sleepy waits"});
    CHECK_THROWS_AS(h.result(), coflow::workflow_terminated);
}

TEST_CASE("issue 14: a million suspended nested task awaits are torn down without recursion",
          "[task][lifetime][regression]") {
    // Destroying a frame suspended in `co_await child` destroys the child's frame, and so on down the chain.
    auto teardown = [](bool terminate_first) {
        return [terminate_first]() -> int {
            counted::reset();
            trace t;
            {
                coflow::deterministic_executor ex;
                coflow::runtime rt{ex};
                auto h = rt.start_workflow(&harness::run, &stuck_deep_body, &t, {.id = "stuck"});
                ex.run_until_idle();
                if (h.is_closed() || counted::alive() != 1) return 1;
                if (terminate_first) {
                    h.terminate("test over");
                    if (counted::alive() != 0) return 2;
                }
            }
            return counted::alive() == 0 && t.number == 0 ? 0 : 2;
        };
    };
    auto describe = [](int code) -> std::string {
        switch (code) {
            case 0: return "ok";
            case 1: return "the chain was not built";
            case 2: return "the innermost frame was not freed";
            default: return "exit code " + std::to_string(code);
        }
    };
    SECTION("when the runtime is destroyed") {
        CHECK(run_in_child_process(teardown(false), describe) == "ok");
    }
    SECTION("when the run is terminated") {
        CHECK(run_in_child_process(teardown(true), describe) == "ok");
    }
}

TEST_CASE("tearing down a suspended chain of awaits destroys each awaited task before the frame awaiting it",
          "[task][lifetime]") {
    // A frame's locals may be referenced by the task it awaits: they must outlive that task's frame.
    trace t;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&harness::run, &ten_probed_levels_body, &t, {.id = "levels"});
    ex.run_until_idle();
    REQUIRE(t.events.empty());
    h.terminate("test over");
    CHECK(t.events == std::vector<std::string>{"10", "9", "8", "7", "6", "5", "4", "3", "2", "1"});
}

TEST_CASE("a workflow body may co_return a braced list without continue_as_new in sight", "[task][workflow]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto a = rt.start_workflow(&braced_result::run, true);
    auto b = rt.start_workflow(&braced_result::run, false);
    ex.run_until_idle();
    CHECK(a.result().empty());
    CHECK(b.result() == std::vector<int>{1, 2});
}
