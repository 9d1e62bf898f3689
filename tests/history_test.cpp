// Event history: what is recorded, exports, replay and the nondeterminism check, determinism.
#include <coflow/coflow.hpp>

#include <cctype>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// A point with a history_text specialisation, a streamable tag and an opaque blob.
struct point {
    int x, y;
};
struct tag {
    std::string s;
    friend std::ostream& operator<<(std::ostream& os, const tag& t) { return os << "tag:" << t.s; }
};
struct blob {
    int bytes;
};

}  // namespace

template <>
struct coflow::history_text<point> {
    static void write(std::string& out, const point& p) {
        out += "{\"x\":" + std::to_string(p.x) + ",\"y\":" + std::to_string(p.y) + "}";
    }
};

namespace {

// Version 1 of a workflow; the other versions change one decision each.
template <int Version>
class greeter {
public:
    coflow::signal_channel<std::string> names;
    coflow::workflow<std::string> run(std::string greeting, int n) {
        std::string out;
        for (int i = 0; i < n; ++i) {
            auto name = co_await names.receive(5s);
            if (!name) {
                out += "(timeout)";
                continue;
            }
            if constexpr (Version == 2) co_await coflow::sleep(200ms);  // a different delay
            else if constexpr (Version == 3) co_await coflow::wait_condition([] { return true; });  // no timer
            else co_await coflow::sleep(100ms);
            out += greeting + " " + *name + ";";
        }
        if constexpr (Version == 4) co_await coflow::sleep(1ms);  // one more decision at the end
        co_return out;
    }
    static constexpr auto definition =
        coflow::define<greeter>("greeter").run(&greeter::run).signal("name", &greeter::names);
};

class shapes {
public:
    coflow::workflow<int> run(point p, tag t, blob b) {
        (void)t;
        co_await coflow::sleep(1ms);
        co_return p.x + p.y + b.bytes;
    }
    static constexpr auto definition = coflow::define<shapes>("shapes").run(&shapes::run);
};

class child_wf {
public:
    coflow::workflow<int> run(int v) {
        co_await coflow::sleep(std::chrono::milliseconds(v));
        co_return v * 10;
    }
    static constexpr auto definition = coflow::define<child_wf>("child_wf").run(&child_wf::run);
};

class family {
public:
    coflow::workflow<int> run(int v) {
        const int a = co_await coflow::execute_child_workflow(&child_wf::run, v, {.id = "kid"});
        co_await coflow::get_external_workflow_handle("elsewhere").signal("poke");
        co_return a + 1;
    }
    static constexpr auto definition = coflow::define<family>("family").run(&family::run);
};

class target_wf {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return pokes_ > 0; });
        co_return pokes_;
    }
    void poke() { ++pokes_; }
    int pokes() const { return pokes_; }
    static constexpr auto definition =
        coflow::define<target_wf>("target_wf").run(&target_wf::run).signal("poke", &target_wf::poke).query("pokes", &target_wf::pokes);

private:
    int pokes_ = 0;
};

class roller {
public:
    coflow::workflow<std::uint64_t> run(int n) {
        std::uint64_t total = 0;
        for (int i = 0; i < n; ++i) {
            co_await coflow::sleep(std::chrono::milliseconds(coflow::random().uniform(1, 50)));
            total += coflow::random().uniform(0, 1000) + bonus_;
        }
        co_return total;
    }
    void bonus(int b) { bonus_ += static_cast<std::uint64_t>(b); }
    static constexpr auto definition = coflow::define<roller>("roller").run(&roller::run).signal("bonus", &roller::bonus);

private:
    std::uint64_t bonus_ = 0;
};

std::vector<std::string> kinds(const coflow::history& h) {
    std::vector<std::string> out;
    for (const auto& e : h.events) out.emplace_back(coflow::to_string(e.kind));
    return out;
}

// Records a greeter<1> run: two names, the third receive times out.
std::shared_ptr<const coflow::history> record_greeter() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&greeter<1>::run, "hi", 3, {.id = "g"});
    h.signal(&greeter<1>::names, "ann");
    ex.advance(1s);
    rt.get_workflow_handle("g").signal("name", "bob");
    ex.run_until_idle();
    REQUIRE(h.result() == "hi ann;hi bob;(timeout)");
    return h.fetch_history();
}

