// coflow/detail/promise.hpp: the promise family shared by task<R> and workflow<R>.
// Non-template bases hold the continuation, the root, the exception and the final awaiter (a task's), or
// the root alone (a workflow body's).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/block_cache.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/raise.hpp>

namespace coflow::detail {

class promise_base;

/// Who is told when a coroutine with no awaiting caller finishes: the workflow instance that runs it
/// (as its body or as an async signal handler). It may destroy the frame it is given.
class coroutine_root {
public:
    virtual void on_root_done(std::coroutine_handle<> frame, promise_base& p) noexcept = 0;
    /// A workflow body (body_promise_base) finished; told first what it threw, if it threw.
    virtual void on_body_done(std::coroutine_handle<>) noexcept {}
    virtual void on_body_threw(std::exception_ptr) noexcept {}
    /// Where a workflow body's `co_return value` puts the value: the run's `std::optional<R>`, so that
    /// the frame holds no copy of it (null for roots that run no workflow body).
    [[nodiscard]] virtual void* result_place() noexcept { return nullptr; }

protected:
    ~coroutine_root() = default;
};

/// Marks a type that workflow code may co_await (see promise_common::await_transform).
template <class A>
concept workflow_awaitable = requires { typename std::remove_cvref_t<A>::coflow_awaitable; };

struct handler_tag {};

// g++ 12 destroys twice a temporary made inside a co_await expression when building it gave the
// compiler cleanups of its parts: an aggregate whose destructor is not trivial (`input{name, 3}`), or a
// lambda capturing such values by copy. coflow's calls mark the awaitable they return when an argument
// is such a temporary, and await_transform refuses to await it in the expression that made it.

/// An argument that is a temporary aggregate with a non-trivial destructor (std::move of a local one
/// counts too: C++ cannot tell them apart).
template <class A>
inline constexpr bool fragile_temporary_v = !std::is_lvalue_reference_v<A> &&
                                            std::is_aggregate_v<std::remove_cvref_t<A>> &&
                                            !std::is_trivially_destructible_v<std::remove_cvref_t<A>>;

/// A callable argument that is a temporary with a non-trivial destructor (closures are not aggregates,
/// so any such temporary counts).
template <class F>
inline constexpr bool fragile_callable_v =
    !std::is_lvalue_reference_v<F> && !std::is_trivially_destructible_v<std::remove_cvref_t<F>>;

/// An awaitable whose call was given a fragile temporary: awaiting it as the temporary it is refused
/// (await_transform); awaiting it from a variable, made in an earlier statement, is fine.
template <class A>
class [[nodiscard]] given_fragile_temporary : public A {
public:
    using coflow_given_fragile_temporary = void;
    explicit given_fragile_temporary(A&& a) noexcept(std::is_nothrow_move_constructible_v<A>) : A(std::move(a)) {}
};

/// What a call returns: the awaitable A, marked when it was given a fragile temporary.
template <bool Fragile, class A>
using maybe_fragile_t = std::conditional_t<Fragile, given_fragile_temporary<A>, A>;

/// Awaits the awaiter it points to (see promise_common::await_transform).
template <class A>
struct awaiter_ref {
    A* a;
    bool await_ready() { return a->await_ready(); }
    template <class H>
    auto await_suspend(H h) {
        return a->await_suspend(h);
    }
    decltype(auto) await_resume() { return a->await_resume(); }
};

/// What every coflow promise does alike: a lazy start, and what workflow code may co_await. No data.
class promise_common {
public:
    // Frames are recycled per thread, as runs are (block_cache.hpp).
    static void* operator new(std::size_t n) { return block_cache::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { block_cache::deallocate(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }  // lazy: the awaiter or the runtime starts it

    // Workflow code runs only when the runtime resumes it; an awaitable from elsewhere could resume it
    // on another thread or outside the executor, breaking the determinism contract.
    //
    // An awaiter given as a temporary is moved into a value that the compiler keeps in the frame, and
    // one given as an lvalue is wrapped in a pointer-sized proxy: g++ 12 mishandles references returned
    // from await_transform (it copies or relocates the awaiter), and our awaiters must stay in place.
    //
    // A deferred awaitable (wait_condition's) is only a description; its awaiter is built here, as the
    // returned prvalue, directly where the frame keeps it: the frame holds one waiter, not a copy too.
    template <class A>
    auto await_transform(A&& a) noexcept(!requires { typename std::remove_cvref_t<A>::coflow_deferred; } &&
                                         (std::is_lvalue_reference_v<A> ||
                                          std::is_nothrow_move_constructible_v<std::remove_cvref_t<A>>)) {
        static_assert(workflow_awaitable<A>,
                      "workflow code may only co_await coflow awaitables (task, wait_condition, sleep, "
                      "signal_channel::receive, ...): other awaitables would resume it outside the executor");
        using D = std::remove_cvref_t<A>;
        if constexpr (requires { typename D::coflow_given_fragile_temporary; })
            static_assert(std::is_lvalue_reference_v<A>,
                          "an argument of this co_await's call is a temporary that g++ 12 destroys twice inside a "
                          "co_await expression (an aggregate with a non-trivial destructor, such as input{name, "
                          "3} or std::move of one, or a lambda capturing such values by copy): pass a named "
                          "variable, or make the call a statement of its own and co_await the variable it gives; "
                          "a workflow<R> body ends with `co_return coflow::continue_as_new(...)`, which needs no "
                          "co_await");
        if constexpr (requires { typename D::coflow_deferred; }) return D(std::forward<A>(a)).make();
        else if constexpr (!std::is_lvalue_reference_v<A>) return D(std::move(a));
        else if constexpr (requires { a.await_ready(); }) return awaiter_ref<D>{&a};
        else return a.operator co_await();  // a task lvalue: its awaiter, by value
    }
};

/// A task's promise (and the base of every promise but a workflow body's): a caller to resume, or a root
/// to tell, and what the coroutine threw.
class promise_base : public promise_common {
public:
    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        // Hands control back to the awaiting coroutine through the engine's trampoline, so chains of
        // awaits never grow the stack. A root coroutine has no awaiter: its instance is told instead
        // (and may destroy this frame).
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base& p = h.promise();
            if (p.continuation) current_activation->next = p.continuation;
            else if (p.root) p.root->on_root_done(h, p);
        }
        void await_resume() noexcept {}
    };

