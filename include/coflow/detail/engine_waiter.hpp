// coflow/detail/engine_waiter.hpp: a waiter's members: arming, firing, leaving its lists, its timer.
// Defined apart from waiter.hpp because they reach into the run and the engine (engine.hpp).
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void waiter::arm(activation& a, std::coroutine_handle<> h, wait_kind k) noexcept {
    inst = a.inst;
    handle = h;
    body = a.body;
    task = a.task;
    kind = k;
    reason = wake_reason::none;
    tested_at = inst->steps;
    inst->suspended.push_back(*this);
    if (inst->hist) inst->eng.record_wait_started(*this);
}

inline void waiter::fire(wake_reason r) noexcept {
    leave();
    reason = r;
    if (!handle) return;  // never suspended (a child handle's record of its child): nothing to wake
    if (timer != no_timer) {
        inst->eng.release_timer(timer);
        timer = no_timer;
    }
    inst->ready.push_back(*this);
    // schedule() may allocate in a user executor; a failure there cannot be reported from here, and
    // leaving this noexcept function calls std::terminate.
    if (!inst->active && !inst->scheduled) inst->eng.schedule(*inst);
}

inline void waiter::leave() noexcept {
    // An armed condition's wait not ended yet is in its run's conditions, which only the list can leave;
    // any other wait_tag list (a channel's, a run's completion list, the ready list once fired) is left by
    // the hook alone. Only arm() sets handle and kind together.
    if (handle && kind == wait_kind::condition && reason == wake_reason::none) inst->conditions.remove(*this);
    else static_cast<list_hook<wait_tag>&>(*this).unlink();
    if (handle) inst->suspended.remove(*this);  // linked only once armed
}

inline void waiter::detach() noexcept {
    if (!handle) return;  // never suspended (the usual case for a ready await): nothing is linked
    leave();  // from what it waits in, or from the ready list
    if (inst) {
        if (timer != no_timer) {
            inst->eng.release_timer(timer);
            timer = no_timer;
        }
    }
}

inline void waiter::arm_timer(duration delay) {
    if (delay < duration::zero()) delay = duration::zero();
    const time_point due = saturating_add(inst->eng.exec().now(), delay);
    // It would fire at the end of time at the earliest: a timer there would only drag the clock to it
    // (run_until_idle jumps to the next timer), so there is none.
    if (due == time_point::max() && delay > duration::zero()) return;
    arm_timer_at(due);
}

inline void waiter::arm_timer_at(time_point at) {
    if (timer != no_timer) inst->eng.release_timer(std::exchange(timer, no_timer));  // moved: the old one goes
    if (at == time_point::max() && at > inst->eng.exec().now()) return;  // never: as in arm_timer
    timer = inst->eng.add_timer(*this, at);
    if (inst->hist) {
        const auto delay = at - inst->eng.exec().now();
        inst->eng.record(*inst, event_kind::timer_started, {}, {std::to_string(delay.count())});
    }
}

inline void waiter::throw_if_cancelled() const {
    if (reason == wake_reason::cancelled) raise_cancelled();
}

inline void waiter::raise_cancelled() const { detail::raise_cancelled(*inst); }

inline void raise_cancelled(instance_base& in) {
    in.cancel_pending = false;
    detail::raise(cancelled(in.id));
}

}  // namespace coflow::detail
