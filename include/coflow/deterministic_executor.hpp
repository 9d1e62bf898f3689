// coflow/deterministic_executor.hpp: the reference executor: FIFO ready queue, timer heap, virtual clock.
// It never waits in real time; the caller decides when time advances (run_until_idle, advance, step).
#pragma once

#include <algorithm>
#include <concepts>
#include <type_traits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/clock.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/ready_queue.hpp>
#include <coflow/detail/timer_heap.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// A single-threaded executor whose runs are reproducible: the same posts give the same order.
///
/// Ready work runs in the order posted. Timers fire in order of due time, ties in the order they were
/// posted; a cancelled timer leaves the heap at once, so no jump of the clock ever lands on it. Time
/// moves only inside `run_until_idle` (jumping to the next timer when nothing is ready),
/// `advance(d)` (up to now + d), `step` and `run_until`. Exceptions thrown by a work propagate to the
/// caller of the running method; the executor stays usable. Those four are the loop's owner's: called
/// from workflow code, a handler, a predicate or a query, they throw invalid_operation.
class deterministic_executor final : public executor {
public:
    deterministic_executor() noexcept {
        ready_calls_ = &ready_;
        timer_calls_ = &timers_;
    }

    void post(work w) override { ready_.post(std::move(w)); }

    timer_id post_at(time_point t, work w) override { return timers_.post_at(t, std::move(w)); }

    /// Takes the timer out of the heap and destroys its work, in O(log n). Ignores ids of timers that
    /// have run, are about to (their time came and they wait with the ready work) or were cancelled.
    void cancel(timer_id id) noexcept override { timers_.cancel(id); }

    [[nodiscard]] time_point now() const noexcept override { return now_; }
    /// Moves the clock forward to `t` (a load does), running nothing; false if `t` is in its past.
    bool restore_clock(time_point t) noexcept override {
        if (t < now_) return false;
        now_ = t;
        return true;
    }

    /// Runs ready work and fires timers (jumping the clock) until nothing is left. Returns works run.
    std::size_t run_until_idle() {
        const driving scope(*this, "run_until_idle");
        std::size_t n = 0;
        for (;;) {
            n += drain_ready();
            if (timers_.empty()) return n;
            now_ = std::max(now_, timers_.next_due());
            release_due();
        }
    }

    /// Moves the clock forward by `d`, running every work and timer due up to then, in order.
    /// A game loop calls this once per frame. Past the end of the clock (duration::max(), say) it
    /// stops at time_point::max(). Returns works run.
    std::size_t advance(duration d) {
        const driving scope(*this, "advance");
        const time_point target = detail::saturating_add(now_, d);
        std::size_t n = 0;
        for (;;) {
            n += drain_ready();
            if (timers_.empty() || timers_.next_due() > target) break;
            now_ = std::max(now_, timers_.next_due());
            release_due();
        }
        now_ = std::max(now_, target);
        return n;
    }

    /// Runs one work: the next ready one, or else the next timer (moving the clock to it).
    /// Returns false when there was nothing to run.
    bool step() {
        const driving scope(*this, "step");
        if (ready_.empty()) {
            if (timers_.empty()) return false;
            now_ = std::max(now_, timers_.next_due());
            release_due();
        }
        run_one();
        return true;
    }

    /// Steps until `done()` is true (checked before each step) or nothing is left to run.
    /// Returns `done()`. Pass a handle's `is_closed` to run a workflow to its end:
    /// `ex.run_until([&] { return h.is_closed(); })`, or simply `ex.run_until(h)`.
    template <class Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    bool run_until(Pred done) {
        const driving scope(*this, "run_until");
        while (!done()) {
            inner_step_ = true;  // this step() is the loop's own
            if (!step()) return done();
        }
        return true;
    }

    /// Runs until the workflow behind `handle` has closed; false if the executor ran dry first.
    template <class Handle>
        requires requires(const Handle& h) {
            { h.is_closed() } -> std::convertible_to<bool>;
        }
    bool run_until(const Handle& handle) {
        return run_until([&handle] { return handle.is_closed(); });
    }

    /// True when no work is ready and no timer is pending.
    [[nodiscard]] bool idle() const noexcept { return ready_.empty() && timers_.empty(); }
    [[nodiscard]] std::size_t ready_count() const noexcept { return ready_.size(); }
    /// Timers not yet due and not cancelled.
    [[nodiscard]] std::size_t timer_count() const noexcept { return timers_.size(); }

private:
    // Marks the loop as running: the work it runs (workflow code, handlers, predicates) and queries may
    // not drive it again, as that would run workflow code inside workflow code.
    class driving {
    public:
        driving(deterministic_executor& ex, const char* what) : ex_(ex), outer_(ex.driving_) {
            if ((outer_ && !std::exchange(ex.inner_step_, false)) || detail::current_query) [[unlikely]]
                refuse(what);
            ex.driving_ = true;
        }
        driving(const driving&) = delete;
        driving& operator=(const driving&) = delete;
        ~driving() { ex_.driving_ = outer_; }

    private:
        [[noreturn]] [[gnu::noinline]] static void refuse(const char* what) {
            detail::raise(invalid_operation(std::string("deterministic_executor::") + what +
                                            " was called from workflow code, a handler, a predicate or a query; "
                                            "only the code that owns the loop may drive it"));
        }
        deterministic_executor& ex_;
        bool outer_;
    };

    void release_due() { timers_.release_due(now_, ready_); }

    void run_one() { ready_.run_one(); }

    std::size_t drain_ready() {
        std::size_t n = 0;
        while (!ready_.empty()) {
            run_one();
            ++n;
        }
        return n;
    }

    detail::ready_queue ready_;
    detail::timer_heap timers_;  // declared after ready_: destroyed first, its calls dropped
    time_point now_{};
    bool driving_ = false;
    bool inner_step_ = false;  // run_until's own calls to step()
};

}  // namespace coflow
