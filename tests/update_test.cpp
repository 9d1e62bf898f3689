// Updates: definition, start_update by member and by name, validators, failure isolation, ordering
// with signals, ids, limits, unfinished updates.
#include <coflow/coflow.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// A counter that signals add to and updates set, read back.
class counter {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return value_;
    }
    void add(int n) {
        value_ += n;
        log_.push_back("add " + std::to_string(n));
    }
    int set(int n) {
        const int old = value_;
        value_ = n;
        log_.push_back("set " + std::to_string(n));
        return old;
    }
    void validate_set(int n) const {
        if (n < 0) throw std::invalid_argument("negative value " + std::to_string(n));
    }
    std::string fail(std::string why) { throw std::runtime_error(why); }
    void finish() { done_ = true; }
    coflow::task<int> slow_set(int n) {
        co_await coflow::sleep(10s);
        value_ = n;
        log_.push_back("slow set " + std::to_string(n));
        co_return n * 2;
    }
    coflow::task<void> slow_fail() {
        co_await coflow::sleep(1s);
        throw std::runtime_error("slow failure");
    }
    int value() const { return value_; }
    std::vector<std::string> log() const { return log_; }

    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::add)
                                           .signal("finish", &counter::finish)
                                           .update("set", &counter::set, &counter::validate_set)
                                           .update("fail", &counter::fail)
                                           .update("slow_set", &counter::slow_set)
                                           .update("slow_fail", &counter::slow_fail)
                                           .update("finish_now", &counter::finish)
                                           .query("value", &counter::value)
                                           .query("log", &counter::log);

private:
    int value_ = 0;
    bool done_ = false;
    std::vector<std::string> log_;
};

template <class E, class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a synchronous update runs when the executor runs the workflow and returns its value", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto u = h.start_update(&counter::set, 7);
    CHECK(!u.is_done());
    CHECK(u.id() == "update-1");
    CHECK(error_of<coflow::result_not_ready>([&] { (void)u.result(); }).find("update 'set'") != std::string::npos);
    ex.run_until_idle();
    REQUIRE(u.is_done());
    CHECK(u.result() == 0);
    CHECK(h.query(&counter::value) == 7);
}

TEST_CASE("an update is sent by name with its result type", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto u = h.start_update<int>("set", 3);
    auto w = h.start_update<std::string>("fail", "why");
    ex.run_until_idle();
    CHECK(u.result() == 0);
    CHECK(h.query(&counter::value) == 3);
    CHECK(error_of<coflow::update_failed>([&] { (void)w.result(); }).find("why") != std::string::npos);
}

TEST_CASE("by-name updates with an unknown name or the wrong types are refused at the sender", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    const auto unknown = error_of<coflow::unknown_update>([&] { (void)h.start_update<int>("nope", 1); });
    CHECK(unknown.find("workflow 'c'") != std::string::npos);
    CHECK(unknown.find("'nope'") != std::string::npos);
    CHECK(unknown.find("set, fail") != std::string::npos);
    const auto args = error_of<coflow::argument_mismatch>([&] { (void)h.start_update<int>("set", "seven"); });
    CHECK(args.find("update 'set' expects (int)") != std::string::npos);
    const auto result = error_of<coflow::argument_mismatch>([&] { (void)h.start_update<double>("set", 1); });
    CHECK(result.find("result type int") != std::string::npos);
    CHECK(h.describe().pending_signals == 0);
}

TEST_CASE("a rejected update is not accepted, recorded or counted, and its caller gets update_rejected",
          "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_updates_per_run = 1, .record_history = true}};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto bad = h.start_update(&counter::set, -1);
    ex.run_until_idle();
    const auto why = error_of<coflow::update_rejected>([&] { (void)bad.result(); });
    CHECK(why.find("workflow 'c'") != std::string::npos);
    CHECK(why.find("update 'set'") != std::string::npos);
    CHECK(why.find("negative value -1") != std::string::npos);
    CHECK(h.query(&counter::log).empty());
    for (const auto& e : h.fetch_history()->events) CHECK(e.kind != coflow::event_kind::update_accepted);
    auto good = h.start_update(&counter::set, 5);  // the limit of one: the rejected one did not count
    ex.run_until_idle();
    CHECK(good.result() == 0);
}

