// coflow/external_handle.hpp: external_workflow_handle<T>, a handle on another workflow from inside one.
// `co_await h.signal(...)` completes once the target accepted the signal (or throws why it did not).
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/errors.hpp>

namespace coflow {

namespace detail {

/// The awaitable of an outgoing signal or cancel request. The request is queued when this is made and
/// goes out when the sending workflow's current step ends; co_await resumes after that, rethrowing
/// what the target refused (workflow_not_found, workflow_closed, signal_limit_exceeded, ...).
/// If it is dropped without being awaited, a failure fails the sending workflow instead of vanishing.
class [[nodiscard]] outgoing_awaiter : private outgoing_state {
public:
    using coflow_awaitable = void;

    /// Queues what `make()` gives (an outgoing_send) for the workflow running now; throws
    /// signal_limit_exceeded. `make` takes the caller's arguments: it is called only when the request
    /// is queued, so one refused here, or dropped because the body was cancelled, takes nothing.
    template <class Make>
    outgoing_awaiter(activation& a, std::string_view target, run_hint hint, std::string_view what, Make&& make,
                     bool cancel_request = false)
        : inst_(a.inst), cancel_request_(cancel_request) {
        if (a.body && a.inst->cancel_pending) {  // cancelled before it went out: it never goes
            precancelled_ = true;
            return;
        }
        seq_ = a.eng->send_later(*a.inst, target, hint, what, std::forward<Make>(make), this);
    }

    // Moved only before it suspends (the waiter is built in await_suspend); the queued entry follows.
    outgoing_awaiter(outgoing_awaiter&& o) noexcept
        : outgoing_state(std::move(o)), inst_(o.inst_), seq_(o.seq_), precancelled_(o.precancelled_),
          cancel_request_(o.cancel_request_) {
        if (!done && !precancelled_)
            if (outgoing* entry = engine::find_outgoing(*inst_, seq_)) entry->state = this;
        o.done = true;  // the moved-from shell no longer owns the entry
    }
    outgoing_awaiter& operator=(outgoing_awaiter&&) = delete;

    ~outgoing_awaiter() {
        if (!done && !precancelled_)
            if (outgoing* entry = engine::find_outgoing(*inst_, seq_)) entry->state = nullptr;
    }

    bool await_ready() const noexcept { return done && !precancelled_; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        // A cancel request waits for the step's end: it may reach the sender itself (through its parent).
        if (!cancel_request_ && inst_->eng.send_at_suspension(*inst_, *current_activation)) return false;
        waiter& w = waiter_.emplace();
        // Not done, so the entry is still queued: a recorded history names its target (only arm() reads
        // the label). It is then cleared: the entry may move (the outbox grows) before the step ends, and
        // this wait never outlives the step (the entry goes out when it ends, waking it).
        if (inst_->hist)
            if (const outgoing* entry = engine::find_outgoing(*inst_, seq_)) w.label = &entry->target;
        w.arm(*current_activation, h, wait_kind::signal_sent);
        w.label = nullptr;
        waiting = &w;
        return true;
    }

    void await_resume() {
        if (precancelled_) raise_cancelled(*inst_);
        if (waiter_) waiter_->throw_if_cancelled();
        rethrow_if_set(error);
    }

private:
    instance_base* inst_;
    std::uint64_t seq_ = 0;
    bool precancelled_ = false;
    bool cancel_request_;
    std::optional<waiter> waiter_;
};

/// For a child handle (`parent` set: the run that started the child), a request reaches the id's latest
/// run only while it is a child of that run, as Temporal's child-only requests: a continued child is,
/// another workflow that took the id is not (workflow_not_found).
inline void require_child_of(const instance_base& t, run_hint parent) {
    if (parent == run_hint{}) return;
    if (t.x && t.x->parent_slot == parent.slot && t.x->parent_gen == parent.gen) return;
    detail::raise(workflow_not_found(t.id, "its latest run is not the child the handle was made for"));
}

/// Makes the outgoing signal for the I-th signal of T (whose target has type M) with `as`.
template <class T, std::size_t I, class... As>
outgoing_awaiter make_outgoing(activation& a, const std::string& target, run_hint hint, run_hint parent,
                               As&&... as) {
    using D = delivery<T, I>;
    using Tuple = decltype(D::args);
    static_assert(std::is_constructible_v<Tuple, As&&...>,
                  "the signal's arguments do not convert to the handler's parameter types");
    return outgoing_awaiter(a, target, hint, std::get<I>(T::definition.signals).name, [&] {
        return [d = D{Tuple(std::forward<As>(as)...)}, parent](engine& e, instance_base& t) mutable {
            require_child_of(t, parent);
            if (t.type.self != type_id_of<T>())
                detail::raise(workflow_type_mismatch(t.id, T::definition.name, t.type.name));
            e.accept(t, static_cast<std::uint32_t>(I), [&]() -> D&& { return std::move(d); });
        };
    });
}

/// A table of make_outgoing<T, I, As...> for each signal I whose target has type M (null for others),
/// so that the awaiter is returned as a prvalue, never moved through an optional.
template <class T, class M, class... As>
struct outgoing_makers {
    using fn = outgoing_awaiter (*)(activation&, const std::string&, run_hint, run_hint, As&&...);
    template <std::size_t I>
    static constexpr fn entry() {
        if constexpr (std::is_same_v<std::remove_const_t<decltype(std::get<I>(T::definition.signals).target)>, M>)
            return &make_outgoing<T, I, As...>;
        else
            return nullptr;
    }
    static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<fn, sizeof...(I)>{entry<I>()...};
    }(std::make_index_sequence<signal_count_v<T>>{});
};

/// What a signal call returns: the awaiter, marked if an argument was a fragile temporary (promise.hpp).
template <class... As>
using outgoing_signal_t = maybe_fragile_t<(fragile_temporary_v<As&&> || ...), outgoing_awaiter>;

}  // namespace detail

