// Dynamic (catch-all) handlers: define<T>().dynamic_signal(&T::f) and .dynamic_query(&T::g), raw_args,
// and how dynamic signals share the inbox (order, limits, continue-as-new, history, replay) with named ones.
#include <coflow/coflow.hpp>

#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

// raw_args: owned and move-only; get<U> gives a reference into the arguments (mutable only when owned).
static_assert(!std::is_copy_constructible_v<coflow::raw_args>);
static_assert(std::is_nothrow_move_constructible_v<coflow::raw_args>);
static_assert(std::is_default_constructible_v<coflow::raw_args>);
static_assert(std::is_same_v<decltype(std::declval<coflow::raw_args&>().get<int>(0)), int&>);
static_assert(std::is_same_v<decltype(std::declval<const coflow::raw_args&>().get<int>(0)), const int&>);
static_assert(std::is_same_v<decltype(coflow::args(1, "x")), coflow::arg_pack>);

namespace {

[[nodiscard]] bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// Named signals "note" and "finish", a named query "size", and both dynamic handlers. Every handler
// appends to one log, so the log is the order in which signals were delivered.
class catchall {
public:
    coflow::workflow<std::vector<std::string>> run() {
        log_.push_back("body starts");
        co_await coflow::wait_condition([this] { return done_; });
        co_return log_;
    }
    void note(std::string s) { log_.push_back("note:" + s); }
    void finish() { done_ = true; }
    void any(std::string name, coflow::raw_args args) {
        if (name == "strict") (void)args.get<double>(0);  // throws unless a double was sent
        std::string s = "dyn:" + name + args.type_names();
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args.holds<int>(i)) s += " " + std::to_string(args.get<int>(i));
            else if (args.holds<std::string>(i)) s += " " + args.get<std::string>(i);
        }
        log_.push_back(std::move(s));
    }
    std::size_t size() const { return log_.size(); }
    std::string ask(std::string_view name, const coflow::raw_args& args) const {
        if (name == "entry") return log_.at(static_cast<std::size_t>(args.get<int>(0)));
        if (name == "explode") throw std::runtime_error("boom");
        return std::string(name) + args.type_names();
    }

    static constexpr auto definition = coflow::define<catchall>("catchall")
                                           .run(&catchall::run)
                                           .signal("note", &catchall::note)
                                           .signal("finish", &catchall::finish)
                                           .query("size", &catchall::size)
                                           .dynamic_signal(&catchall::any)
                                           .dynamic_query(&catchall::ask);

private:
    std::vector<std::string> log_;
    bool done_ = false;
};

// No dynamic handler at all.
class plain {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return notes_;
    }
    void note(std::string) { ++notes_; }
    void finish() { done_ = true; }
    int notes() const { return notes_; }
    static constexpr auto definition = coflow::define<plain>("plain")
                                           .run(&plain::run)
                                           .signal("note", &plain::note)
                                           .signal("finish", &plain::finish)
                                           .query("notes", &plain::notes);

private:
    int notes_ = 0;
    bool done_ = false;
};

// A dynamic signal handler only: it keeps the last signal's name and arguments for the test to inspect.
class keeper {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    void any(std::string name, coflow::raw_args args) {
        if (name == "take") taken_ = std::move(args.get<std::string>(0));  // an owner may move values out
        last_name_ = std::move(name);
        last_ = std::move(args);
    }
    const coflow::raw_args& last() const { return last_; }
    const std::string& last_name() const { return last_name_; }
    const std::string& taken() const { return taken_; }
    static constexpr auto definition = coflow::define<keeper>("keeper").run(&keeper::run).dynamic_signal(&keeper::any);

private:
    coflow::raw_args last_;
    std::string last_name_, taken_;
};

// A dynamic query handler only, and no named query or signal.
class oracle {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    int ask(std::string_view name, const coflow::raw_args& args) const {
        return static_cast<int>(name.size()) + (args.holds<int>(0) ? args.get<int>(0) : 0);
    }
    static constexpr auto definition = coflow::define<oracle>("oracle").run(&oracle::run).dynamic_query(&oracle::ask);
};

// An async dynamic handler: (int ms, std::string tag) sleeps ms, then reads its arguments again.
// Version 2 sleeps twice as long (a changed decision, for replay).
template <int Version>
class sleeper {
public:
    coflow::workflow<std::vector<std::string>> run(int expected) {
        log_.push_back("body starts");
        co_await coflow::wait_condition([this, expected] { return finished_ == expected; });
        co_return log_;
    }
    void mark(std::string s) { log_.push_back("mark:" + s); }
    coflow::task<void> any(std::string name, coflow::raw_args args) {
        const int ms = args.get<int>(0);
        log_.push_back(name + " begins");
        co_await coflow::sleep(std::chrono::milliseconds(Version == 2 ? 2 * ms : ms));
        log_.push_back(name + " ends " + args.get<std::string>(1));  // the arguments live in the frame
        ++finished_;
    }
    static constexpr auto definition = coflow::define<sleeper>("sleeper")
                                           .run(&sleeper::run)
                                           .signal("mark", &sleeper::mark)
                                           .dynamic_signal(&sleeper::any);

private:
    std::vector<std::string> log_;
    int finished_ = 0;
};