namespace {

// A validator that rejects by returning a reason (the form that works without exceptions).
class gate {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return open_ >= 2; });
        co_return open_;
    }
    int open(int by) { return open_ += by; }
    coflow::validation check_open(int by) const {
        if (by <= 0) return coflow::reject("must open by at least 1, not " + std::to_string(by));
        return coflow::accept();
    }
    static constexpr auto definition =
        coflow::define<gate>("gate").run(&gate::run).update("open", &gate::open, &gate::check_open);

private:
    int open_ = 0;
};

}  // namespace

TEST_CASE("issue 16: a validator may reject by returning coflow::reject(reason), without throwing",
          "[update][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_updates_per_run = 2, .record_history = true}};
    auto h = rt.start_workflow(&gate::run, {.id = "g"});
    auto bad = h.start_update({.id = "b"}, &gate::open, 0);
    auto good = h.start_update(&gate::open, 1);
    ex.advance(0s);
    CHECK(bad.stage() == coflow::update_stage::rejected);
    CHECK(bad.rejection_reason() == "must open by at least 1, not 0");
    const auto why = error_of<coflow::update_rejected>([&] { (void)bad.result(); });
    CHECK(why.find("workflow 'g': update 'open' (id 'b') rejected by its validator: must open by at least 1, not 0") !=
          std::string::npos);
    try {
        (void)bad.result();
    } catch (const coflow::update_rejected& e) {
        CHECK(e.reason() == "must open by at least 1, not 0");
        CHECK(!e.cause());  // nothing was thrown
    }
    CHECK(good.stage() == coflow::update_stage::completed);
    CHECK(good.rejection_reason().empty());
    CHECK(good.result() == 1);
    auto again = h.start_update({.id = "b"}, &gate::open, 1);  // the rejected id is free, and it did not count
    ex.run_until_idle();
    CHECK(again.result() == 2);
    CHECK(h.result() == 2);
    for (const auto& e : h.fetch_history()->events)
        if (e.kind == coflow::event_kind::update_accepted) CHECK(e.args.at(1) == "1");
    CHECK_NOTHROW(coflow::replay(*h.fetch_history(), gate::definition));
}

TEST_CASE("a throwing validator's rejection reason is what it threw", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto bad = h.start_update(&counter::set, -2);
    CHECK(bad.stage() == coflow::update_stage::admitted);
    ex.advance(0s);
    CHECK(bad.stage() == coflow::update_stage::rejected);
    CHECK(bad.rejection_reason() == "negative value -2");
    CHECK(error_of<coflow::update_rejected>([&] { (void)bad.result(); }).find("rejected by its validator: negative value -2") !=
          std::string::npos);
}

TEST_CASE("a throwing update handler fails that update only, and the run goes on", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto f = h.start_update(&counter::fail, std::string("boom"));
    auto a = h.start_update(&counter::slow_fail);
    ex.advance(2s);
    const auto why = error_of<coflow::update_failed>([&] { (void)f.result(); });
    CHECK(why.find("update 'fail'") != std::string::npos);
    CHECK(why.find("boom") != std::string::npos);
    CHECK(error_of<coflow::update_failed>([&] { a.result(); }).find("slow failure") != std::string::npos);
    CHECK(h.status() == coflow::workflow_status::running);
    h.signal(&counter::finish);
    ex.run_until_idle();
    CHECK(h.result() == 0);
}

TEST_CASE("updates and signals share the run's one ordered inbox", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    h.signal(&counter::add, 1);
    auto u = h.start_update(&counter::set, 10);
    h.signal(&counter::add, 2);
    ex.run_until_idle();
    CHECK(u.result() == 1);  // after the first add, before the second
    CHECK(h.query(&counter::log) == std::vector<std::string>{"add 1", "set 10", "add 2"});
    CHECK(h.query(&counter::value) == 12);
}