    final_awaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }

    std::coroutine_handle<> continuation{};
    coroutine_root* root = nullptr;
    std::exception_ptr exception;
};

/// A workflow body's promise: its run is always its root (never an awaiting caller), and what it throws
/// goes to the run at once (coroutine_root::on_body_threw), so the promise holds the root alone: 8 bytes
/// of every suspended workflow's frame, not a task promise's 24.
class body_promise_base : public promise_common {
public:
    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        // The run may destroy this frame.
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept {
            if (coroutine_root* r = h.promise().root) r->on_body_done(h);
        }
        void await_resume() noexcept {}
    };

    final_awaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept {
        if (root) root->on_body_threw(std::current_exception());
    }

    coroutine_root* root = nullptr;
};

/// The promise of a task. Besides a caller's awaiting it, a task frame may be a root of its own (an async
/// signal handler in its run's list, a race member) or wait in the graveyard below: for these it has a
/// hook and its own handle. A workflow body's promise has neither (its run keeps the handle), so a
/// suspended workflow's frame is 24 bytes smaller.
class task_promise_base : public promise_base, public list_hook<handler_tag> {
public:
    std::coroutine_handle<> self{};  // set for roots and the graveyard only, so that they can destroy the frame
};

/// Task frames whose destruction waits for frames being destroyed. Destroying a frame suspended in
/// `co_await child` destroys the child's task, whose frame may be suspended the same way, and so on down
/// a chain as deep as workflow code made it. Up to `max_nested_frame_destroys` levels this recursion is
/// kept (each child goes before the rest of the frame awaiting it, which its destructors may rely on);
/// a frame deeper than that is queued here, and the outermost destruction destroys the queued frames
/// one at a time, so tearing down a chain of any depth needs a bounded stack.
struct frame_graveyard {
    task_promise_base* first = nullptr;  // linked through their handler hooks (a task's frame is never a handler)
    unsigned depth = 0;             // task frames being destroyed, one inside another
};

inline thread_local frame_graveyard graveyard;

inline constexpr unsigned max_nested_frame_destroys = 64;

/// Destroys the frame of a task (`p` is its promise), or queues it if too many are being destroyed.
inline void destroy_task_frame(std::coroutine_handle<> frame, task_promise_base& p) noexcept {
    if (frame.done()) {  // a finished frame awaits no child
        frame.destroy();
        return;
    }
    if (graveyard.depth == max_nested_frame_destroys) {
        p.self = frame;
        p.list_hook<handler_tag>::next = graveyard.first;
        graveyard.first = &p;
        return;
    }
    ++graveyard.depth;
    frame.destroy();
    --graveyard.depth;
    if (graveyard.depth != 0) return;
    while (task_promise_base* q = graveyard.first) {
        graveyard.first = static_cast<task_promise_base*>(q->list_hook<handler_tag>::next);
        ++graveyard.depth;
        q->self.destroy();
        --graveyard.depth;
    }
}

template <class R>
class value_promise : public task_promise_base {
public:
    static_assert(!std::is_reference_v<R>, "task<R> and workflow<R> return values, not references");

    void return_value(R v) noexcept(std::is_nothrow_move_constructible_v<R>) { value_.emplace(std::move(v)); }

    /// The result, or the exception the coroutine ended with.
    R take() {
        rethrow_if_set(exception);
        return std::move(*value_);
    }

    [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }

private:
    std::optional<R> value_;
};

template <>
class value_promise<void> : public task_promise_base {
public:
    void return_void() noexcept {}
    void take() {
        rethrow_if_set(exception);
    }
};

}  // namespace coflow::detail