// Signals a catchall through external handles: by name (dynamic and named), and typed.
class announcer {
public:
    coflow::workflow<int> run(std::string target) {
        auto any = coflow::get_external_workflow_handle(target);
        auto typed = coflow::get_external_workflow_handle_for<catchall>(target);
        co_await any.signal("ping", 1);
        co_await any.signal("note", "by name");
        co_await typed.signal("pong", std::string("typed handle, by name"), 2);
        co_await typed.signal(&catchall::note, "typed");
        auto a = any.signal("burst-1");  // two in one step: they go out in order when it ends
        auto b = any.signal("burst-2", 3);
        co_await a;
        co_await b;
        co_await any.signal("finish");
        co_return 0;
    }
    static constexpr auto definition = coflow::define<announcer>("announcer").run(&announcer::run);
};

// Sends one by-name signal (with an int) through an external handle; returns "accepted" or the error.
class sender {
public:
    coflow::workflow<std::string> run(std::string target, std::string name) {
        auto h = coflow::get_external_workflow_handle(target);
        try {
            co_await h.signal(name, 1);
        } catch (const coflow::error& e) {
            co_return std::string(e.what());
        }
        co_return std::string("accepted");
    }
    static constexpr auto definition = coflow::define<sender>("sender").run(&sender::run);
};

// Collects named ("tick") and dynamic signals in runs of at most per_run, continuing as new in between.
class batcher {
public:
    coflow::workflow<std::vector<std::string>> run(std::vector<std::string> seen, std::size_t total,
                                                   std::size_t per_run) {
        // Signals handled before this first line (all accepted before the run first ran) come after `seen`.
        seen.insert(seen.end(), std::make_move_iterator(seen_.begin()), std::make_move_iterator(seen_.end()));
        seen_ = std::move(seen);
        co_await coflow::wait_condition(
            [this, total, per_run] { return seen_.size() >= total || in_this_run_ >= per_run; });
        if (seen_.size() < total) co_await coflow::continue_as_new(seen_, total, per_run);
        co_return seen_;
    }
    void tick(int n) { add("tick " + std::to_string(n)); }
    void any(std::string name, coflow::raw_args args) { add(name + " " + std::to_string(args.get<int>(0))); }
    static constexpr auto definition = coflow::define<batcher>("batcher")
                                           .run(&batcher::run)
                                           .signal("tick", &batcher::tick)
                                           .dynamic_signal(&batcher::any);

private:
    void add(std::string s) {
        seen_.push_back(std::move(s));
        ++in_this_run_;
    }
    std::vector<std::string> seen_;
    std::size_t in_this_run_ = 0;
};

// Generation 0 signals itself `count` times (named and dynamic names, unawaited) and continues as new
// in the same step: the signals are accepted by the closing run as the step ends and must reach the
// new run, in order, before its body's first line.
class relay {
public:
    coflow::workflow<std::vector<std::string>> run(int generation, int count) {
        if (generation == 0) {
            auto self = coflow::get_external_workflow_handle(coflow::info().id);
            for (int i = 0; i < count; ++i) {
                if (i % 3 == 0) (void)self.signal("named", i);
                else (void)self.signal("dyn-" + std::to_string(i), i);
            }
            co_await coflow::continue_as_new(generation + 1, count);
        }
        log_.push_back("body of generation " + std::to_string(generation));
        const auto want = static_cast<std::size_t>(count) + 1;  // the signals and this line
        co_await coflow::wait_condition([this, want] { return log_.size() == want; });
        co_return log_;
    }
    void named(int i) { log_.push_back("named " + std::to_string(i)); }
    void any(std::string name, coflow::raw_args args) { log_.push_back(name + " " + std::to_string(args.get<int>(0))); }
    static constexpr auto definition =
        coflow::define<relay>("relay").run(&relay::run).signal("named", &relay::named).dynamic_signal(&relay::any);

private:
    std::vector<std::string> log_;
};

[[nodiscard]] std::vector<std::string> names_of(const coflow::history& h, coflow::event_kind k) {
    std::vector<std::string> out;
    for (const auto& e : h.events)
        if (e.kind == k) out.push_back(e.name);
    return out;
}

}  // namespace

// ---- order ----------------------------------------------------------------------------------------