TEST_CASE("issue 16: describe() counts queued updates as pending_updates, not as pending_signals",
          "[update][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    h.signal(&counter::add, 1);
    auto u = h.start_update(&counter::set, 10);
    auto slow = h.start_update(&counter::slow_set, 3);
    auto rejected = h.start_update(&counter::set, -1);
    const auto queued = h.describe();
    CHECK(queued.pending_signals == 1);
    CHECK(queued.pending_updates == 3);
    ex.advance(0s);  // delivered: the slow one runs, the rejected one is gone
    const auto delivered = h.describe();
    CHECK(delivered.pending_signals == 0);
    CHECK(delivered.pending_updates == 0);
    CHECK(delivered.running_handlers == 1);
    (void)h.start_update(&counter::set, 4);
    h.terminate("enough");  // a dropped update is no longer pending
    CHECK(h.describe().pending_updates == 0);
    CHECK(h.describe().pending_signals == 0);
}

TEST_CASE("an async update may await, and all_handlers_finished waits for it", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto u = h.start_update(&counter::slow_set, 4);
    h.signal(&counter::finish);
    ex.advance(0s);  // runs what is ready, fires no timer
    CHECK(!u.is_done());
    CHECK(h.describe().running_handlers == 1);
    CHECK(h.status() == coflow::workflow_status::running);  // the body waits for the update
    ex.advance(10s);
    CHECK(u.result() == 8);
    CHECK(h.result() == 4);
}

TEST_CASE("issue 16: a second update with the same id gets the first one's outcome and runs nothing",
          "[update][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto first = h.start_update({.id = "once"}, &counter::set, 5);
    auto again = h.start_update({.id = "once"}, &counter::set, 9);  // still queued: the same update
    ex.run_until_idle();
    auto later = h.start_update<int>({.id = "once"}, "set", 11);  // finished: its outcome
    CHECK(first.id() == "once");
    CHECK(first.result() == 0);
    CHECK(again.result() == 0);
    CHECK(later.result() == 0);
    CHECK(later.is_done());
    CHECK(h.query(&counter::log) == std::vector<std::string>{"set 5"});
    CHECK(error_of<coflow::argument_mismatch>([&] {
              (void)h.start_update({.id = "once"}, &counter::slow_set, 1);
          }).find("update id once") != std::string::npos);
}

TEST_CASE("issue 16: updates past the in-flight or total limit are refused at the sender", "[update][regression]") {
    coflow::deterministic_executor ex;
    SECTION("in flight") {
        coflow::runtime rt{ex, {.max_updates_in_flight_per_run = 2}};
        auto h = rt.start_workflow(&counter::run, {.id = "c"});
        auto a = h.start_update(&counter::slow_set, 1);
        auto b = h.start_update(&counter::set, 2);
        const auto why = error_of<coflow::update_limit_exceeded>([&] { (void)h.start_update(&counter::set, 3); });
        CHECK(why.find("workflow 'c'") != std::string::npos);
        CHECK(why.find("update 'set'") != std::string::npos);
        CHECK(why.find("max_updates_in_flight_per_run") != std::string::npos);
        ex.advance(0s);  // b finishes, a still sleeps
        auto c = h.start_update(&counter::set, 3);
        ex.advance(0s);
        CHECK(c.result() == 2);
    }
    SECTION("in total") {
        coflow::runtime rt{ex, {.max_updates_per_run = 2}};
        auto h = rt.start_workflow(&counter::run, {.id = "c"});
        (void)h.start_update(&counter::set, 1);
        (void)h.start_update(&counter::set, 2);
        ex.run_until_idle();
        CHECK(error_of<coflow::update_limit_exceeded>([&] { (void)h.start_update(&counter::set, 3); })
                  .find("max_updates_per_run") != std::string::npos);
    }
}

TEST_CASE("issue 16: a run that closes with updates unfinished gives their callers update_unfinished",
          "[update][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto running = h.start_update(&counter::slow_set, 1);
    ex.advance(0s);
    auto queued = h.start_update(&counter::set, 2);
    h.terminate("enough");
    const auto why = error_of<coflow::update_unfinished>([&] { (void)running.result(); });
    CHECK(why.find("workflow 'c'") != std::string::npos);
    CHECK(why.find("update 'slow_set'") != std::string::npos);
    CHECK(error_of<coflow::update_unfinished>([&] { (void)queued.result(); }).find("'set'") != std::string::npos);
    const auto closed = error_of<coflow::workflow_closed>([&] { (void)h.start_update(&counter::set, 3); });
    CHECK(closed.find("update 'set'") != std::string::npos);
}

