// coflow/selector.hpp: Go's workflow.Selector: wait on several channels (and other awaitables) at
// once and run the callback of the one that is ready first.
#pragma once

#include <coroutine>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/race.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/signal.hpp>
#include <coflow/task.hpp>
#include <coflow/when_any.hpp>

namespace coflow {

/// A set of cases, each a source and a callback; `co_await sel.select()` waits until one source is
/// ready, takes its value and runs that case's callback (once per select, like Go's Selector.Select):
///
///     coflow::selector sel;
///     sel.on_receive(orders_, [&](order o) { ... })
///        .on_receive(cancels_, [&](std::string why) { ... });
///     for (;;) co_await sel.select();
///
/// Cases are tried in the order added: when several are ready at once, the first one added wins, and
/// the others take nothing (a value stays in its channel for the next select). `on_default` runs its
/// callback instead of waiting when no case is ready. `on_ready(make, f)` adds any coflow awaitable:
/// `make()` is called at each select to make a fresh one (a sleep, a wait_condition, a child's result),
/// and `f` gets its result (nothing for a void one). Callbacks run as part of the select, in the
/// awaiting code; an exception from one is rethrown by select(). Like when_any, a select waiting in the
/// body throws `coflow::cancelled` when the run is cancelled.
class selector {
public:
    selector() = default;
    selector(const selector&) = delete;
    selector& operator=(const selector&) = delete;

    /// A case that receives from `ch` and passes the value to `f`.
    template <class... Ts, class F>
    selector& on_receive(signal_channel<Ts...>& ch, F f) {
        using V = typename signal_channel<Ts...>::value_type;
        static_assert(std::is_invocable_v<F&, V&&>, "on_receive's callback must take the channel's value");
        auto fn = std::make_shared<F>(std::move(f));
        cases_.push_back([&ch, fn]() -> task<> { return receive_case(ch.receive(), fn.get()); });
        keep_.push_back(std::move(fn));
        return *this;
    }

    /// A case for any coflow awaitable: `make()` makes it at each select; `f` takes its result.
    template <class Make, class F>
    selector& on_ready(Make make, F f) {
        auto fn = std::make_shared<std::pair<Make, F>>(std::move(make), std::move(f));
        cases_.push_back([p = fn.get()]() -> task<> {
            return ready_case<detail::unmarked_t<decltype(p->first())>>(p->first(), &p->second);
        });
        keep_.push_back(std::move(fn));
        return *this;
    }

    /// Runs `f` instead of waiting when no case is ready at select.
    template <class F>
    selector& on_default(F f) {
        default_ = std::move(f);
        return *this;
    }

    class [[nodiscard]] select_awaiter {
    public:
        using coflow_awaitable = void;
        select_awaiter(detail::race&& r, std::function<void()>* fallback) noexcept
            : race_(std::move(r)), default_(fallback) {}

        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h) noexcept {
            detail::activation& a = *detail::current_activation;
            inst_ = a.inst;
            if (a.body && a.inst->cancel_pending) {
                precancelled_ = true;
                return detail::park_if_cancelled;
            }
            race_.start_all(a);
            if (race_.decided()) return false;
            if (*default_) {
                race_.cancel_all();  // nothing was ready: the cases go (taking nothing), the default runs
                use_default_ = true;
                return false;
            }
            race_.wait(a, h, detail::wait_kind::when_any);
            return true;
        }
        void await_resume() {
            if (precancelled_) detail::raise_cancelled(*inst_);
            race_.throw_if_cancelled();
            if (use_default_) {
                (*default_)();
                return;
            }
            static_cast<detail::value_promise<void>&>(race_.promise(race_.winner())).take();
        }

    private:
        detail::race race_;
        std::function<void()>* default_;
        detail::instance_base* inst_ = nullptr;
        bool precancelled_ = false;
        bool use_default_ = false;
    };

    /// Waits for the first ready case and runs its callback.
    [[nodiscard]] select_awaiter select() {
        (void)detail::require_activation("coflow::selector::select");
        if (cases_.empty() && !default_)
            detail::raise(invalid_operation("selector::select: the selector has no cases: it would wait forever"));
        detail::race r(detail::race::mode::any);
        for (auto& c : cases_) {
            task<> t = c();
            auto h = t.release();
            r.add(h, h.promise());
        }
        return select_awaiter(std::move(r), &default_);
    }

private:
    template <class A, class F>
    static task<> receive_case(A receive, F* f) {
        (*f)(co_await std::move(receive));
    }

    template <class A, class F>
    static task<> ready_case(A awaitable, F* f) {
        if constexpr (std::is_void_v<typename detail::await_result<A>::type>) {
            co_await std::move(awaitable);
            (*f)();
        } else {
            (*f)(co_await std::move(awaitable));
        }
    }

    std::vector<std::function<task<>()>> cases_;
    std::vector<std::shared_ptr<void>> keep_;  // the callbacks, where their cases' tasks find them
    std::function<void()> default_;
};

}  // namespace coflow
