// coflow/patch.hpp: patched(id) and deprecate_patch(id), Temporal's way to change workflow code while
// runs recorded (saved, journaled) with the old code must still replay.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/history.hpp>

namespace coflow {

/// Whether this run takes the code path of patch `id`: `if (coflow::patched("v2-fee")) ... else ...`.
///
/// A run making the decision for the first time takes the new path: true, and its history records a
/// `patched` event. A run replaying a history (a load, replay()) answers as the history says: true where
/// the history has that event next, false where it has not, because that part of the run was recorded by
/// code without the patch. The answer is kept for the rest of the run: later calls with the same id give
/// it without recording anything. Only workflow code may call it (not_in_workflow otherwise).
[[nodiscard]] inline bool patched(std::string_view id) {
    detail::activation& a = detail::require_activation("coflow::patched");
    detail::instance_base& in = *a.inst;
    auto& x = in.more();
    for (const auto& [known, answer] : x.patches)
        if (known == id) return answer;
    detail::engine& eng = *a.eng;
    bool answer = true;
    if (eng.replaying(in)) {
        const history_event* next = eng.recorded_next(in, event_kind::patched);
        answer = next && next->name == id;
    }
    x.patches.emplace_back(std::string(id), answer);
    if (answer && in.hist) eng.record(in, event_kind::patched, std::string(id));
    return answer;
}

/// Patch `id` is now the only path: the code keeps just the new branch and calls this where it called
/// patched(id). Runs replaying a history recorded with the patch (which has the `patched` event here) and
/// without it (recorded after this change) both replay; a run that goes on live records nothing. Once no
/// saved or journaled run recorded before this change remains, the call can go too.
inline void deprecate_patch(std::string_view id) {
    detail::activation& a = detail::require_activation("coflow::deprecate_patch");
    detail::instance_base& in = *a.inst;
    auto& x = in.more();
    for (const auto& [known, answer] : x.patches)
        if (known == id) return;
    detail::engine& eng = *a.eng;
    const history_event* next = eng.replaying(in) ? eng.recorded_next(in, event_kind::patched) : nullptr;
    const bool recorded = next && next->name == id;
    x.patches.emplace_back(std::string(id), true);
    if (recorded) eng.record(in, event_kind::patched, std::string(id));
}

}  // namespace coflow
