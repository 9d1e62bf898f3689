// coflow/detail/promise.hpp: the promise family shared by task<R> and workflow<R>.
// A non-template base holds the continuation, the exception and the final awaiter (symmetric transfer).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <coflow/detail/intrusive_list.hpp>

namespace coflow::detail {

class promise_base;

/// Who is told when a coroutine with no awaiting caller finishes: the workflow instance that runs it
/// (as its body or as an async signal handler). It may destroy the frame it is given.
class coroutine_root {
public:
    virtual void on_root_done(std::coroutine_handle<> frame, promise_base& p) noexcept = 0;

protected:
    ~coroutine_root() = default;
};

/// Marks a type that workflow code may co_await (see promise_base::await_transform).
template <class A>
concept workflow_awaitable = requires { typename std::remove_cvref_t<A>::coflow_awaitable; };

struct handler_tag {};

class promise_base : public list_hook<handler_tag> {
public:
    std::suspend_always initial_suspend() noexcept { return {}; }  // lazy: the awaiter or the runtime starts it

    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        // Resumes the awaiting coroutine by symmetric transfer, so chains of awaits never grow the stack.
        // A root coroutine has no awaiter: its instance is told instead (and may destroy this frame).
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base& p = h.promise();
            if (p.continuation) return p.continuation;
            if (p.root) p.root->on_root_done(h, p);
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };

    final_awaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }

    // Workflow code runs only when the runtime resumes it; an awaitable from elsewhere could resume it
    // on another thread or outside the executor, breaking the determinism contract.
    //
    // An awaiter given as a temporary is moved into a value that the compiler keeps in the frame: g++ 12
    // can mishandle a reference to such a temporary across the suspension (it relocated its bytes).
    template <class A>
    auto await_transform(A&& a) noexcept(std::is_lvalue_reference_v<A> ||
                                         std::is_nothrow_move_constructible_v<std::remove_cvref_t<A>>)
        -> std::conditional_t<std::is_lvalue_reference_v<A>, A&, std::remove_cvref_t<A>> {
        static_assert(workflow_awaitable<A>,
                      "workflow code may only co_await coflow awaitables (task, wait_condition, sleep, "
                      "signal_channel::receive, ...): other awaitables would resume it outside the executor");
        return std::forward<A>(a);
    }

    std::coroutine_handle<> continuation{};
    coroutine_root* root = nullptr;
    std::coroutine_handle<> self{};  // set for roots only, so the instance can destroy the frame
    std::exception_ptr exception;
};

template <class R>
class value_promise : public promise_base {
public:
    static_assert(!std::is_reference_v<R>, "task<R> and workflow<R> return values, not references");

    void return_value(R v) noexcept(std::is_nothrow_move_constructible_v<R>) { value_.emplace(std::move(v)); }

    /// The result, or the exception the coroutine ended with.
    R take() {
        if (exception) std::rethrow_exception(exception);
        return std::move(*value_);
    }

    [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }

private:
    std::optional<R> value_;
};

template <>
class value_promise<void> : public promise_base {
public:
    void return_void() noexcept {}
    void take() {
        if (exception) std::rethrow_exception(exception);
    }
};

}  // namespace coflow::detail
