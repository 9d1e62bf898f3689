// Signals: ordering, delivery before the body, channels, async handlers, by-name checks, limits.
#include <coflow/coflow.hpp>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// Records every signal in the order its handler ran.
class recorder {
public:
    coflow::workflow<std::vector<std::string>> run() {
        log_.push_back("body starts");
        co_await coflow::wait_condition([this] { return done_; });
        co_return log_;
    }
    void note(std::string s) { log_.push_back("note:" + s); }
    void number(int n) { log_.push_back("number:" + std::to_string(n)); }
    void finish() { done_ = true; }
    std::size_t size() const { return log_.size(); }

    static constexpr auto definition = coflow::define<recorder>("recorder")
                                           .run(&recorder::run)
                                           .signal("note", &recorder::note)
                                           .signal("number", &recorder::number)
                                           .signal("finish", &recorder::finish)
                                           .query("size", &recorder::size);

private:
    std::vector<std::string> log_;
    bool done_ = false;
};

// Reads int64 values from a channel until it has n of them.
class collector {
public:
    coflow::signal_channel<std::int64_t> values;

    coflow::workflow<std::vector<std::int64_t>> run(std::size_t n) {
        while (got_.size() < n) got_.push_back(co_await values.receive());
        co_return got_;
    }
    std::size_t count() const { return got_.size(); }

    static constexpr auto definition = coflow::define<collector>("collector")
                                           .run(&collector::run)
                                           .signal("value", &collector::values)
                                           .query("count", &collector::count);

private:
    std::vector<std::int64_t> got_;
};

// An async handler that awaits a timer before recording.
class slow_handler {
public:
    coflow::workflow<std::vector<std::string>> run() {
        log_.push_back("body starts");
        co_await coflow::wait_condition([this] { return finished_ >= 2; });
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return log_;
    }
    coflow::task<void> work(std::string name, int ms) {
        log_.push_back(name + " begins");
        co_await coflow::sleep(std::chrono::milliseconds(ms));
        log_.push_back(name + " ends");
        ++finished_;
    }
    static constexpr auto definition =
        coflow::define<slow_handler>("slow_handler").run(&slow_handler::run).signal("work", &slow_handler::work);

private:
    std::vector<std::string> log_;
    int finished_ = 0;
};

// Several argument types, received from one channel as tuples.
class pairs {
public:
    coflow::signal_channel<std::string, int> items;
    coflow::workflow<std::string> run() {
        std::string out;
        for (int i = 0; i < 2; ++i) {
            auto [s, n] = co_await items.receive();
            out += s + "=" + std::to_string(n) + ";";
        }
        co_return out;
    }
    static constexpr auto definition = coflow::define<pairs>("pairs").run(&pairs::run).signal("item", &pairs::items);
};

class drain {
public:
    coflow::signal_channel<int> in;
    coflow::workflow<std::vector<int>> run() {
        std::vector<int> out;
        if (auto none = in.try_receive(); !none) out.push_back(-1);
        co_await coflow::wait_condition([this] { return in.size() == 3; });
        while (auto v = in.try_receive()) out.push_back(*v);
        co_return out;
    }
    static constexpr auto definition = coflow::define<drain>("drain").run(&drain::run).signal("in", &drain::in);
};
class patient {
public:
    coflow::signal_channel<int> in;
    coflow::workflow<std::vector<std::string>> run() {
        std::vector<std::string> out;
        auto a = co_await in.receive(10s);
        out.push_back(a ? std::to_string(*a) : "timeout");
        auto b = co_await in.receive(10s);
        out.push_back(b ? std::to_string(*b) : "timeout");
        out.push_back(std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         coflow::now().time_since_epoch()).count()));
        co_return out;
    }
    static constexpr auto definition =
        coflow::define<patient>("patient").run(&patient::run).signal("in", &patient::in);
};
// Receives one value, waiting at most `timeout`.
class waits_for_one {
public:
    coflow::signal_channel<int> in;
    coflow::workflow<std::string> run(coflow::duration timeout) {
        auto v = co_await in.receive(timeout);
        co_return v ? std::to_string(*v) : "timeout";
    }
    static constexpr auto definition =
        coflow::define<waits_for_one>("waits_for_one").run(&waits_for_one::run).signal("in", &waits_for_one::in);
};
// A channel and a handler that looks at it: shows where channel values stand among handler signals.
class mixed {
public:
    coflow::signal_channel<int> items;
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return done_; });
        while (auto v = items.try_receive()) log_.push_back("item:" + std::to_string(*v));
        co_return log_;
    }
    void look() { log_.push_back("look sees " + std::to_string(items.size())); }
    void finish() { done_ = true; }
    std::size_t queued() const { return items.size(); }
    static constexpr auto definition = coflow::define<mixed>("mixed")
                                           .run(&mixed::run)
                                           .signal("item", &mixed::items)
                                           .signal("look", &mixed::look)
                                           .signal("finish", &mixed::finish)
                                           .query("queued", &mixed::queued);

