// export_scenarios.hpp: recorded runs whose exports are hard to get right, for history_export_test.cpp and
// for exports/write_exports.cpp (whose files tests/exports/check_exports.py reads with Python's json).
// Hostile text (ill-formed UTF-8, control characters, quotes, backslashes) in ids, type, signal names,
// payloads, reasons and error messages; NaN and infinities; and traces whose waits overlap or are cut
// short: terminated, cancelled, continued-as-new and still-open runs, body and handler waits interleaved.
#pragma once

#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace export_scenarios {

using namespace std::chrono_literals;

/// Bytes that no JSON export may copy as they are: ill-formed UTF-8 (a stray continuation byte, an
/// overlong '/', an encoded surrogate U+D800, a sequence cut short, bytes that never occur in UTF-8),
/// control characters, a quote and a backslash, next to well-formed text (é, €, an emoji).
inline std::string hostile(std::string_view what) {
    return std::string(what) + " \x80|\xC0\xAF|\xED\xA0\x80|\xE2\x82|\xF8\xFF\xFE|\x01\x1F\x7F|\"q\"|\\|\t\n\r|" +
           "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" + "|\xF4\x90\x80\x80|\xE2\x82";
}

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A type whose very name is hostile; it takes any signal by name, and named ones with floating values.
class sink {
public:
    coflow::workflow<double> run(std::string text, double x, float y) {
        (void)text;
        (void)y;
        co_await coflow::wait_condition([this] { return done_; });
        try {  // a signal to an id nobody has: refused, and the refusal (naming the id) is recorded
            co_await coflow::get_external_workflow_handle(hostile("target")).signal(hostile("sig"), hostile("arg"));
        } catch (const coflow::error&) {
        }
        co_return x * 0.0;  // NaN when x is infinite
    }
    void values(double d, float f, long double l) { done_ = d != d && f != f && l != l; }
    void any(std::string name, coflow::raw_args args) { (void)name, (void)args; }
    static constexpr auto definition = coflow::define<sink>("sink \xFF\xC0\x80 \"type\"\\\x01")
                                           .run(&sink::run)
                                           .signal("values", &sink::values)
                                           .dynamic_signal(&sink::any);

private:
    bool done_ = false;
};

class forever_wf {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([] { return false; });
        co_return 0;
    }
    static constexpr auto definition = coflow::define<forever_wf>("forever_wf").run(&forever_wf::run);
};

// Fails with a hostile message, or waits to be terminated (with a hostile reason), with a child under a
// hostile id.
class doomed {
public:
    coflow::workflow<int> run(bool fail) {
        if (fail) throw std::runtime_error(hostile("failure"));
        co_return co_await coflow::execute_child_workflow(&forever_wf::run, {.id = hostile("child")});
    }
    static constexpr auto definition = coflow::define<doomed>("doomed").run(&doomed::run);
};

// The body and async signal handlers wait at the same time, their waits starting and ending interleaved.
class overlap {
public:
    coflow::workflow<int> run(int body_sleep_ms) {
        co_await coflow::wait_condition([this] { return started_ >= 1; });  // ends while a handler sleeps
        co_await coflow::sleep(std::chrono::milliseconds(body_sleep_ms));
        if (!forever_) co_await coflow::wait_condition(coflow::all_handlers_finished);
        else co_await coflow::wait_condition([] { return false; });
        co_return started_;
    }
    coflow::task<void> slow(int ms) {
        ++started_;
        co_await coflow::sleep(std::chrono::milliseconds(ms));
        co_await coflow::wait_condition([this] { return started_ > 0; });  // ready at once: no wait
    }
    void stay() { forever_ = true; }
    static constexpr auto definition =
        coflow::define<overlap>("overlap").run(&overlap::run).signal("slow", &overlap::slow).signal("stay", &overlap::stay);

private:
    int started_ = 0;
    bool forever_ = false;
};