TEST_CASE("dynamic signals are delivered in acceptance order, interleaved with named ones", "[dynamic][signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "mix"});
    auto u = rt.get_workflow_handle("mix");
    h.signal("first", 1);  // before the body's first line
    h.signal(&catchall::note, "a");
    u.signal("second", std::string("s"), 2);
    u.signal("note", "b");
    u.signal("third");
    ex.run_until_idle();
    u.signal("size");  // the name of a query, not of a signal: the dynamic signal handler takes it
    h.signal(&catchall::finish);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"dyn:first(int) 1", "note:a", "dyn:second(std::string, int) s 2",
                                                 "note:b", "dyn:third()", "body starts", "dyn:size()"});
}

TEST_CASE("thousands of dynamic and named signals across several workflows arrive exactly in order",
          "[dynamic][signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    constexpr std::size_t workflows = 4;
    constexpr std::size_t per_workflow = 2'500;
    std::vector<coflow::workflow_handle<catchall>> hs;
    std::vector<std::vector<std::string>> expected(workflows, std::vector<std::string>{"body starts"});
    for (std::size_t w = 0; w < workflows; ++w)
        hs.push_back(rt.start_workflow(&catchall::run, {.id = "many-" + std::to_string(w)}));
    ex.run_until_idle();  // every body has started: the logs begin with "body starts"
    coflow::random_engine pick(7);
    std::vector<std::size_t> sent(workflows, 0);
    std::size_t total = 0;
    while (total < workflows * per_workflow) {
        const auto w = static_cast<std::size_t>(pick.uniform(0, workflows - 1));
        if (sent[w] == per_workflow) continue;
        const int n = static_cast<int>(sent[w]++);
        ++total;
        auto by_name = rt.get_workflow_handle("many-" + std::to_string(w));
        switch (pick.uniform(0, 3)) {
            case 0:
                hs[w].signal(&catchall::note, "t" + std::to_string(n));
                expected[w].push_back("note:t" + std::to_string(n));
                break;
            case 1:
                by_name.signal("note", "n" + std::to_string(n));
                expected[w].push_back("note:n" + std::to_string(n));
                break;
            case 2: {
                const std::string name = "d" + std::to_string(n % 7);
                by_name.signal(name, n);
                expected[w].push_back("dyn:" + name + "(int) " + std::to_string(n));
                break;
            }
            default: {
                const std::string name = "e" + std::to_string(n % 5);
                hs[w].signal(name, "v" + std::to_string(n), n);
                expected[w].push_back("dyn:" + name + "(std::string, int) v" + std::to_string(n) + " " +
                                      std::to_string(n));
                break;
            }
        }
        switch (pick.uniform(0, 9)) {  // drive the executor at random points
            case 0: ex.run_until_idle(); break;
            case 1: (void)ex.step(); break;
            default: break;
        }
    }
    for (auto& h : hs) h.signal(&catchall::finish);
    ex.run_until_idle();
    for (std::size_t w = 0; w < workflows; ++w) {
        REQUIRE(hs[w].status() == coflow::workflow_status::completed);
        const auto got = hs[w].result();
        REQUIRE(got.size() == per_workflow + 1);
        CHECK(got == expected[w]);
        CHECK(hs[w].describe().received_signals == per_workflow + 1);
    }
}

// ---- what reaches the dynamic handler, and what does not -------------------------------------------

TEST_CASE("typed sends go to named handlers, and a named signal's name never reaches the dynamic handler",
          "[dynamic][signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "typed"});
    ex.run_until_idle();
    h.signal(&catchall::note, "typed");
    // The dynamic handler's member is no signal: a typed send to it is refused.
    CHECK_THROWS_AS(h.signal(&catchall::any, std::string("any"), coflow::raw_args{}), coflow::unknown_signal);
    // A named signal's name with the wrong arguments is that signal's error, not a dynamic signal.
    auto u = rt.get_workflow_handle("typed");
    try {
        u.signal("note", 5);
        FAIL("no exception");
    } catch (const coflow::argument_mismatch& e) {
        const std::string what = e.what();
        CHECK(contains(what, "signal 'note' expects (std::string), given (int)"));
        CHECK(!contains(what, "dynamic"));
    }
    CHECK_THROWS_AS(u.signal("finish", true), coflow::argument_mismatch);
    CHECK(h.describe().received_signals == 1);
    CHECK(h.describe().pending_signals == 1);
    h.signal(&catchall::finish);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"body starts", "note:typed"});
}

