// coflow/errors.hpp: one exception type per failure mode, all deriving from coflow::error.
// Every message starts with "[coflow.<code>]" and names the workflow id and the signal or query involved.
// Built without exceptions, coflow passes them to the error handler instead of throwing (error_handler.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/raise.hpp>
#include <coflow/error_handler.hpp>
#include <coflow/status.hpp>

namespace coflow {

/// A stable code per failure mode; `error::code()` returns it.
enum class errc {
    workflow_not_found = 1,
    workflow_already_started,
    workflow_closed,
    unknown_signal,
    unknown_query,
    argument_mismatch,
    signal_limit_exceeded,
    query_failed,
    workflow_failed,
    workflow_cancelled,
    workflow_terminated,
    cancelled,
    not_in_workflow,
    nondeterminism,
    result_not_ready,
    workflow_type_mismatch,
    invalid_operation,
    invalid_history,
    invalid_save,
    workflow_timed_out,
    unknown_update,
    update_rejected,
    update_failed,
    update_limit_exceeded,
    update_unfinished,
    wrong_thread,
    journal_failed,
};

[[nodiscard]] constexpr std::string_view to_string(errc c) noexcept {
    switch (c) {
        case errc::workflow_not_found: return "workflow_not_found";
        case errc::workflow_already_started: return "workflow_already_started";
        case errc::workflow_closed: return "workflow_closed";
        case errc::unknown_signal: return "unknown_signal";
        case errc::unknown_query: return "unknown_query";
        case errc::argument_mismatch: return "argument_mismatch";
        case errc::signal_limit_exceeded: return "signal_limit_exceeded";
        case errc::query_failed: return "query_failed";
        case errc::workflow_failed: return "workflow_failed";
        case errc::workflow_cancelled: return "workflow_cancelled";
        case errc::workflow_terminated: return "workflow_terminated";
        case errc::cancelled: return "cancelled";
        case errc::not_in_workflow: return "not_in_workflow";
        case errc::nondeterminism: return "nondeterminism";
        case errc::result_not_ready: return "result_not_ready";
        case errc::workflow_type_mismatch: return "workflow_type_mismatch";
        case errc::invalid_operation: return "invalid_operation";
        case errc::invalid_history: return "invalid_history";
        case errc::invalid_save: return "invalid_save";
        case errc::workflow_timed_out: return "workflow_timed_out";
        case errc::unknown_update: return "unknown_update";
        case errc::update_rejected: return "update_rejected";
        case errc::update_failed: return "update_failed";
        case errc::update_limit_exceeded: return "update_limit_exceeded";
        case errc::update_unfinished: return "update_unfinished";
        case errc::wrong_thread: return "wrong_thread";
        case errc::journal_failed: return "journal_failed";
    }
    return "unknown";
}

/// Base of every coflow error. `what()` is "[coflow.<code>] <message>".
class error : public std::runtime_error {
public:
    error(errc code, const std::string& message)
        : std::runtime_error("[coflow." + std::string(to_string(code)) + "] " + message), code_(code) {}

