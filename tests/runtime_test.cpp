// The runtime: starting workflows, ids and reuse, forgetting runs, and teardown with runs suspended.
#include <coflow/coflow.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

namespace {

class idle_wf {
public:
    coflow::signal_channel<counted> things;
    coflow::workflow<int> run(int mode) {
        counted in_frame;
        switch (mode) {
            case 0: co_await coflow::wait_condition([] { return false; }); break;
            case 1: (void)co_await things.receive(); break;
            case 2: co_await coflow::sleep(24h); break;
            case 3: co_await coflow::wait_condition([] { return false; }, 1h); break;
            default: break;
        }
        co_return mode;
    }
    coflow::task<void> stuck(counted c) {
        counted local;
        (void)c;
        co_await coflow::sleep(1000h);
    }
    void finish() {}
    static constexpr auto definition = coflow::define<idle_wf>("idle_wf")
                                           .run(&idle_wf::run)
                                           .signal("thing", &idle_wf::things)
                                           .signal("stuck", &idle_wf::stuck)
                                           .signal("finish", &idle_wf::finish);

private:
    counted in_object_;
};

class failing {
public:
    coflow::workflow<int> run(bool fail) {
        co_await coflow::sleep(1s);
        if (fail) throw std::runtime_error("boom");
        co_return 1;
    }
    static constexpr auto definition = coflow::define<failing>("failing").run(&failing::run);
};

// Each signal appends its value to `notes`, which the test owns.
std::vector<std::string>* notes = nullptr;

class logger {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    void note(std::string what) { notes->push_back(std::move(what)); }
    static constexpr auto definition = coflow::define<logger>("logger").run(&logger::run).signal("note", &logger::note);
};

}  // namespace

TEST_CASE("issue 19: activations of two runtimes and posted work share one deterministic executor in posting order",
          "[runtime][deterministic_executor][regression]") {
    // The executor queues one runtime's activations as compact calls at a time; the other's go as works,
    // and all of them, and plain posted work, run in the order they were posted.
    std::vector<std::string> seen;
    notes = &seen;
    coflow::deterministic_executor ex;
    coflow::runtime a{ex};
    coflow::runtime b{ex};
    auto a1 = a.start_workflow(&logger::run, {.id = "a1"});
    auto a2 = a.start_workflow(&logger::run, {.id = "a2"});
    auto b1 = b.start_workflow(&logger::run, {.id = "b1"});
    ex.run_until_idle();
    for (int round = 0; round < 2; ++round) {  // b's first when the queue is empty, then a's first
        const std::string r = std::to_string(round);
        seen.clear();
        if (round == 1) a1.signal(&logger::note, "a1-" + r);
        ex.post([&] { seen.push_back("work-" + r); });
        b1.signal(&logger::note, "b1-" + r);
        if (round == 0) a1.signal(&logger::note, "a1-" + r);
        ex.post([&] { seen.push_back("work2-" + r); });
        a2.signal(&logger::note, "a2-" + r);
        CHECK(ex.ready_count() == 5);
        ex.run_until_idle();
        if (round == 0)
            CHECK(seen == std::vector<std::string>{"work-0", "b1-0", "a1-0", "work2-0", "a2-0"});
        else
            CHECK(seen == std::vector<std::string>{"a1-1", "work-1", "b1-1", "work2-1", "a2-1"});
    }
    notes = nullptr;
}

TEST_CASE("a start without an id gets a generated one from the type name", "[runtime]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto a = rt.start_workflow(&failing::run, false);
    auto b = rt.start_workflow(&failing::run, false);
    CHECK(a.id() == "failing-1");
    CHECK(b.id() == "failing-2");
    (void)rt.start_workflow(&failing::run, false, {.id = "failing-3"});
    CHECK(rt.start_workflow(&failing::run, false).id() == "failing-4");  // skips ids in use
}

TEST_CASE("starting an id that is running throws workflow_already_started", "[runtime][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&failing::run, false, {.id = "dup"});
    try {
        (void)rt.start_workflow(&failing::run, false, {.id = "dup"});
        FAIL("no exception");
    } catch (const coflow::workflow_already_started& e) {
        CHECK(std::string(e.what()).find("'dup'") != std::string::npos);
        CHECK(std::string(e.what()).find(h.describe().run_id) != std::string::npos);
    }
    CHECK(rt.size() == 1);
}