namespace {

coflow::runtime* renewer_runtime = nullptr;  // lets a run send itself an update, as a client would

// Mode 0: sends itself update "carried" and continues as new in the same step, so the update is still
// queued and moves to the new run. Mode 1: continues as new on "renew". Mode 2: ends on "finish".
class renewer {
public:
    coflow::workflow<int> run(int mode) {
        if (mode == 0) {
            auto self = renewer_runtime->get_workflow_handle_for<renewer>(coflow::info().id);
            (void)self.start_update({.id = "carried"}, &renewer::bump, 1);
            co_return coflow::continue_as_new(&renewer::run, 2);
        }
        co_await coflow::wait_condition([this, mode] { return mode == 1 ? renew_ : done_; });
        if (mode == 1) co_return coflow::continue_as_new(&renewer::run, 2);
        co_return bumps_;
    }
    int bump(int n) { return bumps_ += n; }
    coflow::task<int> slow_bump(int n) {
        co_await coflow::sleep(10s);
        co_return bumps_ += n;
    }
    void renew() { renew_ = true; }
    void finish() { done_ = true; }
    static constexpr auto definition = coflow::define<renewer>("renewer")
                                           .run(&renewer::run)
                                           .update("bump", &renewer::bump)
                                           .update("slow_bump", &renewer::slow_bump)
                                           .signal("renew", &renewer::renew)
                                           .signal("finish", &renewer::finish);

private:
    int bumps_ = 0;
    bool renew_ = false, done_ = false;
};

}  // namespace

TEST_CASE("issue 16: an update carried over by continue-as-new keeps its id, and the same id joins it in the new run",
          "[update][continue_as_new][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_updates_per_run = 1}};
    renewer_runtime = &rt;
    auto h = rt.start_workflow(&renewer::run, 0, {.id = "r"});
    const auto first_run = h.describe().run_id;
    REQUIRE(ex.step());  // the first run sends itself the update and continues as new
    REQUIRE(h.describe().run_id != first_run);
    CHECK(h.describe().pending_updates == 1);
    CHECK(h.describe().pending_signals == 0);
    auto again = h.start_update({.id = "carried"}, &renewer::bump, 5);  // joins, and is not a second update
    ex.run_until_idle();
    CHECK(again.result() == 1);
    h.signal(&renewer::finish);
    ex.run_until_idle();
    CHECK(h.result() == 1);
    renewer_runtime = nullptr;
}

TEST_CASE("an update id finished by an earlier run of the chain is a new update in the next run, as in Temporal",
          "[update][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&renewer::run, 1, {.id = "r"});
    auto done = h.start_update({.id = "u"}, &renewer::bump, 1);
    auto cut = h.start_update({.id = "s"}, &renewer::slow_bump, 2);
    ex.advance(0s);
    h.signal(&renewer::renew);  // continues as new while "s" sleeps
    ex.advance(0s);
    CHECK(done.result() == 1);
    CHECK_THROWS_AS(cut.result(), coflow::update_unfinished);
    auto fresh = h.start_update({.id = "u"}, &renewer::bump, 5);
    auto retried = h.start_update({.id = "s"}, &renewer::slow_bump, 2);
    ex.advance(10s);
    CHECK(fresh.result() == 5);
    CHECK(retried.result() == 7);
    CHECK(done.result() == 1);
}

namespace {

// Its update answers with what coflow::info() says about the run's updates when it is delivered.
class looker {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    std::string look() const {
        const coflow::workflow_info i = coflow::info();
        return std::to_string(i.received_updates) + "/" + std::to_string(i.max_updates) + " pending " +
               std::to_string(i.pending_updates) + "+" + std::to_string(i.pending_signals) +
               (i.continue_as_new_suggested ? " suggested" : "");
    }
    std::string see() { return look(); }
    void poke() {}
    static constexpr auto definition =
        coflow::define<looker>("looker").run(&looker::run).update("see", &looker::see).signal("poke", &looker::poke);
};

}  // namespace