    [[nodiscard]] errc code() const noexcept { return code_; }

private:
    errc code_;
};

namespace detail {
/// The message of an exception_ptr's exception, found without RTTI.
[[nodiscard]] inline std::string describe_exception(const std::exception_ptr& e) {
    if (!e) return "no exception";
    return catch_as<std::exception>(
        e, [](const std::exception& x) { return std::string(x.what()); },
        [] { return std::string("an exception not derived from std::exception"); });
}

[[nodiscard]] inline std::string quoted(std::string_view s) {
    std::string out = "'";
    out += s;
    out += "'";
    return out;
}

/// A duration in its largest unit that divides it exactly: "90s", "1500ms", "2h".
[[nodiscard]] inline std::string duration_text(std::chrono::nanoseconds d) {
    struct unit {
        std::int64_t ns;
        const char* name;
    };
    static constexpr unit units[] = {{3'600'000'000'000, "h"}, {60'000'000'000, "min"}, {1'000'000'000, "s"},
                                     {1'000'000, "ms"},        {1'000, "us"}};
    const std::int64_t n = d.count();
    for (const unit& u : units)
        if (n != 0 && n % u.ns == 0) return std::to_string(n / u.ns) + u.name;
    return std::to_string(n) + "ns";
}
}  // namespace detail

/// No workflow with this id is known to the runtime.
class workflow_not_found : public error {
public:
    explicit workflow_not_found(std::string_view id)
        : error(errc::workflow_not_found, "workflow " + detail::quoted(id) + " not found") {}
    /// The id has a run, but not one this request may address (`why` says so).
    workflow_not_found(std::string_view id, std::string_view why)
        : error(errc::workflow_not_found, "workflow " + detail::quoted(id) + " not found: " + std::string(why)) {}
};

/// A start named an id whose run is still open (or whose reuse policy forbids a new run).
class workflow_already_started : public error {
public:
    workflow_already_started(std::string_view id, std::string_view why)
        : error(errc::workflow_already_started, "workflow " + detail::quoted(id) + " already started: " + std::string(why)) {}
};

/// The operation needs a running workflow, but its latest run has closed.
class workflow_closed : public error {
public:
    workflow_closed(std::string_view id, std::string_view status, std::string_view what)
        : error(errc::workflow_closed, "workflow " + detail::quoted(id) + " is closed (" + std::string(status) +
                                           "): cannot " + std::string(what)) {}
};

/// The workflow type has no signal of this name (or the member is not registered as a signal).
class unknown_signal : public error {
public:
    unknown_signal(std::string_view id, std::string_view type, std::string_view name, std::string_view known)
        : error(errc::unknown_signal, "workflow " + detail::quoted(id) + " of type " + detail::quoted(type) +
                                          " has no signal " + detail::quoted(name) + "; known signals: [" +
                                          std::string(known) + "]") {}
};

/// The workflow type has no query of this name (or the member is not registered as a query).
class unknown_query : public error {
public:
    unknown_query(std::string_view id, std::string_view type, std::string_view name, std::string_view known)
        : error(errc::unknown_query, "workflow " + detail::quoted(id) + " of type " + detail::quoted(type) +
                                         " has no query " + detail::quoted(name) + "; known queries: [" +
                                         std::string(known) + "]") {}
};

/// By-name arguments (or an asked-for result type) differ from what the handler declares.
class argument_mismatch : public error {
public:
    argument_mismatch(std::string_view id, std::string_view kind, std::string_view name, std::string_view expected,
                      std::string_view given)
        : error(errc::argument_mismatch, "workflow " + detail::quoted(id) + ": " + std::string(kind) + " " +
                                             detail::quoted(name) + " expects " + std::string(expected) +
                                             ", given " + std::string(given)) {}
};

/// A per-run signal limit was reached; the signal was not taken.
class signal_limit_exceeded : public error {
public:
    signal_limit_exceeded(std::string_view id, std::string_view signal, std::string_view limit_name,
                          std::size_t limit, std::string_view remedy)
        : error(errc::signal_limit_exceeded,
                "workflow " + detail::quoted(id) + ": signal " + detail::quoted(signal) + " rejected, " +
                    std::string(limit_name) + " limit of " + std::to_string(limit) + " reached (" +
                    std::string(remedy) + ")") {}
};

/// A query handler threw; the workflow itself is unaffected.
class query_failed : public error {
public:
    query_failed(std::string_view id, std::string_view query, std::exception_ptr cause)
        : error(errc::query_failed, "workflow " + detail::quoted(id) + ": query " + detail::quoted(query) +
                                        " failed: " + detail::describe_exception(cause)),
          cause_(std::move(cause)) {}
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }

private:
    std::exception_ptr cause_;
};

/// The workflow type has no update of this name (or the member is not registered as an update).
class unknown_update : public error {
public:
    unknown_update(std::string_view id, std::string_view type, std::string_view name, std::string_view known)
        : error(errc::unknown_update, "workflow " + detail::quoted(id) + " of type " + detail::quoted(type) +
                                          " has no update " + detail::quoted(name) + "; known updates: [" +
                                          std::string(known) + "]") {}
};

/// An update's validator rejected it (threw, or returned coflow::reject): the update was not accepted,
/// recorded or counted. `reason()` is what the validator said, `cause()` what it threw (null if it returned).
class update_rejected : public error {
public:
    update_rejected(std::string_view id, std::string_view update, std::string_view update_id, std::exception_ptr cause)
        : update_rejected(id, update, update_id, detail::describe_exception(cause), cause) {}
    update_rejected(std::string_view id, std::string_view update, std::string_view update_id, std::string reason,
                    std::exception_ptr cause)
        : error(errc::update_rejected, "workflow " + detail::quoted(id) + ": update " + detail::quoted(update) +
                                           " (id " + detail::quoted(update_id) + ") rejected by its validator: " + reason),
          reason_(std::move(reason)),
          cause_(std::move(cause)) {}
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }

private:
    std::string reason_;
    std::exception_ptr cause_;
};

/// An accepted update's handler threw; the workflow itself is unaffected. `cause()` is what it threw.
class update_failed : public error {
public:
    update_failed(std::string_view id, std::string_view update, std::string_view update_id, std::exception_ptr cause)
        : error(errc::update_failed, "workflow " + detail::quoted(id) + ": update " + detail::quoted(update) +
                                         " (id " + detail::quoted(update_id) +
                                         ") failed: " + detail::describe_exception(cause)),
          cause_(std::move(cause)) {}
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }

private:
    std::exception_ptr cause_;
};