TEST_CASE("a closed id is reused by default and the reuse policy can forbid it", "[runtime]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto ok = rt.start_workflow(&failing::run, false, {.id = "ok"});
    auto bad = rt.start_workflow(&failing::run, true, {.id = "bad"});
    ex.run_until_idle();
    REQUIRE(ok.status() == coflow::workflow_status::completed);
    REQUIRE(bad.status() == coflow::workflow_status::failed);

    CHECK_THROWS_AS(rt.start_workflow(&failing::run, false, {.id = "ok", .id_reuse = coflow::id_reuse_policy::reject_duplicate}),
                    coflow::workflow_already_started);
    CHECK_THROWS_AS(rt.start_workflow(&failing::run, false,
                                      {.id = "ok", .id_reuse = coflow::id_reuse_policy::allow_duplicate_failed_only}),
                    coflow::workflow_already_started);
    CHECK_NOTHROW(rt.start_workflow(&failing::run, false,
                                    {.id = "bad", .id_reuse = coflow::id_reuse_policy::allow_duplicate_failed_only}));
    const auto old_run = ok.describe().run_id;
    CHECK_NOTHROW(rt.start_workflow(&failing::run, false, {.id = "ok"}));
    CHECK(ok.describe().run_id != old_run);
    CHECK(ok.status() == coflow::workflow_status::running);
}

TEST_CASE("a failed body reports its exception as the cause of workflow_failed", "[runtime][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&failing::run, true, {.id = "f"});
    ex.run_until_idle();
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::workflow_failed& e) {
        CHECK(std::string(e.what()).find("'f'") != std::string::npos);
        CHECK(std::string(e.what()).find("boom") != std::string::npos);
        CHECK_THROWS_AS(std::rethrow_exception(e.cause()), std::runtime_error);
    }
}

TEST_CASE("forget drops closed runs only", "[runtime]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&failing::run, false, {.id = "short"});
    CHECK_FALSE(rt.forget("short"));  // still running
    ex.run_until_idle();
    CHECK(rt.size() == 1);
    CHECK(rt.forget("short"));
    CHECK(rt.size() == 0);
    CHECK_FALSE(rt.forget("short"));
    CHECK_THROWS_AS(h.result(), coflow::workflow_not_found);
}

TEST_CASE("destroying a runtime frees every suspended run, and its posted work then does nothing", "[runtime][lifetime]") {
    counted::reset();
    coflow::deterministic_executor ex;
    {
        coflow::runtime rt{ex};
        for (int i = 0; i < 1'000; ++i) {
            auto h = rt.start_workflow(&idle_wf::run, i % 5);
            if (i % 7 == 0) h.signal(&idle_wf::stuck, counted{});
            if (i % 11 == 0 && i % 5 != 1) h.signal(&idle_wf::things, counted{});
        }
        ex.advance(1ms);
        for (int i = 0; i < 50; ++i)  // pending signals at teardown too (mode 4 runs have closed)
            if (i % 5 != 4) rt.get_workflow_handle("idle_wf-" + std::to_string(i + 1)).signal("finish");
        CHECK(counted::alive() > 1'000);
        CHECK_FALSE(ex.idle());
    }
    CHECK(counted::alive() == 0);
    ex.run_until_idle();  // timers and activations posted by the dead runtime
    CHECK(ex.idle());
    CHECK(counted::alive() == 0);
}

namespace {

coflow::deterministic_executor* loop = nullptr;  // the executor the test drives, reached from workflow code
coflow::runtime* live = nullptr;

std::string code_of_drive(int how) {
    try {
        switch (how) {
            case 0: loop->run_until_idle(); break;
            case 1: loop->step(); break;
            case 2: loop->advance(1ms); break;
            default: (void)loop->run_until([] { return false; }); break;
        }
    } catch (const coflow::error& e) {
        return std::string(coflow::to_string(e.code()));
    }
    return "ran";
}

// Drives the executor from its body, a handler and a predicate, and records what each got.
class driver {
public:
    coflow::workflow<std::string> run(int how) {
        log_ += "body:" + code_of_drive(how) + ";";
        co_await coflow::wait_condition([this, how] {
            if (!tried_) pred_ = code_of_drive(how);
            tried_ = true;
            return poked_;
        });
        co_return log_ + "pred:" + pred_ + ";";
    }
    void poke(int how) {
        log_ += "handler:" + code_of_drive(how) + ";";
        poked_ = true;
    }
    std::string log() const { return log_; }
    static constexpr auto definition =
        coflow::define<driver>("driver").run(&driver::run).signal("poke", &driver::poke).query("log", &driver::log);

private:
    std::string log_, pred_;
    bool tried_ = false;
    bool poked_ = false;
};

}  // namespace

TEST_CASE("issue 14: driving the executor from workflow code, a handler, a predicate or a query is refused",
          "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    loop = &ex;
    for (int how = 0; how < 4; ++how) {
        CAPTURE(how);
        auto h = rt.start_workflow(&driver::run, how, {.id = "d" + std::to_string(how)});
        ex.run_until_idle();
        h.signal("poke", how);
        ex.run_until_idle();
        CHECK(h.result() == "body:invalid_operation;handler:invalid_operation;pred:invalid_operation;");
        CHECK(h.query([how](const driver&) { return code_of_drive(how); }) == "invalid_operation");
    }
    // After all that, the loop still runs normally.
    auto again = rt.start_workflow(&driver::run, 0, {.id = "again"});
    CHECK(ex.run_until_idle() > 0);
    CHECK(again.query(&driver::log) == "body:invalid_operation;");
    loop = nullptr;
}

TEST_CASE("issue 14: a query cannot forget or terminate its own run", "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    live = &rt;
    auto open = rt.start_workflow(&idle_wf::run, 0, {.id = "open"});
    auto closed = rt.start_workflow(&idle_wf::run, 9, {.id = "closed"});
    ex.run_until_idle();
    REQUIRE(closed.result() == 9);
    const auto attempt = [](const auto& f) {
        try {
            f();
        } catch (const coflow::error& e) {
            return std::string(e.what());
        }
        return std::string("done");
    };
    CHECK(closed.query([&](const idle_wf&) { return attempt([] { live->forget("closed"); }); })
              .find("cannot be forgotten from its own query") != std::string::npos);
    CHECK(open.query([&](const idle_wf&) {
                  return attempt([] { live->get_workflow_handle("open").terminate("from a query"); });
              }).find("cannot be terminated from its own query") != std::string::npos);
    CHECK(open.describe().status == coflow::workflow_status::running);
    CHECK(closed.result() == 9);
    // Another run may be forgotten from a query.
    CHECK(open.query([&](const idle_wf&) { return live->forget("closed"); }));
    live = nullptr;
}

#ifndef NDEBUG
namespace {
class fickle {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return ++asked_ % 2 == 0; });
        co_return asked_;
    }
    static constexpr auto definition = coflow::define<fickle>("fickle").run(&fickle::run);

