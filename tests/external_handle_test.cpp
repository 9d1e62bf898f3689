// External handles: signalling and cancelling one workflow from another; outgoing limits and errors.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

namespace {

class inbox_wf {
public:
    coflow::signal_channel<std::string> notes;
    coflow::workflow<std::vector<std::string>> run(std::size_t n) {
        std::vector<std::string> got;
        while (got.size() < n) got.push_back(co_await notes.receive());
        co_return got;
    }
    void poke() { ++pokes_; }
    int pokes() const { return pokes_; }
    static constexpr auto definition = coflow::define<inbox_wf>("inbox")
                                           .run(&inbox_wf::run)
                                           .signal("note", &inbox_wf::notes)
                                           .signal("poke", &inbox_wf::poke)
                                           .query("pokes", &inbox_wf::pokes);

private:
    int pokes_ = 0;
};

// Sends `count` notes to `target`, typed or by name, and reports what happened.
class sender {
public:
    coflow::workflow<std::string> run(std::string target, int count, bool typed) {
        try {
            for (int i = 0; i < count; ++i) {
                if (typed)
                    co_await coflow::get_external_workflow_handle_for<inbox_wf>(target).signal(
                        &inbox_wf::notes, "typed-" + std::to_string(i));
                else
                    co_await coflow::get_external_workflow_handle(target).signal("note", "named-" + std::to_string(i));
                ++sent_;
            }
        } catch (const coflow::error& e) {
            co_return std::string(coflow::to_string(e.code()));
        }
        co_return "ok";
    }
    int sent() const { return sent_; }
    static constexpr auto definition = coflow::define<sender>("sender").run(&sender::run).query("sent", &sender::sent);

private:
    int sent_ = 0;
};

// Fires `count` pokes without awaiting them one by one, then awaits them all.
class burst {
public:
    coflow::workflow<std::string> run(int count) {
        std::vector<coflow::detail::outgoing_awaiter> pending;
        std::string outcome = "ok";
        try {
            for (int i = 0; i < count; ++i) {
                pending.push_back(coflow::get_external_workflow_handle("target").signal("poke"));
                seen_pending_ = coflow::info().pending_outgoing_signals;
            }
        } catch (const coflow::signal_limit_exceeded& e) {
            outcome = e.what();
        }
        for (auto& p : pending) co_await p;
        co_return outcome;
    }
    std::size_t seen_pending() const { return seen_pending_; }
    static constexpr auto definition =
        coflow::define<burst>("burst").run(&burst::run).query("seen_pending", &burst::seen_pending);

private:
    std::size_t seen_pending_ = 0;
};

class fire_and_forget {
public:
    coflow::workflow<int> run(std::string target) {
        (void)coflow::get_external_workflow_handle(target).signal("poke");  // dropped unawaited
        co_await coflow::sleep(1s);
        co_return 1;
    }
    static constexpr auto definition = coflow::define<fire_and_forget>("fire_and_forget").run(&fire_and_forget::run);
};

class canceller {
public:
    coflow::workflow<void> run(std::string target) { co_await coflow::get_external_workflow_handle(target).cancel(); }
    static constexpr auto definition = coflow::define<canceller>("canceller").run(&canceller::run);
};

class napper {
public:
    coflow::workflow<void> run() { co_await coflow::sleep(1h); }
    static constexpr auto definition = coflow::define<napper>("napper").run(&napper::run);
};


// A signal argument that g++ 12 destroys twice when it is made inside a co_await expression.
struct order_line {
    counted probe;
    std::string item;
    int qty = 0;
};

class order_book {
public:
    coflow::workflow<std::vector<std::string>> run(std::size_t n) {
        co_await coflow::wait_condition([this, n] { return lines_.size() == n; });
        co_return lines_;
    }
    void add(order_line l) { lines_.push_back(l.item + "x" + std::to_string(l.qty)); }
    static constexpr auto definition =
        coflow::define<order_book>("order_book").run(&order_book::run).signal("add", &order_book::add);

private:
    std::vector<std::string> lines_;
};

// Sends lines made in place: each awaited send is a statement of its own (co_await refuses the temporary).
class order_clerk {
public:
    coflow::workflow<int> run(std::string book) {
        auto typed = coflow::get_external_workflow_handle_for<order_book>(book);
        auto sent = typed.signal(&order_book::add, order_line{{}, "pen", 2});
        co_await sent;
        auto by_name = coflow::get_external_workflow_handle(book).signal("add", order_line{{}, "ink", 1});
        co_await by_name;
        (void)typed.signal(&order_book::add, order_line{{}, "pad", 3});  // not awaited: no co_await at all
        co_return 3;
    }
    static constexpr auto definition = coflow::define<order_clerk>("order_clerk").run(&order_clerk::run);
};

}  // namespace

