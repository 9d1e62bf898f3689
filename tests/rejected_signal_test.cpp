// A rejected signal takes nothing: arguments passed with std::move are intact after every refusal, typed
// and by name, from a client, with a start, and from workflow code, so that sending again works.
#include <coflow/coflow.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

namespace {

// Too long for the short-string buffer: a moved-from copy is visibly empty.
const std::string payload = "a payload longer than any short-string buffer";

class basket {
public:
    coflow::signal_channel<std::string> notes;
    coflow::workflow<std::vector<std::string>> run() {
        co_await coflow::wait_condition([this] { return done_; });
        while (auto n = notes.try_receive()) items_.push_back("note:" + *n);
        co_return items_;
    }
    void add(std::string item) { items_.push_back(std::move(item)); }
    void keep(counted) { items_.push_back("counted"); }
    void count(int n) { items_.push_back(std::to_string(n)); }
    void finish() { done_ = true; }
    void secret(std::string) {}  // not registered as a signal
    [[nodiscard]] std::vector<std::string> items() const { return items_; }
    static constexpr auto definition = coflow::define<basket>("basket")
                                           .run(&basket::run)
                                           .signal("add", &basket::add)
                                           .signal("keep", &basket::keep)
                                           .signal("note", &basket::notes)
                                           .signal("count", &basket::count)
                                           .signal("finish", &basket::finish)
                                           .query("items", &basket::items);

private:
    std::vector<std::string> items_;
    bool done_ = false;
};

// Takes every by-name signal no named one takes.
class catchall {
public:
    coflow::workflow<std::size_t> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return seen_;
    }
    void finish() { done_ = true; }
    void any(std::string, coflow::raw_args) { ++seen_; }
    static constexpr auto definition = coflow::define<catchall>("catchall")
                                           .run(&catchall::run)
                                           .signal("finish", &catchall::finish)
                                           .dynamic_signal(&catchall::any);

private:
    std::size_t seen_ = 0;
    bool done_ = false;
};

enum class refusal { limit, closed };

// A catchall run under `id` that refuses the next signal for `why`: it has reached the limit of 2 (the
// runtime is made with it), or it was terminated.
void make_refusing_catchall(coflow::runtime& rt, coflow::deterministic_executor& ex, std::string id, refusal why) {
    auto h = rt.start_workflow(&catchall::run, {.id = std::move(id)});
    if (why == refusal::limit) {
        h.signal("padding-1");
        h.signal("padding-2");
    } else {
        h.terminate();
    }
    ex.run_until_idle();
}

}  // namespace

TEST_CASE("issue 14: a typed signal refused for the limit or a closed run leaves moved arguments intact",
          "[signal][regression]") {
    for (const refusal why : {refusal::limit, refusal::closed}) {
        CAPTURE(why == refusal::limit ? "limit" : "closed");
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.max_received_signals_per_run = 2}};
        auto h = rt.start_workflow(&basket::run, {.id = "b"});
        if (why == refusal::limit) {
            h.signal(&basket::count, 1);
            h.signal(&basket::count, 2);
        } else {
            h.terminate();
        }
        const auto expected = [&](auto&& send) {
            if (why == refusal::limit) CHECK_THROWS_AS(send(), coflow::signal_limit_exceeded);
            else CHECK_THROWS_AS(send(), coflow::workflow_closed);
        };

        std::string s = payload;
        expected([&] { h.signal(&basket::add, std::move(s)); });
        CHECK(s == payload);
        expected([&] { h.signal(&basket::notes, std::move(s)); });  // a channel: the fast path checks first too
        CHECK(s == payload);
        counted c;
        counted::reset();
        expected([&] { h.signal(&basket::keep, std::move(c)); });
        CHECK(counted::created == 0);  // not even moved into a delivery and dropped

        // Sending again works: here to a fresh run.
        auto again = rt.start_workflow(&basket::run, {.id = "b2"});
        again.signal(&basket::add, std::move(s));
        again.signal(&basket::finish);
        ex.run_until_idle();
        CHECK(again.result() == std::vector<std::string>{payload});
    }
}

