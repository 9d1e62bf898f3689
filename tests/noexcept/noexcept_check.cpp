// tests/noexcept/noexcept_check.cpp: built with -fno-exceptions -fno-rtti, as many games build. Runs a small
// real workload (signals typed and by name, queries, wait_condition, timers, coflow::timer, children,
// continue-as-new, external signals, mutex and semaphore, updates and their validators, cancellation, timeouts,
// histories and replay) and returns non-zero if any result is off.
// Nothing here raises an error: in this build an error goes to the error handler, which aborts.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <tuple>
#include <vector>

static_assert(!coflow::detail::exceptions_enabled, "build this check with -fno-exceptions");

using namespace std::chrono_literals;

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

// Counts to `n` in steps of 100 ms of executor time, then returns n * 10.
class worker {
public:
    coflow::workflow<int> run(int n) {
        for (done_ = 0; done_ < n; ++done_) co_await coflow::sleep(100ms);
        co_return n * 10;
    }
    int done() const { return done_; }
    static constexpr auto definition = coflow::define<worker>("worker").run(&worker::run).query("done", &worker::done);

private:
    int done_ = 0;
};

// Takes updates: a synchronous one answering with the value it replaced (its validator turns away negative
// values by returning coflow::reject: the way to reject without exceptions), an async one that sleeps first.
class adjuster {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return value_ >= 10; });
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return value_;
    }
    int set(int v) {
        const int before = value_;
        value_ = v;
        return before;
    }
    coflow::validation check_set(int v) const {
        if (v < 0) return coflow::reject("no negative values");
        return coflow::accept();
    }
    coflow::task<int> set_later(int v) {
        co_await coflow::sleep(1s);
        value_ = v;
        co_return v;
    }
    static constexpr auto definition = coflow::define<adjuster>("adjuster")
                                           .run(&adjuster::run)
                                           .update("set", &adjuster::set, &adjuster::check_set)
                                           .update("set_later", &adjuster::set_later);

private:
    int value_ = 0;
};

// Sleeps until a deadline that its signals move; returns how often it was moved.
class snoozer {
public:
    coflow::workflow<int> run() {
        alarm_.reset(10s);
        const bool rang = co_await alarm_;
        co_return rang ? moves_ : -1;
    }
    void snooze(int s) {
        ++moves_;
        alarm_.reset(std::chrono::seconds(s));
    }
    static constexpr auto definition =
        coflow::define<snoozer>("snoozer").run(&snoozer::run).signal("snooze", &snoozer::snooze);

private:
    coflow::timer alarm_;
    int moves_ = 0;
};

// Adds what its signals bring (a sync handler, an async one and a channel) until the total reaches the
// target; counts the seconds in which nothing came.
class counter {
public:
    coflow::signal_channel<std::string, int> named;

    coflow::workflow<int> run(int target) {
        while (total_ < target) {
            if (!co_await coflow::wait_condition([&] { return total_ >= target || !named.empty(); }, 1s)) {
                ++idle_seconds_;
                continue;
            }
            if (auto item = named.try_receive()) {
                last_ = std::get<0>(*item);
                total_ += std::get<1>(*item);
            }
        }
        co_return total_;
    }
    void add(int n) { total_ += n; }
    coflow::task<void> add_later(int n) {
        co_await coflow::sleep(200ms);
        total_ += n;
    }
    int total() const { return total_; }
    int idle_seconds() const { return idle_seconds_; }
    std::string last() const { return last_; }

    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::add)
                                           .signal("add_later", &counter::add_later)
                                           .signal("named", &counter::named)
                                           .query("total", &counter::total)
                                           .query("idle_seconds", &counter::idle_seconds)
                                           .query("last", &counter::last);

private:
    int total_ = 0;
    int idle_seconds_ = 0;
    std::string last_;
};

