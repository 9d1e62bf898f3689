// Cancellation is a state, not an event: only the first request reaches the body, whoever sends the next.
#include <coflow/coflow.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// Catches every cancellation and waits on, counting how often it was told.
class stubborn {
public:
    coflow::workflow<int> run() {
        while (!done_) {
            try {
                co_await coflow::wait_condition([this] { return done_; });
            } catch (const coflow::cancelled&) {
                ++caught_;
            }
        }
        co_return caught_;
    }
    void finish() { done_ = true; }
    [[nodiscard]] int caught() const { return caught_; }
    static constexpr auto definition = coflow::define<stubborn>("stubborn")
                                           .run(&stubborn::run)
                                           .signal("finish", &stubborn::finish)
                                           .query("caught", &stubborn::caught);

private:
    bool done_ = false;
    int caught_ = 0;
};

// Asks `target` to cancel from workflow code when told to, and reports how the request went.
class canceller {
public:
    coflow::workflow<std::string> run(std::string target) {
        co_await coflow::wait_condition([this] { return go_; });
        try {
            co_await coflow::get_external_workflow_handle(target).cancel();
        } catch (const coflow::error& e) {
            co_return std::string(coflow::to_string(e.code()));
        }
        co_return "ok";
    }
    void go() { go_ = true; }
    static constexpr auto definition =
        coflow::define<canceller>("canceller").run(&canceller::run).signal("go", &canceller::go);

private:
    bool go_ = false;
};

// Starts a stubborn child it abandons on close, then waits to be cancelled.
class guardian {
public:
    coflow::workflow<void> run() {
        auto child = coflow::start_child_workflow(&stubborn::run,
                                                  {.id = "ward", .parent_close = coflow::parent_close_policy::abandon});
        co_await coflow::wait_condition([] { return false; });
    }
    static constexpr auto definition = coflow::define<guardian>("guardian").run(&guardian::run);
};

std::size_t cancel_events(const coflow::history& h) {
    std::size_t n = 0;
    for (const auto& e : h.events)
        if (e.kind == coflow::event_kind::cancel_requested) ++n;
    return n;
}

}  // namespace

TEST_CASE("issue 14: a second cancel from a client handle does not reach a body that caught the first",
          "[handle][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&stubborn::run, {.id = "s"});
    ex.run_until_idle();
    h.cancel();
    ex.run_until_idle();
    REQUIRE(h.query(&stubborn::caught) == 1);
    CHECK(h.describe().cancel_requested);  // still requested after the body caught it

    h.cancel();  // only the first request counts
    rt.get_workflow_handle("s").cancel();
    ex.run_until_idle();
    CHECK(h.query(&stubborn::caught) == 1);
    CHECK(h.describe().cancel_requested);
    CHECK(cancel_events(*h.fetch_history()) == 1);

    h.signal(&stubborn::finish);
    ex.run_until_idle();
    CHECK(h.result() == 1);
}

TEST_CASE("issue 14: a cancel from an external handle does not reach a body that caught an earlier one",
          "[external_handle][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&stubborn::run, {.id = "s"});
    auto c = rt.start_workflow(&canceller::run, "s", {.id = "c"});
    ex.run_until_idle();
    h.cancel();
    ex.run_until_idle();
    REQUIRE(h.query(&stubborn::caught) == 1);

    c.signal(&canceller::go);
    ex.run_until_idle();
    CHECK(c.result() == "ok");  // accepted: the run is open, the request is simply already made
    CHECK(h.query(&stubborn::caught) == 1);
    CHECK(h.describe().cancel_requested);
    CHECK(cancel_events(*h.fetch_history()) == 1);
}

TEST_CASE("issue 14: a parent's cancellation does not reach a child that caught an earlier cancel",
          "[child][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto parent = rt.start_workflow(&guardian::run, {.id = "g"});
    ex.run_until_idle();
    auto ward = rt.get_workflow_handle_for<stubborn>("ward");
    ward.cancel();
    ex.run_until_idle();
    REQUIRE(ward.query(&stubborn::caught) == 1);

    parent.cancel();
    ex.run_until_idle();
    CHECK(parent.status() == coflow::workflow_status::cancelled);
    CHECK(ward.query(&stubborn::caught) == 1);
    CHECK(ward.describe().cancel_requested);
    CHECK(cancel_events(*ward.fetch_history()) == 1);
    ward.signal(&stubborn::finish);
    ex.run_until_idle();
    CHECK(ward.result() == 1);
}

TEST_CASE("issue 14: a body that caught its cancellation awaits, sleeps and receives as usual afterwards",
          "[handle][cancel][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&stubborn::run, {.id = "s"});
    h.cancel();  // before the body starts: delivered at its first wait
    ex.run_until_idle();
    REQUIRE(h.query(&stubborn::caught) == 1);
    CHECK(h.describe().cancel_requested);
    CHECK_FALSE(h.is_closed());  // the second wait suspends: the request was delivered once
    CHECK(h.describe().waiting_on == std::vector<std::string>{"body: wait_condition"});
    h.signal(&stubborn::finish);
    ex.run_until_idle();
    CHECK(h.result() == 1);
}
