// coflow/detail/engine_timers.hpp: the engine's timers: armed for waits, posted to the executor, fired.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline std::uint32_t engine::add_timer(waiter& w, time_point due) {
    const std::uint32_t s = timers_.take(w, due);
    timers_.posted(s, post_timer(due, s));
    return s;
}

inline timer_id engine::post_timer(time_point due, std::uint32_t s) {
    const std::uint32_t g = timers_.generation(s);
    if (timer_heap* h = ex_->timer_calls_) {
        const timer_id id = h->post_call_at(due, *link_, std::uint64_t{g} << 32 | timer_call | s);
        ++link_->refs;  // the timer's, given back when it runs or is dropped
        return id;
    }
    return ex_->post_at(due, timer_work{link_ref(link_), s, g});
}

inline void engine::release_timer(std::uint32_t s) noexcept {
    timer_id id;
    if (timers_.release(s, id)) ex_->cancel(id);
}

inline void engine::fire_timer(std::uint32_t s, std::uint32_t g) {
    if (waiter* w = timers_.fire(s, g)) {
        w->timer = no_timer;  // its slot is free already
        if (w->inst->hist) record(*w->inst, event_kind::timer_fired);
        w->fire(wake_reason::timed_out);
    }
}

}  // namespace coflow::detail