TEST_CASE("a workflow signals another through an external handle, in order, typed and by name", "[external_handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto target = rt.start_workflow(&inbox_wf::run, std::size_t{6}, {.id = "target"});
    auto a = rt.start_workflow(&sender::run, "target", 3, true);
    auto b = rt.start_workflow(&sender::run, "target", 3, false);
    ex.run_until_idle();
    CHECK(a.result() == "ok");
    CHECK(b.result() == "ok");
    const auto got = target.result();
    std::vector<std::string> typed, named;
    for (const auto& s : got) (s.rfind("typed", 0) == 0 ? typed : named).push_back(s);
    CHECK(typed == std::vector<std::string>{"typed-0", "typed-1", "typed-2"});
    CHECK(named == std::vector<std::string>{"named-0", "named-1", "named-2"});
}

TEST_CASE("signalling a missing or closed workflow throws at the awaiting point", "[external_handle][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto missing = rt.start_workflow(&sender::run, "nobody", 1, false);
    auto target = rt.start_workflow(&inbox_wf::run, std::size_t{0}, {.id = "done-already"});
    ex.run_until_idle();
    REQUIRE(target.is_closed());
    auto closed = rt.start_workflow(&sender::run, "done-already", 1, true);
    ex.run_until_idle();
    CHECK(missing.result() == "workflow_not_found");
    CHECK(closed.result() == "workflow_closed");
    CHECK(missing.query(&sender::sent) == 0);
}

TEST_CASE("a typed external handle on a workflow of another type fails with workflow_type_mismatch", "[external_handle][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&napper::run, {.id = "target"});
    auto s = rt.start_workflow(&sender::run, "target", 1, true);
    ex.run_until_idle();
    CHECK(s.result() == "workflow_type_mismatch");
}

TEST_CASE("the target's received-signal limit reaches the sending workflow", "[external_handle][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 2}};
    auto target = rt.start_workflow(&inbox_wf::run, std::size_t{10}, {.id = "target"});
    auto s = rt.start_workflow(&sender::run, "target", 5, false);
    ex.run_until_idle();
    CHECK(s.result() == "signal_limit_exceeded");
    CHECK(s.query(&sender::sent) == 2);
    CHECK(target.describe().received_signals == 2);
}