// Runs two workers as children, one after the other (the second is forgotten once read), and returns the
// sum of their results plus one.
class parent {
public:
    coflow::workflow<int> run(int n) {
        const int a = co_await coflow::execute_child_workflow(&worker::run, n, {.id = "worker-of-parent"});
        const int b = co_await coflow::execute_child_workflow(
            &worker::run, 1, {.id = "forgotten-worker", .forget_on_result = true});
        co_return a + b + 1;
    }
    static constexpr auto definition = coflow::define<parent>("parent").run(&parent::run);
};

// Starts a long child, then waits for a release that never comes: it ends only by being cancelled.
class holder {
public:
    coflow::workflow<void> run() {
        auto child = coflow::start_child_workflow(&worker::run, 1000, {.id = "held-worker"});
        co_await coflow::wait_condition([this] { return released_; });
        reached_end_ = true;
        (void)co_await child.result();
    }
    void release() { released_ = true; }
    bool reached_end() const { return reached_end_; }
    static constexpr auto definition = coflow::define<holder>("holder")
                                           .run(&holder::run)
                                           .signal("release", &holder::release)
                                           .query("reached_end", &holder::reached_end);

private:
    bool released_ = false;
    bool reached_end_ = false;
};

// Cancels itself after a second: the run closes when that step ends, and nothing after the await runs.
class quitter {
public:
    coflow::workflow<int> run() {
        ++steps_;
        co_await coflow::sleep(1s);
        ++steps_;
        const std::string me = coflow::info().id;  // a local: see README, compiler notes
        auto self = coflow::get_external_workflow_handle(me);
        co_await self.cancel();
        ++steps_;  // never runs
        co_return steps_;
    }
    int steps() const { return steps_; }
    static constexpr auto definition = coflow::define<quitter>("quitter").run(&quitter::run).query("steps", &quitter::steps);

private:
    int steps_ = 0;
};

// Starts a child whose parent-close policy asks it to cancel, and returns at once.
class abandoner {
public:
    coflow::workflow<void> run() {
        auto child = coflow::start_child_workflow(
            &worker::run, 1000, {.id = "asked-to-cancel", .parent_close = coflow::parent_close_policy::request_cancel});
        co_await coflow::sleep(50ms);
    }
    static constexpr auto definition = coflow::define<abandoner>("abandoner").run(&abandoner::run);
};

// Takes one deposit per run and continues as new until its fourth run (its object built from the run's
// arguments; the body ends by returning the continue-as-new request).
class ledger {
public:
    coflow::signal_channel<int> deposits;
    ledger(int balance, int round) : balance_(balance), round_(round) {}
    coflow::workflow<int> run(int, int) {
        balance_ += co_await deposits.receive();
        if (round_ < 3) co_return coflow::continue_as_new(&ledger::run, balance_, round_ + 1);
        co_return balance_;
    }
    static constexpr auto definition = coflow::define<ledger>("ledger").run(&ledger::run).signal("deposit", &ledger::deposits);

private:
    int balance_;
    int round_;
};

// Pays 100, 200, 300 and 400 into the ledger through a typed external handle.
class payer {
public:
    coflow::workflow<void> run() {
        auto to = coflow::get_external_workflow_handle_for<ledger>("ledger");
        for (int i = 1; i <= 4; ++i) co_await to.signal(&ledger::deposits, i * 100);
    }
    static constexpr auto definition = coflow::define<payer>("payer").run(&payer::run);
};

// Handlers take turns in a section spanning a sleep (a mutex), two at most in another (a semaphore).
class turns {
public:
    coflow::workflow<std::string> run() {
        co_await coflow::wait_condition([this] { return done_ == 3 || blocked_; });
        auto guard = co_await lock_.lock();  // without exceptions, a cancel closes the run waiting here
        co_return log_;
    }
    coflow::task<void> take(std::string who) {
        auto permit = co_await pair_.acquire();
        auto guard = co_await lock_.lock();
        log_ += who;
        co_await coflow::sleep(1s);
        log_ += who;
        ++done_;
    }
    coflow::task<void> block() {
        blocked_ = true;
        auto guard = co_await lock_.lock();
        co_await coflow::sleep(1h);
    }
    static constexpr auto definition = coflow::define<turns>("turns")
                                           .run(&turns::run)
                                           .signal("take", &turns::take)
                                           .signal("block", &turns::block);

private:
    coflow::mutex lock_;
    coflow::semaphore pair_{2};
    std::string log_;
    int done_ = 0;
    bool blocked_ = false;
};

