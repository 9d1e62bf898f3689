// coflow/time.hpp: sleep(d), now() and random() for workflow code: virtual, deterministic, from the executor.
// Timers are the discouraged way to wait for signals (prefer wait_condition); they are for real delays.
#pragma once

#include <coroutine>

#include <coflow/detail/engine.hpp>
#include <coflow/detail/random.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// The per-run generator behind random(): satisfies UniformRandomBitGenerator, and its `uniform(lo, hi)`
/// and `uniform01()` give the same values on every platform (std distributions may not).
using random_engine = detail::splitmix64;

namespace detail {

class [[nodiscard]] sleep_awaiter : private waiter {
public:
    using coflow_awaitable = void;

    sleep_awaiter(activation& a, duration d) noexcept : delay_(d) {
        inst = a.inst;
        precancelled_ = a.body && a.inst->cancel_pending;
    }
    // Built where co_await keeps it (sleep_request::make), never moved.
    sleep_awaiter(sleep_awaiter&&) = delete;
    sleep_awaiter& operator=(sleep_awaiter&&) = delete;

    bool await_ready() const noexcept { return false; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        activation& a = *current_activation;
        arm(a, h, wait_kind::sleep);
        arm_timer(delay_);
        return true;
    }

    void await_resume() {
        if (precancelled_) raise_cancelled();
        throw_if_cancelled();
    }

private:
    duration delay_;
    bool precancelled_ = false;
};

// What sleep() returns: the delay. co_await builds the sleep_awaiter in the frame
// (promise_common::await_transform), so a sleeping workflow's frame holds one waiter, not a moved copy too.
class [[nodiscard]] sleep_request {
public:
    using coflow_awaitable = void;
    using coflow_deferred = void;

    explicit sleep_request(duration d) noexcept : delay_(d) {}
    sleep_awaiter make() const { return sleep_awaiter(require_activation("coflow::sleep"), delay_); }

private:
    duration delay_;
};

}  // namespace detail

/// Suspends the calling workflow code for `d` of executor time (never real time). Each sleep is a timer;
/// to wait for a signal use wait_condition instead of sleeping in a loop. A negative `d` is a zero one;
/// a `d` that reaches past the end of the clock (duration::max()) never ends and sets no timer.
/// Throws coflow::cancelled if the workflow is cancelled while the body sleeps.
[[nodiscard]] inline detail::sleep_request sleep(duration d) {
    (void)detail::require_activation("coflow::sleep");  // misuse is reported here, at the call
    return detail::sleep_request(d);
}

/// The executor's clock, read from workflow code.
[[nodiscard]] inline time_point now() { return detail::require_activation("coflow::now").eng->exec().now(); }

/// This run's random generator, seeded from runtime_options::seed: the same inputs give the same numbers.
[[nodiscard]] inline random_engine& random() { return detail::require_activation("coflow::random").inst->rng; }

}  // namespace coflow
