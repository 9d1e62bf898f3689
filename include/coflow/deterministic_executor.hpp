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
    deterministic_executor() noexcept { ready_calls_ = &ready_; }

    void post(work w) override { ready_.post(std::move(w)); }

    // The heap orders 24-byte keys; the works wait in a slab beside it, so sifting moves no closures.
    timer_id post_at(time_point t, work w) override {
        if (timers_.size() == timers_.capacity()) timers_.reserve(timers_.size() * 2 + 16);  // nothing fails below
        if (free_parked_.empty() && parked_.size() == parked_.capacity()) {
            const std::size_t n = parked_.size() * 2 + 16;
            parked_.reserve(n);
            heap_index_.reserve(n);
            generation_.reserve(n);
            free_parked_.reserve(n);  // so that freeing a slot never allocates
        }
        std::uint32_t slot;
        if (free_parked_.empty()) {
            slot = static_cast<std::uint32_t>(parked_.size());
            parked_.push_back(std::move(w));
            heap_index_.push_back(0);
            generation_.push_back(0);
        } else {
            slot = free_parked_.back();
            free_parked_.pop_back();
            parked_[slot] = std::move(w);
        }
        timers_.push_back(timer{t, next_seq_++, slot});
        sift_up(timers_.size() - 1, timers_.back());
        return static_cast<timer_id>(generation_[slot]) << 32 | slot;
    }

    /// Takes the timer out of the heap and destroys its work, in O(log n). Ignores ids of timers that
    /// have run, are about to (their time came and they wait with the ready work) or were cancelled.
    void cancel(timer_id id) noexcept override {
        const auto slot = static_cast<std::uint32_t>(id);
        if (slot >= generation_.size() || generation_[slot] != static_cast<std::uint32_t>(id >> 32)) return;
        const std::size_t i = heap_index_[slot];
        const work dead = std::move(parked_[slot]);  // destroyed last, with the heap whole again
        free_slot(slot);
        const timer last = timers_.back();
        timers_.pop_back();
        if (i == timers_.size()) return;  // it was the last leaf
        if (i > 0 && earlier(last, timers_[(i - 1) / arity])) sift_up(i, last);
        else sift_down(i, last);
    }

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
            now_ = std::max(now_, timers_.front().due);
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
            if (timers_.empty() || timers_.front().due > target) break;
            now_ = std::max(now_, timers_.front().due);
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
            now_ = std::max(now_, timers_.front().due);
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

    struct timer {
        time_point due;
        std::uint64_t seq;
        std::uint32_t slot;  // where its work is parked
    };
    static bool earlier(const timer& a, const timer& b) noexcept {
        return a.due != b.due ? a.due < b.due : a.seq < b.seq;
    }

    // The timers form an 8-ary min-heap on (due, seq): a third of the depth of a binary heap, with a
    // node's eight children side by side in three cache lines, so that a pop from a heap too big for the
    // cache misses far less often. (due, seq) orders every timer strictly, so the firing order is the
    // same as with any other priority queue.
    static constexpr std::size_t arity = 8;

    // Each placement records where the timer is, so that cancel finds it.
    void place(std::size_t i, const timer& t) noexcept {
        timers_[i] = t;
        heap_index_[t.slot] = static_cast<std::uint32_t>(i);
    }

    // Puts `t` at hole `i` or above it.
    void sift_up(std::size_t i, const timer t) noexcept {
        while (i > 0) {
            const std::size_t parent = (i - 1) / arity;
            if (!earlier(t, timers_[parent])) break;
            place(i, timers_[parent]);
            i = parent;
        }
        place(i, t);
    }

    // Puts `t` at hole `i` or below it.
    void sift_down(std::size_t i, const timer t) noexcept {
        const std::size_t n = timers_.size();
        for (;;) {
            const std::size_t first = i * arity + 1;
            if (first >= n) break;
            const std::size_t end = std::min(first + arity, n);
            std::size_t best = first;
            for (std::size_t c = first + 1; c < end; ++c)
                if (earlier(timers_[c], timers_[best])) best = c;
            if (!earlier(timers_[best], t)) break;
            place(i, timers_[best]);
            i = best;
        }
        place(i, t);
    }

    void pop_earliest() noexcept {
        const timer last = timers_.back();
        timers_.pop_back();
        if (!timers_.empty()) sift_down(0, last);
    }

    // A slot's generation changes whenever it is freed, so that its old id no longer names it.
    void free_slot(std::uint32_t slot) noexcept {
        ++generation_[slot];
        free_parked_.push_back(slot);  // capacity reserved in post_at
    }

    void release_due() {
        while (!timers_.empty() && timers_.front().due <= now_) {
            const std::uint32_t slot = timers_.front().slot;
            ready_.post(std::move(parked_[slot]));  // may grow (and throw) before anything changed
            free_slot(slot);
            pop_earliest();
        }
    }

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
    std::vector<timer> timers_;
    std::vector<work> parked_;  // the works of pending timers, by slot
    std::vector<std::uint32_t> heap_index_;  // by slot: where its timer is in timers_
    std::vector<std::uint32_t> generation_;  // by slot: the high half of its timer's id (wraps after 2^32 uses)
    std::vector<std::uint32_t> free_parked_;
    std::uint64_t next_seq_ = 0;
    time_point now_{};
    bool driving_ = false;
    bool inner_step_ = false;  // run_until's own calls to step()
};

}  // namespace coflow
