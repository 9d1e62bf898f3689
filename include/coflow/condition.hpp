// coflow/condition.hpp: wait_condition(pred) and wait_condition(pred, timeout), and all_handlers_finished().
// The predicate is tested when awaited and again only after code of the same workflow ran: never polled.
#pragma once

#include <coroutine>
#include <string>
#include <type_traits>
#include <utility>

#include <coflow/detail/clock.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>

namespace coflow {

namespace detail {

[[noreturn]] [[gnu::noinline]] inline void predicate_changed_state() {
    detail::raise(invalid_operation("workflow '" + current_activation->inst->id +
                                    "': a wait_condition predicate gave two answers in a row; a predicate must only "
                                    "read state, never change it (checked in debug builds)"));
}

template <class Pred, bool Timed>
class [[nodiscard]] condition_awaiter : private waiter {
public:
    using coflow_awaitable = void;

    condition_awaiter(activation& a, Pred pred, duration timeout)
        : pred_(std::move(pred)), timeout_(timeout) {
        inst = a.inst;
        precancelled_ = a.body && a.inst->cancel_pending;
        satisfied_ = !precancelled_ && test(pred_);
    }

    bool await_ready() const noexcept { return satisfied_; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        activation& a = *current_activation;
        arm(a, h, wait_kind::condition);
        check = &evaluate;
        a.inst->conditions.push_back(*this);
        if constexpr (Timed) arm_timer(timeout_);
        return true;
    }

    auto await_resume() {
        if (precancelled_) raise_cancelled();
        throw_if_cancelled();
        if constexpr (Timed) return satisfied_ || reason == wake_reason::fired;
    }

private:
    static bool evaluate(waiter& w) {
        auto& self = static_cast<condition_awaiter&>(w);
        return test(self.pred_);
    }

    // A predicate must not change state. Debug builds ask it twice and refuse one that answers differently.
    static bool test(Pred& pred) {
        const bool answer = static_cast<bool>(pred());
#ifndef NDEBUG
        if (static_cast<bool>(pred()) != answer) [[unlikely]]
            predicate_changed_state();
#endif
        return answer;
    }

    Pred pred_;
    [[no_unique_address]] timeout_field<Timed> timeout_;
    bool precancelled_ = false;
    bool satisfied_ = false;
};

/// What wait_condition returns: the predicate and the timeout. co_await builds the condition_awaiter
/// in the frame (see promise_common::await_transform), so the waiter is never copied.
template <class Pred, bool Timed>
class [[nodiscard]] condition_awaitable {
public:
    using coflow_awaitable = void;
    using coflow_deferred = void;

    template <class F>
    condition_awaitable(F&& pred, duration timeout) : pred_(std::forward<F>(pred)), timeout_(timeout) {}

    condition_awaiter<Pred, Timed> make() {
        duration timeout = duration::zero();
        if constexpr (Timed) timeout = timeout_;
        return condition_awaiter<Pred, Timed>(require_activation("coflow::wait_condition"), std::move(pred_), timeout);
    }

private:
    Pred pred_;
    [[no_unique_address]] timeout_field<Timed> timeout_;
};

}  // namespace detail

/// Suspends until `pred()` is true. The predicate runs now (no suspension if true) and then after each
/// step of this workflow's code (a handler, the body, a timer), never for other workflows' activity.
/// Throws coflow::cancelled if the workflow is cancelled while the body waits here.
/// Usable only inside workflow code (else throws not_in_workflow). The predicate must not change state.
/// A predicate made in the co_await expression must be trivially destructible (capture by reference):
/// g++ 12 destroys twice what such a lambda captured by copy (README, compiler notes).
template <class Pred>
[[nodiscard]] auto wait_condition(Pred&& pred) {
    using P = std::decay_t<Pred>;
    static_assert(std::is_invocable_r_v<bool, P&>,
                  "wait_condition takes a predicate callable with no arguments that returns bool");
    (void)detail::require_activation("coflow::wait_condition");  // misuse is reported here, at the call
    using result = detail::maybe_fragile_t<detail::fragile_callable_v<Pred&&>, detail::condition_awaitable<P, false>>;
    return result(detail::condition_awaitable<P, false>(std::forward<Pred>(pred), duration::zero()));
}

/// As wait_condition(pred), but gives up after `timeout` of executor time: `co_await` yields true if
/// the predicate became true, false if the time ran out first (like Temporal TypeScript's condition).
/// A negative timeout is a zero one; one that reaches past the end of the clock (duration::max())
/// never runs out and sets no timer.
template <class Pred>
[[nodiscard]] auto wait_condition(Pred&& pred, duration timeout) {
    using P = std::decay_t<Pred>;
    static_assert(std::is_invocable_r_v<bool, P&>,
                  "wait_condition takes a predicate callable with no arguments that returns bool");
    (void)detail::require_activation("coflow::wait_condition");
    using result = detail::maybe_fragile_t<detail::fragile_callable_v<Pred&&>, detail::condition_awaitable<P, true>>;
    return result(detail::condition_awaitable<P, true>(std::forward<Pred>(pred), timeout));
}

/// True when no async signal handler of the current workflow is still running. Await it before the
/// body returns so no handler is abandoned: `co_await wait_condition(coflow::all_handlers_finished);`
[[nodiscard]] inline bool all_handlers_finished() {
    return detail::require_activation("coflow::all_handlers_finished").inst->handlers_running() == 0;
}

}  // namespace coflow
