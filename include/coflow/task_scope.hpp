// coflow/task_scope.hpp: spawned tasks (Temporal's workflow.Go, asyncio.create_task) in a structured
// scope: a task_scope is a local of workflow code, and no task it spawned outlives it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <string>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/race.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/task.hpp>

namespace coflow {

/// Tasks that run concurrently with the code that spawned them, in the same run:
///
///     coflow::task_scope scope;
///     scope.spawn(fetch(1));
///     scope.spawn(fetch(2));
///     co_await scope.join();  // both ended (or the first failure is rethrown)
///
/// `spawn` queues the task; it starts in a step of its own, after what is ready before it, and then runs
/// whenever what it awaits is ready, like a signal handler. The order is deterministic. A task that
/// throws fails the scope: the scope's other tasks are cancelled, tasks spawned later are destroyed
/// unrun, and `join()` rethrows that exception (once). A failure that no `join()` took fails the run
/// when the scope goes.
///
/// Structured: a scope is a local variable of workflow code (a body, a handler or a task), never a
/// member of the workflow object, and destroying it cancels the tasks still running: their frames are
/// destroyed, their waits unlinked and timers cancelled. So no task outlives its scope, and none
/// outlives its run. A cancel request reaches the body, not its spawned tasks: a body cancelled while
/// it joins leaves the scope by the exception, which cancels the tasks.
class task_scope {
public:
    task_scope() : inst_(detail::require_activation("coflow::task_scope").inst) {}
    task_scope(const task_scope&) = delete;
    task_scope& operator=(const task_scope&) = delete;

    ~task_scope() {
        // A failure nobody joined: the run fails with it, unless the scope goes because the run closes.
        detail::activation* a = detail::current_activation;
        if (race_.failure() && a && a->inst == inst_ && !inst_->failure) inst_->failure = race_.failure();
    }

    /// Queues `t` to start in a step of its own. Only workflow code of the scope's run may spawn.
    void spawn(task<> t) {
        detail::activation& a = detail::require_activation("coflow::task_scope::spawn");
        if (a.inst != inst_)
            detail::raise(invalid_operation("task_scope::spawn: the scope belongs to workflow '" + inst_->id +
                                            "', not to '" + a.inst->id + "', which called it"));
        if (!t.valid()) detail::raise(invalid_operation("task_scope::spawn: the task is empty (moved from?)"));
        if (race_.failure()) return;  // failed: `t` is destroyed unrun
        auto h = t.release();
        race_.add(h, h.promise());
        race_.start_later(a);
    }

    /// Tasks spawned and not ended yet.
    [[nodiscard]] std::size_t running() const noexcept { return race_.running(); }

    class [[nodiscard]] join_awaiter {
    public:
        using coflow_awaitable = void;
        explicit join_awaiter(task_scope& s) noexcept : scope_(&s) {}
        bool await_ready() const noexcept { return scope_->race_.decided() && !precancelled(); }
        bool await_suspend(std::coroutine_handle<> h) noexcept {
            detail::activation& a = *detail::current_activation;
            if (precancelled()) {
                cancelled_ = true;
                return detail::park_if_cancelled;
            }
            scope_->race_.wait(a, h, detail::wait_kind::join);
            return true;
        }
        void await_resume() {
            if (cancelled_) detail::raise_cancelled(*scope_->inst_);
            scope_->race_.throw_if_cancelled();
            detail::rethrow_if_set(scope_->race_.take_failure());
        }

    private:
        [[nodiscard]] bool precancelled() const noexcept {
            const detail::activation* a = detail::current_activation;
            return a && a->body && a->inst->cancel_pending;
        }
        task_scope* scope_;
        bool cancelled_ = false;
    };

    /// Awaits every task spawned (including those spawned meanwhile), or the first failure, which it
    /// rethrows. One caller joins at a time.
    [[nodiscard]] join_awaiter join() {
        detail::activation& a = detail::require_activation("coflow::task_scope::join");
        if (a.inst != inst_)
            detail::raise(invalid_operation("task_scope::join: the scope belongs to workflow '" + inst_->id + "'"));
        if (race_.waiting())
            detail::raise(invalid_operation("task_scope::join: workflow '" + inst_->id +
                                            "' is already joining this scope elsewhere"));
        race_.reset_wait();
        return join_awaiter(*this);
    }

private:
    detail::instance_base* inst_;
    detail::race race_{detail::race::mode::scope};
};

}  // namespace coflow
