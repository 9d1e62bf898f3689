// coflow/detail/replay_check.hpp: what a replay compares, event by event, with the recorded history.
// The engine calls it for each event the replayed run records; replay.hpp drives the run.
#pragma once

#include <cstddef>
#include <exception>
#include <string>

#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>

namespace coflow::detail {

class instance_base;

/// Events that came to a run from outside its code: replay feeds them at their recorded place. A
/// child's closing is one (replay does not re-run children), and so is a timeout; signals a run sent
/// itself are not.
[[nodiscard]] inline bool is_input(const history_event& e) noexcept {
    switch (e.kind) {
        case event_kind::signal_accepted:
        case event_kind::cancel_requested: return !e.self_sent;
        case event_kind::workflow_terminated:
        case event_kind::workflow_timed_out:
        case event_kind::child_closed: return true;
        default: return false;
    }
}

/// Compares each event a replayed run records with the recorded history (see replay.hpp).
struct replay_check {
    const history* expected;
    const history* actual = nullptr;
    std::string mismatch{};     // the first difference, once found
    bool target_added = false;  // runs added after the replayed one are stand-ins (engine::add)
    // Feeds input event k to the run (set by replay()); throws what it cannot feed.
    void (*feed)(replay_check&, instance_base& run, std::size_t k) = nullptr;
    void* driver = nullptr;   // what `feed` needs
    std::exception_ptr fault;  // what feeding an input in the middle of a step threw (replay rethrows it)
    bool feeding = false;

    void compare(const history_event& got, std::size_t index) {
        if (!mismatch.empty()) return;
        if (index >= expected->events.size())
            mismatch = "history of workflow '" + expected->workflow_id + "': the replayed run made event " +
                       got.describe(index) + ", which is past the end of the recorded history (" +
                       std::to_string(expected->events.size()) + " events)";
        else if (!expected->events[index].same_as(got))
            mismatch = "history of workflow '" + expected->workflow_id + "' differs at event " +
                       std::to_string(index) + ": expected " + expected->events[index].describe(index) + ", got " +
                       got.describe(index);
    }

    /// Before the run records `next`: inputs the history shows first arrived in the middle of a step (a
    /// parent's cancellation reaching the child that asked for it, say), so they are fed here, in place.
    void feed_inputs_before(const history_event& next, instance_base& run) {
        if (!feed || feeding || !mismatch.empty()) return;
        feeding = true;
        guarded(
            [&] {
                for (std::size_t k = actual->events.size(); k < expected->events.size() && mismatch.empty();
                     k = actual->events.size()) {
                    const history_event& input = expected->events[k];
                    if (!is_input(input) || input.same_as(next)) break;
                    feed(*this, run, k);
                    if (actual->events.size() == k) break;  // fed nothing: compare() reports the difference
                }
            },
            [&](std::exception_ptr e) {
                if (!fault) fault = std::move(e);
                if (mismatch.empty()) mismatch = "an input could not be fed";
            });
        feeding = false;
    }
};

}  // namespace coflow::detail
