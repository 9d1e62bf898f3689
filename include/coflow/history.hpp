// coflow/history.hpp: a run's event history (opt-in), how arguments become text, and its exports.
// JSON lines for tools, Chrome trace-event JSON for Perfetto / chrome://tracing.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <coflow/detail/workflow_type.hpp>
#include <coflow/history_text.hpp>

namespace coflow {

/// The kinds of history events. Their names (to_string) are the "event" field of the exports.
enum class event_kind {
    workflow_started,     ///< name: workflow type; args: the run's arguments
    signal_accepted,      ///< name: signal; args: its arguments (an input: replay feeds it back)
    signal_handled,       ///< name: signal; args: [its order in the run, from 1]
    cancel_requested,     ///< an input
    wait_started,         ///< name: what it waits on (wait_condition, sleep, signal_channel, child, signal_sent)
    wait_ended,           ///< name: as wait_started; args: ["fired" | "timed_out" | "cancelled"]
    timer_started,        ///< args: [duration in ns]
    timer_fired,          ///<
    child_started,        ///< name: child workflow id; args: [child type]
    child_closed,         ///< name: child workflow id; args: [status]
    signal_sent,          ///< name: target id; args: [signal, "accepted" or the error]
    continued_as_new,     ///< args: the new run's arguments
    workflow_completed,   ///< args: [result]
    workflow_failed,      ///< args: [error message]
    workflow_cancelled,   ///<
    workflow_terminated,  ///< args: [reason]
};

[[nodiscard]] constexpr std::string_view to_string(event_kind k) noexcept {
    switch (k) {
        case event_kind::workflow_started: return "workflow_started";
        case event_kind::signal_accepted: return "signal_accepted";
        case event_kind::signal_handled: return "signal_handled";
        case event_kind::cancel_requested: return "cancel_requested";
        case event_kind::wait_started: return "wait_started";
        case event_kind::wait_ended: return "wait_ended";
        case event_kind::timer_started: return "timer_started";
        case event_kind::timer_fired: return "timer_fired";
        case event_kind::child_started: return "child_started";
        case event_kind::child_closed: return "child_closed";
        case event_kind::signal_sent: return "signal_sent";
        case event_kind::continued_as_new: return "continued_as_new";
        case event_kind::workflow_completed: return "workflow_completed";
        case event_kind::workflow_failed: return "workflow_failed";
        case event_kind::workflow_cancelled: return "workflow_cancelled";
        case event_kind::workflow_terminated: return "workflow_terminated";
    }
    return "unknown";
}

/// The events that close a run: nothing is recorded after one.
[[nodiscard]] constexpr bool is_closing(event_kind k) noexcept {
    return k == event_kind::workflow_completed || k == event_kind::workflow_failed ||
           k == event_kind::workflow_cancelled || k == event_kind::workflow_terminated ||
           k == event_kind::continued_as_new;
}

/// One event of a run. `args` holds JSON values (see history_text).
struct history_event {
    event_kind kind{};
    std::int64_t time_ns = 0;  ///< the executor's clock when it happened
    std::string name;
    std::vector<std::string> args;
    std::shared_ptr<detail::arg_pack_base> input;  ///< inputs: a copy of the arguments, for replay
    std::exception_ptr error;                      ///< signal_sent: what the target refused; child_closed: why it failed
    /// signal_accepted, cancel_requested: the run's own code sent it (to itself), so replay makes it
    /// again rather than feeding it as an input.
    bool self_sent = false;

    /// "#index kind name [args] @time": how events are named in nondeterminism errors.
    [[nodiscard]] std::string describe(std::size_t index) const {
        std::string s = "#" + std::to_string(index) + " " + std::string(to_string(kind));
        if (!name.empty()) s += " " + name;
        if (self_sent) s += " (self-sent)";
        if (!args.empty()) {
            s += " [";
            for (std::size_t i = 0; i < args.size(); ++i) (s += i ? ", " : "") += args[i];
            s += "]";
        }
        return s + " @" + std::to_string(time_ns) + "ns";
    }