/// A per-run update limit was reached; the update was not taken.
class update_limit_exceeded : public error {
public:
    update_limit_exceeded(std::string_view id, std::string_view update, std::string_view limit_name,
                          std::size_t limit, std::string_view remedy)
        : error(errc::update_limit_exceeded,
                "workflow " + detail::quoted(id) + ": update " + detail::quoted(update) + " rejected, " +
                    std::string(limit_name) + " limit of " + std::to_string(limit) + " reached (" +
                    std::string(remedy) + ")") {}
};

/// The run closed (or continued as new) before an update it had taken finished.
class update_unfinished : public error {
public:
    update_unfinished(std::string_view id, std::string_view update, std::string_view update_id)
        : error(errc::update_unfinished, "workflow " + detail::quoted(id) + ": update " + detail::quoted(update) +
                                             " (id " + detail::quoted(update_id) +
                                             ") did not finish: its run closed first") {}
};

/// The workflow's body, or one of its signal handlers, threw. `cause()` is the original exception.
class workflow_failed : public error {
public:
    workflow_failed(std::string_view id, std::exception_ptr cause)
        : error(errc::workflow_failed,
                "workflow " + detail::quoted(id) + " failed: " + detail::describe_exception(cause)),
          cause_(std::move(cause)) {}
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }

private:
    std::exception_ptr cause_;
};

/// The workflow ended because it was cancelled (the `cancelled` error left its body; without
/// exceptions, the run closed when the request came).
class workflow_cancelled : public error {
public:
    explicit workflow_cancelled(std::string_view id)
        : error(errc::workflow_cancelled, "workflow " + detail::quoted(id) + " was cancelled") {}
};

/// The workflow was terminated; none of its code ran after that.
class workflow_terminated : public error {
public:
    workflow_terminated(std::string_view id, std::string_view reason)
        : error(errc::workflow_terminated,
                "workflow " + detail::quoted(id) + " was terminated: " + std::string(reason)) {}
};

/// The workflow's execution or run timeout passed (start_options, child_options): the run closed as
/// timed_out and none of its code ran after that. `which()` names the timeout, `timeout()` its length.
class workflow_timed_out : public error {
public:
    workflow_timed_out(std::string_view id, timeout_kind which, std::chrono::nanoseconds timeout)
        : error(errc::workflow_timed_out, "workflow " + detail::quoted(id) + " timed out: its " +
                                              std::string(to_string(which)) + " timeout (" +
                                              detail::duration_text(timeout) + ") passed"),
          which_(which), timeout_(timeout) {}
    [[nodiscard]] timeout_kind which() const noexcept { return which_; }
    [[nodiscard]] std::chrono::nanoseconds timeout() const noexcept { return timeout_; }

private:
    timeout_kind which_;
    std::chrono::nanoseconds timeout_;
};