TEST_CASE("without a dynamic signal handler an unknown name throws unknown_signal and nothing is enqueued",
          "[dynamic][signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&plain::run, {.id = "p1"});
    try {
        rt.get_workflow_handle("p1").signal("nope", 1);
        FAIL("no exception");
    } catch (const coflow::unknown_signal& e) {
        const std::string what = e.what();
        CHECK(e.code() == coflow::errc::unknown_signal);
        CHECK(contains(what, "'p1'"));
        CHECK(contains(what, "'nope'"));
        CHECK(contains(what, "known signals: [note, finish]"));
    }
    // A type with a dynamic query handler but no dynamic signal handler refuses unknown signals too.
    auto o = rt.start_workflow(&oracle::run, {.id = "o1"});
    CHECK_THROWS_AS(o.signal("anything"), coflow::unknown_signal);
    CHECK(o.describe().received_signals == 0);
    // Signal-with-start: to the running run, and as a new start (which then does not happen).
    CHECK_THROWS_AS(rt.start_workflow(&plain::run, {.id = "p1", .start_signal = "nope"}), coflow::unknown_signal);
    CHECK_THROWS_AS(
        rt.start_workflow(&plain::run, {.id = "p2", .start_signal = "nope", .start_signal_args = coflow::args(1)}),
        coflow::unknown_signal);
    CHECK(rt.size() == 2);
    CHECK(h.describe().received_signals == 0);
    CHECK(h.describe().pending_signals == 0);
    // From another workflow: the sender's co_await throws it.
    auto s = rt.start_workflow(&sender::run, "p1", "nope");
    ex.run_until_idle();
    CHECK(contains(s.result(), "[coflow.unknown_signal]"));
    CHECK(contains(s.result(), "'nope'"));
    CHECK(h.describe().received_signals == 0);
    h.signal(&plain::finish);
    ex.run_until_idle();
    CHECK(h.result() == 0);
}

TEST_CASE("a dynamic signal to a closed workflow throws workflow_closed", "[dynamic][signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "gone"});
    h.signal(&catchall::finish);
    ex.run_until_idle();
    REQUIRE(h.is_closed());
    CHECK_THROWS_AS(h.signal("late", 1), coflow::workflow_closed);
    CHECK_THROWS_AS(rt.get_workflow_handle("gone").signal("late"), coflow::workflow_closed);
}

// ---- raw_args ---------------------------------------------------------------------------------------

TEST_CASE("raw_args gives the sender's values with their exact types", "[dynamic][raw_args]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&keeper::run, {.id = "keep-1"});
    h.signal("mixed", 7, "text", 2.5);
    ex.run_until_idle();
    const coflow::raw_args& a = *h.query([](const keeper& k) { return &k.last(); });
    CHECK(h.query([](const keeper& k) { return k.last_name(); }) == "mixed");
    CHECK(a.size() == 3);
    CHECK(!a.empty());
    CHECK(a.type_names() == "(int, std::string, double)");
    CHECK(a.holds<int>(0));
    CHECK(!a.holds<long>(0));
    CHECK(!a.holds<double>(0));
    CHECK(a.holds<std::string>(1));  // a string literal arrives as std::string
    CHECK(!a.holds<const char*>(1));
    CHECK(a.holds<double>(2));
    CHECK(!a.holds<int>(3));  // out of range: false, no throw
    CHECK(a.get<int>(0) == 7);
    CHECK(a.get<std::string>(1) == "text");
    CHECK(a.get<double>(2) == 2.5);

    SECTION("asking for the wrong type names the workflow, the signal, the expected and the given types") {
        try {
            (void)a.get<double>(0);
            FAIL("no exception");
        } catch (const coflow::argument_mismatch& e) {
            const std::string what = e.what();
            CHECK(e.code() == coflow::errc::argument_mismatch);
            CHECK(contains(what, "workflow 'keep-1'"));
            CHECK(contains(what, "dynamic signal 'mixed'"));
            CHECK(contains(what, "expects argument 0 of type double"));
            CHECK(contains(what, "given (int, std::string, double)"));
        }
        CHECK_THROWS_AS(a.get<std::string>(0), coflow::argument_mismatch);
        CHECK_THROWS_AS(a.get<int>(1), coflow::argument_mismatch);
    }
    SECTION("an index past the end is an argument_mismatch too") {
        try {
            (void)a.get<int>(3);
            FAIL("no exception");
        } catch (const coflow::argument_mismatch& e) {
            CHECK(contains(e.what(), "expects argument 3 of type int, given (int, std::string, double)"));
        }
    }
    SECTION("no arguments") {
        h.signal("none");
        ex.run_until_idle();
        CHECK(h.query([](const keeper& k) { return k.last_name(); }) == "none");
        const coflow::raw_args& none = *h.query([](const keeper& k) { return &k.last(); });
        CHECK(none.size() == 0);
        CHECK(none.empty());
        CHECK(none.type_names() == "()");
        CHECK(!none.holds<int>(0));
        CHECK_THROWS_AS(none.get<int>(0), coflow::argument_mismatch);
    }
    SECTION("a dynamic signal handler owns its arguments and may move values out") {
        h.signal("take", std::string("payload"));
        ex.run_until_idle();
        CHECK(h.query([](const keeper& k) { return k.taken(); }) == "payload");
        const coflow::raw_args& taken = *h.query([](const keeper& k) { return &k.last(); });
        CHECK(taken.holds<std::string>(0));  // the slot keeps its type; its value was moved from
    }
}