TEST_CASE("issue 14: a typed signal to an unregistered member leaves moved arguments intact",
          "[signal][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&basket::run, {.id = "b"});
    std::string s = payload;
    CHECK_THROWS_AS(h.signal(&basket::secret, std::move(s)), coflow::unknown_signal);
    CHECK(s == payload);
}

TEST_CASE("issue 14: a signal by name refused for any reason leaves moved arguments intact",
          "[signal][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 3}};
    auto open = rt.start_workflow(&basket::run, {.id = "open"});
    auto full = rt.start_workflow(&basket::run, {.id = "full"});
    for (int i = 0; i < 3; ++i) full.signal(&basket::count, i);
    auto closed = rt.start_workflow(&basket::run, {.id = "closed"});
    closed.terminate();
    const auto by_name = [&](const char* id) { return rt.get_workflow_handle(id); };

    std::string s = payload;
    CHECK_THROWS_AS(by_name("full").signal("add", std::move(s)), coflow::signal_limit_exceeded);
    CHECK(s == payload);
    CHECK_THROWS_AS(by_name("full").signal("note", std::move(s)), coflow::signal_limit_exceeded);
    CHECK(s == payload);
    CHECK_THROWS_AS(by_name("closed").signal("add", std::move(s)), coflow::workflow_closed);
    CHECK(s == payload);
    CHECK_THROWS_AS(by_name("open").signal("no-such-signal", std::move(s)), coflow::unknown_signal);
    CHECK(s == payload);
    CHECK_THROWS_AS(by_name("open").signal("count", std::move(s)), coflow::argument_mismatch);
    CHECK(s == payload);
    CHECK_THROWS_AS(by_name("nobody").signal("add", std::move(s)), coflow::workflow_not_found);
    CHECK(s == payload);

    counted c;
    counted::reset();
    CHECK_THROWS_AS(by_name("full").signal("keep", std::move(c)), coflow::signal_limit_exceeded);
    CHECK_THROWS_AS(by_name("closed").signal("keep", std::move(c)), coflow::workflow_closed);
    CHECK_THROWS_AS(by_name("open").signal("no-such-signal", std::move(c)), coflow::unknown_signal);
    CHECK_THROWS_AS(by_name("open").signal("add", std::move(c)), coflow::argument_mismatch);
    CHECK(counted::created == 0);

    // Sending again works.
    by_name("open").signal("add", std::move(s));
    by_name("open").signal("keep", std::move(c));
    open.signal(&basket::finish);
    ex.run_until_idle();
    CHECK(open.result() == std::vector<std::string>{payload, "counted"});
}

TEST_CASE("issue 14: a signal by name copies an lvalue argument, whether it is accepted or refused",
          "[signal][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 1}};
    auto h = rt.start_workflow(&basket::run, {.id = "b"});
    std::string s = payload;
    rt.get_workflow_handle("b").signal("add", s);
    CHECK(s == payload);
    CHECK_THROWS_AS(rt.get_workflow_handle("b").signal("add", s), coflow::signal_limit_exceeded);
    CHECK(s == payload);
    ex.run_until_idle();
    CHECK(h.query(&basket::items) == std::vector<std::string>{payload});
}

TEST_CASE("issue 14: a signal for a dynamic handler refused for the limit or a closed run leaves moved arguments intact",
          "[signal][regression]") {
    for (const refusal why : {refusal::limit, refusal::closed}) {
        CAPTURE(why == refusal::limit ? "limit" : "closed");
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.max_received_signals_per_run = 2}};
        make_refusing_catchall(rt, ex, "c", why);
        std::string s = payload;
        counted c;
        counted::reset();
        if (why == refusal::limit) {
            CHECK_THROWS_AS(rt.get_workflow_handle("c").signal("anything", std::move(s), std::move(c)),
                            coflow::signal_limit_exceeded);
        } else {
            CHECK_THROWS_AS(rt.get_workflow_handle("c").signal("anything", std::move(s), std::move(c)),
                            coflow::workflow_closed);
        }
        CHECK(s == payload);
        CHECK(counted::created == 0);
    }
}

