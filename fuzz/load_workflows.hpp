// load_workflows.hpp: the workflow types of the load fuzzer (fuzz_load.cpp), and the scripted programs whose
// saves seed it (make_load_corpus.cpp writes them to fuzz/corpus_load/). A keeper takes signals of many
// argument types (a channel, an async handler that sleeps, an update), waits with and without a timeout,
// awaits helper children, signals other keepers, fails, and continues as new; a helper child sleeps.
#pragma once

#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace load_fuzz {

using i64 = std::int64_t;
using namespace std::chrono_literals;

enum class mood : std::uint8_t { calm, curious, angry };

// Wrapping arithmetic: the values come from the fuzzer, and a signed overflow would be a finding in this file.
inline i64 wrap_add(i64 a, i64 b) { return static_cast<i64>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b)); }

// Sleeps and returns twice its input. Bounded: a hostile save may hold any argument.
class helper {
public:
    coflow::workflow<i64> run(i64 ms) {
        ms_ = ms;
        co_await coflow::sleep(std::chrono::milliseconds(ms < 0 ? 0 : ms % 100000));
        co_return wrap_add(ms, ms);
    }
    [[nodiscard]] i64 ms() const { return ms_; }

private:
    i64 ms_ = 0;

public:
    static constexpr auto definition = coflow::define<helper>("helper").run(&helper::run).query("ms", &helper::ms);
};

class keeper {
public:
    coflow::workflow<i64> run(i64 start, std::string name) {
        total_ = start;
        name_ = std::move(name);
        for (;;) {
            const auto wake = [this] { return !lines_.empty() || !kids_.empty() || !pokes_.empty() || done_ || roll_ || fail_; };
            if (nap_.count() > 0) {
                const auto d = std::exchange(nap_, std::chrono::milliseconds(0));
                if (!co_await coflow::wait_condition(wake, d)) note("t;");
            } else {
                co_await coflow::wait_condition(wake);
            }
            while (auto l = lines_.try_receive()) note("l" + l->substr(0, 8) + ";");
            while (!kids_.empty()) {
                const i64 ms = kids_.front();
                kids_.erase(kids_.begin());
                const std::string id = "h" + std::to_string(++children_) + "-" + coflow::info().id;
                // Awaited first, then added: as arguments of one call, which is evaluated first is unspecified (g++
                // and clang++ differ), and total_ changes while the child runs.
                const i64 result = co_await coflow::execute_child_workflow(&helper::run, ms, {.id = id});
                total_ = wrap_add(total_, result);
                note("c;");
            }
            while (!pokes_.empty()) {
                auto [to, v] = pokes_.front();
                pokes_.erase(pokes_.begin());
                bool ok = true;
                try {
                    co_await coflow::get_external_workflow_handle(to).signal("add", v);
                } catch (const coflow::error&) {
                    ok = false;
                }
                note(ok ? "p;" : "P;");
            }
            if (fail_) throw std::runtime_error("asked to fail");
            if (done_) {
                co_await coflow::wait_condition(coflow::all_handlers_finished);
                co_return total_;
            }
            if (roll_) co_return coflow::continue_as_new(total_, name_ + "+");
        }
    }

    void add(i64 v) { total_ = wrap_add(total_, v); }
    void real(double d) { total_ = wrap_add(total_, d > 0 && d < 1e6 ? static_cast<i64>(d) : 1); }
    void flag(bool b) { note(b ? "T;" : "F;"); }
    void pair(std::string s, int n) { note(s.substr(0, 4) + std::to_string(n % 10) + ";"); }
    void list(std::vector<int> v) { total_ = wrap_add(total_, static_cast<i64>(v.size())); }
    void maybe(std::optional<std::string> s) { note(s ? "o" + s->substr(0, 4) + ";" : "n;"); }
    void feel(mood m) { note("m" + std::to_string(static_cast<int>(m)) + ";"); }
    void nap(std::chrono::milliseconds d) { nap_ = d < 0ms ? 0ms : d % 100000; }
    void spawn(i64 ms) { kids_.push_back(ms); }
    void poke(std::string to, i64 v) { pokes_.emplace_back(std::move(to), v); }
    void roll() { roll_ = true; }
    void finish() { done_ = true; }
    void fail() { fail_ = true; }
    coflow::task<void> slow(i64 ms) {
        co_await coflow::sleep(std::chrono::milliseconds(ms < 0 ? 0 : ms % 100000));
        note("s;");
    }
    i64 bump(i64 v) {
        add(v);
        return total_;
    }
    void check_bump(i64 v) const {
        if (v < 0) throw std::invalid_argument("a bump is not negative");
    }

