// coflow/timer.hpp: coflow::timer, a deadline that workflow code waits for and may move or cancel meanwhile.
// Temporal's updatable-timer pattern in one object: a signal handler resets it while the body waits.
#pragma once

#include <algorithm>
#include <coroutine>
#include <optional>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/clock.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/executor.hpp>

namespace coflow {

class timer;

namespace detail {

class [[nodiscard]] timer_awaiter : private waiter {
public:
    using coflow_awaitable = void;

    inline timer_awaiter(activation& a, coflow::timer& t) noexcept;

    bool await_ready() const noexcept { return ready_; }

    inline bool await_suspend(std::coroutine_handle<> h) noexcept;

    bool await_resume() {
        if (precancelled_) raise_cancelled();
        throw_if_cancelled();
        return ready_ ? expired_ : reason == wake_reason::timed_out;
    }

private:
    coflow::timer* timer_;  // (a bare `timer` here is waiter::timer)
    bool precancelled_ = false;
    bool ready_ = false;    // no suspension: the deadline had passed, or there was none
    bool expired_ = false;  // what a ready await yields
};

}  // namespace detail

/// A deadline that workflow code can wait for, move and cancel: `t.reset(5min)`, then
/// `co_await t.wait()` (or `co_await t`) yields true once the executor's clock reaches the deadline,
/// false if `t.cancel()` came first. A `reset` while someone waits moves the wake-up, earlier or later,
/// so a signal handler can change when the body wakes (Temporal's updatable timer, without a loop).
///
/// - Awaiting a timer with no deadline yields false at once, and one whose deadline has passed yields
///   true at once. Each waiter (the body and any number of handlers) has an executor timer of its own,
///   moved by `reset` and removed by `cancel`; none is left behind when a wait ends.
/// - `reset`, `reset_at` and `wait` are for workflow code only (else not_in_workflow); `deadline()`
///   may be read anywhere, queries included.
/// - Like sleep, the body's wait throws coflow::cancelled if its run is cancelled meanwhile.
/// - It lives in the workflow object or in a frame, and cannot be copied or moved (waiters link into
///   it). Destroying it while waited on leaves its waiters waiting for the deadline they had.
class timer {
public:
    using coflow_awaitable = void;  // `co_await t`

    timer() = default;
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

    /// Sets the deadline to now() + `d` (a negative `d` counts as zero) and moves every waiter's wake-up there.
    inline void reset(duration d);

    /// Sets the deadline to `t` and moves every waiter's wake-up there; a time already passed wakes them
    /// in the executor's next turn.
    inline void reset_at(time_point t);

    /// Clears the deadline; every waiter wakes, and its co_await yields false.
    inline void cancel() noexcept;

    /// The deadline, or nullopt if none is set (never set, or cancelled since).
    [[nodiscard]] std::optional<time_point> deadline() const noexcept { return deadline_; }

    /// Suspends until the deadline (true) or a cancel (false).
    [[nodiscard]] detail::timer_awaiter wait() { return detail::timer_awaiter(detail::require_activation("coflow::timer::wait"), *this); }
    [[nodiscard]] detail::timer_awaiter operator co_await() { return wait(); }

private:
    friend class detail::timer_awaiter;

    std::optional<time_point> deadline_;
    detail::intrusive_list<detail::waiter, detail::wait_tag> waiting_;
};

inline void timer::reset(duration d) {
    const detail::activation& a = detail::require_activation("coflow::timer::reset");
    reset_at(detail::saturating_add(a.eng->exec().now(), std::max(d, duration::zero())));
}

inline void timer::reset_at(time_point t) {
    const detail::activation& a = detail::require_activation("coflow::timer::reset_at");
    deadline_ = t;
    const time_point due = std::max(t, a.eng->exec().now());
    waiting_.for_each([due](detail::waiter& w) { w.arm_timer_at(due); });
}

inline void timer::cancel() noexcept {
    deadline_.reset();
    while (detail::waiter* w = waiting_.pop_front()) w->fire(detail::wake_reason::fired);
}

namespace detail {

inline timer_awaiter::timer_awaiter(activation& a, coflow::timer& t) noexcept : timer_(&t) {
    inst = a.inst;
    precancelled_ = a.body && a.inst->cancel_requested;
    if (precancelled_) return;
    if (!t.deadline_) {
        ready_ = true;
    } else if (*t.deadline_ <= a.eng->exec().now()) {
        ready_ = true;
        expired_ = true;
    }
}

inline bool timer_awaiter::await_suspend(std::coroutine_handle<> h) noexcept {
    if (precancelled_) return park_if_cancelled;
    activation& a = *current_activation;
    arm(a, h, wait_kind::sleep);
    timer_->waiting_.push_back(*this);
    arm_timer_at(*timer_->deadline_);
    return true;
}

}  // namespace detail

}  // namespace coflow