private:
    std::vector<std::string> log_;
    bool done_ = false;
};
class partial {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    void a() {}
    void b() {}
    static constexpr auto definition = coflow::define<partial>("partial").run(&partial::run).signal("a", &partial::a);
};

}  // namespace

TEST_CASE("signals reach a workflow in the order they were accepted, typed and by name alike", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&recorder::run, {.id = "rec"});
    ex.run_until_idle();
    auto by_name = rt.get_workflow_handle("rec");
    h.signal(&recorder::note, "a");
    by_name.signal("number", 1);
    h.signal(&recorder::number, 2);
    by_name.signal("note", std::string("b"));
    h.signal(&recorder::note, "c");
    by_name.signal("finish");
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"body starts", "note:a", "number:1", "number:2", "note:b", "note:c"});
}

TEST_CASE("signals sent before the body first runs are handled before its first line", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&recorder::run, {.id = "early"});
    h.signal(&recorder::note, "first");
    h.signal(&recorder::number, 7);
    CHECK(h.describe().pending_signals == 2);
    ex.run_until_idle();
    CHECK(h.describe().pending_signals == 0);
    h.signal(&recorder::finish);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"note:first", "number:7", "body starts"});
}

TEST_CASE("a signal is accepted at once but its handler runs only when the executor runs the workflow", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&recorder::run, {.id = "lazy"});
    ex.run_until_idle();
    h.signal(&recorder::note, "x");
    CHECK(h.query(&recorder::size) == 1);  // only "body starts"
    CHECK(h.describe().received_signals == 1);
    ex.run_until_idle();
    CHECK(h.query(&recorder::size) == 2);
}

TEST_CASE("thousands of interleaved signals across many workflows arrive in order and none is lost", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    constexpr int workflows = 40;
    constexpr std::size_t per_workflow = 2'500;
    std::vector<coflow::workflow_handle<collector>> hs;
    for (int w = 0; w < workflows; ++w)
        hs.push_back(rt.start_workflow(&collector::run, per_workflow, {.id = "c-" + std::to_string(w)}));
    coflow::detail::splitmix64 pick(42);
    std::vector<std::int64_t> next(workflows, 0);
    std::size_t sent = 0;
    while (sent < workflows * per_workflow) {
        const auto w = static_cast<std::size_t>(pick.uniform(0, workflows - 1));
        if (static_cast<std::size_t>(next[w]) == per_workflow) continue;
        if (pick.uniform(0, 1) == 0) hs[w].signal(&collector::values, next[w]++);
        else rt.get_workflow_handle("c-" + std::to_string(w)).signal("value", std::int64_t{next[w]++});
        ++sent;
        switch (pick.uniform(0, 9)) {  // drive the executor at random points
            case 0: ex.run_until_idle(); break;
            case 1: ex.step(); break;
            default: break;
        }
    }
    ex.run_until_idle();
    for (int w = 0; w < workflows; ++w) {
        REQUIRE(hs[static_cast<std::size_t>(w)].status() == coflow::workflow_status::completed);
        auto got = hs[static_cast<std::size_t>(w)].result();
        REQUIRE(got.size() == per_workflow);
        for (std::size_t i = 0; i < per_workflow; ++i) REQUIRE(got[i] == static_cast<std::int64_t>(i));
    }
}

TEST_CASE("a signal channel queues values until received, and try_receive never suspends", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&drain::run);
    ex.run_until_idle();
    h.signal(&drain::in, 5);
    h.signal(&drain::in, 6);
    h.signal("in", 7);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<int>{-1, 5, 6, 7});
}

