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
    wait_started,         ///< name: what it waits on (wait_condition, sleep, signal_channel, child_result,
                          ///< signal_sent, mutex, semaphore, when_any, when_all, task_scope::join, and
                          ///< task_start for a spawned task queued to start); args: [its label], if it has one
    wait_ended,           ///< name: as wait_started; args: ["fired" | "timed_out" | "cancelled"]
    timer_started,        ///< args: [duration in ns]
    timer_fired,          ///<
    child_started,        ///< name: child workflow id; args: [child type]
    child_closed,         ///< name: child workflow id; args: [status, reason (terminated) or timeout (timed out)]
    signal_sent,          ///< name: target id; args: [signal, "accepted" or the error]
    continued_as_new,     ///< args: the new run's arguments
    workflow_completed,   ///< args: [result]
    workflow_failed,      ///< args: [error message]
    workflow_cancelled,   ///<
    workflow_terminated,  ///< args: [reason]
    workflow_timed_out,   ///< args: ["execution" | "run", the timeout in ns] (an input: replay times the run out)
    update_accepted,      ///< name: update; args: [update id, its arguments...] (an input: replay feeds it back)
    update_completed,     ///< name: update; args: [update id, result or error message]
    patched,              ///< name: patch id (coflow::patched): the run took the patched code path
};

/// The last event kind (for range checks of read or hand-made histories).
inline constexpr event_kind last_event_kind = event_kind::patched;

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
        case event_kind::workflow_timed_out: return "workflow_timed_out";
        case event_kind::update_accepted: return "update_accepted";
        case event_kind::update_completed: return "update_completed";
        case event_kind::patched: return "patched";
    }
    return "unknown";
}

