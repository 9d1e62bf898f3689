// coflow/signal.hpp: signal_channel<T...>, an ordered queue of signals that a workflow body co_awaits.
// Named as a signal target in a definition, it receives that signal's arguments in acceptance order.
#pragma once

#include <coroutine>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/detail/clock.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/ring.hpp>
#include <coflow/executor.hpp>

namespace coflow {

namespace detail {
struct handed_tag {};

template <class... Ts>
struct channel_value {
    using type = std::tuple<Ts...>;
};
template <class T>
struct channel_value<T> {
    using type = T;
};
}  // namespace detail

/// An ordered queue of one signal's arguments, owned by the workflow object.
///
/// Register it in the definition like a handler: `.signal("add", &account::adds)`. Each delivered signal
/// adds one value (the argument, or a tuple of them) in the order the signals were accepted. The body
/// reads with `co_await receive()`, `co_await receive(timeout)` (std::nullopt when time runs out) or
/// `try_receive()`. Several waiting receivers are served first come, first served. Receives throw
/// coflow::cancelled when the workflow is cancelled while the body waits in them.
template <class... Ts>
class signal_channel {
public:
    using value_type = typename detail::channel_value<Ts...>::type;
    using argument_types = std::tuple<Ts...>;

    signal_channel() = default;
    signal_channel(const signal_channel&) = delete;
    signal_channel& operator=(const signal_channel&) = delete;

private:
    // A receiver that was handed a value is in handed_ until it resumes and takes it: if its run ends
    // first (continue-as-new), the value goes back to the channel instead of dying with the frame.
    //
    // A receiver destroyed with a value it never took (a receive that lost a when_any, its frame destroyed
    // by its own run's code) gives the value back to the channel, first in line. The check lives here,
    // in the suspended path only, so that a receive that finds a value pays nothing for it.
    struct receiver : detail::waiter, detail::list_hook<detail::handed_tag> {
        explicit receiver(signal_channel& c) noexcept : ch(&c) {}
        receiver(receiver&&) = delete;
        ~receiver() {
            auto& hook = static_cast<detail::list_hook<detail::handed_tag>&>(*this);
            if (hook.linked() && slot && detail::current_activation && detail::current_activation->inst == inst)
                [[unlikely]] ch->give_back(*this);
            hook.unlink();
        }
        signal_channel* ch;
        std::optional<value_type> slot;
    };

    // The waiter is built only when the receive suspends: a receive that finds a value (the usual case
    // in a busy channel) costs a few loads, not a 100-byte waiter made and torn down.
    template <bool Timed>
    class [[nodiscard]] receive_awaiter {
    public:
        using coflow_awaitable = void;

        receive_awaiter(detail::activation& a, signal_channel& ch, detail::timeout_field<Timed> timeout) noexcept
            : ch_(&ch), precancelled_(a.body && a.inst->cancel_pending ? a.inst : nullptr), timeout_(timeout) {}
        // Built where co_await keeps it (receive_request::make), never moved.
        receive_awaiter(receive_awaiter&&) = delete;
        receive_awaiter& operator=(receive_awaiter&&) = delete;

        bool await_ready() const noexcept { return !precancelled_ && !ch_->items_.empty(); }

        bool await_suspend(std::coroutine_handle<> h) noexcept {
            if (precancelled_) return detail::park_if_cancelled;
            detail::activation& a = *detail::current_activation;
            receiver& r = waiting_.emplace(*ch_);
            r.arm(a, h, detail::wait_kind::channel);
            ch_->receivers_.push_back(r);
            if constexpr (Timed) r.arm_timer(timeout_);
            return true;
        }

        auto await_resume() {
            if (waiting_) [[unlikely]] {  // it suspended: handed a value, timed out or cancelled
                waiting_->throw_if_cancelled();
                if (waiting_->slot) {
                    static_cast<detail::list_hook<detail::handed_tag>&>(*waiting_).unlink();
                    if constexpr (Timed) return std::optional<value_type>(std::move(*waiting_->slot));
                    else return value_type(std::move(*waiting_->slot));
                }
                if constexpr (Timed)
                    if (waiting_->reason == detail::wake_reason::timed_out) return std::optional<value_type>();
            } else if (precancelled_) [[unlikely]] {
                detail::raise_cancelled(*precancelled_);
            }
            if constexpr (Timed) return std::optional<value_type>(ch_->take_front());
            else return ch_->take_front();
        }