TEST_CASE("past the pending outgoing limit the sender gets signal_limit_exceeded and nothing is lost", "[external_handle][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_pending_outgoing_signals = 3}};
    auto target = rt.start_workflow(&inbox_wf::run, std::size_t{1'000}, {.id = "target"});
    auto b = rt.start_workflow(&burst::run, 5, {.id = "burst"});
    ex.run_until_idle();
    const std::string outcome = b.result();
    CHECK(outcome.find("[coflow.signal_limit_exceeded]") != std::string::npos);
    CHECK(outcome.find("'burst'") != std::string::npos);
    CHECK(outcome.find("'target'") != std::string::npos);
    CHECK(outcome.find("max_pending_outgoing_signals") != std::string::npos);
    CHECK(b.query(&burst::seen_pending) == 3);
    CHECK(target.query(&inbox_wf::pokes) == 3);  // the three that were taken all arrived
}

TEST_CASE("the default pending outgoing limit is Temporal's 2,000", "[external_handle][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    CHECK(rt.options().max_pending_outgoing_signals == 2'000);
    auto target = rt.start_workflow(&inbox_wf::run, std::size_t{1}, {.id = "target"});
    auto b = rt.start_workflow(&burst::run, 2'001);
    ex.run_until_idle();
    CHECK(b.result().find("limit of 2000") != std::string::npos);
    CHECK(target.query(&inbox_wf::pokes) == 2'000);
}

TEST_CASE("an external signal dropped unawaited that fails fails its sender instead of vanishing", "[external_handle][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto ok_target = rt.start_workflow(&inbox_wf::run, std::size_t{1}, {.id = "here"});
    auto fine = rt.start_workflow(&fire_and_forget::run, "here");
    auto lost = rt.start_workflow(&fire_and_forget::run, "not-here");
    ex.run_until_idle();
    CHECK(fine.result() == 1);
    CHECK(ok_target.query(&inbox_wf::pokes) == 1);
    CHECK(lost.status() == coflow::workflow_status::failed);
    CHECK_THROWS_AS(lost.result(), coflow::workflow_failed);
}

TEST_CASE("an external handle can cancel another workflow", "[external_handle][cancel]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto victim = rt.start_workflow(&napper::run, {.id = "victim"});
    auto c = rt.start_workflow(&canceller::run, "victim");
    ex.advance(1s);  // well before the victim's nap would end
    CHECK(c.status() == coflow::workflow_status::completed);
    CHECK(victim.status() == coflow::workflow_status::cancelled);
}

TEST_CASE("external handles are for workflow code only", "[external_handle][errors]") {
    auto h = coflow::get_external_workflow_handle("x");
    CHECK(h.id() == "x");
    CHECK_THROWS_AS((void)h.signal("poke"), coflow::not_in_workflow);
    CHECK_THROWS_AS((void)h.cancel(), coflow::not_in_workflow);
}

namespace {

// Sends itself signals as its body returns: unawaited, from the body and from the handler they reach.
class last_words {
public:
    coflow::workflow<int> run() {
        (void)coflow::get_external_workflow_handle_for<last_words>(coflow::info().id).signal(&last_words::note, 1);
        co_return 7;
    }
    void note(int n) {
        notes_.push_back(n);
        if (n < 3) (void)coflow::get_external_workflow_handle(coflow::info().id).signal("note", n + 1);
    }
    [[nodiscard]] std::vector<int> notes() const { return notes_; }
    static constexpr auto definition =
        coflow::define<last_words>("last_words").run(&last_words::run).signal("note", &last_words::note).query(
            "notes", &last_words::notes);

private:
    std::vector<int> notes_;
};

}  // namespace

TEST_CASE("signals a run sends itself in its last step are handled before it closes", "[external_handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&last_words::run, {.id = "last"});
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() == 7);
    CHECK(h.query(&last_words::notes) == std::vector<int>{1, 2, 3});
    CHECK(h.describe().received_signals == 3);
}

TEST_CASE("issue 17: an aggregate temporary given to an external signal is destroyed once",
          "[external_handle][regression][lifetime]") {
    using handle = coflow::external_workflow_handle<order_book>;
    using marked = coflow::detail::given_fragile_temporary<coflow::outgoing_signal>;
    static_assert(std::is_same_v<decltype(std::declval<handle&>().signal(&order_book::add, std::declval<order_line>())),
                                 marked>);
    static_assert(std::is_same_v<decltype(std::declval<handle&>().signal("add", std::declval<order_line>())), marked>);
    static_assert(std::is_same_v<decltype(std::declval<handle&>().signal("add", std::declval<order_line&>())),
                                 coflow::outgoing_signal>);
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto book = rt.start_workflow(&order_book::run, 3, {.id = "book"});
        auto clerk = rt.start_workflow(&order_clerk::run, "book");
        ex.run_until_idle();
        CHECK(clerk.result() == 3);
        CHECK(book.result() == std::vector<std::string>{"penx2", "inkx1", "padx3"});
    }
    CHECK(counted::created == counted::destroyed);
}

namespace {

// Counts its moves: what an argument pays on its way from the sender's call to the handler.
struct move_probe {
    static inline int moves = 0;
    int value = 0;
    explicit move_probe(int v) : value(v) {}
    move_probe(const move_probe&) = default;
    move_probe(move_probe&& o) noexcept : value(o.value) { ++moves; }
    move_probe& operator=(const move_probe&) = default;
    move_probe& operator=(move_probe&&) = default;
    ~move_probe() = default;
};

class probe_taker {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return got_ != 0; });
        co_return got_;
    }
    void take(move_probe p) { got_ = p.value; }
    static constexpr auto definition =
        coflow::define<probe_taker>("probe_taker").run(&probe_taker::run).signal("take", &probe_taker::take);

private:
    int got_ = 0;
};

class probe_giver {
public:
    coflow::workflow<void> run() {
        move_probe p(42);
        move_probe::moves = 0;
        co_await coflow::get_external_workflow_handle_for<probe_taker>("taker").signal(&probe_taker::take, std::move(p));
    }
    static constexpr auto definition = coflow::define<probe_giver>("probe_giver").run(&probe_giver::run);
};

}  // namespace

TEST_CASE("issue 19: an external signal's argument is built into the outbox and sent from there, not moved through it",
          "[external_handle][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto taker = rt.start_workflow(&probe_taker::run, {.id = "taker"});
    (void)rt.start_workflow(&probe_giver::run);
    ex.run_until_idle();
    REQUIRE(taker.result() == 42);
    // Into the arguments' tuple, into the outbox's closure, into the inbox, into the handler's parameter:
    // before, the closure moved twice more (into the outbox, and out of it to be sent), and once more out of
    // the inbox (its signal is now delivered where it waits).
    INFO("moves of the argument from the sender's call to the handler's parameter");
    CHECK(move_probe::moves == 4);
}