TEST_CASE("a channel of several types yields tuples in order", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&pairs::run);
    h.signal(&pairs::items, "a", 1);
    rt.get_workflow_handle(h.id()).signal("item", "b", 2);
    ex.run_until_idle();
    CHECK(h.result() == "a=1;b=2;");
}

TEST_CASE("receive with a timeout yields nullopt when no signal comes in time", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&patient::run);
    ex.advance(10s);  // the first receive times out at t = 10s; the second waits
    CHECK(ex.now().time_since_epoch() == 10s);
    ex.advance(3s);
    h.signal(&patient::in, 42);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"timeout", "42", "13"});
}

TEST_CASE("an async signal handler runs to its first suspension before the body, then interleaves", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&slow_handler::run);
    h.signal(&slow_handler::work, "slow", 20);
    h.signal("work", "fast", 10);
    ex.run_until_idle();
    CHECK(h.result() ==
          std::vector<std::string>{"slow begins", "fast begins", "body starts", "fast ends", "slow ends"});
    CHECK(ex.now().time_since_epoch() == 20ms);
}

TEST_CASE("describe counts running async handlers", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&slow_handler::run);
    h.signal(&slow_handler::work, "a", 5);
    ex.advance(1ms);
    CHECK(h.describe().running_handlers == 1);
    ex.advance(10ms);
    CHECK(h.describe().running_handlers == 0);
}

TEST_CASE("an unknown signal name is rejected at the sender, naming the known signals", "[signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&recorder::run, {.id = "r1"});
    try {
        rt.get_workflow_handle("r1").signal("nope", 1);
        FAIL("no exception");
    } catch (const coflow::unknown_signal& e) {
        const std::string what = e.what();
        CHECK(e.code() == coflow::errc::unknown_signal);
        CHECK(what.find("'r1'") != std::string::npos);
        CHECK(what.find("'nope'") != std::string::npos);
        CHECK(what.find("note, number, finish") != std::string::npos);
    }
    CHECK(h.describe().received_signals == 0);
}

TEST_CASE("by-name arguments of the wrong types are rejected naming expected and given types", "[signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&recorder::run, {.id = "r2"});
    auto u = rt.get_workflow_handle("r2");
    try {
        u.signal("number", std::string("seven"));
        FAIL("no exception");
    } catch (const coflow::argument_mismatch& e) {
        const std::string what = e.what();
        CHECK(what.find("'r2'") != std::string::npos);
        CHECK(what.find("'number'") != std::string::npos);
        CHECK(what.find("expects (int)") != std::string::npos);
        CHECK(what.find("given (std::string)") != std::string::npos);
    }
    CHECK_THROWS_AS(u.signal("number"), coflow::argument_mismatch);          // too few
    CHECK_THROWS_AS(u.signal("number", 1, 2), coflow::argument_mismatch);    // too many
    CHECK_THROWS_AS(u.signal("number", 1L), coflow::argument_mismatch);      // long is not int
    CHECK_THROWS_AS(u.signal("finish", true), coflow::argument_mismatch);
    CHECK(h.describe().received_signals == 0);  // nothing was half-delivered
    u.signal("note", "a literal is a std::string");
    CHECK(h.describe().received_signals == 1);
}

TEST_CASE("a typed signal to a member that is not registered is rejected", "[signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&partial::run);
    CHECK_NOTHROW(h.signal(&partial::a));
    CHECK_THROWS_AS(h.signal(&partial::b), coflow::unknown_signal);
    CHECK(h.describe().received_signals == 1);
}

TEST_CASE("signals to an unknown id or a closed workflow fail at the sender", "[signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK_THROWS_AS(rt.get_workflow_handle("ghost").signal("note", "x"), coflow::workflow_not_found);
    auto h = rt.start_workflow(&recorder::run, {.id = "short"});
    h.signal(&recorder::finish);
    ex.run_until_idle();
    REQUIRE(h.is_closed());
    try {
        h.signal(&recorder::note, "late");
        FAIL("no exception");
    } catch (const coflow::workflow_closed& e) {
        CHECK(std::string(e.what()).find("'short'") != std::string::npos);
        CHECK(std::string(e.what()).find("completed") != std::string::npos);
    }
    CHECK_THROWS_AS(rt.get_workflow_handle("short").signal("note", "late"), coflow::workflow_closed);
}