TEST_CASE("issue 16: coflow::info() counts the run's updates and suggests continue-as-new at 90% of max_updates_per_run",
          "[update][info][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_updates_per_run = 10}};
    auto h = rt.start_workflow(&looker::run, {.id = "l"});
    auto first = h.start_update(&looker::see);
    auto second = h.start_update(&looker::see);
    h.signal(&looker::poke);
    ex.advance(0s);
    CHECK(first.result() == "2/10 pending 1+1");  // the second update and the signal still wait
    CHECK(second.result() == "2/10 pending 0+1");
    std::vector<std::string> seen;
    for (int i = 3; i <= 10; ++i) {
        auto u = h.start_update(&looker::see);
        ex.advance(0s);
        seen.push_back(u.result());
    }
    CHECK(seen[5] == "8/10 pending 0+0");
    CHECK(seen[6] == "9/10 pending 0+0 suggested");  // 90% of the total limit, as Temporal suggests
    CHECK(seen[7] == "10/10 pending 0+0 suggested");
}

TEST_CASE("an update handle outlives its runtime", "[update][lifetime]") {
    coflow::deterministic_executor ex;
    std::optional<coflow::update_handle<int>> u;
    {
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&counter::run, {.id = "c"});
        u.emplace(h.start_update(&counter::set, 1));
        ex.run_until_idle();
    }
    CHECK(u->result() == 0);
}

TEST_CASE("an accepted update is recorded as update_accepted and update_completed with its id", "[update][history]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto u = h.start_update({.id = "u1"}, &counter::set, 4);
    auto f = h.start_update(&counter::fail, std::string("no"));
    ex.advance(0s);
    std::vector<std::string> seen;
    for (const auto& e : h.fetch_history()->events)
        if (e.kind == coflow::event_kind::update_accepted || e.kind == coflow::event_kind::update_completed) {
            std::string line = std::string(coflow::to_string(e.kind)) + " " + e.name;
            for (const auto& a : e.args) line += " " + a;
            seen.push_back(line);
        }
    CHECK(seen == std::vector<std::string>{"update_accepted set \"u1\" 4", "update_completed set \"u1\" 0",
                                           "update_accepted fail \"update-1\" \"no\"",
                                           "update_completed fail \"update-1\" \"no\""});
}

namespace {

// counter without its "set" update: code that changed since a history was recorded.
class counter_without_set {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return 0;
    }
    void add(int) {}
    void finish() { done_ = true; }
    static constexpr auto definition = coflow::define<counter_without_set>("counter")
                                           .run(&counter_without_set::run)
                                           .signal("add", &counter_without_set::add)
                                           .signal("finish", &counter_without_set::finish);

private:
    bool done_ = false;
};

}  // namespace

TEST_CASE("issue 16: a run with updates replays, each update fed where it was delivered",
          "[update][replay][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    auto before = h.start_update(&counter::set, 1);  // before the body's first line
    h.signal(&counter::add, 1);
    ex.advance(1s);
    auto slow = h.start_update(&counter::slow_set, 5);  // while the run is idle
    auto rejected = h.start_update(&counter::set, -3);
    h.signal(&counter::add, 2);
    auto failing = h.start_update(&counter::fail, std::string("no"));
    ex.advance(3s);
    h.signal(&counter::add, 4);
    auto between = h.start_update(&counter::set, 20);  // queued behind a signal
    ex.advance(0s);
    h.signal(&counter::finish);
    ex.run_until_idle();
    REQUIRE(h.result() == 5);
    CHECK(slow.result() == 10);
    CHECK(between.result() == 8);
    const auto recorded = h.fetch_history();
    CHECK_NOTHROW(coflow::replay(*recorded, counter::definition));
    CHECK_THROWS_WITH(coflow::replay(*recorded, counter_without_set::definition),
                      Catch::Matchers::Contains("no update 'set'"));
}