/// Thrown inside a workflow, at the body's current co_await, when the workflow is cancelled.
/// The body may catch it to clean up; if it escapes, the run closes as cancelled. Built without
/// exceptions it is never raised: a cancel request closes the run instead (engine::cancel).
class cancelled : public error {
public:
    explicit cancelled(std::string_view id)
        : error(errc::cancelled, "workflow " + detail::quoted(id) + " cancellation requested") {}
};

/// A workflow-only operation (wait_condition, sleep, now, random ...) was used outside workflow code.
class not_in_workflow : public error {
public:
    explicit not_in_workflow(std::string_view what)
        : error(errc::not_in_workflow, std::string(what) + " may only be used inside workflow code run by a coflow runtime") {}
};

/// Re-running workflow code against its history made a different decision.
class nondeterminism_error : public error {
public:
    explicit nondeterminism_error(const std::string& message) : error(errc::nondeterminism, message) {}
};

/// `result()` was asked of a workflow that is still running.
class result_not_ready : public error {
public:
    explicit result_not_ready(std::string_view id)
        : error(errc::result_not_ready, "workflow " + detail::quoted(id) +
                                            " is still running: drive the executor (for example run_until_idle()) "
                                            "until it closes before asking for its result") {}
    /// An update's result was asked before the executor ran it to the end.
    result_not_ready(std::string_view id, std::string_view update, std::string_view update_id)
        : error(errc::result_not_ready, "workflow " + detail::quoted(id) + ": update " + detail::quoted(update) +
                                            " (id " + detail::quoted(update_id) +
                                            ") has not finished: drive the executor (for example "
                                            "run_until_idle()) before asking for its result") {}
};

/// A typed handle was used on a workflow of a different type.
class workflow_type_mismatch : public error {
public:
    workflow_type_mismatch(std::string_view id, std::string_view expected, std::string_view actual)
        : error(errc::workflow_type_mismatch, "workflow " + detail::quoted(id) + " is of type " +
                                                  detail::quoted(actual) + ", but the handle is for type " +
                                                  detail::quoted(expected)) {}
};

/// An operation that cannot be done in the current state (named in the message).
class invalid_operation : public error {
public:
    explicit invalid_operation(const std::string& message) : error(errc::invalid_operation, message) {}
};

/// A runtime, one of its handles or a realtime_executor's loop was used from a thread other than the one
/// that owns it. Checked only in builds without NDEBUG (release builds pay nothing). The message names what
/// was called and how to hand the call over instead.
class wrong_thread : public error {
public:
    /// `what` says what happened ("workflow 'c': a handle was used"); `owner` what the thread does not own.
    explicit wrong_thread(std::string_view what, std::string_view owner = "its runtime")
        : error(errc::wrong_thread,
                std::string(what) + " on a thread that does not own " + std::string(owner) +
                    ". coflow runs on one thread: hand the call to the thread that drives the executor "
                    "(realtime_executor::submit, or call for a result), or, to move a runtime to this thread, "
                    "call runtime::bind_to_current_thread() here first") {}
};

/// A history given to replay is damaged: not one run's events as coflow records them (the message names
/// the workflow, the event and what is wrong with it).
class invalid_history : public error {
public:
    invalid_history(std::string_view id, const std::string& what)
        : error(errc::invalid_history, "history of workflow " + detail::quoted(id) + ": " + what) {}
};

/// A journal's file could not be opened, written, synced or replaced (journal.hpp). The message names the
/// file and the system's reason. The input whose call raised it was accepted in memory but may not be on disk.
class journal_error : public error {
public:
    journal_error(std::string_view path, std::string_view what)
        : error(errc::journal_failed, "journal '" + std::string(path) + "': " + std::string(what)) {}
};

/// Saved text is damaged: truncated, corrupted, hand-edited or hostile. `position()` is the byte where reading
/// stopped, and the message names it and what was expected there: "at byte 12: expected ';' ending an integer
/// of type 'int', found 'x'".
class invalid_save : public error {
public:
    invalid_save(std::size_t position, std::string_view what)
        : error(errc::invalid_save, "at byte " + std::to_string(position) + ": " + std::string(what)),
          position_(position) {}
    [[nodiscard]] std::size_t position() const noexcept { return position_; }

private:
    std::size_t position_;
};

}  // namespace coflow