namespace {

// What the workflows below did, in order, each line with the run's step count at the time.
std::vector<std::string>& chat_log() {
    static std::vector<std::string> log;
    return log;
}
void log_step(const std::string& what) {
    chat_log().push_back(coflow::info().id + ": " + what + " @" + std::to_string(coflow::info().steps));
}

class listener {
public:
    coflow::workflow<void> run() {
        co_await coflow::wait_condition([this] { return byes_ == 2; });
        log_step("done");
    }
    void hear(std::string s) {
        log_step("hears " + s);
        if (s == "bye") ++byes_;
    }
    static constexpr auto definition =
        coflow::define<listener>("listener").run(&listener::run).signal("hear", &listener::hear);

private:
    int byes_ = 0;
};

coflow::task<int> send_in_task(std::string peer, std::string what) {
    co_await coflow::get_external_workflow_handle_for<listener>(peer).signal(&listener::hear, what);
    log_step("task sent " + what);
    co_return 1;
}

// Awaits sends of every kind the loop orders: to another run, to itself (its handler goes first), behind
// one sent unawaited, from a task of when_any, and last a farewell.
class chatter {
public:
    coflow::workflow<int> run(std::string peer) {
        auto other = coflow::get_external_workflow_handle_for<listener>(peer);
        auto self = coflow::get_external_workflow_handle_for<chatter>(coflow::info().id);
        co_await other.signal(&listener::hear, coflow::info().id + " one");
        log_step("sent one");
        co_await self.signal(&chatter::echo, std::string("to myself"));
        log_step("sent to myself");
        (void)other.signal(&listener::hear, coflow::info().id + " loose");
        co_await other.signal(&listener::hear, coflow::info().id + " two");
        log_step("sent two");
        (void)co_await coflow::when_any(send_in_task(peer, coflow::info().id + " three"), coflow::sleep(1s));
        log_step("raced");
        co_await other.signal(&listener::hear, std::string("bye"));
        log_step("sent bye");
        co_return static_cast<int>(coflow::info().steps);
    }
    void echo(std::string s) { log_step("echo " + s); }
    static constexpr auto definition =
        coflow::define<chatter>("chatter").run(&chatter::run).signal("echo", &chatter::echo);
};

// Cancels its parent, which passes the request on to it: a cancel request waits for the loop, as the
// request reaches the sender while it is sent.
class mutineer {
public:
    coflow::workflow<int> run() {
        const std::string parent = coflow::info().parent_id;  // a local: see README, compiler notes
        try {
            co_await coflow::get_external_workflow_handle(parent).cancel();
            log_step("cancel sent");
        } catch (const coflow::cancelled&) {
            log_step("cancelled at the request");
        }
        co_return 1;
    }
    static constexpr auto definition = coflow::define<mutineer>("mutineer").run(&mutineer::run);
};

class captain {
public:
    coflow::workflow<int> run() {
        try {
            co_return co_await coflow::execute_child_workflow(&mutineer::run, {.id = "mutineer"});
        } catch (const coflow::cancelled&) {
            log_step("cancelled");
            co_return 0;
        }
    }
    static constexpr auto definition = coflow::define<captain>("captain").run(&captain::run);
};

std::vector<std::string> chat(bool record_history) {
    chat_log().clear();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = record_history}};
    auto l = rt.start_workflow(&listener::run, {.id = "listener"});
    auto a = rt.start_workflow(&chatter::run, "listener", {.id = "a"});
    auto b = rt.start_workflow(&chatter::run, "listener", {.id = "b"});
    auto c = rt.start_workflow(&captain::run, {.id = "captain"});
    ex.run_until_idle();
    CHECK(c.status() == coflow::workflow_status::completed);
    CHECK(l.status() == coflow::workflow_status::completed);
    chat_log().push_back("steps a " + std::to_string(a.result()) + ", b " + std::to_string(b.result()));
    return chat_log();
}

}  // namespace

TEST_CASE("issue 19: a signal sent where the body awaits it keeps the order and steps of a send at the step's end",
          "[external_handle][regression]") {
    // Without a history the body's awaited send goes out as it suspends (engine::send_at_suspension); with
    // one, the activation's loop sends it. Workflows must not see the difference.
    const std::vector<std::string> sent_early = chat(false);
    const std::vector<std::string> sent_by_loop = chat(true);
    CHECK(sent_early == sent_by_loop);
    // The run's own signal is handled before its body goes on; the unawaited one goes out first.
    const auto at = [&](const std::string& line) {
        for (std::size_t i = 0; i < sent_early.size(); ++i)
            if (sent_early[i].rfind(line, 0) == 0) return i;
        FAIL("no line " << line);
        return sent_early.size();
    };
    CHECK(at("a: echo to myself") < at("a: sent to myself"));
    CHECK(at("listener: hears a loose") < at("listener: hears a two"));
    CHECK(at("a: task sent a three") < at("a: raced"));
    CHECK(at("mutineer: ") < at("captain: cancelled"));
    CHECK(sent_early.back() == sent_by_loop.back());
}
