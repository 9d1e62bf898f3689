// coflow/replay.hpp: replay(history, definition), re-running workflow code against a recorded history.
// A run whose decisions differ from the recording throws nondeterminism_error naming the first difference.
#pragma once

#include <string>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/deterministic_executor.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/runtime.hpp>

namespace coflow {

namespace detail {
[[nodiscard]] inline bool is_input(event_kind k) noexcept {
    return k == event_kind::signal_accepted || k == event_kind::cancel_requested;
}
}  // namespace detail

/// Re-runs a workflow of the class named by `definition` against `recorded` (one run's history) on a
/// fresh deterministic executor, feeding it the recorded inputs (start arguments, signals, cancel
/// requests) at the recorded moments, and checks that it records the same events in the same order.
/// Signals it sends to other workflows are not sent: they get the outcome the history recorded.
/// Child workflows run again. Throws nondeterminism_error naming the first differing event (index,
/// expected, got); invalid_operation if the history cannot be replayed (no start event, or an input
/// whose type cannot be copied). Returns normally when the replay matches.
template <class Def>
void replay(const history& recorded, const Def& /*definition*/) {
    using T = typename Def::workflow_class;
    static_assert(detail::workflow_class<T>, "replay needs a workflow class's definition");
    if (recorded.events.empty() || recorded.events.front().kind != event_kind::workflow_started)
        detail::raise(invalid_operation("replay: the history of '" + recorded.workflow_id +
                                        "' has no workflow_started event"));
    const history_event& start = recorded.events.front();
    if (start.name != T::definition.name)
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id + "' is of workflow type '" +
                                           start.name + "', not '" + std::string(T::definition.name) + "'"));
    if (!start.input)
        detail::raise(invalid_operation("replay: the run arguments of '" + recorded.workflow_id +
                                        "' could not be copied"));

    deterministic_executor ex;
    runtime rt{ex, runtime_options{.max_received_signals_per_run = 0, .max_pending_outgoing_signals = 0,
                                   .record_history = true}};
    detail::engine& eng = rt.engine_internals();
    detail::engine::replay_check check{&recorded, nullptr, {}};
    eng.check_ = &check;
    ex.advance(duration(start.time_ns));

    const detail::workflow_type& type = detail::workflow_type_of<T>();
    auto args = start.input->clone();
    if (!args)
        detail::raise(invalid_operation("replay: the run arguments of '" + recorded.workflow_id +
                                        "' could not be copied"));
    if (!type.run_matches(args->view()))
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id +
                                           "': the run method now takes " + type.run_params() +
                                           ", the history started it with " + args->view().type_names()));
    auto fresh = type.make(eng, recorded.workflow_id);
    std::vector<std::string> text = args->text();
    type.start(*fresh, args->view());
    detail::instance_base& in = eng.add(std::move(fresh), &recorded.seed);
    std::shared_ptr<const history> actual = in.history_ptr();
    check.actual = actual.get();
    eng.record(in, event_kind::workflow_started, std::string(type.name), std::move(text), start.input);

    for (;;) {
        if (!check.mismatch.empty()) detail::raise(nondeterminism_error(check.mismatch));
        const std::size_t k = actual->events.size();
        if (k < recorded.events.size() && detail::is_input(recorded.events[k].kind)) {
            const history_event& input = recorded.events[k];
            const time_point at{duration(input.time_ns)};
            if (ex.now() < at) {
                ex.advance(at - ex.now());
                continue;
            }
            detail::instance_base* target = eng.find(recorded.workflow_id);
            if (!target || !target->running() || target->hist != actual.get())
                detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id +
                                                   "': the replayed run closed before input " + input.describe(k)));
            if (input.kind == event_kind::cancel_requested) {
                eng.cancel(*target);
            } else {
                if (!input.input)
                    detail::raise(
                        invalid_operation("replay: the arguments of " + input.describe(k) + " could not be copied"));
                auto signal_args = input.input->clone();
                detail::guarded([&] { eng.signal_by_name(*target, input.name, signal_args->view()); },
                                [&](std::exception_ptr e) {  // the code no longer takes this signal as recorded
                                    detail::catch_as<error>(
                                        e,
                                        [&](const error& refused) {
                                            detail::raise(nondeterminism_error(
                                                "history of workflow '" + recorded.workflow_id + "': input " +
                                                input.describe(k) + " is refused by the current code: " +
                                                refused.what()));
                                        },
                                        [&] { std::rethrow_exception(e); });
                                });
            }
            continue;
        }
        if (!ex.step()) break;
    }
    if (!check.mismatch.empty()) detail::raise(nondeterminism_error(check.mismatch));
    if (actual->events.size() < recorded.events.size())
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id + "' differs at event " +
                                           std::to_string(actual->events.size()) + ": expected " +
                                           recorded.events[actual->events.size()].describe(actual->events.size()) +
                                           ", got nothing more (the replayed run made no such decision)"));
}

}  // namespace coflow
