// coflow/replay.hpp: replay(history, definition), re-running workflow code against a recorded history.
// A run whose decisions differ from the recording throws nondeterminism_error naming the first difference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/replay_check.hpp>
#include <coflow/detail/replay_executor.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/runtime.hpp>

namespace coflow {

namespace detail {

[[noreturn]] inline void raise_damaged(const history& h, std::size_t k, const std::string& what) {
    const std::string event = k < h.events.size() && static_cast<int>(h.events[k].kind) >= 0 &&
                                      h.events[k].kind <= last_event_kind
                                  ? h.events[k].describe(k)
                                  : "#" + std::to_string(k);
    detail::raise(invalid_history(h.workflow_id, "event " + event + ": " + what));
}

/// Refuses a history that coflow cannot have recorded: it starts with its workflow_started, its kinds
/// are known, its times never go back, nothing follows a closing event, and inputs kept what replay
/// feeds. Histories of open runs pass (they end anywhere).
inline void check_shape(const history& h) {
    if (h.events.empty())
        detail::raise(invalid_history(h.workflow_id, "it has no events (a run's history starts with workflow_started)"));
    std::int64_t last = 0;
    for (std::size_t k = 0; k < h.events.size(); ++k) {
        const history_event& e = h.events[k];
        const int kind = static_cast<int>(e.kind);
        if (kind < 0 || e.kind > last_event_kind)
            raise_damaged(h, k, "unknown event kind " + std::to_string(kind));
        if ((k == 0) != (e.kind == event_kind::workflow_started))
            raise_damaged(h, k, k == 0 ? "a run's history starts with workflow_started" : "a second workflow_started");
        if (e.time_ns < last)
            raise_damaged(h, k, "its time is before the previous event's (" + std::to_string(last) + "ns)");
        last = e.time_ns;
        if (k > 0 && is_closing(h.events[k - 1].kind)) raise_damaged(h, k, "it follows the run's closing event");
        const bool needs_input = e.kind == event_kind::workflow_started || e.kind == event_kind::workflow_terminated ||
                                 e.kind == event_kind::workflow_timed_out ||
                                 e.kind == event_kind::update_accepted ||
                                 (e.kind == event_kind::signal_accepted && !e.self_sent);
        if (needs_input && !e.input)
            raise_damaged(h, k, "its arguments were not kept (replay needs copyable argument types)");
    }
}

/// The string a pack of one std::string holds (a termination's reason), or null.
[[nodiscard]] inline const std::string* reason_in(const std::shared_ptr<arg_pack_base>& pack) {
    if (!pack) return nullptr;
    const erased_args a = pack->view();
    if (a.size != 1 || a.data[0].type != type_id_of<std::string>()) return nullptr;
    return static_cast<const std::string*>(a.data[0].value);
}

/// The timeout a pack of (kind name, length in ns) names (a timed-out close's input); false if it names none.
[[nodiscard]] inline bool timeout_in(const std::shared_ptr<arg_pack_base>& pack, timeout_kind& which,
                                     duration& length) {
    if (!pack) return false;
    const erased_args a = pack->view();
    if (a.size != 2 || a.data[0].type != type_id_of<std::string>() || a.data[1].type != type_id_of<std::int64_t>())
        return false;
    const std::string& name = *static_cast<const std::string*>(a.data[0].value);
    if (name != to_string(timeout_kind::execution) && name != to_string(timeout_kind::run)) return false;
    which = name == to_string(timeout_kind::execution) ? timeout_kind::execution : timeout_kind::run;
    length = duration(*static_cast<const std::int64_t*>(a.data[1].value));
    return true;
}

/// Closes a stand-in child as the parent's history recorded it closing.
inline void settle_child(engine& eng, instance_base& parent, const history& h, std::size_t k) {
    const history_event& e = h.events[k];
    instance_base* child = eng.find(e.name);
    if (!child || !child->stand_in || !child->running() || !child->x ||
        eng.by_slot(child->x->parent_slot, child->x->parent_gen) != &parent)
        detail::raise(nondeterminism_error("history of workflow '" + h.workflow_id + "' differs at event " +
                                           std::to_string(k) + ": expected " + e.describe(k) +
                                           ", but the replayed run has no open child '" + e.name + "'"));
    workflow_status status = workflow_status::running;
    for (const workflow_status s : {workflow_status::completed, workflow_status::failed, workflow_status::cancelled,
                                    workflow_status::terminated, workflow_status::timed_out})
        if (!e.args.empty() && e.args[0] == engine::json(to_string(s))) status = s;
    switch (status) {
        case workflow_status::completed: {
            std::unique_ptr<arg_pack_base> value = e.input ? e.input->clone() : nullptr;
            if (!value) raise_damaged(h, k, "the child's result was not kept (replay needs a copyable result type)");
            if (!child->restore_result(*value))
                detail::raise(nondeterminism_error(
                    "history of workflow '" + h.workflow_id + "' differs at event " + std::to_string(k) + ": child '" +
                    e.name + "' now returns " + std::string(child->result_type_name()) +
                    ", the history holds a result of another type"));
            break;
        }
        case workflow_status::failed:
            if (!e.error) raise_damaged(h, k, "the child's failure was not kept");
            child->failure = e.error;
            break;
        case workflow_status::terminated:
            if (!reason_in(e.input)) raise_damaged(h, k, "the child's termination reason was not kept");
            child->more().terminate_reason = *reason_in(e.input);
            break;
        case workflow_status::cancelled: break;
        case workflow_status::timed_out: {
            timeout_kind which{};
            duration length{};
            if (!timeout_in(e.input, which, length)) raise_damaged(h, k, "the child's timeout was not kept");
            auto& x = child->more();
            x.timeout_by = which;
            (which == timeout_kind::execution ? x.execution_timeout : x.run_timeout) = length;
            break;
        }
        default: raise_damaged(h, k, "not a status a child closes with");
    }
    eng.settle(*child, status);
}

/// Feeds input event k of `h` to the replayed run.
inline void feed(engine& eng, instance_base& run, const history& h, std::size_t k) {
    const history_event& e = h.events[k];
    switch (e.kind) {
        case event_kind::cancel_requested: eng.cancel(run); return;
        case event_kind::workflow_terminated: {
            const std::string* reason = reason_in(e.input);
            if (!reason) raise_damaged(h, k, "its reason was not kept");
            eng.terminate(run, *reason);
            return;
        }
        case event_kind::workflow_timed_out: {
            timeout_kind which{};
            duration length{};
            if (!timeout_in(e.input, which, length)) raise_damaged(h, k, "its timeout was not kept");
            eng.time_out(run, which, length);
            return;
        }
        case event_kind::child_closed: settle_child(eng, run, h, k); return;
        default: break;
    }
    std::unique_ptr<arg_pack_base> args = e.input->clone();
    if (!args) raise_damaged(h, k, "its arguments could not be copied");
    guarded([&] { eng.signal_by_name(run, e.name, args->view()); },
            [&](std::exception_ptr refused) {  // the code no longer takes this signal as recorded
                catch_as<error>(
                    refused,
                    [&](const error& why) {
                        detail::raise(nondeterminism_error("history of workflow '" + h.workflow_id + "': input " +
                                                           e.describe(k) + " is refused by the current code: " +
                                                           why.what()));
                    },
                    [&] { std::rethrow_exception(refused); });
            });
}

/// Makes the run `recorded` starts, of `type`, in `eng` (whose executor is `ex`), and records its start;
/// `check` then compares what it records. A load gives the run key the save recorded and the stand-in
/// whose place the run takes (see engine::take_stand_in_place).
inline instance_base& begin_replay(engine& eng, replay_executor& ex, replay_check& check, const history& recorded,
                                   const workflow_type& type, const std::uint64_t* run_key = nullptr,
                                   instance_base* stand_in = nullptr) {
    const history_event& start = recorded.events.front();
    check.driver = &eng;
    check.feed = [](replay_check& c, instance_base& run, std::size_t k) {
        feed(*static_cast<engine*>(c.driver), run, *c.expected, k);
    };
    eng.check_ = &check;
    ex.set_clock(time_point(duration(start.time_ns)));
    auto args = start.input->clone();
    if (!args) raise_damaged(recorded, 0, "the run arguments could not be copied");
    if (!type.run_matches(args->view()))
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id +
                                           "': the run method now takes " + type.run_params() +
                                           ", the history started it with " + args->view().type_names()));
    auto fresh = type.make(eng, recorded.workflow_id);
    std::vector<std::string> text = args->text();
    type.start(*fresh, args->view());
    if (stand_in) eng.take_stand_in_place(*stand_in, *fresh);
    instance_base& in = eng.add(std::move(fresh), &recorded.seed, run_key);
    check.target_added = true;
    if (recorded.execution_timeout_ns != 0 || recorded.run_timeout_ns != 0)  // no timer: the history says when
        eng.set_timeouts(in, duration(recorded.execution_timeout_ns), duration(recorded.run_timeout_ns),
                         recorded.execution_timeout_ns != 0 ? time_point(duration(recorded.execution_deadline_ns))
                                                            : time_point::max(),
                         false);
    check.actual = in.hist;
    // The run will record as many events as it replays: room for them at once, not by doubling.
    if (in.hist) in.hist->events.reserve(recorded.events.size());
    eng.record(in, event_kind::workflow_started, std::string(type.name), std::move(text), start.input);
    return in;
}