TEST_CASE("a default-constructed raw_args is empty and every get throws", "[dynamic][raw_args]") {
    const coflow::raw_args none;
    CHECK(none.size() == 0);
    CHECK(none.empty());
    CHECK(none.type_names() == "()");
    CHECK(!none.holds<int>(0));
    CHECK_THROWS_AS(none.get<int>(0), coflow::argument_mismatch);
}

TEST_CASE("a dynamic signal handler that throws fails the run with that cause", "[dynamic][signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "strict-1"});
    ex.run_until_idle();
    h.signal("strict", 1.5);  // a double: fine
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::running);
    h.signal("strict", 3);  // an int: get<double>(0) throws inside the handler
    h.signal(&catchall::note, "never");
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::failed);
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::workflow_failed& e) {
        CHECK(contains(e.what(), "'strict-1'"));
        try {
            std::rethrow_exception(e.cause());
        } catch (const coflow::argument_mismatch& cause) {
            const std::string what = cause.what();
            CHECK(contains(what, "workflow 'strict-1': dynamic signal 'strict' expects argument 0 of type double, "
                                 "given (int)"));
        }
    }
    CHECK(h.query<std::string>("entry", 1) == "dyn:strict(double)");  // the first one was handled
    CHECK(h.query(&catchall::size) == 2);                             // nothing after the failure
}

// ---- async dynamic handlers -------------------------------------------------------------------------

TEST_CASE("an async dynamic handler runs to its first suspension in order, then interleaves", "[dynamic][signal]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper<1>::run, 2);
    h.signal("slow", 20, "s");
    h.signal(&sleeper<1>::mark, "m");
    rt.get_workflow_handle(h.id()).signal("fast", 10, "f");
    ex.advance(15ms);
    CHECK(h.describe().running_handlers == 1);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"slow begins", "mark:m", "fast begins", "body starts", "fast ends f",
                                                 "slow ends s"});
    CHECK(ex.now().time_since_epoch() == 20ms);
}

TEST_CASE("an async dynamic handler that throws after awaiting fails the run then", "[dynamic][signal][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&sleeper<1>::run, 1, {.id = "late-bad"});
    h.signal("bad", 5, 6);  // argument 1 is no std::string: read only after the sleep
    ex.advance(4ms);
    CHECK(h.status() == coflow::workflow_status::running);
    ex.advance(1ms);
    REQUIRE(h.status() == coflow::workflow_status::failed);
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::workflow_failed& e) {
        try {
            std::rethrow_exception(e.cause());
        } catch (const coflow::argument_mismatch& cause) {
            CHECK(contains(cause.what(), "workflow 'late-bad': dynamic signal 'bad' expects argument 1 of type "
                                         "std::string, given (int, int)"));
        }
    }
}

// ---- dynamic queries --------------------------------------------------------------------------------

TEST_CASE("a dynamic query answers any name no named query has, with parameters", "[dynamic][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "q"});
    h.signal("hello", 1);
    ex.run_until_idle();
    auto u = rt.get_workflow_handle("q");
    CHECK(u.query<std::string>("entry", 0) == "dyn:hello(int) 1");
    CHECK(h.query<std::string>("entry", 1) == "body starts");  // typed handles ask by name too
    CHECK(u.query<std::string>("echo", 1, "two", 3.0) == "echo(int, std::string, double)");
    CHECK(u.query<std::string>("no-args") == "no-args()");
    CHECK(u.query<std::string>("note") == "note()");  // a signal's name is no query's name
    CHECK(u.query<std::size_t>("size") == 2);          // the named query still answers its name
    CHECK(h.query(&catchall::size) == 2);
    // The dynamic handler's member is no query: a typed query by member pointer does not reach it.
    CHECK_THROWS_AS(h.query(&catchall::ask, std::string_view("entry"), coflow::raw_args{}), coflow::unknown_query);
    auto o = rt.start_workflow(&oracle::run, {.id = "oracle"});
    CHECK(rt.get_workflow_handle("oracle").query<int>("abc", 10) == 13);
    CHECK(o.query<int>("abcd") == 4);
}