/// What `external_workflow_handle::signal` and `cancel` return: await it to learn the outcome.
using outgoing_signal = detail::outgoing_awaiter;

template <class T = void>
class external_workflow_handle;

/// A handle on another workflow, for use inside workflow code. Making one checks nothing; the target is
/// looked up (by id: its latest run) when a request goes out, at the end of the current step. A signal
/// owns its arguments from the call on (moved in when passed with std::move); a call that throws
/// (signal_limit_exceeded for the outgoing limit, unknown_signal) takes nothing from them.
template <>
class external_workflow_handle<void> {
public:
    explicit external_workflow_handle(std::string id) : id_(std::move(id)) {}

    [[nodiscard]] const std::string& id() const noexcept { return id_; }

    /// Sends signal `name` by name: `co_await h.signal("name", args...)`. Argument types must match
    /// the handler's exactly (string literals count as std::string). Given a temporary aggregate with a
    /// non-trivial destructor, its result can only be awaited from a variable (README, compiler notes).
    template <class... As>
    [[nodiscard]] detail::outgoing_signal_t<As...> signal(std::string_view name, As&&... args) const {
        detail::activation& a = detail::require_activation("external_workflow_handle::signal");
        return detail::outgoing_signal_t<As...>(detail::outgoing_awaiter(a, id_, a.eng->locate(id_, hint_), name, [&] {
            return [n = std::string(name),
                    p = std::make_unique<detail::arg_pack_impl<detail::by_name_t<As>...>>(std::forward<As>(args)...),
                    parent = parent_](detail::engine& e, detail::instance_base& t) {
                detail::require_child_of(t, parent);
                e.signal_by_name(t, n, p->view());
            };
        }));
    }

    /// Requests cancellation of the target: `co_await h.cancel()` (see workflow_handle<>::cancel).
    [[nodiscard]] detail::outgoing_awaiter cancel() const {
        detail::activation& a = detail::require_activation("external_workflow_handle::cancel");
        return detail::outgoing_awaiter(a, id_, a.eng->locate(id_, hint_), "<cancel request>", [this] {
            return [parent = parent_](detail::engine& e, detail::instance_base& t) {
                detail::require_child_of(t, parent);
                e.cancel(t);
            };
        }, true);
    }

protected:
    std::string id_;
    mutable detail::run_hint hint_;  // where the target's latest run was last seen (checked before use)
    detail::run_hint parent_{};      // a child handle's: the run that started the child (see require_child_of)
};

/// An external handle typed for workflow class T: signals by member pointer, checked at compile time.
template <class T>
class external_workflow_handle : public external_workflow_handle<void> {
public:
    using external_workflow_handle<void>::external_workflow_handle;
    using external_workflow_handle<void>::signal;

    /// Sends the signal whose target is `target`; arguments convert to its parameter types.
    /// A member not registered as a signal throws unknown_signal here, at the call.
    template <class M, class... As>
        requires std::is_member_pointer_v<M>
    [[nodiscard]] detail::outgoing_signal_t<As...> signal(M target, As&&... args) const {
        static_assert(detail::workflow_class<T>,
                      "external_workflow_handle<T> needs T to be a workflow class with a `definition`");
        detail::activation& a = detail::require_activation("external_workflow_handle::signal");
        const std::uint32_t index = detail::signal_index<T>(target);
        if (index == detail::npos32) {
            const auto& type = detail::workflow_type_of<T>();
            detail::raise(unknown_signal(id_, type.name, "<member not registered as a signal>", type.signal_names()));
        }
        return detail::outgoing_signal_t<As...>(detail::outgoing_makers<T, M, As...>::table[index](
            a, this->id_, a.eng->locate(this->id_, this->hint_), this->parent_, std::forward<As>(args)...));
    }
};

/// A handle on workflow `id`, from inside workflow code (like Temporal's get_external_workflow_handle).
[[nodiscard]] inline external_workflow_handle<> get_external_workflow_handle(std::string id) {
    return external_workflow_handle<>(std::move(id));
}

/// A handle on workflow `id` typed for workflow class T.
template <class T>
[[nodiscard]] external_workflow_handle<T> get_external_workflow_handle_for(std::string id) {
    return external_workflow_handle<T>(std::move(id));
}

/// As get_external_workflow_handle_for<T>(id), naming T by its run method.
template <class T, class R, class... Ps>
[[nodiscard]] external_workflow_handle<T> get_external_workflow_handle_for(workflow<R> (T::*)(Ps...), std::string id) {
    return external_workflow_handle<T>(std::move(id));
}

}  // namespace coflow