TEST_CASE("issue 16: update-with-start starts a new run or joins the running one, in one call",
          "[update][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    SECTION("a new id starts a run, and the update comes before the body's first line") {
        auto [h, u] = rt.update_with_start({.id = "c"}, std::tuple{}, &counter::set, 3);
        ex.advance(0s);
        CHECK(u.result() == 0);
        CHECK(h.query(&counter::log) == std::vector<std::string>{"set 3"});
        CHECK(h.status() == coflow::workflow_status::running);
    }
    SECTION("a running id gets the update only") {
        auto first = rt.start_workflow(&counter::run, {.id = "c"});
        first.signal(&counter::add, 2);
        ex.advance(0s);
        auto [h, u] = rt.update_with_start({.id = "c"}, std::tuple{}, &counter::set, 9);
        ex.advance(0s);
        CHECK(u.result() == 2);
        CHECK(h.describe().run_id == first.describe().run_id);
        CHECK(rt.size() == 1);
    }
    SECTION("a closed id starts a new run, as its reuse policy allows") {
        auto first = rt.start_workflow(&counter::run, {.id = "c"});
        first.signal(&counter::finish);
        ex.run_until_idle();
        const auto old_run = first.describe().run_id;
        CHECK_THROWS_AS(rt.update_with_start({.id = "c", .id_reuse = coflow::id_reuse_policy::reject_duplicate},
                                             std::tuple{}, &counter::set, 5),
                        coflow::workflow_already_started);
        auto [h, u] = rt.update_with_start({.id = "c"}, std::tuple{}, &counter::set, 4);
        ex.advance(0s);
        CHECK(u.result() == 0);
        CHECK(h.describe().run_id != old_run);
    }
}

namespace {

// Takes every update by name: "double" doubles its argument, anything else fails.
class catch_all {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return seen_ >= 2; });
        co_return seen_;
    }
    int any(std::string name, coflow::raw_args args) {
        ++seen_;
        if (name == "double") return 2 * args.get<int>(0);
        throw std::runtime_error("no such operation: " + name);
    }
    int named(int n) { return n; }
    static constexpr auto definition = coflow::define<catch_all>("catch_all")
                                           .run(&catch_all::run)
                                           .update("named", &catch_all::named)
                                           .dynamic_update(&catch_all::any);

private:
    int seen_ = 0;
};

}  // namespace

TEST_CASE("the dynamic update handler takes by-name updates no named one takes, and they replay",
          "[update][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&catch_all::run, {.id = "d"});
    auto named = h.start_update<int>("named", 5);
    auto doubled = h.start_update<int>("double", 21);
    auto other = h.start_update<int>("triple", 1);
    CHECK(error_of<coflow::argument_mismatch>([&] { (void)h.start_update<double>("half", 1); })
              .find("dynamic update 'half'") != std::string::npos);
    ex.run_until_idle();
    CHECK(named.result() == 5);
    CHECK(doubled.result() == 42);
    CHECK(error_of<coflow::update_failed>([&] { (void)other.result(); }).find("no such operation: triple") !=
          std::string::npos);
    CHECK(h.result() == 2);
    CHECK_NOTHROW(coflow::replay(*h.fetch_history(), catch_all::definition));
}

TEST_CASE("an untyped handle sends updates by name, to named and dynamic handlers", "[update]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&counter::run, {.id = "c"});
    (void)rt.start_workflow(&catch_all::run, {.id = "d"});
    auto c = rt.get_workflow_handle("c");
    auto d = rt.get_workflow_handle("d");
    auto set = c.start_update<int>({.id = "s"}, "set", 6);
    auto doubled = d.start_update<int>("double", 4);
    CHECK(error_of<coflow::unknown_update>([&] { (void)c.start_update<int>("nope"); }).find("known updates: [set") !=
          std::string::npos);
    CHECK(error_of<coflow::argument_mismatch>([&] { (void)c.start_update<int>("set", "six"); })
              .find("update 'set' expects (int), given (std::string)") != std::string::npos);
    CHECK(error_of<coflow::argument_mismatch>([&] { (void)c.start_update<long>("set", 6); })
              .find("result type int") != std::string::npos);
    ex.advance(0s);
    CHECK(set.result() == 0);
    CHECK(set.id() == "s");
    CHECK(doubled.result() == 8);
}