/// Takes the run begin_replay made through the rest of `recorded`, checking each event it records.
inline void replay_to_end(engine& eng, replay_executor& ex, replay_check& check, instance_base& in,
                          const history& recorded) {
    const history& actual = *check.actual;
    // Each round takes one step towards the next recorded event: an input is fed once the clock is moved
    // to it; a timer's firing fires the next timer; anything else is the run's own doing, so the oldest
    // ready work runs. Replay ends where the history ends.
    for (;;) {
        detail::rethrow_if_set(check.fault);
        if (!check.mismatch.empty()) detail::raise(nondeterminism_error(check.mismatch));
        const std::size_t k = actual.events.size();
        if (k >= recorded.events.size()) break;
        const history_event& next = recorded.events[k];
        if (detail::is_input(next)) {
            if (!in.running())
                detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id +
                                                   "': the replayed run closed before input " + next.describe(k)));
            ex.set_clock(time_point(duration(next.time_ns)));
            detail::feed(eng, in, recorded, k);
            continue;
        }
        if (next.kind == event_kind::update_accepted) {
            if (!in.running())
                detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id +
                                                   "': the replayed run closed before " + next.describe(k)));
            // The update came at its time; if the run was idle, it was what woke it.
            ex.set_clock(time_point(duration(next.time_ns)));
            eng.schedule(in);  // its activation delivers it first (engine::feed_recorded_update)
        }
        if (next.kind == event_kind::timer_fired ? ex.fire_timer() || ex.run_ready()
                                                 : ex.run_ready() || ex.fire_timer())
            continue;
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id + "' differs at event " +
                                           std::to_string(k) + ": expected " + next.describe(k) +
                                           ", got nothing more (the replayed run made no such decision)"));
    }
}

}  // namespace detail