    private:
        signal_channel* ch_;
        // The run, when the body was asked to cancel before this wait: the wait throws at once. Else null.
        detail::instance_base* precancelled_;
        [[no_unique_address]] detail::timeout_field<Timed> timeout_;  // receive() has none
        std::optional<receiver> waiting_;
    };

    // What receive() returns: the channel and the timeout. co_await builds the receive_awaiter in the frame
    // (promise_common::await_transform), so it is made once and never moved.
    template <bool Timed>
    class [[nodiscard]] receive_request {
    public:
        using coflow_awaitable = void;
        using coflow_deferred = void;

        receive_request(signal_channel& ch, duration timeout) noexcept : ch_(&ch), timeout_(timeout) {}
        receive_awaiter<Timed> make() const {
            return receive_awaiter<Timed>(detail::require_activation("signal_channel::receive"), *ch_, timeout_);
        }

    private:
        signal_channel* ch_;
        [[no_unique_address]] detail::timeout_field<Timed> timeout_;
    };

public:
    /// Awaits the next value; suspends while the channel is empty.
    [[nodiscard]] receive_request<false> receive() {
        (void)detail::require_activation("signal_channel::receive");  // misuse is reported here, at the call
        return receive_request<false>(*this, duration::zero());
    }

    /// Awaits the next value for at most `timeout` of executor time; std::nullopt if none came. A
    /// negative timeout is a zero one; one past the end of the clock (duration::max()) never runs out.
    [[nodiscard]] receive_request<true> receive(duration timeout) {
        (void)detail::require_activation("signal_channel::receive");
        return receive_request<true>(*this, timeout);
    }

    /// The next value if one is queued, without suspending.
    [[nodiscard]] std::optional<value_type> try_receive() {
        if (items_.empty()) return std::nullopt;
        return take_front();
    }

    [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
    [[nodiscard]] bool empty() const noexcept { return items_.empty(); }

    /// Adds a value: hands it to the first waiting receiver, or queues it. The runtime calls this when
    /// it delivers a signal; workflow code may call it too (for instance to put back an item).
    template <class... As>
    [[gnu::always_inline]] inline void push(As&&... args) {  // inline: most of what a channel signal costs
        if (receiver* r = receivers_.pop_front()) {
            r->slot.emplace(std::forward<As>(args)...);
            r->fire(detail::wake_reason::fired);
            handed_.push_back(*r);
        } else {
            items_.emplace_back_inline(std::forward<As>(args)...);
        }
    }

    /// Appends every value queued in `other`, in order, leaving it empty (continue-as-new uses this).
    void take_queued_from(signal_channel& other) {
        while (!other.items_.empty()) items_.push_back(other.take_front());
    }

    /// Puts the values handed to receivers that have not resumed yet back at the front, in the order
    /// they were handed (continue-as-new, before the old run's frames go).
    void reclaim_handed() {
        if (handed_.empty()) return;
        detail::ring<value_type> all;
        while (receiver* r = handed_.pop_front()) {
            all.push_back(std::move(*r->slot));
            r->slot.reset();
        }
        while (!items_.empty()) all.push_back(take_front());
        items_ = std::move(all);
    }

    /// Calls f(value) for each queued value, in order (continue-as-new records them).
    template <class F>
    void for_each_queued(F&& f) const {
        for (std::size_t i = 0; i < items_.size(); ++i) f(items_[i]);
    }

private:
    // A handed value whose receiver will never take it: to the next waiting receiver, else to the front.
    void give_back(receiver& from) {
        static_cast<detail::list_hook<detail::handed_tag>&>(from).unlink();
        value_type v = std::move(*from.slot);
        from.slot.reset();
        if (receiver* r = receivers_.pop_front()) {
            r->slot.emplace(std::move(v));
            r->fire(detail::wake_reason::fired);
            handed_.push_back(*r);
            return;
        }
        detail::ring<value_type> all;
        all.push_back(std::move(v));
        while (!items_.empty()) all.push_back(take_front());
        items_ = std::move(all);
    }

    value_type take_front() {
        value_type v = std::move(items_.front());
        items_.pop_front();
        return v;
    }

    detail::ring<value_type> items_;
    detail::intrusive_list<receiver, detail::wait_tag> receivers_;
    detail::intrusive_list<receiver, detail::handed_tag> handed_;
};

namespace detail {
template <class T>
struct is_signal_channel : std::false_type {};
template <class... Ts>
struct is_signal_channel<signal_channel<Ts...>> : std::true_type {};
}  // namespace detail

}  // namespace coflow
