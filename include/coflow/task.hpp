// coflow/task.hpp: task<R>, the awaitable helper coroutine used inside workflows.
// Sub-steps and async signal handlers are tasks; awaiting one starts it through the engine's trampoline.
#pragma once

#include <coroutine>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/promise.hpp>

namespace coflow {

/// A lazy coroutine returning R, awaited from workflow code (a body, a handler or another task).
///
/// `co_await t` starts the task and suspends the caller; when the task finishes, the caller resumes. Both
/// transfers go through the engine's trampoline, so no chain of awaits grows the stack, whatever the
/// compiler or optimisation level. `co_await` returns the value or rethrows the task's exception. A task
/// is a move-only owner: destroying it destroys its frame. Tearing down a suspended chain of awaits
/// destroys each awaited task before the rest of the frame awaiting it, on a bounded stack however deep
/// the chain (past 64 levels, a deeper frame goes after the frames above it instead). Tasks are awaited
/// where they are made, so the compiler may place their frames inside the caller's (HALO).
template <class R = void>
class [[nodiscard]] task {
public:
    struct promise_type : detail::value_promise<R> {
        task get_return_object() noexcept { return task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    };
    using handle_type = std::coroutine_handle<promise_type>;
    using coflow_awaitable = void;
    using value_type = R;

    task() noexcept = default;
    task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept {
        if (this != &o) {
            if (h_) detail::destroy_task_frame(h_, h_.promise());
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() {
        if (h_) detail::destroy_task_frame(h_, h_.promise());
    }

    struct [[nodiscard]] awaiter {
        handle_type h;
        bool await_ready() noexcept { return false; }
        // Starts the task from the engine's loop (see detail/activation.hpp): a flat stack, always.
        void await_suspend(std::coroutine_handle<> caller) noexcept {
            h.promise().continuation = caller;
            detail::current_activation->next = h;
        }
        R await_resume() { return h.promise().take(); }
    };

    awaiter operator co_await() && noexcept { return awaiter{h_}; }
    awaiter operator co_await() & noexcept { return awaiter{h_}; }

    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }

    /// Gives up ownership of the frame (the runtime takes it for async signal handlers).
    [[nodiscard]] handle_type release() noexcept { return std::exchange(h_, {}); }

private:
    explicit task(handle_type h) noexcept : h_(h) {}
    handle_type h_{};
};

}  // namespace coflow
