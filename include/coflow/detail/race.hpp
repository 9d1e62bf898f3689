// coflow/detail/race.hpp: tasks that workflow code runs beside itself, in its own run, and the one
// waiter that waits for them: the core of when_any, when_all, selector and task_scope.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/raise.hpp>

namespace coflow::detail {

/// A group of task frames that run beside the code that made them, in the same run and on the same
/// executor. Each runs until it suspends, then on its own; the group is their root (on_root_done), so it
/// learns when each ends, and the waiter it is wakes the code that waits for them.
///
/// - `any`: the first task to end wins; the others are destroyed at that moment, before any of them
///   can take something (a channel value, a child's result) that would then be lost.
/// - `all`: every task must end; the first that fails destroys the others.
/// - `scope`: tasks come and go; the first that fails destroys the others.
///
/// Destroying a task's frame is how it is cancelled: its waits leave what they waited on and their
/// timers leave the executor. The group's destructor destroys whatever is left.
class race final : public waiter, public coroutine_root {
public:
    enum class mode : unsigned char { any, all, scope };

    explicit race(mode m) noexcept : mode_(m) {}
    // Moved only before anything started (awaiters are moved into the frame before they suspend).
    race(race&& o) noexcept : waiter(std::move(o)), mode_(o.mode_), members_(std::move(o.members_)) {}
    race& operator=(race&&) = delete;
    ~race() { destroy_members(nullptr, true); }

    /// Takes ownership of a task frame (not started yet), even when this throws (the frame is then destroyed).
    void add(std::coroutine_handle<> frame, task_promise_base& p) {
        guarded([&] { members_.push_back(member{frame, &p, {}, false}); },
                [&](std::exception_ptr e) {
                    destroy_task_frame(frame, p);
                    rethrow_if_set(e);
                });
    }

    /// Starts the members not started yet, in order, each until it first suspends, as tasks of the
    /// running activation (cancellation is for the waiting code, not for them). Stops once the race is
    /// decided: the members left unstarted were destroyed by the decision.
    void start_all(activation& a) noexcept {
        const bool was_body = std::exchange(a.body, false);
        const bool was_task = std::exchange(a.task, true);
        for (std::size_t i = 0; i < members_.size() && !decided(); ++i) {
            member& m = members_[i];
            m.p->root = this;
            m.p->self = m.frame;
            resume_chain(a, m.frame);
        }
        a.body = was_body;
        a.task = was_task;
    }

    /// Starts the last member later, in a step of its own like the run's other ready work (task_scope).
    void start_later(activation& a) noexcept {
        member& m = members_.back();
        m.p->root = this;
        m.p->self = m.frame;
        const bool was_body = std::exchange(a.body, false);
        const bool was_task = std::exchange(a.task, true);
        m.start.arm(a, m.frame, wait_kind::spawn);
        m.start.fire(wake_reason::fired);
        a.body = was_body;
        a.task = was_task;
    }

    /// True when the waiting code may go on: a failure (all, scope), a winner (any), or nothing left
    /// running (all, scope).
    [[nodiscard]] bool decided() const noexcept {
        if (failure_) return true;
        return mode_ == mode::any ? winner_ >= 0 : ended_ == members_.size();
    }

    /// Waits (from await_suspend) until decided(): arms this waiter for `h`.
    void wait(activation& a, std::coroutine_handle<> h, wait_kind k) noexcept {
        arm(a, h, k);
        waiting_ = true;
    }

    /// True while code waits here and has not been woken (by decided(), or by cancellation).
    [[nodiscard]] bool waiting() const noexcept { return waiting_ && reason == wake_reason::none; }

    /// Forgets how an earlier wait ended (a scope may be joined again after a join was cancelled).
    void reset_wait() noexcept {
        if (waiting()) return;
        waiting_ = false;
        reason = wake_reason::none;
    }
    [[nodiscard]] std::size_t winner() const noexcept { return static_cast<std::size_t>(winner_); }
    [[nodiscard]] std::size_t running() const noexcept { return members_.size() - ended_; }
    /// The promise of member `i` (any, all: members are never removed there), to read its result.
    [[nodiscard]] task_promise_base& promise(std::size_t i) const noexcept { return *members_[i].p; }

    /// Destroys every member's frame: a select that found nothing ready runs its default instead.
    void cancel_all() noexcept { destroy_members(nullptr, true); }

    /// The first failure (all, scope); taking it leaves the race undecided again (scope).
    [[nodiscard]] const std::exception_ptr& failure() const noexcept { return failure_; }
    [[nodiscard]] std::exception_ptr take_failure() noexcept { return std::exchange(failure_, nullptr); }

private:
    struct member {
        std::coroutine_handle<> frame;  // null once destroyed
        task_promise_base* p;
        waiter start;  // queues a spawned task to start in a step of its own
        bool ended;
    };

    void on_root_done(std::coroutine_handle<> frame, promise_base& p) noexcept override {
        member* m = &members_.front();
        for (std::size_t i = 0; m->frame != frame; m = &members_[++i]) {}
        m->ended = true;
        ++ended_;
        if (mode_ == mode::any) {
            if (winner_ < 0) winner_ = static_cast<std::ptrdiff_t>(index_of(*m));
            destroy_members(m, false);  // the losers go before any of them can take something
        } else if (p.exception && !failure_) {
            failure_ = p.exception;
            destroy_members(m, false);
        }
        if (mode_ == mode::scope) {  // a spawned task's frame goes as soon as it ends (it returns nothing)
            m->frame = {};
            frame.destroy();
            while (!members_.empty() && !members_.front().frame && members_.front().ended) {
                members_.pop_front();  // a deque: the members after it (and their start waiters) stay put
                --ended_;
            }
        }
        if (waiting() && decided()) {  // not if a cancellation woke the waiting code already
            waiting_ = false;
            fire(wake_reason::fired);
        }
    }

    [[nodiscard]] std::size_t index_of(const member& m) const noexcept {
        std::size_t i = 0;
        while (&members_[i] != &m) ++i;
        return i;
    }

    // Destroys the frames of the members that have not ended, except `keep` (the one ending now), and
    // with `ended_too` those kept for their results.
    void destroy_members(const member* keep, bool ended_too) noexcept {
        for (member& m : members_) {
            if (&m == keep || !m.frame || (m.ended && !ended_too)) continue;
            m.start.detach();
            const std::coroutine_handle<> f = std::exchange(m.frame, {});
            if (!m.ended) {
                m.ended = true;
                ++ended_;
            }
            destroy_task_frame(f, *m.p);
        }
    }

    mode mode_;
    std::deque<member> members_;  // a deque: a queued member's start waiter must not move
    std::size_t ended_ = 0;
    std::ptrdiff_t winner_ = -1;
    std::exception_ptr failure_;
    bool waiting_ = false;
};

}  // namespace coflow::detail