    /// Same decision: kind, name, arguments and time (the replay check compares these).
    [[nodiscard]] bool same_as(const history_event& o) const {
        return kind == o.kind && name == o.name && args == o.args && time_ns == o.time_ns && self_sent == o.self_sent;
    }
};

/// The events of one run, in order.
struct history {
    std::string workflow_id;
    std::string run_id;
    std::string workflow_type;
    std::uint64_t seed = 0;  ///< the run's random() seed, so replay draws the same numbers
    std::vector<history_event> events;

    /// One JSON object per line: {"workflow_id","run_id","index","time_ns","event","name","args"}.
    [[nodiscard]] std::string to_json_lines() const {
        std::string out;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const history_event& e = events[i];
            out += "{\"workflow_id\":";
            detail::append_json_string(out, workflow_id);
            out += ",\"run_id\":";
            detail::append_json_string(out, run_id);
            out += ",\"index\":" + std::to_string(i) + ",\"time_ns\":" + std::to_string(e.time_ns) + ",\"event\":\"";
            out += to_string(e.kind);
            out += "\",\"name\":";
            detail::append_json_string(out, e.name);
            out += ",\"args\":[";
            for (std::size_t a = 0; a < e.args.size(); ++a) (out += a ? "," : "") += e.args[a];
            out += e.self_sent ? "],\"self_sent\":true}\n" : "]}\n";
        }
        return out;
    }
};

/// Several runs' histories as one Chrome trace-event JSON document (open it in https://ui.perfetto.dev
/// or chrome://tracing): one track per run, waits and timers as slices, signals as instant events.
[[nodiscard]] inline std::string to_chrome_trace(const std::vector<std::shared_ptr<const history>>& runs) {
    std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
    bool first = true;
    auto emit = [&](std::string_view ph, std::size_t tid, std::int64_t ts_ns, std::string_view name,
                    std::string_view extra) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "{\"ph\":\"";
        out += ph;
        out += "\",\"pid\":1,\"tid\":" + std::to_string(tid) + ",\"ts\":";
        out += std::to_string(ts_ns / 1000) + "." + std::to_string((ts_ns % 1000) / 100);  // microseconds
        out += ",\"name\":";
        detail::append_json_string(out, name);
        out += extra;
        out += "}";
    };
    for (std::size_t t = 0; t < runs.size(); ++t) {
        const history& h = *runs[t];
        const std::size_t tid = t + 1;
        std::string label;
        detail::append_json_string(label, h.workflow_id + " (" + h.workflow_type + ", run " + h.run_id.substr(0, 8) + ")");
        emit("M", tid, 0, "thread_name", ",\"args\":{\"name\":" + label + "}");
        for (const history_event& e : h.events) {
            std::string args = ",\"args\":{\"detail\":[";
            for (std::size_t a = 0; a < e.args.size(); ++a) (args += a ? "," : "") += e.args[a];
            args += "]}";
            switch (e.kind) {
                case event_kind::wait_started: emit("B", tid, e.time_ns, "wait: " + e.name, args); break;
                case event_kind::wait_ended: emit("E", tid, e.time_ns, "wait: " + e.name, args); break;
                case event_kind::workflow_started: emit("B", tid, e.time_ns, "run " + e.name, args); break;
                case event_kind::workflow_completed:
                case event_kind::workflow_failed:
                case event_kind::workflow_cancelled:
                case event_kind::workflow_terminated:
                case event_kind::continued_as_new:
                    emit("i", tid, e.time_ns, std::string(to_string(e.kind)), args + ",\"s\":\"t\"");
                    emit("E", tid, e.time_ns, "run " + h.workflow_type, "");
                    break;
                default:
                    emit("i", tid, e.time_ns, std::string(to_string(e.kind)) + (e.name.empty() ? "" : " " + e.name),
                         args + ",\"s\":\"t\"");
            }
        }
    }
    out += "\n]}\n";
    return out;
}

}  // namespace coflow