/// The events that close a run: nothing is recorded after one.
[[nodiscard]] constexpr bool is_closing(event_kind k) noexcept {
    return k == event_kind::workflow_completed || k == event_kind::workflow_failed ||
           k == event_kind::workflow_cancelled || k == event_kind::workflow_terminated ||
           k == event_kind::workflow_timed_out || k == event_kind::continued_as_new;
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
    /// wait_started, wait_ended: a signal handler waits, not the body. A run's handlers may wait at the
    /// same time as its body and as each other, so its waits need not nest.
    bool in_handler = false;
    std::size_t start_index = 0;  ///< wait_ended: the index of the wait_started it ends

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
    /// The run's timeouts (start options) in ns, 0 for none, and its chain's execution deadline (executor
    /// time in ns, 0 for none): replay gives them to the replayed run, so that coflow::info() says the same.
    std::int64_t execution_timeout_ns = 0, run_timeout_ns = 0, execution_deadline_ns = 0;
    std::vector<history_event> events;
    /// The index of events[0] in the run's history: 0, unless a journal keeps the histories in its file
    /// and not in memory (journal_options::histories_in_memory), which lets go of the events it wrote.
    std::size_t first_event = 0;

    /// One JSON object per line: {"workflow_id","run_id","index","time_ns","event","name","args"}.
    [[nodiscard]] std::string to_json_lines() const {
        std::string out;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const history_event& e = events[i];
            out += "{\"workflow_id\":";
            detail::append_json_string(out, workflow_id);
            out += ",\"run_id\":";
            detail::append_json_string(out, run_id);
            out += ",\"index\":" + std::to_string(first_event + i) + ",\"time_ns\":" + std::to_string(e.time_ns) +
                   ",\"event\":\"";
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

namespace detail {
/// Its closing event is its last: what happens to the run afterwards is not recorded.
[[nodiscard]] inline bool history_closed(const history& h) noexcept {
    return !h.events.empty() && is_closing(h.events.back().kind);
}
}  // namespace detail

namespace detail {

/// Writes runs into a Chrome trace-event document (see to_chrome_trace).
class trace_writer {
public:
    explicit trace_writer(std::string& out) : out_(out) {}

    void add(const history& h, std::size_t pid) {
        pid_ = pid;
        std::string label;
        append_json_string(label, h.workflow_id + " (" + h.workflow_type + ", run " + h.run_id.substr(0, 8) + ")");
        emit("M", 0, "process_name", ",\"args\":{\"name\":" + label + "}");
        emit("M", 0, "process_sort_index", ",\"args\":{\"sort_index\":" + std::to_string(pid) + "}");
        emit("M", 0, "thread_name", ",\"args\":{\"name\":\"workflow\"}");
        run_.clear();
        body_.clear();
        handlers_.clear();
        for (std::size_t i = 0; i < h.events.size(); ++i) add_event(h.events[i], h.first_event + i);
        if (!h.events.empty()) close_all(h.events.back().time_ns, "open at export");
    }

private:
    struct open_wait {
        std::size_t start;  // the index of its wait_started
        std::string name;
        std::uint64_t id;  // async slices (handlers' waits) only
    };

    void add_event(const history_event& e, std::size_t index) {
        std::string args = ",\"args\":{\"detail\":[";
        for (std::size_t a = 0; a < e.args.size(); ++a) (args += a ? "," : "") += e.args[a];
        args += "]}";
        switch (e.kind) {
            case event_kind::workflow_started:
                close_all(e.time_ns, "run restarted");
                run_ = "run " + e.name;
                emit("B", e.time_ns, run_, args);
                return;
            case event_kind::wait_started:
                if (e.in_handler) {
                    handlers_.push_back({index, "handler wait: " + e.name, ++async_ids_});
                    emit("b", e.time_ns, handlers_.back().name, async_id(handlers_.back().id) + args);
                } else {
                    body_.push_back({index, "wait: " + e.name, 0});
                    emit("B", e.time_ns, body_.back().name, args);
                }
                return;
            case event_kind::wait_ended:
                if (end_wait(e.start_index, e.time_ns, args)) return;
                break;  // its start is not open here: an instant
            case event_kind::workflow_completed:
            case event_kind::workflow_failed:
            case event_kind::workflow_cancelled:
            case event_kind::workflow_terminated:
            case event_kind::workflow_timed_out:
            case event_kind::continued_as_new:
                emit("i", e.time_ns, to_string(e.kind), args + ",\"s\":\"t\"");
                close_all(e.time_ns, "the run closed");
                return;
            default: break;
        }
        emit("i", e.time_ns, std::string(to_string(e.kind)) + (e.name.empty() ? "" : " " + e.name),
             args + ",\"s\":\"t\"");
    }

    // Ends the open wait that began at event `start`, if there is one.
    bool end_wait(std::size_t start, std::int64_t ts, std::string_view args) {
        for (std::size_t k = handlers_.size(); k-- > 0;)
            if (handlers_[k].start == start) {
                emit("e", ts, handlers_[k].name, async_id(handlers_[k].id) + std::string(args));
                handlers_.erase(handlers_.begin() + static_cast<std::ptrdiff_t>(k));
                return true;
            }
        for (std::size_t k = body_.size(); k-- > 0;)
            if (body_[k].start == start) {
                while (body_.size() > k + 1) end_body_wait(ts, "a later wait ended first");  // never, from coflow
                emit("E", ts, body_.back().name, args);
                body_.pop_back();
                return true;
            }
        return false;
    }

    void end_body_wait(std::int64_t ts, std::string_view why) {
        emit("E", ts, body_.back().name, unfinished(why));
        body_.pop_back();
    }

    // Ends every slice still open (the run's last): waits a closing run cut short, or a run still open.
    void close_all(std::int64_t ts, std::string_view why) {
        while (!body_.empty()) end_body_wait(ts, why);
        for (const open_wait& w : handlers_) emit("e", ts, w.name, async_id(w.id) + unfinished(why));
        handlers_.clear();
        if (!run_.empty()) emit("E", ts, run_, "");
        run_.clear();
    }

    static std::string unfinished(std::string_view why) {
        return ",\"args\":{\"unfinished\":\"" + std::string(why) + "\"}";
    }
    static std::string async_id(std::uint64_t id) {
        return ",\"cat\":\"handler_wait\",\"id\":" + std::to_string(id);
    }

    void emit(std::string_view ph, std::int64_t ts_ns, std::string_view name, std::string_view extra) {
        out_ += first_ ? "\n" : ",\n";
        first_ = false;
        out_ += "{\"ph\":\"";
        out_ += ph;
        out_ += "\",\"pid\":" + std::to_string(pid_) + ",\"tid\":" + std::to_string(pid_) + ",\"ts\":";
        // Microseconds, exactly.
        const std::uint64_t ns = ts_ns < 0 ? 0 - static_cast<std::uint64_t>(ts_ns) : static_cast<std::uint64_t>(ts_ns);
        if (ts_ns < 0) out_ += '-';
        out_ += std::to_string(ns / 1000);
        const auto frac = static_cast<unsigned>(ns % 1000);
        out_ += '.';
        out_ += static_cast<char>('0' + frac / 100);
        out_ += static_cast<char>('0' + frac / 10 % 10);
        out_ += static_cast<char>('0' + frac % 10);
        out_ += ",\"name\":";
        append_json_string(out_, name);
        out_ += extra;
        out_ += "}";
    }

    std::string& out_;
    bool first_ = true;
    std::size_t pid_ = 0;
    std::uint64_t async_ids_ = 0;  // async slices' ids, unique in the document
    std::string run_;              // the open run slice's name (empty: none)
    std::vector<open_wait> body_;
    std::vector<open_wait> handlers_;
};

}  // namespace detail

/// Several runs' histories as one Chrome trace-event JSON document: open it in https://ui.perfetto.dev or
/// chrome://tracing. Each run is a process, numbered from 1 in start order and named "id (type, run
/// <first 8 of its run id>)". Its track holds the run as a slice, the body's waits as slices inside it and
/// other events as instants. Signal handlers' waits may overlap the body's and each other's, so they are
/// async slices of the run's process. What a run leaves open (waits its end cut short, or the run itself
/// when it is still open) ends with its last event, with an "unfinished" argument saying why.
[[nodiscard]] inline std::string to_chrome_trace(const std::vector<std::shared_ptr<const history>>& runs) {
    std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
    detail::trace_writer w(out);
    for (std::size_t t = 0; t < runs.size(); ++t) w.add(*runs[t], t + 1);
    out += "\n]}\n";
    return out;
}

}  // namespace coflow
