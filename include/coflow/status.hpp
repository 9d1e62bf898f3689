// coflow/status.hpp: a workflow run's status and the description returned by describe().
// Mirrors Temporal's execution statuses and update stages, and names the timeouts a run can time out by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coflow {

enum class workflow_status : std::uint8_t {  // one byte: every run record keeps two
    running,
    completed,
    failed,
    cancelled,
    terminated,
    continued_as_new,
    timed_out,  ///< its execution or run timeout passed (start options); none of its code ran after that
};

[[nodiscard]] constexpr std::string_view to_string(workflow_status s) noexcept {
    switch (s) {
        case workflow_status::running: return "running";
        case workflow_status::completed: return "completed";
        case workflow_status::failed: return "failed";
        case workflow_status::cancelled: return "cancelled";
        case workflow_status::terminated: return "terminated";
        case workflow_status::continued_as_new: return "continued_as_new";
        case workflow_status::timed_out: return "timed_out";
    }
    return "unknown";
}

/// Which timeout closed a run (Temporal's workflow execution and run timeouts).
enum class timeout_kind {
    execution,  ///< the whole continue-as-new chain's, counted from its first run's start
    run,        ///< one run's, counted from its start
};

[[nodiscard]] constexpr std::string_view to_string(timeout_kind k) noexcept {
    switch (k) {
        case timeout_kind::execution: return "execution";
        case timeout_kind::run: return "run";
    }
    return "unknown";
}

/// Where an update is (update_handle::stage): Temporal's stages admitted < accepted < completed, with
/// the ways an update can end other than by completing.
enum class update_stage : unsigned char {
    admitted,    ///< taken by the run, waiting in its inbox
    accepted,    ///< past its validator: its handler runs (an async one may still be waiting)
    completed,   ///< its handler returned: result() gives the value
    failed,      ///< its handler threw: result() throws update_failed
    rejected,    ///< its validator rejected it (threw, or returned coflow::reject): update_rejected
    unfinished,  ///< its run closed first: update_unfinished
};

[[nodiscard]] constexpr std::string_view to_string(update_stage s) noexcept {
    switch (s) {
        case update_stage::admitted: return "admitted";
        case update_stage::accepted: return "accepted";
        case update_stage::completed: return "completed";
        case update_stage::failed: return "failed";
        case update_stage::rejected: return "rejected";
        case update_stage::unfinished: return "unfinished";
    }
    return "unknown";
}

/// A snapshot of a workflow's latest run (see workflow_handle::describe).
struct workflow_description {
    std::string id;
    std::string run_id;
    std::string type;
    workflow_status status = workflow_status::running;
    std::size_t pending_signals = 0;   ///< accepted, not yet delivered to a handler or channel
    std::size_t received_signals = 0;  ///< accepted in this run (counts against the per-run limit)
    std::size_t pending_outgoing_signals = 0;  ///< sent through external handles, not yet delivered
    std::size_t pending_updates = 0;   ///< taken, not yet delivered to a validator and handler
    std::size_t running_handlers = 0;  ///< async signal and update handlers started and not finished
    bool cancel_requested = false;  ///< cancel() was called on this run; stays true after the body caught it
    /// What the run is suspended on right now, one entry per wait, like Temporal's stack-trace query:
    /// "body: wait_condition", "handler: sleep until 1500ms", "body: child_result 'apply-3'" ...
    std::vector<std::string> waiting_on;
};

}  // namespace coflow