TEST_CASE("dynamic query errors: result type, argument types, and a handler that throws", "[dynamic][query][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run, {.id = "qe"});
    ex.run_until_idle();
    auto u = rt.get_workflow_handle("qe");
    SECTION("asking for another result type than the handler's") {
        try {
            (void)u.query<double>("anything");
            FAIL("no exception");
        } catch (const coflow::argument_mismatch& e) {
            CHECK(contains(e.what(), "workflow 'qe': dynamic query 'anything' expects result type std::string, "
                                     "given result type double"));
        }
        // A named query's name keeps its own result type check.
        try {
            (void)u.query<std::string>("size");
            FAIL("no exception");
        } catch (const coflow::argument_mismatch& e) {
            CHECK(contains(e.what(), "query 'size' expects result type"));
            CHECK(!contains(e.what(), "dynamic"));
        }
    }
    SECTION("raw_args asked for a type the caller did not give: argument_mismatch reaches the caller") {
        try {
            (void)u.query<std::string>("entry", std::string("zero"));
            FAIL("no exception");
        } catch (const coflow::argument_mismatch& e) {
            CHECK(contains(e.what(),
                           "workflow 'qe': dynamic query 'entry' expects argument 0 of type int, given (std::string)"));
        }
        CHECK_THROWS_AS(u.query<std::string>("entry"), coflow::argument_mismatch);
    }
    SECTION("any other exception is query_failed, with the cause") {
        try {
            (void)u.query<std::string>("explode");
            FAIL("no exception");
        } catch (const coflow::query_failed& e) {
            CHECK(contains(e.what(), "'qe'"));
            CHECK(contains(e.what(), "'explode'"));
            CHECK(contains(e.what(), "boom"));
            CHECK_THROWS_AS(std::rethrow_exception(e.cause()), std::runtime_error);
        }
        CHECK_THROWS_AS(u.query<std::string>("entry", 99), coflow::query_failed);  // std::out_of_range inside
    }
    CHECK(h.status() == coflow::workflow_status::running);  // failed queries leave the workflow alone
    h.signal(&catchall::finish);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"body starts"});
}

TEST_CASE("without a dynamic query handler an unknown query name throws unknown_query", "[dynamic][query][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&plain::run, {.id = "pq"});
    auto k = rt.start_workflow(&keeper::run, {.id = "kq"});  // a dynamic signal handler only
    try {
        (void)rt.get_workflow_handle("pq").query<int>("nope");
        FAIL("no exception");
    } catch (const coflow::unknown_query& e) {
        CHECK(contains(e.what(), "'pq'"));
        CHECK(contains(e.what(), "'nope'"));
        CHECK(contains(e.what(), "known queries: [notes]"));
    }
    CHECK_THROWS_AS(k.query<std::string>("anything"), coflow::unknown_query);
}

TEST_CASE("dynamic queries work on a closed workflow and record nothing", "[dynamic][query][history]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&catchall::run, {.id = "quiet"});
    h.signal("x", 1);
    ex.run_until_idle();
    const auto before = h.fetch_history()->events.size();
    const auto received = h.describe().received_signals;
    auto u = rt.get_workflow_handle("quiet");
    for (int i = 0; i < 50; ++i) CHECK(u.query<std::string>("entry", 0) == "dyn:x(int) 1");
    CHECK_THROWS_AS(u.query<int>("entry", 0), coflow::argument_mismatch);
    CHECK_THROWS_AS(u.query<std::string>("entry", "zero"), coflow::argument_mismatch);
    CHECK_THROWS_AS(u.query<std::string>("entry", 42), coflow::query_failed);
    CHECK(h.fetch_history()->events.size() == before);
    CHECK(h.describe().received_signals == received);
    CHECK(ex.idle());  // nothing was scheduled

    h.signal(&catchall::finish);
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::completed);
    const auto closed = h.fetch_history()->events.size();
    CHECK(u.query<std::string>("entry", 1) == "body starts");
    CHECK(u.query<std::string>("echo", 2.0) == "echo(double)");
    CHECK_THROWS_AS(u.query<std::string>("explode"), coflow::query_failed);
    CHECK(h.fetch_history()->events.size() == closed);
}

// ---- signal-with-start and external handles ---------------------------------------------------------

TEST_CASE("signal-with-start with a dynamic name is handled before the body's first line",
          "[dynamic][signal][runtime]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&catchall::run,
                               {.id = "sws", .start_signal = "hello", .start_signal_args = coflow::args(1, "x")});
    CHECK(h.describe().pending_signals == 1);
    const auto run_id = h.describe().run_id;
    ex.run_until_idle();
    // The id runs already: only the signal is sent, with no arguments this time.
    auto again = rt.start_workflow(&catchall::run, {.id = "sws", .start_signal = "again"});
    CHECK(again.describe().run_id == run_id);
    CHECK(rt.size() == 1);
    ex.run_until_idle();
    h.signal(&catchall::finish);
    ex.run_until_idle();
    CHECK(h.result() == std::vector<std::string>{"dyn:hello(int, std::string) 1 x", "body starts", "dyn:again()"});
}