private:
    int asked_ = 0;
};
}  // namespace

TEST_CASE("issue 14: a predicate that changes state fails its run in debug builds", "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&fickle::run);
    ex.run_until_idle();
    try {
        (void)h.result();
        FAIL("the run did not fail");
    } catch (const coflow::workflow_failed& e) {
        CHECK(std::string(e.what()).find("predicate gave two answers") != std::string::npos);
    }
}
#endif

namespace {

// One of a ring of workflows: its object holds a handle on the next one, which its destructor uses.
class ring_member {
public:
    static inline coflow::runtime* rt = nullptr;
    static inline std::vector<std::string> outcomes;

    ring_member() = default;
    ring_member(const ring_member&) = delete;
    ring_member& operator=(const ring_member&) = delete;
    ~ring_member() {
        if (!next_) return;
        try {
            next_->signal(&ring_member::wave);
            outcomes.emplace_back("signal accepted");
        } catch (const coflow::error& e) {
            outcomes.emplace_back(e.what());
        }
        try {
            (void)next_->query(&ring_member::waves);
            outcomes.emplace_back("query answered");
        } catch (const coflow::error& e) {
            outcomes.emplace_back(e.what());
        }
    }

    coflow::workflow<void> run(int next) {
        next_.emplace(rt->get_workflow_handle_for<ring_member>("ring-" + std::to_string(next)));
        co_await coflow::wait_condition([] { return false; });
    }
    void wave() { ++waves_; }
    int waves() const { return waves_; }
    static constexpr auto definition = coflow::define<ring_member>("ring_member")
                                           .run(&ring_member::run)
                                           .signal("wave", &ring_member::wave)
                                           .query("waves", &ring_member::waves);

private:
    std::optional<coflow::workflow_handle<ring_member>> next_;
    int waves_ = 0;
};

}  // namespace

TEST_CASE("issue 14: a workflow object whose destructor uses a handle as the runtime is destroyed gets workflow_closed",
          "[runtime][lifetime][regression]") {
    // Whatever order the runs are destroyed in, some destructor reaches a run already destroyed.
    constexpr int n = 16;
    ring_member::outcomes.clear();
    coflow::deterministic_executor ex;
    {
        coflow::runtime rt{ex};
        ring_member::rt = &rt;
        for (int i = 0; i < n; ++i)
            (void)rt.start_workflow(&ring_member::run, (i + 1) % n, {.id = "ring-" + std::to_string(i)});
        ex.run_until_idle();
        REQUIRE(rt.get_workflow_handle_for<ring_member>("ring-0").query(&ring_member::waves) == 0);
    }
    ring_member::rt = nullptr;
    REQUIRE(ring_member::outcomes.size() == 2 * n);
    for (const std::string& outcome : ring_member::outcomes) {
        CHECK(outcome.rfind("[coflow.workflow_closed] workflow 'ring-", 0) == 0);
        CHECK(outcome.find("' is closed (its runtime is being destroyed): cannot reach it") != std::string::npos);
    }
}