// ---- a minimal JSON checker: enough to prove the exports are well-formed JSON ----------------------
struct json_reader {
    std::string_view s;
    std::size_t i = 0;
    void ws() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    bool eat(char c) {
        ws();
        if (i < s.size() && s[i] == c) {
            ++i;
            return true;
        }
        return false;
    }
    bool string(std::string* out = nullptr) {
        ws();
        if (i >= s.size() || s[i] != '"') return false;
        ++i;
        std::string v;
        while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\') {
                ++i;
                if (i >= s.size()) return false;
                if (s[i] == 'u') i += 4;
                else v += s[i];
                ++i;
                continue;
            }
            if (static_cast<unsigned char>(s[i]) < 0x20) return false;
            v += s[i++];
        }
        if (i >= s.size()) return false;
        ++i;
        if (out) *out = v;
        return true;
    }
    bool value(std::map<std::string, std::string>* fields = nullptr) {
        ws();
        if (i >= s.size()) return false;
        const char c = s[i];
        if (c == '"') return string();
        if (c == '{') {
            ++i;
            if (eat('}')) return true;
            do {
                std::string key;
                if (!string(&key) || !eat(':')) return false;
                const std::size_t from = (ws(), i);
                if (!value()) return false;
                if (fields) (*fields)[key] = std::string(s.substr(from, i - from));
            } while (eat(','));
            return eat('}');
        }
        if (c == '[') {
            ++i;
            if (eat(']')) return true;
            do {
                if (!value()) return false;
            } while (eat(','));
            return eat(']');
        }
        const std::size_t from = i;
        while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '.' || s[i] == '+'))
            ++i;
        const std::string_view lit = s.substr(from, i - from);
        if (lit == "true" || lit == "false" || lit == "null") return true;
        return !lit.empty() && (std::isdigit(static_cast<unsigned char>(lit[0])) || lit[0] == '-');
    }
    bool document(std::map<std::string, std::string>* fields = nullptr) {
        const bool ok = value(fields);
        ws();
        return ok && i == s.size();
    }
};

}  // namespace

TEST_CASE("histories are off by default and cost nothing to ask for", "[history]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&greeter<1>::run, "hi", 1);
    ex.run_until_idle();
    CHECK(h.fetch_history() == nullptr);
    CHECK(rt.histories().empty());
}