    [[nodiscard]] i64 total() const { return total_; }
    [[nodiscard]] std::string log() const { return log_; }
    [[nodiscard]] std::string name() const { return name_; }

private:
    void note(const std::string& s) {
        if (log_.size() < 4096) log_ += s;
    }

    coflow::signal_channel<std::string> lines_;
    std::vector<i64> kids_;
    std::vector<std::pair<std::string, i64>> pokes_;
    std::chrono::milliseconds nap_{0};
    i64 total_ = 0;
    int children_ = 0;
    bool done_ = false, roll_ = false, fail_ = false;
    std::string name_, log_;

public:
    static constexpr auto definition = coflow::define<keeper>("keeper")
                                           .run(&keeper::run)
                                           .signal("add", &keeper::add)
                                           .signal("line", &keeper::lines_)
                                           .signal("real", &keeper::real)
                                           .signal("flag", &keeper::flag)
                                           .signal("pair", &keeper::pair)
                                           .signal("list", &keeper::list)
                                           .signal("maybe", &keeper::maybe)
                                           .signal("feel", &keeper::feel)
                                           .signal("nap", &keeper::nap)
                                           .signal("spawn", &keeper::spawn)
                                           .signal("poke", &keeper::poke)
                                           .signal("roll", &keeper::roll)
                                           .signal("finish", &keeper::finish)
                                           .signal("fail", &keeper::fail)
                                           .signal("slow", &keeper::slow)
                                           .update("bump", &keeper::bump, &keeper::check_bump)
                                           .query("total", &keeper::total)
                                           .query("log", &keeper::log)
                                           .query("name", &keeper::name);
};

/// Loads `text` into `rt` with both workflow types.
inline void load(coflow::runtime& rt, std::string_view text) {
    coflow::load(rt, text, keeper::definition, helper::definition);
}

/// Recovers `text` as a journal's file would be (journal.hpp): a save, then records, cut anywhere.
inline void recover(coflow::runtime& rt, std::string_view text) {
    const std::vector<const coflow::detail::workflow_type*> types{
        &coflow::detail::workflow_type_of<keeper>(), &coflow::detail::workflow_type_of<helper>()};
    coflow::detail::load_runs(rt.engine_internals(), coflow::detail::parse_journal(text, types), types);
}

inline coflow::runtime_options recording() {
    coflow::runtime_options o;
    o.record_history = true;
    return o;
}

/// One seed: a scripted program run on a fresh runtime, then saved (after `ex.advance(0s)`).
struct seed {
    const char* name;
    std::function<void(coflow::deterministic_executor&, coflow::runtime&)> program;
};

