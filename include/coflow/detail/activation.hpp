// coflow/detail/activation.hpp: what workflow code is running right now, and the resume trampoline.
// The engine sets it around each step; awaitables read it to know their workflow and strand.
#pragma once

#include <coroutine>
#include <string_view>
#include <utility>

#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>

namespace coflow::detail {

class engine;
class instance_base;

/// Set by the engine around each step of workflow code. `body` tells the body's chain of awaits (which
/// cancellation targets) from signal handlers and spawned tasks (`task`). `next` is the trampoline slot: a coroutine that hands
/// control to another (a task start, a task's return to its awaiter) parks it here instead of resuming
/// it, and the engine resumes it from its loop. The stack stays flat at any optimisation level (g++
/// turns symmetric transfer into a tail call only at -O2).
struct activation {
    engine* eng;
    instance_base* inst;
    bool body;
    bool task = false;  // a task spawned by workflow code (when_any, when_all, task_scope) is running
    std::coroutine_handle<> next{};
};

inline thread_local activation* current_activation = nullptr;

/// The run whose query is running right now, if any: a query runs no workflow code, and may not make
/// any run (by driving the executor, or by forgetting or terminating its own run).
inline thread_local const instance_base* current_query = nullptr;

/// Marks a query as running for its lifetime.
class query_scope {
public:
    explicit query_scope(const instance_base& in) noexcept : outer_(std::exchange(current_query, &in)) {}
    query_scope(const query_scope&) = delete;
    query_scope& operator=(const query_scope&) = delete;
    ~query_scope() { current_query = outer_; }

private:
    const instance_base* outer_;
};

[[noreturn]] [[gnu::noinline]] inline void throw_not_in_workflow(std::string_view what) {
    detail::raise(not_in_workflow(what));
}

/// The running activation, or not_in_workflow naming `what` was misused.
[[nodiscard]] inline activation& require_activation(std::string_view what) {
    activation* a = current_activation;
    if (!a) [[unlikely]]
        throw_not_in_workflow(what);
    return *a;
}

/// Resumes `h`, then every coroutine it hands control to, until the chain suspends for real.
inline void resume_chain(activation& a, std::coroutine_handle<> h) {
    h.resume();
    while (a.next) std::exchange(a.next, {}).resume();
}

}  // namespace coflow::detail
