// coflow/when_any.hpp: when_any (race awaits, first one wins) and when_all (await them together), over
// any coflow awaitables: conditions, sleeps, timers, channel receives, child results, tasks.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/race.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/task.hpp>

namespace coflow {

namespace detail {

template <class A>
struct unmarked {
    using type = A;
};
template <class A>
struct unmarked<given_fragile_temporary<A>> {
    using type = A;
};
/// An awaitable without the fragile-temporary mark (its own coroutine owns it: no expression's
/// temporaries are involved any more).
template <class A>
using unmarked_t = typename unmarked<std::remove_cvref_t<A>>::type;

template <class A>
struct await_result {
    using type = decltype(std::declval<A&>().await_resume());
};
template <class A>
    requires requires { typename A::coflow_deferred; }
struct await_result<A> {
    using type = decltype(std::declval<A&>().make().await_resume());
};
template <class R>
struct await_result<task<R>> {
    using type = R;
};

/// What co_await on an awaitable of type A gives; void becomes std::monostate (a variant or tuple
/// cannot hold void).
template <class A>
using raced_t = std::conditional_t<std::is_void_v<typename await_result<A>::type>, std::monostate,
                                   typename await_result<A>::type>;

/// A task that awaits one awaitable, which it owns (a parameter lives in the coroutine's frame).
template <class A>
task<raced_t<A>> await_one(A a) {
    if constexpr (std::is_void_v<typename await_result<A>::type>) {
        co_await std::move(a);
        co_return std::monostate{};
    } else {
        co_return co_await std::move(a);
    }
}

template <class A>
inline constexpr bool marked_fragile_v = !std::is_same_v<std::remove_cvref_t<A>, unmarked_t<A>>;

template <class A>
task<raced_t<unmarked_t<A>>> make_racer(A&& a) {
    static_assert(!std::is_lvalue_reference_v<A>,
                  "when_any and when_all take their awaitables over: pass them as temporaries, or std::move a "
                  "variable");
    static_assert(workflow_awaitable<A>, "when_any and when_all take coflow awaitables only");
    using U = unmarked_t<A>;
    return await_one<U>(U(static_cast<U&&>(a)));
}

template <class R>
R take_result(race& r, std::size_t i) {
    return static_cast<value_promise<R>&>(r.promise(i)).take();
}

/// What when_any's and when_all's awaiters share: co_await starts the racers' tasks in argument order,
/// and a body cancelled before or during the wait gets coflow::cancelled.
template <race::mode Mode, wait_kind Kind>
class race_awaiter {
public:
    using coflow_awaitable = void;

    bool await_ready() const noexcept { return false; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        activation& a = *current_activation;
        inst_ = a.inst;
        if (a.body && a.inst->cancel_pending) {
            precancelled_ = true;
            return park_if_cancelled;
        }
        race_.start_all(a);  // an awaitable that is ready at once ends here (when_any: ties go to the first)
        if (race_.decided()) return false;
        race_.wait(a, h, Kind);
        return true;
    }

protected:
    race_awaiter() : race_(Mode) {}

    template <class R>
    void add(task<R> t) {
        auto h = t.release();
        race_.add(h, h.promise());
    }

    // Throws coflow::cancelled if the run was cancelled before or during the wait.
    void throw_if_cancelled() {
        if (precancelled_) raise_cancelled(*inst_);
        race_.throw_if_cancelled();
    }

    race race_;

private:
    instance_base* inst_ = nullptr;
    bool precancelled_ = false;
};

/// co_await when_any(...): resumes with the first racer to end (a variant holding its result at its index).
template <class... Rs>
class [[nodiscard]] any_awaiter : public race_awaiter<race::mode::any, wait_kind::when_any> {
public:
    explicit any_awaiter(task<Rs>... racers) { (this->add(std::move(racers)), ...); }

