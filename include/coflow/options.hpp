// coflow/options.hpp: the options of a runtime and of a workflow start.
// Plain aggregates, so that designated initialisers read like keyword arguments: {.id = "order-7"}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <coflow/args.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// What a start may do when the id's latest run has closed (a running id always conflicts).
enum class id_reuse_policy {
    allow_duplicate,              ///< start a new run (Temporal's default)
    allow_duplicate_failed_only,  ///< start only if the last run failed, was cancelled, terminated or timed out
    reject_duplicate,             ///< never reuse the id
};

/// Options of `runtime::start_workflow`.
struct start_options {
    std::string id{};  ///< the workflow id; empty: the runtime makes one ("<type>-<n>")
    id_reuse_policy id_reuse = id_reuse_policy::allow_duplicate;
    /// Temporal's workflow execution timeout: the whole chain of runs (continue-as-new included) closes
    /// as timed_out once this much executor time passed since its first run started. Zero: none.
    duration execution_timeout{};
    /// Temporal's workflow run timeout: each run of the chain closes as timed_out once this much passed
    /// since it started (and never later than the execution timeout). Zero: none.
    duration run_timeout{};
    /// Signal-with-start: if set, this signal is sent with the start. A running id only gets the signal
    /// (nothing new starts); otherwise the new run handles it before the first line of its body.
    std::string start_signal{};
    arg_pack start_signal_args{};  ///< coflow::args(...) for start_signal
};

/// Options of a `runtime`. A limit of 0 means "no limit".
struct runtime_options {
    /// Signals a run may receive; past it the sender gets signal_limit_exceeded (Temporal: 10,000). With no
    /// limit (0) or one above it, a run still stops at 4,294,967,295, the most its 32-bit count holds.
    std::size_t max_received_signals_per_run = 10'000;
    /// Signals a workflow may have sent through external handles and not yet had accepted (Temporal: 2,000).
    std::size_t max_pending_outgoing_signals = 2'000;
    /// Updates a run may have taken and not finished; past it the sender gets update_limit_exceeded (Temporal: 10).
    std::size_t max_updates_in_flight_per_run = 10;
    /// Updates a run may take in all (rejected ones do not count; Temporal: 2,000).
    std::size_t max_updates_per_run = 2'000;
    /// Seeds run ids and each run's random(); the same seed gives the same runs.
    std::uint64_t seed = 0;
    /// Record each run's event history (see history.hpp). Off, it costs one branch per event.
    bool record_history = false;
};

}  // namespace coflow