TEST_CASE("past the received-signal limit the sender gets signal_limit_exceeded and nothing is lost", "[signal][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 5}};
    auto h = rt.start_workflow(&collector::run, std::size_t{5}, {.id = "limited"});
    for (std::int64_t i = 0; i < 5; ++i) h.signal(&collector::values, i);
    try {
        h.signal(&collector::values, 5);
        FAIL("no exception");
    } catch (const coflow::signal_limit_exceeded& e) {
        const std::string what = e.what();
        CHECK(what.find("'limited'") != std::string::npos);
        CHECK(what.find("'value'") != std::string::npos);
        CHECK(what.find("max_received_signals_per_run") != std::string::npos);
        CHECK(what.find("5") != std::string::npos);
    }
    CHECK(h.describe().received_signals == 5);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("the default received-signal limit is Temporal's 10,000 per run", "[signal][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK(rt.options().max_received_signals_per_run == 10'000);
    auto h = rt.start_workflow(&collector::run, std::size_t{20'000});
    for (std::int64_t i = 0; i < 10'000; ++i) h.signal(&collector::values, i);
    CHECK_THROWS_AS(h.signal(&collector::values, 10'000), coflow::signal_limit_exceeded);
    ex.run_until_idle();
    CHECK(h.query(&collector::count) == 10'000);
}

TEST_CASE("a channel value accepted with nothing queued ahead is in the channel at once, and order holds", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&mixed::run, {.id = "mixed"});
    ex.run_until_idle();
    h.signal(&mixed::items, 1);  // nothing queued ahead: straight into the channel
    CHECK(h.query(&mixed::queued) == 1);
    CHECK(h.describe().pending_signals == 1);  // still pending for the run: it has not run since
    h.signal(&mixed::look);                     // a handler: waits in the inbox
    rt.get_workflow_handle("mixed").signal("item", 2);  // queued behind the handler, so it waits too
    CHECK(h.query(&mixed::queued) == 1);
    h.signal(&mixed::look);
    h.signal(&mixed::finish);
    CHECK(h.describe().pending_signals == 5);
    ex.run_until_idle();
    CHECK(h.describe().pending_signals == 0);
    // Each handler saw exactly the channel values accepted before it.
    CHECK(h.result() == std::vector<std::string>{"look sees 1", "look sees 2", "item:1", "item:2"});
}

TEST_CASE("a condition on a channel wakes for a value put in the channel as it was accepted", "[signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&drain::run);
    ex.run_until_idle();
    for (int v = 5; v < 8; ++v) {
        h.signal(&drain::in, v);
        ex.run_until_idle();  // one value per activation: the condition is tested after each
    }
    REQUIRE(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() == std::vector<int>{-1, 5, 6, 7});
}

TEST_CASE("issue 14: receive with duration::max() waits for a value only and never moves the clock",
          "[signal][regression]") {
    constexpr auto forever = coflow::duration::max();
    struct scenario {
        coflow::duration clock, timeout;
    };
    for (const auto [clock, timeout] : {scenario{0s, forever}, scenario{5s, forever}, scenario{5s, forever - 1s}}) {
        {
            CAPTURE(clock.count(), timeout.count());
            coflow::deterministic_executor ex;
            coflow::runtime rt{ex};
            ex.advance(clock);
            auto h = rt.start_workflow(&waits_for_one::run, timeout);
            ex.run_until_idle();
            CHECK_FALSE(h.is_closed());
            CHECK(ex.now().time_since_epoch() == clock);
            CHECK(ex.idle());
            ex.advance(1h);
            h.signal(&waits_for_one::in, 42);
            ex.run_until_idle();
            CHECK(h.result() == "42");
        }
    }
}

TEST_CASE("issue 14: receive with a negative timeout times out at once, as a zero one does", "[signal][regression]") {
    for (const coflow::duration timeout : {coflow::duration(-1ns), coflow::duration::min()}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        ex.advance(5s);
        auto h = rt.start_workflow(&waits_for_one::run, timeout);
        ex.run_until_idle();
        CHECK(h.result() == "timeout");
        CHECK(ex.now().time_since_epoch() == 5s);
    }
}