    std::variant<Rs...> await_resume() {
        this->throw_if_cancelled();
        return take(std::index_sequence_for<Rs...>{});
    }

private:
    template <std::size_t I>
    static std::variant<Rs...> take_at(race& r) {
        using R = std::variant_alternative_t<I, std::variant<Rs...>>;
        return std::variant<Rs...>(std::in_place_index<I>, take_result<R>(r, I));
    }

    template <std::size_t... I>
    std::variant<Rs...> take(std::index_sequence<I...>) {
        static constexpr std::variant<Rs...> (*table[])(race&) = {&take_at<I>...};
        return table[this->race_.winner()](this->race_);
    }
};

/// co_await when_all(...): resumes when all racers ended (a tuple of their results) or when the first
/// fails (its exception; the others are cancelled).
template <class... Rs>
class [[nodiscard]] all_awaiter : public race_awaiter<race::mode::all, wait_kind::when_all> {
public:
    explicit all_awaiter(task<Rs>... racers) { (this->add(std::move(racers)), ...); }

    std::tuple<Rs...> await_resume() {
        this->throw_if_cancelled();
        rethrow_if_set(this->race_.failure());
        return take(std::index_sequence_for<Rs...>{});
    }

private:
    template <std::size_t... I>
    std::tuple<Rs...> take(std::index_sequence<I...>) {
        return std::tuple<Rs...>(take_result<Rs>(this->race_, I)...);
    }
};

}  // namespace detail

/// Races awaitables: `auto r = co_await coflow::when_any(ch.receive(), coflow::sleep(5s));` starts one
/// task per awaitable, in argument order, and resumes with the first to end. The result is a
/// std::variant whose index() names the winner and which holds its result (std::monostate for a void
/// one); an exception ending the winner is rethrown. The others are cancelled at that moment, before
/// they can take anything: their waits are unlinked (a channel value handed to a losing receive goes
/// back to its channel), their timers cancelled, their frames destroyed. A child whose result lost goes
/// on running (cancel it through its handle if it should stop). An awaitable that is ready at once wins
/// before the later ones start: ties go to the first argument. When the run is cancelled while the
/// body waits here, every racer is cancelled and `coflow::cancelled` is thrown.
///
/// The awaitables are taken over: pass temporaries or std::move variables. Awaitables that the racers
/// wait on (conditions, receives) are tested in the run's usual steps; the racers are tasks of the run,
/// listed as `task: ...` by describe().
template <class... As>
[[nodiscard]] auto when_any(As&&... awaitables) {
    static_assert(sizeof...(As) > 0, "when_any needs at least one awaitable");
    (void)detail::require_activation("coflow::when_any");
    using awaiter = detail::any_awaiter<detail::raced_t<detail::unmarked_t<As>>...>;
    using result = detail::maybe_fragile_t<(detail::marked_fragile_v<As> || ...), awaiter>;
    return result(awaiter(detail::make_racer(std::forward<As>(awaitables))...));
}

/// Awaits several awaitables at once: `auto [a, b] = co_await coflow::when_all(task_a(), task_b());`
/// starts one task per awaitable, in argument order, and resumes when all have ended, with a
/// std::tuple of their results (std::monostate for void ones). The first to fail cancels the others
/// (their waits unlinked, timers cancelled, frames destroyed) and its exception is rethrown. When the
/// run is cancelled while the body waits here, all are cancelled and `coflow::cancelled` is thrown.
template <class... As>
[[nodiscard]] auto when_all(As&&... awaitables) {
    static_assert(sizeof...(As) > 0, "when_all needs at least one awaitable");
    (void)detail::require_activation("coflow::when_all");
    using awaiter = detail::all_awaiter<detail::raced_t<detail::unmarked_t<As>>...>;
    using result = detail::maybe_fragile_t<(detail::marked_fragile_v<As> || ...), awaiter>;
    return result(awaiter(detail::make_racer(std::forward<As>(awaitables))...));
}

}  // namespace coflow
