// coflow/deterministic_executor.hpp: the reference executor: FIFO ready queue, timer heap, virtual clock.
// It never waits in real time; the caller decides when time advances (run_until_idle, advance, step).
#pragma once

#include <algorithm>
#include <concepts>
#include <type_traits>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <coflow/detail/ring.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// A single-threaded executor whose runs are reproducible: the same posts give the same order.
///
/// Ready work runs in the order posted. Timers fire in order of due time, ties in the order they were
/// posted. Time moves only inside `run_until_idle` (jumping to the next timer when nothing is ready),
/// `advance(d)` (up to now + d), `step` and `run_until`. Exceptions thrown by a work propagate to the
/// caller of the running method; the executor stays usable.
class deterministic_executor final : public executor {
public:
    deterministic_executor() = default;

    void post(work w) override { ready_.push_back(std::move(w)); }

    // The heap orders 24-byte keys; the works wait in a slab beside it, so sifting moves no closures.
    void post_at(time_point t, work w) override {
        if (timers_.size() == timers_.capacity()) timers_.reserve(timers_.size() * 2 + 16);  // nothing fails below
        if (free_parked_.empty() && parked_.size() == parked_.capacity()) {
            parked_.reserve(parked_.size() * 2 + 16);
            free_parked_.reserve(parked_.capacity());  // so that release_due never allocates for it
        }
        std::uint32_t slot;
        if (free_parked_.empty()) {
            slot = static_cast<std::uint32_t>(parked_.size());
            parked_.push_back(std::move(w));
        } else {
            slot = free_parked_.back();
            free_parked_.pop_back();
            parked_[slot] = std::move(w);
        }
        timers_.push_back(timer{t, next_seq_++, slot});
        std::push_heap(timers_.begin(), timers_.end(), later);
    }

    [[nodiscard]] time_point now() const noexcept override { return now_; }

    /// Runs ready work and fires timers (jumping the clock) until nothing is left. Returns works run.
    std::size_t run_until_idle() {
        std::size_t n = 0;
        for (;;) {
            n += drain_ready();
            if (timers_.empty()) return n;
            now_ = std::max(now_, timers_.front().due);
            release_due();
        }
    }

    /// Moves the clock forward by `d`, running every work and timer due up to then, in order.
    /// A game loop calls this once per frame. Returns works run.
    std::size_t advance(duration d) {
        const time_point target = now_ + d;
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
        while (!done()) {
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
    [[nodiscard]] std::size_t timer_count() const noexcept { return timers_.size(); }

private:
    struct timer {
        time_point due;
        std::uint64_t seq;
        std::uint32_t slot;  // where its work is parked
    };
    // std heap functions build a max-heap; "later" as less puts the earliest (due, seq) on top. A
    // function object, not a function pointer, so that the heap's sifting loops inline it.
    struct later_t {
        bool operator()(const timer& a, const timer& b) const noexcept {
            return a.due != b.due ? a.due > b.due : a.seq > b.seq;
        }
    };
    static constexpr later_t later{};

    void release_due() {
        while (!timers_.empty() && timers_.front().due <= now_) {
            const std::uint32_t slot = timers_.front().slot;
            ready_.push_back(std::move(parked_[slot]));  // may grow (and throw) before anything changed
            free_parked_.push_back(slot);                 // capacity reserved in post_at
            std::pop_heap(timers_.begin(), timers_.end(), later);
            timers_.pop_back();
        }
    }

    void run_one() {
        work w = std::move(ready_.front());
        ready_.pop_front();
        w();
    }

    std::size_t drain_ready() {
        std::size_t n = 0;
        while (!ready_.empty()) {
            run_one();
            ++n;
        }
        return n;
    }

    detail::ring<work> ready_;
    std::vector<timer> timers_;
    std::vector<work> parked_;  // the works of pending timers, by slot
    std::vector<std::uint32_t> free_parked_;
    std::uint64_t next_seq_ = 0;
    time_point now_{};
};

}  // namespace coflow