[[noreturn]] void unused_handler(const std::exception&) noexcept { std::abort(); }

bool last_event_is(const coflow::history& h, coflow::event_kind k) {
    return !h.events.empty() && h.events.back().kind == k;
}

}  // namespace

int main() {
    // The handler API: the default is in place, set returns the one it replaces, null restores the default.
    expect(coflow::get_error_handler() == &coflow::default_error_handler, "the default handler is installed");
    expect(coflow::set_error_handler(&unused_handler) == &coflow::default_error_handler, "set returns the previous");
    expect(coflow::set_error_handler(nullptr) == &unused_handler, "set returns the custom handler");
    expect(coflow::get_error_handler() == &coflow::default_error_handler, "null restores the default");

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, coflow::runtime_options{.record_history = true}};

    // Signals typed and by name, queries of every kind, wait_condition with timeouts, timers.
    auto c = rt.start_workflow(&counter::run, 20, {.id = "c"});
    auto u = rt.get_workflow_handle("c");
    u.signal("add", 3);
    u.signal("named", "x", 4);
    ex.advance(10ms);  // not run_until_idle: the counter's timeouts would move time on for ever
    expect(u.query<int>("total") == 7, "by-name query sees by-name signals");
    expect(u.query<std::string>("last") == "x", "a channel of two types, by name");
    c.signal(&counter::add_later, 5);
    ex.advance(100ms);
    expect(c.query(&counter::total) == 7, "an async handler waits on its timer");
    ex.advance(150ms);
    expect(c.query(&counter::total) == 12, "then adds");
    ex.advance(3s);
    expect(c.query([](const counter& k) { return k.idle_seconds(); }) == 3, "wait_condition times out each second");
    c.signal(&counter::named, "y", 8);
    ex.run_until_idle();
    expect(c.is_closed() && c.result() == 20, "typed result");
    expect(u.result<int>() == 20, "untyped result with a type check");
    coflow::replay(*c.fetch_history(), counter::definition);  // a mismatch would raise: fatal here

    // A coflow::timer moved by signals: one executor timer at a time, and the clock goes to the last deadline.
    const coflow::time_point t0 = ex.now();
    auto z = rt.start_workflow(&snoozer::run, {.id = "snoozer"});
    ex.advance(1s);
    z.signal(&snoozer::snooze, 20);
    ex.advance(1s);
    z.signal(&snoozer::snooze, 5);
    ex.advance(0s);
    expect(ex.timer_count() == 1, "a moved timer leaves no timer behind");
    ex.run_until_idle();
    expect(z.is_closed() && z.result() == 2 && ex.now() - t0 == 7s, "the timer rings at its last deadline");

    // Children: the parent gets their results.
    auto p = rt.start_workflow(&parent::run, 3, {.id = "p"});
    ex.run_until_idle();
    expect(p.result() == 41, "a parent gets its children's results");
    expect(rt.get_workflow_handle_for<worker>("worker-of-parent").query(&worker::done) == 3, "the child ran");
    expect(!rt.forget("forgotten-worker"), "a child read with forget_on_result is forgotten");

    // Continue-as-new with signals from another workflow.
    auto l = rt.start_workflow(&ledger::run, 0, 0, {.id = "ledger"});
    auto payment = rt.start_workflow(&payer::run, {.id = "payer"});
    ex.run_until_idle();
    expect(payment.status() == coflow::workflow_status::completed, "the payer's signals were all accepted");
    expect(l.status() == coflow::workflow_status::completed && l.result() == 1000, "the ledger's fourth run sums them");

    // Cancelling from outside closes the run at once, its children first.
    auto h = rt.start_workflow(&holder::run, {.id = "holder"});
    ex.advance(250ms);
    auto held = rt.get_workflow_handle_for<worker>("held-worker");
    expect(held.query(&worker::done) == 2, "the held child runs until the cancel");
    h.cancel();
    expect(h.status() == coflow::workflow_status::cancelled, "cancel closes the run at once");
    expect(held.status() == coflow::workflow_status::cancelled, "and its child, as cancelled");
    expect(!h.describe().cancel_requested, "a closed run has no pending request");
    ex.run_until_idle();
    expect(!h.query(&holder::reached_end), "none of its code ran after the cancel");
    expect(held.query(&worker::done) == 2, "nor the child's");
    expect(last_event_is(*h.fetch_history(), coflow::event_kind::workflow_cancelled), "history ends with the cancel");
    coflow::replay(*h.fetch_history(), holder::definition);

    // A workflow that cancels itself closes when that step ends.
    auto q = rt.start_workflow(&quitter::run, {.id = "quitter"});
    ex.run_until_idle();
    expect(q.status() == coflow::workflow_status::cancelled, "a self-cancelled run closes as cancelled");
    expect(q.query(&quitter::steps) == 2, "at the end of the step that asked");

    // A parent-close policy of request_cancel cancels the child when the parent ends.
    auto a = rt.start_workflow(&abandoner::run, {.id = "abandoner"});
    ex.run_until_idle();
    expect(a.status() == coflow::workflow_status::completed, "the parent completes");
    expect(rt.get_workflow_handle("asked-to-cancel").status() == coflow::workflow_status::cancelled,
           "its child is cancelled");
    expect(rt.get_workflow_handle_for<worker>("asked-to-cancel").query(&worker::done) == 0, "before its first timer fired");

    // Updates answer their callers without exceptions, and replay.
    auto adj = rt.start_workflow(&adjuster::run, {.id = "adjuster"});
    auto first = adj.start_update(&adjuster::set, 3);
    auto negative = adj.start_update({.id = "negative"}, &adjuster::set, -1);
    auto later = adj.start_update<int>("set_later", 12);
    ex.run_until_idle();
    expect(first.result() == 0 && later.result() == 12 && adj.result() == 12, "updates answer without exceptions");
    expect(negative.stage() == coflow::update_stage::rejected && negative.rejection_reason() == "no negative values",
           "a validator rejects without exceptions by returning coflow::reject");
    expect(first.stage() == coflow::update_stage::completed && first.rejection_reason().empty(),
           "an accepted update has no rejection reason");

    // A mutex lets one handler in at a time, in the order they asked; a cancel closes a run waiting for one.
    auto tn = rt.start_workflow(&turns::run, {.id = "turns"});
    for (const char* who : {"a", "b", "c"}) tn.signal(&turns::take, std::string(who));
    ex.run_until_idle();
    expect(tn.status() == coflow::workflow_status::completed && tn.result() == "aabbcc", "a mutex takes turns in order");
    auto tb = rt.start_workflow(&turns::run, {.id = "turns-blocked"});
    tb.signal(&turns::block);
    for (const char* who : {"a", "b", "c"}) tb.signal(&turns::take, std::string(who));
    ex.advance(1min);
    const std::vector<std::string> waits = tb.describe().waiting_on;
    expect(waits.size() == 5 && std::vector<std::string>(waits.begin() + 1, waits.end()) ==
                                     std::vector<std::string>{"handler: mutex", "handler: mutex", "handler: semaphore",
                                                              "body: mutex"},
           "two handlers and then the body wait for the lock, one handler for a permit");
    tb.cancel();
    expect(tb.status() == coflow::workflow_status::cancelled, "cancel closes a run waiting for a lock");

    // A run past its run timeout closes as timed out, and its timer is gone when a run ends first.
    const coflow::time_point t1 = ex.now();
    auto slow = rt.start_workflow(&worker::run, 100, {.id = "slow-worker", .run_timeout = 250ms});
    auto fast = rt.start_workflow(&worker::run, 1, {.id = "fast-worker", .execution_timeout = 1h});
    ex.run_until_idle();
    expect(slow.status() == coflow::workflow_status::timed_out && ex.now() - t1 == 250ms, "a run timeout closes the run");
    expect(slow.query(&worker::done) == 2, "none of its code ran after the timeout");
    expect(fast.result() == 10 && ex.timer_count() == 0, "a run that finishes first leaves no timeout behind");
    expect(last_event_is(*slow.fetch_history(), coflow::event_kind::workflow_timed_out), "history ends with the timeout");

    // Saved values round-trip in a build without exceptions (a damaged save would be fatal here).
    const std::vector<std::tuple<int, std::string, double>> saved{{1, std::string("a\0b", 3), -0.0}};
    expect(coflow::decode<std::vector<std::tuple<int, std::string, double>>>(coflow::encode(saved)) == saved,
           "a codec round-trips without exceptions");

    // Every closed run's history ends with its closing event, and every history replays (a mismatch or a
    // damaged history would be fatal here).
    for (const auto& hist : rt.histories()) {
        std::size_t closing = 0;
        for (const auto& e : hist->events) closing += coflow::is_closing(e.kind) ? 1u : 0u;
        expect(closing == 0 || (closing == 1 && coflow::is_closing(hist->events.back().kind)),
               "a closed run's history ends with its closing event");
        const std::string& type = hist->workflow_type;
        if (type == "counter") coflow::replay(*hist, counter::definition);
        else if (type == "worker") coflow::replay(*hist, worker::definition);
        else if (type == "parent") coflow::replay(*hist, parent::definition);
        else if (type == "holder") coflow::replay(*hist, holder::definition);
        else if (type == "quitter") coflow::replay(*hist, quitter::definition);
        else if (type == "abandoner") coflow::replay(*hist, abandoner::definition);
        else if (type == "ledger") coflow::replay(*hist, ledger::definition);
        else if (type == "payer") coflow::replay(*hist, payer::definition);
        else if (type == "snoozer") coflow::replay(*hist, snoozer::definition);
        else if (type == "turns") coflow::replay(*hist, turns::definition);
        else if (type == "adjuster") coflow::replay(*hist, adjuster::definition);
        else expect(false, "every workflow type is replayed");
    }

    // The whole runtime saves and loads into a fresh one, which saves the same text (any error is fatal here).
    ex.advance(0s);
    const std::string whole = coflow::save(rt);
    coflow::deterministic_executor ex2;
    coflow::runtime loaded{ex2, coflow::runtime_options{.record_history = true}};
    coflow::load(loaded, whole, counter::definition, worker::definition, parent::definition, holder::definition,
                 quitter::definition, abandoner::definition, ledger::definition, payer::definition,
                 snoozer::definition, turns::definition, adjuster::definition);
    expect(coflow::save(loaded) == whole && ex2.now() == ex.now(), "a loaded runtime saves the same text");

    // A journal of the loaded runtime, and a runtime recovered from it, which saves the same text.
    const std::string path = "coflow_noexcept_check.journal";
    std::remove(path.c_str());
    {
        coflow::journal journal(loaded, path, {.sync = coflow::sync_policy::flush}, counter::definition);
        journal.commit();
    }
    coflow::deterministic_executor ex3;
    coflow::runtime recovered{ex3, coflow::runtime_options{.record_history = true}};
    {
        coflow::journal journal(recovered, path, {}, counter::definition, worker::definition, parent::definition,
                                holder::definition, quitter::definition, abandoner::definition, ledger::definition,
                                payer::definition, snoozer::definition, turns::definition, adjuster::definition);
        expect(journal.recovered_runs() > 0, "a journal recovers its runs");
    }
    expect(coflow::save(recovered) == whole, "a runtime recovered from a journal saves the same text");
    std::remove(path.c_str());

    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