TEST_CASE("a by-name signal through another workflow's external handle reaches the dynamic handler",
          "[dynamic][signal][external_handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto target = rt.start_workflow(&catchall::run, {.id = "target"});
    ex.run_until_idle();
    auto a = rt.start_workflow(&announcer::run, "target");
    ex.run_until_idle();
    CHECK(a.result() == 0);
    CHECK(target.result() == std::vector<std::string>{"body starts", "dyn:ping(int) 1", "note:by name",
                                                      "dyn:pong(std::string, int) typed handle, by name 2",
                                                      "note:typed", "dyn:burst-1()", "dyn:burst-2(int) 3"});
    // To a workflow without a dynamic handler, the same send is refused at the sender's co_await.
    auto p = rt.start_workflow(&plain::run, {.id = "plain"});
    auto s = rt.start_workflow(&sender::run, "plain", "ping");
    auto ok = rt.start_workflow(&catchall::run, {.id = "ok"});
    auto s2 = rt.start_workflow(&sender::run, "ok", "ping");
    ex.run_until_idle();
    CHECK(contains(s.result(), "[coflow.unknown_signal]"));
    CHECK(s2.result() == "accepted");
    CHECK(p.describe().received_signals == 0);
    CHECK(ok.query<std::string>("entry", 1) == "dyn:ping(int) 1");
}

// ---- limits and continue-as-new ---------------------------------------------------------------------

TEST_CASE("dynamic signals count against the received-signal limit, and none is lost", "[dynamic][signal][limits]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 5}};
    constexpr std::size_t total = 23;
    auto h = rt.start_workflow(&batcher::run, std::vector<std::string>{}, total, std::size_t{5}, {.id = "limited"});
    std::vector<std::string> expected;
    std::size_t next = 0;
    int rejected = 0;
    bool message_checked = false;
    while (next < total) {
        const int n = static_cast<int>(next);
        const std::string name = "dyn-" + std::to_string(n);
        try {
            if (next % 2 == 1) {
                h.signal(name, n);  // dynamic
                expected.push_back(name + " " + std::to_string(n));
            } else {
                if (next % 4 == 0) h.signal(&batcher::tick, n);
                else h.signal("tick", n);
                expected.push_back("tick " + std::to_string(n));
            }
            ++next;
        } catch (const coflow::signal_limit_exceeded& e) {
            ++rejected;
            CHECK(h.describe().received_signals == 5);
            CHECK(h.describe().pending_signals == 5);
            if (next % 2 == 1 && !message_checked) {
                const std::string what = e.what();
                CHECK(contains(what, "'limited'"));
                CHECK(contains(what, "signal '" + name + "' rejected"));
                CHECK(contains(what, "max_received_signals_per_run"));
                CHECK(contains(what, "limit of 5"));
                message_checked = true;
            }
            ex.run_until_idle();  // the run handles its five and continues as new; then send again
        }
    }
    ex.run_until_idle();
    CHECK(message_checked);
    CHECK(rejected == 4);  // signals 5, 10, 15 and 20
    CHECK(h.result() == expected);
}

TEST_CASE("continue-as-new carries pending dynamic signals to the new run in order",
          "[dynamic][signal][continue_as_new]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    constexpr int count = 600;
    auto h = rt.start_workflow(&relay::run, 0, count, {.id = "relay"});
    ex.run_until_idle();
    std::vector<std::string> expected{};
    std::vector<std::string> handled_names;
    for (int i = 0; i < count; ++i) {
        if (i % 3 == 0) {
            expected.push_back("named " + std::to_string(i));
            handled_names.push_back("named");
        } else {
            expected.push_back("dyn-" + std::to_string(i) + " " + std::to_string(i));
            handled_names.push_back("dyn-" + std::to_string(i));
        }
    }
    expected.push_back("body of generation 1");
    REQUIRE(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() == expected);
    // The first run accepted them (as the step that continued ended); the second handled them.
    REQUIRE(rt.histories().size() == 2);
    const coflow::history& first = *rt.histories()[0];
    const coflow::history& second = *rt.histories()[1];
    CHECK(names_of(first, coflow::event_kind::signal_accepted) == handled_names);
    CHECK(names_of(first, coflow::event_kind::signal_handled).empty());
    CHECK(first.events.back().kind == coflow::event_kind::continued_as_new);
    CHECK(names_of(second, coflow::event_kind::signal_handled) == handled_names);
}

// ---- history and replay -----------------------------------------------------------------------------