TEST_CASE("a history records start, signals, waits, timers and the result with their arguments", "[history]") {
    const auto hist = record_greeter();
    const auto& ev = hist->events;
    CHECK(hist->workflow_id == "g");
    CHECK(hist->workflow_type == "greeter");
    CHECK(kinds(*hist) == std::vector<std::string>{
                              "workflow_started", "signal_accepted", "signal_handled", "wait_started", "timer_started",
                              "timer_fired", "wait_ended", "wait_started", "timer_started", "signal_accepted",
                              "signal_handled", "wait_ended", "wait_started", "timer_started", "timer_fired",
                              "wait_ended", "wait_started", "timer_started", "timer_fired", "wait_ended",
                              "workflow_completed"});
    CHECK(ev[0].args == std::vector<std::string>{"\"hi\"", "3"});
    CHECK(ev[1].name == "name");
    CHECK(ev[1].args == std::vector<std::string>{"\"ann\""});
    CHECK(ev[2].args == std::vector<std::string>{"1"});  // the first signal handled in this run
    CHECK(ev[4].args == std::vector<std::string>{"100000000"});
    CHECK(ev[9].time_ns == 1'000'000'000);
    CHECK(ev[11].args == std::vector<std::string>{"\"fired\""});
    CHECK(ev[19].args == std::vector<std::string>{"\"timed_out\""});
    CHECK(ev[20].args == std::vector<std::string>{"\"hi ann;hi bob;(timeout)\""});
}

TEST_CASE("queries record nothing", "[history][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&target_wf::run, {.id = "t"});
    ex.run_until_idle();
    const auto before = h.fetch_history()->events.size();
    for (int i = 0; i < 50; ++i) (void)h.query(&target_wf::pokes);
    (void)rt.get_workflow_handle("t").query<int>("pokes");
    (void)h.describe();
    CHECK(h.fetch_history()->events.size() == before);
}

TEST_CASE("argument text comes from history_text: specialised, streamed, or an opaque placeholder", "[history]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&shapes::run, point{1, 2}, tag{"t1"}, blob{4});
    ex.run_until_idle();
    CHECK(h.result() == 7);
    const auto& started = h.fetch_history()->events.front();
    REQUIRE(started.args.size() == 3);
    CHECK(started.args[0] == "{\"x\":1,\"y\":2}");
    CHECK(started.args[1] == "\"tag:t1\"");
    CHECK(started.args[2].find("blob") != std::string::npos);
    CHECK(started.args[2].front() == '"');
}

TEST_CASE("children, outgoing signals, cancellation and termination are recorded", "[history]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto target = rt.start_workflow(&target_wf::run, {.id = "elsewhere"});
    auto f = rt.start_workflow(&family::run, 5, {.id = "fam"});
    ex.run_until_idle();
    CHECK(f.result() == 51);
    const auto& fe = f.fetch_history()->events;
    auto find = [&](coflow::event_kind k) {
        for (std::size_t i = 0; i < fe.size(); ++i)
            if (fe[i].kind == k) return i;
        return fe.size();
    };
    REQUIRE(find(coflow::event_kind::child_started) < fe.size());
    CHECK(fe[find(coflow::event_kind::child_started)].name == "kid");
    CHECK(fe[find(coflow::event_kind::child_closed)].args == std::vector<std::string>{"\"completed\""});
    CHECK(fe[find(coflow::event_kind::signal_sent)].name == "elsewhere");
    CHECK(fe[find(coflow::event_kind::signal_sent)].args == std::vector<std::string>{"\"poke\"", "\"accepted\""});
    CHECK(find(coflow::event_kind::child_started) < find(coflow::event_kind::child_closed));
    CHECK(target.result() == 1);

    auto g = rt.start_workflow(&greeter<1>::run, "x", 1, {.id = "cancel-me"});
    ex.advance(1ms);
    g.cancel();
    ex.run_until_idle();
    const auto& ge = g.fetch_history()->events;
    CHECK(std::string(coflow::to_string(ge[ge.size() - 3].kind)) == "cancel_requested");
    CHECK(ge[ge.size() - 2].args == std::vector<std::string>{"\"cancelled\""});
    CHECK(ge.back().kind == coflow::event_kind::workflow_cancelled);

    auto t = rt.start_workflow(&greeter<1>::run, "x", 1, {.id = "stop-me"});
    ex.advance(1ms);
    t.terminate("enough");
    CHECK(t.fetch_history()->events.back().kind == coflow::event_kind::workflow_terminated);
    CHECK(t.fetch_history()->events.back().args == std::vector<std::string>{"\"enough\""});
}

TEST_CASE("replaying a history with unchanged code succeeds", "[history][replay]") {
    const auto hist = record_greeter();
    CHECK_NOTHROW(coflow::replay(*hist, greeter<1>::definition));
}

TEST_CASE("replay names the first event where changed code makes a different decision", "[history][replay]") {
    const auto hist = record_greeter();
    try {
        coflow::replay(*hist, greeter<2>::definition);
        FAIL("no nondeterminism_error");
    } catch (const coflow::nondeterminism_error& e) {
        const std::string what = e.what();
        CHECK(e.code() == coflow::errc::nondeterminism);
        CHECK(what.find("differs at event 4") != std::string::npos);
        CHECK(what.find("expected #4 timer_started [100000000]") != std::string::npos);
        CHECK(what.find("got #4 timer_started [200000000]") != std::string::npos);
    }
    try {
        coflow::replay(*hist, greeter<3>::definition);
        FAIL("no nondeterminism_error");
    } catch (const coflow::nondeterminism_error& e) {
        CHECK(std::string(e.what()).find("differs at event 3: expected #3 wait_started sleep") != std::string::npos);
    }
    try {
        coflow::replay(*hist, greeter<4>::definition);
        FAIL("no nondeterminism_error");
    } catch (const coflow::nondeterminism_error& e) {
        CHECK(std::string(e.what()).find("differs at event 20") != std::string::npos);
        CHECK(std::string(e.what()).find("expected #20 workflow_completed") != std::string::npos);
    }
}

TEST_CASE("replay takes children's and outgoing signals' outcomes from the history", "[history][replay]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    (void)rt.start_workflow(&target_wf::run, {.id = "elsewhere"});
    auto f = rt.start_workflow(&family::run, 7, {.id = "fam"});
    ex.run_until_idle();
    REQUIRE(f.result() == 71);
    CHECK_NOTHROW(coflow::replay(*f.fetch_history(), family::definition));  // "elsewhere" is absent there
}

TEST_CASE("replay of a history of another workflow type is refused", "[history][replay][errors]") {
    const auto hist = record_greeter();
    CHECK_THROWS_AS(coflow::replay(*hist, family::definition), coflow::nondeterminism_error);
    coflow::history empty;
    CHECK_THROWS_AS(coflow::replay(empty, greeter<1>::definition), coflow::invalid_history);
}

TEST_CASE("the same inputs in the same order give byte-identical histories", "[history][determinism]") {
    auto run_all = [] {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, {.seed = 99, .record_history = true}};
        std::vector<coflow::workflow_handle<roller>> hs;
        for (int i = 0; i < 30; ++i) hs.push_back(rt.start_workflow(&roller::run, 5 + i % 4));
        for (int round = 0; round < 20; ++round) {
            for (std::size_t i = 0; i < hs.size(); i += 3)
                if (!hs[i].is_closed()) hs[i].signal(&roller::bonus, round);
            ex.advance(7ms);
        }
        ex.run_until_idle();
        std::string all;
        for (const auto& h : rt.histories()) all += h->to_json_lines();
        return all + rt.trace_json();
    };
    const std::string a = run_all();
    const std::string b = run_all();
    CHECK(a.size() > 10'000);
    CHECK(a == b);
}

TEST_CASE("JSON lines and the Chrome trace are well-formed JSON with the documented fields", "[history][export]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    (void)rt.start_workflow(&target_wf::run, {.id = "elsewhere"});
    auto f = rt.start_workflow(&family::run, 3, {.id = "fam \"quoted\"\n"});
    ex.run_until_idle();
    const std::string lines = f.fetch_history()->to_json_lines();
    std::size_t count = 0, from = 0;
    while (from < lines.size()) {
        const std::size_t nl = lines.find('\n', from);
        REQUIRE(nl != std::string::npos);
        std::map<std::string, std::string> fields;
        json_reader r{std::string_view(lines).substr(from, nl - from)};
        REQUIRE(r.document(&fields));
        CHECK(fields.size() == 7);
        CHECK(fields.count("workflow_id") == 1);
        CHECK(fields.count("run_id") == 1);
        CHECK(fields["index"] == std::to_string(count));
        CHECK(fields.count("time_ns") == 1);
        CHECK(fields["event"].front() == '"');
        CHECK(fields.count("name") == 1);
        CHECK(fields["args"].front() == '[');
        ++count;
        from = nl + 1;
    }
    CHECK(count == f.fetch_history()->events.size());

    const std::string trace = rt.trace_json();
    std::map<std::string, std::string> top;
    json_reader t{trace};
    REQUIRE(t.document(&top));
    CHECK(top.count("traceEvents") == 1);
    // Every wait that began also ended (B/E pairs balance) in this finished run set.
    std::size_t begins = 0, ends = 0;
    for (std::size_t p = trace.find("\"ph\":\"B\""); p != std::string::npos; p = trace.find("\"ph\":\"B\"", p + 1)) ++begins;
    for (std::size_t p = trace.find("\"ph\":\"E\""); p != std::string::npos; p = trace.find("\"ph\":\"E\"", p + 1)) ++ends;
    CHECK(begins == ends);
    CHECK(begins > 3);
}

TEST_CASE("describe shows what each part of a workflow is waiting on", "[history][handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto f = rt.start_workflow(&family::run, 1'000, {.id = "fam"});
    ex.advance(1ms);
    const auto w = f.describe().waiting_on;
    REQUIRE(w.size() == 1);
    CHECK(w[0] == "body: child_result 'kid'");
    const auto k = rt.get_workflow_handle("kid").describe().waiting_on;
    REQUIRE(k.size() == 1);
    CHECK(k[0] == "body: sleep until 1000ms");
    auto g = rt.start_workflow(&greeter<1>::run, "x", 1);
    ex.advance(1ms);
    CHECK(g.describe().waiting_on == std::vector<std::string>{"body: signal_channel until 5001ms"});
}