inline std::vector<seed> seeds() {
    using h_t = coflow::workflow_handle<keeper>;
    const auto start = [](coflow::runtime& rt, const char* id, i64 v = 0) -> h_t {
        return rt.start_workflow(&keeper::run, v, std::string(id), {.id = id});
    };
    return {
        {"empty", [](coflow::deterministic_executor&, coflow::runtime&) {}},
        {"one_waiting", [=](coflow::deterministic_executor&, coflow::runtime& rt) { (void)start(rt, "k1", 5); }},
        {"every_type",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1", 1);
             ex.advance(10ms);
             h.signal(&keeper::add, i64{-7});
             h.signal(&keeper::real, 2.5);
             h.signal(&keeper::flag, true);
             h.signal(&keeper::pair, std::string("a b\n%c"), 42);
             h.signal(&keeper::list, std::vector<int>{1, -2, 3});
             h.signal(&keeper::maybe, std::optional<std::string>("yes"));
             h.signal(&keeper::maybe, std::optional<std::string>());
             h.signal(&keeper::feel, mood::angry);
             h.signal("line", std::string("hello"));
             h.signal("real", -0.0);
             ex.advance(5ms);
         }},
        {"timed_wait",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1");
             ex.advance(0s);
             h.signal(&keeper::nap, std::chrono::milliseconds(3000));
             h.signal("line", std::string("x"));  // wakes it: it waits again, for at most 3 s
             ex.advance(1200ms);
         }},
        {"timed_out",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1");
             ex.advance(0s);
             h.signal(&keeper::nap, std::chrono::milliseconds(500));
             h.signal("line", std::string("x"));
             ex.advance(900ms);
         }},
        {"child_sleeping",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1", 3);
             ex.advance(0s);
             h.signal(&keeper::spawn, i64{2000});
             ex.advance(700ms);
         }},
        {"child_done",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1", 3);
             ex.advance(0s);
             h.signal(&keeper::spawn, i64{200});
             h.signal(&keeper::spawn, i64{300});
             ex.advance(250ms);
         }},
        {"async_handler",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1");
             ex.advance(0s);
             h.signal(&keeper::slow, i64{400});
             h.signal(&keeper::slow, i64{100});
             ex.advance(200ms);
         }},
        {"update",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1", 10);
             ex.advance(0s);
             (void)h.start_update(&keeper::bump, i64{5});
             (void)h.start_update<i64>({.id = "mine"}, "bump", i64{6});
             (void)h.start_update(&keeper::bump, i64{-1});  // rejected: not recorded
             ex.advance(0s);
         }},
        {"pokes",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto a = start(rt, "k1");
             (void)start(rt, "k2", 100);
             ex.advance(0s);
             a.signal(&keeper::poke, std::string("k2"), i64{9});
             a.signal(&keeper::poke, std::string("nobody"), i64{1});
             ex.advance(10ms);
         }},
        {"closed_runs",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             start(rt, "done", 1).signal(&keeper::finish);
             start(rt, "failed", 2).signal(&keeper::fail);
             auto c = start(rt, "cancelled", 3);
             auto t = start(rt, "terminated", 4);
             ex.advance(0s);
             c.cancel();
             t.terminate("enough");
             ex.advance(0s);
         }},
        {"continued",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             auto h = start(rt, "k1", 2);
             ex.advance(0s);
             h.signal(&keeper::add, i64{3});
             h.signal(&keeper::roll);
             h.signal(&keeper::add, i64{4});  // goes to the next run
             ex.advance(50ms);
             h.signal(&keeper::roll);
             ex.advance(50ms);
         }},
        {"timeouts",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             (void)rt.start_workflow(&keeper::run, i64{0}, std::string("r"),
                                     {.id = "k1", .execution_timeout = 5s, .run_timeout = 2s});
             auto h = start(rt, "k2");
             ex.advance(100ms);
             h.signal(&keeper::nap, std::chrono::milliseconds(2000));
             ex.advance(0s);
         }},
        {"busy",
         [=](coflow::deterministic_executor& ex, coflow::runtime& rt) {
             for (int k = 0; k < 4; ++k) (void)start(rt, ("b" + std::to_string(k)).c_str(), k);
             ex.advance(0s);
             for (int round = 0; round < 3; ++round) {
                 for (int k = 0; k < 4; ++k) {
                     auto h = rt.get_workflow_handle_for<keeper>("b" + std::to_string(k));
                     h.signal(&keeper::add, i64{round * 10 + k});
                     if ((round + k) % 3 == 0) h.signal(&keeper::spawn, i64{100 * (k + 1)});
                     if ((round + k) % 4 == 1) h.signal(&keeper::poke, "b" + std::to_string((k + 1) % 4), i64{k});
                     if (round == 1 && k == 2) h.signal(&keeper::roll);
                 }
                 ex.advance(150ms);
             }
             rt.get_workflow_handle_for<keeper>("b3").signal(&keeper::finish);
             ex.advance(0s);
         }},
    };
}

}  // namespace load_fuzz