TEST_CASE("the history records dynamic signals under their real names, and replay feeds them back",
          "[dynamic][history][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&catchall::run, {.id = "hist"});
    h.signal("alpha", 1, "a");
    h.signal(&catchall::note, "n");
    ex.advance(5ms);
    h.signal("beta");
    rt.get_workflow_handle("hist").signal("gamma", std::string("g"));
    ex.run_until_idle();
    h.signal("finish");
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::completed);
    const auto hist = h.fetch_history();
    const std::vector<std::string> order{"alpha", "note", "beta", "gamma", "finish"};
    CHECK(names_of(*hist, coflow::event_kind::signal_accepted) == order);
    CHECK(names_of(*hist, coflow::event_kind::signal_handled) == order);
    std::vector<std::vector<std::string>> accepted_args, handled_args;
    for (const auto& e : hist->events) {
        if (e.kind == coflow::event_kind::signal_accepted) accepted_args.push_back(e.args);
        if (e.kind == coflow::event_kind::signal_handled) handled_args.push_back(e.args);
    }
    CHECK(accepted_args == std::vector<std::vector<std::string>>{{"1", "\"a\""}, {"\"n\""}, {}, {"\"g\""}, {}});
    CHECK(handled_args == std::vector<std::vector<std::string>>{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}});
    CHECK(contains(hist->to_json_lines(), "\"event\":\"signal_accepted\",\"name\":\"gamma\",\"args\":[\"g\"]"));
    CHECK_NOTHROW(coflow::replay(*hist, catchall::definition));
}

TEST_CASE("replay of a signal-with-start history with a dynamic name succeeds", "[dynamic][history][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&catchall::run, {.id = "sws-hist",
                                                .start_signal = "hello",
                                                .start_signal_args = coflow::args(std::string("x"))});
    ex.run_until_idle();
    h.signal(&catchall::finish);
    ex.run_until_idle();
    const auto hist = h.fetch_history();
    REQUIRE(hist->events.size() > 3);
    CHECK(hist->events[0].kind == coflow::event_kind::workflow_started);
    CHECK(hist->events[1].kind == coflow::event_kind::signal_accepted);
    CHECK(hist->events[1].name == "hello");
    CHECK(hist->events[2].kind == coflow::event_kind::signal_handled);
    CHECK(hist->events[2].name == "hello");
    CHECK_NOTHROW(coflow::replay(*hist, catchall::definition));
}

TEST_CASE("replay of async dynamic handlers checks their decisions", "[dynamic][history][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&sleeper<1>::run, 3, {.id = "naps"});
    h.signal("a", 10, "x");
    ex.advance(3ms);
    h.signal(&sleeper<1>::mark, "m");
    h.signal("b", 4, "y");
    ex.advance(2ms);
    rt.get_workflow_handle("naps").signal("c", 1, "z");
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::completed);
    const auto hist = h.fetch_history();
    CHECK(names_of(*hist, coflow::event_kind::signal_handled) == std::vector<std::string>{"a", "mark", "b", "c"});
    CHECK_NOTHROW(coflow::replay(*hist, sleeper<1>::definition));
    try {
        coflow::replay(*hist, sleeper<2>::definition);  // the dynamic handler sleeps twice as long now
        FAIL("no nondeterminism_error");
    } catch (const coflow::nondeterminism_error& e) {
        CHECK(contains(e.what(), "timer_started"));
    }
}

// ---- lifetimes --------------------------------------------------------------------------------------

TEST_CASE("a dynamic signal's arguments live until its handler is done, and are never leaked",
          "[dynamic][signal][lifetime]") {
    counted::reset();
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        auto h = rt.start_workflow(&catchall::run, {.id = "probe"});
        h.signal("probe", counted{});
        CHECK(counted::alive() == 1);  // in the inbox
        ex.run_until_idle();
        CHECK(counted::alive() == 0);  // a sync handler's raw_args die with the delivery
        h.signal("probe", counted{});
        h.signal("probe", 1, counted{});
        CHECK(counted::alive() == 2);
        h.terminate("enough");
        CHECK(counted::alive() == 0);  // pending ones die with the run
        CHECK_THROWS_AS(h.signal("probe", counted{}), coflow::workflow_closed);
        CHECK(counted::alive() == 0);

        auto s = rt.start_workflow(&sleeper<1>::run, 2, {.id = "async-probe"});
        s.signal("slow", 10, "s", counted{});
        ex.advance(5ms);
        CHECK(counted::alive() == 1);  // an async handler's frame owns them while it sleeps
        ex.advance(5ms);
        CHECK(counted::alive() == 0);
        s.signal("slower", 10, "t", counted{});
        ex.advance(5ms);
        CHECK(counted::alive() == 1);
        s.terminate("enough");
        CHECK(counted::alive() == 0);

        (void)rt.start_workflow(&catchall::run, {.id = "left-pending"});
        rt.get_workflow_handle("left-pending").signal("probe", counted{});
        CHECK(counted::alive() == 1);
    }
    CHECK(counted::alive() == 0);  // the runtime's end destroys what was still pending
}
