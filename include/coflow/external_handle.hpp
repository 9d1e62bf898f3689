// coflow/external_handle.hpp: external_workflow_handle<T>, a handle on another workflow from inside one.
// `co_await h.signal(...)` completes once the target accepted the signal (or throws why it did not).
#pragma once

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

    /// Queues `send` for the workflow running now (throws signal_limit_exceeded, not_in_workflow).
    outgoing_awaiter(activation& a, std::string_view target, std::string_view what,
                     inline_function<void(engine&), 64> send)
        : target_(target) {
        inst = a.inst;
        label = target_;
        if (a.body && a.inst->cancel_requested) {  // cancelled before it went out: it never goes
            precancelled_ = true;
            return;
        }
        a.eng->send_later(*a.inst, target, what, std::move(send), this);
        seq_ = a.inst->x->out_seq - 1;
    }

    outgoing_awaiter(outgoing_awaiter&& o) noexcept
        : outgoing_state(std::move(o)), target_(std::move(o.target_)), seq_(o.seq_), precancelled_(o.precancelled_) {
        label = target_;  // done and error came with outgoing_state's move
        if (!done && !precancelled_)
            if (outgoing* entry = engine::find_outgoing(*inst, seq_)) entry->state = this;
        o.done = true;  // the moved-from shell no longer owns the entry
    }
    outgoing_awaiter& operator=(outgoing_awaiter&&) = delete;

    ~outgoing_awaiter() {
        if (!done && !precancelled_ && inst)
            if (outgoing* entry = engine::find_outgoing(*inst, seq_)) entry->state = nullptr;
    }

    bool await_ready() const noexcept { return done && !precancelled_; }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        arm(*current_activation, h, wait_kind::signal_sent);
        waiting = true;
        return true;
    }

    void await_resume() {
        if (precancelled_) raise_cancelled();
        throw_if_cancelled();
        rethrow_if_set(error);
    }

private:
    std::string target_;
    std::uint64_t seq_ = 0;
    bool precancelled_ = false;
};

template <class T, std::size_t I, class M, class... As>
void queue_if_match(activation& a, const std::string& target_id, M m, std::optional<outgoing_awaiter>& out,
                    As&&... as) {
    constexpr auto target = std::get<I>(T::definition.signals).target;
    if constexpr (std::is_same_v<std::remove_const_t<decltype(target)>, M>) {
        if (!out && target == m) {
            using D = delivery<T, I>;
            using Tuple = decltype(D::args);
            static_assert(std::is_constructible_v<Tuple, As&&...>,
                          "the signal's arguments do not convert to the handler's parameter types");
            out.emplace(a, target_id, std::get<I>(T::definition.signals).name,
                        [id = target_id, d = D{Tuple(std::forward<As>(as)...)}](engine& e) mutable {
                            instance_base& t = e.require(id);
                            if (t.type.self != type_id_of<T>())
                                detail::raise(workflow_type_mismatch(id, T::definition.name, t.type.name));
                            e.accept(t, static_cast<std::uint32_t>(I), std::move(d));
                        });
        }
    }
}

}  // namespace detail

/// What `external_workflow_handle::signal` and `cancel` return: await it to learn the outcome.
using outgoing_signal = detail::outgoing_awaiter;

template <class T = void>
class external_workflow_handle;

/// A handle on another workflow, for use inside workflow code. Making one checks nothing; the target is
/// looked up (by id: its latest run) when a request goes out, at the end of the current step.
template <>
class external_workflow_handle<void> {
public:
    explicit external_workflow_handle(std::string id) : id_(std::move(id)) {}

    [[nodiscard]] const std::string& id() const noexcept { return id_; }

    /// Sends signal `name` by name: `co_await h.signal("name", args...)`. Argument types must match
    /// the handler's exactly (string literals count as std::string).
    template <class... As>
    [[nodiscard]] detail::outgoing_awaiter signal(std::string_view name, As&&... args) const {
        detail::activation& a = detail::require_activation("external_workflow_handle::signal");
        auto pack = std::make_unique<detail::arg_pack_impl<detail::by_name_t<As>...>>(std::forward<As>(args)...);
        return detail::outgoing_awaiter(
            a, id_, name, [id = id_, n = std::string(name), p = std::move(pack)](detail::engine& e) {
                e.signal_by_name(e.require(id), n, p->view());
            });
    }

    /// Requests cancellation of the target: `co_await h.cancel()` (see workflow_handle<>::cancel).
    [[nodiscard]] detail::outgoing_awaiter cancel() const {
        detail::activation& a = detail::require_activation("external_workflow_handle::cancel");
        return detail::outgoing_awaiter(a, id_, "<cancel request>",
                                        [id = id_](detail::engine& e) { e.cancel(e.require(id)); });
    }

protected:
    std::string id_;
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
    [[nodiscard]] detail::outgoing_awaiter signal(M target, As&&... args) const {
        static_assert(detail::workflow_class<T>,
                      "external_workflow_handle<T> needs T to be a workflow class with a `definition`");
        detail::activation& a = detail::require_activation("external_workflow_handle::signal");
        std::optional<detail::outgoing_awaiter> out;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (detail::queue_if_match<T, I>(a, id_, target, out, std::forward<As>(args)...), ...);
        }(std::make_index_sequence<detail::signal_count_v<T>>{});
        if (!out) {
            const auto& type = detail::workflow_type_of<T>();
            detail::raise(unknown_signal(id_, type.name, "<member not registered as a signal>", type.signal_names()));
        }
        return std::move(*out);
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
