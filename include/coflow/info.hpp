// coflow/info.hpp: coflow::info(), what workflow code can know about its own run.
// Like Temporal's workflow.info(): ids, start time, history length, counters, whether continue-as-new is due.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <coflow/detail/engine.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// A snapshot of the current run, taken by coflow::info(). Every field is about this run (a run that
/// continued as new starts again from zero) unless it says otherwise.
struct workflow_info {
    std::string id;                ///< the workflow id (the same in every run of a continue-as-new chain)
    std::string run_id;            ///< this run's id
    std::string_view type;         ///< the workflow type's name, from its definition
    std::string first_run_id;      ///< the first run of this continue-as-new chain (this run, if it continued from none)
    std::string continued_run_id;  ///< the run this one continued from; empty if none
    std::string parent_id;         ///< the parent's workflow id, for a child workflow; empty otherwise
    time_point start_time{};       ///< executor time when this run started
    duration execution_timeout{};  ///< the chain's execution timeout (start options); zero: none
    duration run_timeout{};        ///< each run's run timeout (start options); zero: none
    /// When this run times out: the earlier of its run timeout's deadline and the chain's (counted from
    /// its first run's start); empty if it has no timeout.
    std::optional<time_point> deadline;
    /// Events in this run's history so far (Temporal's history length); 0 when the runtime records no
    /// histories (runtime_options::record_history). For logic, use `steps`: it does not depend on recording.
    std::size_t history_length = 0;
    /// Steps this run has taken: each signal delivered to it and each time its code resumed (its start
    /// included). It grows with the work the run does, and so with its history, recorded or not: the way
    /// to continue as new when a run gets long.
    std::uint64_t steps = 0;
    std::size_t received_signals = 0;          ///< accepted in this run (the per-run limit counts these)
    std::size_t pending_signals = 0;           ///< accepted, not yet delivered
    std::size_t pending_outgoing_signals = 0;  ///< sent through external handles in this step
    std::size_t max_received_signals = 0;      ///< the runtime's per-run limit (0: none)
    std::size_t received_updates = 0;  ///< taken by this run and not rejected (the per-run limit counts these)
    std::size_t pending_updates = 0;   ///< taken, not yet delivered
    std::size_t max_updates = 0;       ///< the runtime's per-run update limit (0: none)
    /// True once received_signals reaches 80% of its limit, or received_updates 90% of its own (as
    /// Temporal suggests at 90% of its update limit): time to drain and continue as new.
    bool continue_as_new_suggested = false;
};

/// The current run's info. Only inside workflow code (else not_in_workflow).
[[nodiscard]] inline workflow_info info() {
    const detail::activation& a = detail::require_activation("coflow::info");
    const detail::instance_base& in = *a.inst;
    const detail::instance_base::extras* x = in.x.get();
    workflow_info i;
    i.id = in.id;
    i.run_id = in.run_id();
    i.type = in.type.name;
    if (x && x->continued) {
        i.first_run_id = detail::run_id_of(x->first_run_key);
        i.continued_run_id = detail::run_id_of(x->continued_run_key);
    } else {
        i.first_run_id = i.run_id;
    }
    if (x) i.parent_id = x->parent_id;
    i.start_time = in.start_time;
    if (x) {
        i.execution_timeout = x->execution_timeout;
        i.run_timeout = x->run_timeout;
        if (x->timeout_due != time_point::max()) i.deadline = x->timeout_due;
    }
    i.history_length = in.hist ? in.hist->first_event + in.hist->events.size() : 0;
    i.steps = in.steps;
    i.received_signals = in.received;
    i.pending_signals = in.pending_signals();
    i.pending_outgoing_signals = in.pending_outgoing();
    i.max_received_signals = a.eng->options().max_received_signals_per_run;
    i.received_updates = x && x->updates ? x->updates->total : 0;
    i.pending_updates = in.pending_updates();
    i.max_updates = a.eng->options().max_updates_per_run;
    i.continue_as_new_suggested =
        (i.max_received_signals != 0 && i.received_signals * 5 >= i.max_received_signals * 4) ||
        (i.max_updates != 0 && i.received_updates * 10 >= i.max_updates * 9);
    return i;
}

}  // namespace coflow