// Continues as new while a handler still sleeps, n times.
class chain {
public:
    coflow::workflow<int> run(int n) {
        co_await coflow::wait_condition([this] { return busy_; });
        co_await coflow::sleep(1ms);
        if (n > 0) co_await coflow::continue_as_new(n - 1);
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return n;
    }
    coflow::task<void> slow(int ms) {
        busy_ = true;
        co_await coflow::sleep(std::chrono::milliseconds(ms));
    }
    static constexpr auto definition = coflow::define<chain>("chain").run(&chain::run).signal("slow", &chain::slow);

private:
    bool busy_ = false;
};

/// What one scenario exported: every run's JSON lines (concatenated, in start order) and the trace.
struct exports {
    std::string name;
    std::string json_lines;
    std::string trace;
    std::vector<std::shared_ptr<const coflow::history>> runs;
};

inline exports collect(std::string name, const coflow::runtime& rt) {
    exports e{std::move(name), {}, rt.trace_json(), rt.histories()};
    for (const auto& h : rt.histories()) e.json_lines += h->to_json_lines();
    return e;
}

/// Hostile text everywhere text goes, and NaN and infinities everywhere a number goes.
inline exports hostile_text() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto s = rt.start_workflow(&sink::run, hostile("start"), inf, -std::numeric_limits<float>::infinity(),
                               {.id = hostile("sink")});
    rt.get_workflow_handle(hostile("sink")).signal(hostile("dynamic"), hostile("payload"), nan, -inf, std::string("\xC0\xAF"), 'x', '\xFF');
    s.signal(&sink::values, nan, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<long double>::quiet_NaN());
    auto f = rt.start_workflow(&doomed::run, true, {.id = hostile("failing")});
    auto t = rt.start_workflow(&doomed::run, false, {.id = hostile("terminated")});
    ex.run_until_idle();
    t.terminate(hostile("reason"));
    ex.run_until_idle();
    return collect("hostile_text", rt);
}

/// A run terminated while its body and a handler wait (its child is terminated with it).
inline exports terminated() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&overlap::run, 5, {.id = "terminated"});
    ex.run_until_idle();
    h.signal(&overlap::slow, 100);
    ex.advance(2ms);
    h.terminate("enough");
    ex.run_until_idle();
    return collect("terminated", rt);
}

/// A run cancelled while a handler waits: the body's wait ends cancelled, the handler's is cut short.
inline exports cancelled() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&overlap::run, 50, {.id = "cancelled"});
    ex.run_until_idle();
    h.signal(&overlap::slow, 100);
    ex.advance(2ms);
    h.cancel();
    ex.run_until_idle();
    return collect("cancelled", rt);
}

/// The body's and two handlers' waits begin and end interleaved, not nested; the run completes.
inline exports overlapping() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&overlap::run, 5, {.id = "overlapping"});
    ex.run_until_idle();
    h.signal(&overlap::slow, 10);  // handler 1 sleeps 0-10ms; the body's first wait ends at 0 meanwhile
    ex.advance(2ms);
    h.signal(&overlap::slow, 1);  // handler 2 sleeps 2-3ms, inside the body's sleep (0-5ms)
    ex.advance(1ms);
    h.signal(&overlap::slow, 4);  // handler 3 sleeps 3-7ms: past the body's sleep, before handler 1 ends
    ex.run_until_idle();
    return collect("overlapping", rt);
}

/// Three continue-as-new, each while a handler sleeps; the last run completes.
inline exports continue_as_new_chain() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&chain::run, 3, {.id = "chain"});
    for (int i = 0; i < 4; ++i) {
        ex.run_until_idle();
        h.signal(&chain::slow, 5);
        ex.advance(2ms);
    }
    ex.run_until_idle();
    return collect("continue_as_new_chain", rt);
}

/// Runs still open at export: one with the body and a handler waiting, one that never began waiting.
inline exports open_runs() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};
    auto h = rt.start_workflow(&overlap::run, 1, {.id = "open"});
    ex.run_until_idle();
    h.signal(&overlap::stay);
    h.signal(&overlap::slow, 1'000);
    ex.advance(3ms);
    (void)rt.start_workflow(&forever_wf::run, {.id = "not yet run"});
    return collect("open_runs", rt);
}

inline std::vector<exports> all() {
    return {hostile_text(), terminated(), cancelled(), overlapping(), continue_as_new_chain(), open_runs()};
}

}  // namespace export_scenarios