/// Re-runs a workflow of the class named by `definition` against `recorded` (one run's history) on a
/// fresh deterministic executor and checks that it records the same events in the same order.
///
/// The run gets its inputs at their recorded moments: start arguments, signals from outside (signals it
/// sent itself it sends again), cancel requests, a termination, and its children's outcomes. Effects on
/// other runs are not redone: signals to other workflows get the outcome the history recorded, and
/// children are not re-run (a stand-in takes each child's place and closes as the history says, with
/// its recorded result). Replay stops where the history ends, so the history of an open run replays
/// as far as it goes. Throws nondeterminism_error naming the first differing event (index, expected,
/// got), invalid_history if `recorded` is damaged (naming the event), and invalid_operation if the
/// replayed code calls a runtime other than the replay's. Returns normally when the replay matches.
template <class Def>
void replay(const history& recorded, const Def& /*definition*/) {
    using T = typename Def::workflow_class;
    static_assert(detail::workflow_class<T>, "replay needs a workflow class's definition");
    detail::check_shape(recorded);
    const history_event& start = recorded.events.front();
    if (start.name != T::definition.name)
        detail::raise(nondeterminism_error("history of workflow '" + recorded.workflow_id + "' is of workflow type '" +
                                           start.name + "', not '" + std::string(T::definition.name) + "'"));

    detail::replay_executor ex;
    runtime rt{ex, runtime_options{.max_received_signals_per_run = 0, .max_pending_outgoing_signals = 0,
                                   .record_history = true}};
    detail::engine& eng = rt.engine_internals();
    detail::replay_check check{};
    check.expected = &recorded;
    detail::instance_base& in = detail::begin_replay(eng, ex, check, recorded, detail::workflow_type_of<T>());
    detail::replay_to_end(eng, ex, check, in, recorded);
}

}  // namespace coflow
