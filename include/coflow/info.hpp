// coflow/info.hpp: coflow::info(), what workflow code can know about its own run.
// Like Temporal's workflow.info(): ids, counters, and whether continue-as-new is due.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <coflow/detail/engine.hpp>

namespace coflow {

struct workflow_info {
    std::string id;
    std::string run_id;
    std::string_view type;
    std::size_t received_signals = 0;          ///< accepted in this run (the per-run limit counts these)
    std::size_t pending_signals = 0;           ///< accepted, not yet delivered
    std::size_t pending_outgoing_signals = 0;  ///< sent through external handles in this step
    std::size_t max_received_signals = 0;      ///< the runtime's per-run limit (0: none)
    /// True once received_signals reaches 80% of the limit: time to drain and continue as new.
    bool continue_as_new_suggested = false;
};

/// The current run's info. Only inside workflow code (else not_in_workflow).
[[nodiscard]] inline workflow_info info() {
    const detail::activation& a = detail::require_activation("coflow::info");
    const detail::instance_base& in = *a.inst;
    workflow_info i;
    i.id = in.id;
    i.run_id = in.run_id();
    i.type = in.type.name;
    i.received_signals = in.received;
    i.pending_signals = in.pending_signals();
    i.pending_outgoing_signals = in.pending_outgoing();
    i.max_received_signals = a.eng->options().max_received_signals_per_run;
    i.continue_as_new_suggested =
        i.max_received_signals != 0 && i.received_signals * 5 >= i.max_received_signals * 4;
    return i;
}

}  // namespace coflow