TEST_CASE("issue 14: a refused signal-with-start leaves its options intact, so the same start can be made again",
          "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 2}};
    auto first = rt.start_workflow(&basket::run, {.id = "b"});
    first.signal(&basket::count, 1);
    first.signal(&basket::count, 2);

    std::string s = payload;
    coflow::start_options opts{.id = "b", .start_signal = "add", .start_signal_args = coflow::args(std::move(s))};
    CHECK_THROWS_AS(rt.start_workflow(&basket::run, std::move(opts)), coflow::signal_limit_exceeded);
    opts.start_signal = "count";  // the wrong type now
    CHECK_THROWS_AS(rt.start_workflow(&basket::run, std::move(opts)), coflow::argument_mismatch);
    opts.start_signal = "no-such-signal";
    CHECK_THROWS_AS(rt.start_workflow(&basket::run, std::move(opts)), coflow::unknown_signal);
    CHECK(opts.id == "b");

    // The run under "b" closes; the same start then starts a new run with the same signal.
    first.terminate();
    opts.start_signal = "add";
    auto second = rt.start_workflow(&basket::run, std::move(opts));
    second.signal(&basket::finish);
    ex.run_until_idle();
    CHECK(second.result() == std::vector<std::string>{payload});
}

TEST_CASE("issue 14: a refused signal-with-start takes nothing out of its arguments", "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 2}};
    auto first = rt.start_workflow(&basket::run, {.id = "b"});
    first.signal(&basket::count, 1);
    first.signal(&basket::count, 2);
    coflow::start_options opts{.id = "b", .start_signal = "keep", .start_signal_args = coflow::args(counted{})};
    counted::reset();
    CHECK_THROWS_AS(rt.start_workflow(&basket::run, std::move(opts)), coflow::signal_limit_exceeded);
    CHECK(counted::created == 0);
}

namespace {

// Sends `target` a signal with a moved payload from workflow code, past the outgoing limit of 1 (the
// runtime is made with it), typed and by name: the refused calls leave the payload with the sender.
class pusher {
public:
    coflow::workflow<std::vector<std::string>> run(std::string target) {
        const auto typed = coflow::get_external_workflow_handle_for<basket>(target);
        const auto named = coflow::get_external_workflow_handle(target);
        std::vector<std::string> out;
        auto first = typed.signal(&basket::count, 1);  // pending: the limit is reached
        std::string s = payload;
        try {
            (void)typed.signal(&basket::add, std::move(s));
        } catch (const coflow::signal_limit_exceeded&) {
            out.push_back(s == payload ? "typed intact" : "typed taken");
        }
        try {
            (void)named.signal("add", std::move(s));
        } catch (const coflow::signal_limit_exceeded&) {
            out.push_back(s == payload ? "named intact" : "named taken");
        }
        co_await first;
        co_await typed.signal(&basket::add, std::move(s));  // sending again works
        out.push_back("sent");
        co_return out;
    }
    static constexpr auto definition = coflow::define<pusher>("pusher").run(&pusher::run);
};

}  // namespace

TEST_CASE("issue 14: an external signal past the outgoing limit leaves moved arguments with the sender",
          "[external_handle][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_pending_outgoing_signals = 1}};
    auto target = rt.start_workflow(&basket::run, {.id = "b"});
    auto h = rt.start_workflow(&pusher::run, "b");
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"typed intact", "named intact", "sent"});
    CHECK(target.query(&basket::items) == std::vector<std::string>{"1", payload});
}
