// coflow/detail/timer_heap.hpp: the deterministic executor's pending timers, in order of due time.
// Works wait in a slab beside the heap; the engine's own timers come as compact calls, as its activations do.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <coflow/detail/ready_queue.hpp>
#include <coflow/executor.hpp>

namespace coflow::detail {

/// Timers ordered by (due time, order posted). Each holds a work, or a call of a ready_target (a target
/// and a 64-bit argument, 16 bytes, where a work takes 48): the engine arms every wait's timer that way,
/// so that a heap of a hundred thousand timers is walked through a small slab rather than a big one.
/// A call's entry owns one reference to its target, given back by `run` or `drop` as in ready_queue.
class timer_heap {
public:
    timer_heap() noexcept = default;
    timer_heap(const timer_heap&) = delete;
    timer_heap& operator=(const timer_heap&) = delete;
    ~timer_heap() {
        for (const timer& t : timers_)
            if (ready_target* target = parked_[t.slot].target) target->drop(*target);
    }

    [[nodiscard]] bool empty() const noexcept { return timers_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return timers_.size(); }
    /// The due time of the earliest timer (not empty()).
    [[nodiscard]] time_point next_due() const noexcept { return timers_.front().due; }

    /// Parks `w` until `t`. If it throws, nothing was posted.
    timer_id post_at(time_point t, work w) {
        make_room();
        if (free_works_.empty() && works_.size() == works_.capacity()) {
            const std::size_t n = works_.size() * 2 + 16;
            works_.reserve(n);
            free_works_.reserve(n);  // so that freeing a work's place never allocates
        }
        std::uint32_t index;
        if (free_works_.empty()) {
            index = static_cast<std::uint32_t>(works_.size());
            works_.push_back(std::move(w));
        } else {
            index = free_works_.back();
            free_works_.pop_back();
            works_[index] = std::move(w);
        }
        return push(t, parked{nullptr, index});
    }

    /// Parks a call of `target.run(target, arg)` until `t`; the timer owns a reference to `target` that
    /// the caller takes once this returns. If it throws, nothing was posted.
    timer_id post_call_at(time_point t, ready_target& target, std::uint64_t arg) {
        make_room();
        return push(t, parked{&target, arg});
    }

    /// Takes the timer out of the heap and destroys its work (or drops its call), in O(log n). Ignores
    /// ids of timers that have run, were released to the ready queue, or were cancelled.
    void cancel(timer_id id) noexcept {
        const auto slot = static_cast<std::uint32_t>(id);
        if (slot >= generation_.size() || generation_[slot] != static_cast<std::uint32_t>(id >> 32)) return;
        const std::size_t i = heap_index_[slot];
        const parked p = parked_[slot];
        work dead;  // destroyed last, with the heap whole again
        if (!p.target) dead = take_work(p.arg);
        free_slot(slot);
        const timer last = timers_.back();
        timers_.pop_back();
        if (i != timers_.size()) {  // else it was the last leaf
            if (i > 0 && earlier(last, timers_[(i - 1) / arity])) sift_up(i, last);
            else sift_down(i, last);
        }
        if (p.target) p.target->drop(*p.target);
    }

    /// Moves every timer due at or before `now` to `ready`, in order.
    void release_due(time_point now, ready_queue& ready) {
        while (!timers_.empty() && timers_.front().due <= now) {
            const std::uint32_t slot = timers_.front().slot;
            const parked p = parked_[slot];
            // Each post may grow (and throw) before anything changed.
            if (!p.target) {
                ready.post(std::move(works_[p.arg]));
                free_works_.push_back(static_cast<std::uint32_t>(p.arg));  // room reserved in post_at
            } else if (!ready.post_call(*p.target, p.arg)) {  // another target's calls are queued: as a work
                ready.reserve_work();  // then the post cannot throw, and the reference moves once
                ready.post(call_work(*p.target, p.arg));
            }
            free_slot(slot);
            pop_earliest();
        }
    }

private:
    struct timer {
        time_point due;
        std::uint64_t seq;
        std::uint32_t slot;  // where its work or call is parked
    };
    // A call, or (no target) the index of a work in works_.
    struct parked {
        ready_target* target;
        std::uint64_t arg;
    };
    // A call posted as a work: it gives its reference back by running, or by dropping if destroyed unrun.
    class call_work {
    public:
        call_work(ready_target& t, std::uint64_t arg) noexcept : t_(&t), arg_(arg) {}
        call_work(call_work&& o) noexcept : t_(std::exchange(o.t_, nullptr)), arg_(o.arg_) {}
        call_work& operator=(call_work&&) = delete;
        ~call_work() {
            if (t_) t_->drop(*t_);
        }
        void operator()() {
            ready_target* t = std::exchange(t_, nullptr);
            t->run(*t, arg_);
        }

    private:
        ready_target* t_;
        std::uint64_t arg_;
    };

    static bool earlier(const timer& a, const timer& b) noexcept {
        return a.due != b.due ? a.due < b.due : a.seq < b.seq;
    }

    // The timers form an 8-ary min-heap on (due, seq): a third of the depth of a binary heap, with a
    // node's eight children side by side in three cache lines, so that a pop from a heap too big for the
    // cache misses far less often. (due, seq) orders every timer strictly, so the firing order is the
    // same as with any other priority queue.
    static constexpr std::size_t arity = 8;

    // Reserves room for one more timer in every vector, so that nothing after it can fail.
    void make_room() {
        if (timers_.size() == timers_.capacity()) timers_.reserve(timers_.size() * 2 + 16);
        if (free_parked_.empty() && parked_.size() == parked_.capacity()) {
            const std::size_t n = parked_.size() * 2 + 16;
            parked_.reserve(n);
            heap_index_.reserve(n);
            generation_.reserve(n);
            free_parked_.reserve(n);  // so that freeing a slot never allocates
        }
    }

    timer_id push(time_point t, parked p) noexcept {
        std::uint32_t slot;
        if (free_parked_.empty()) {
            slot = static_cast<std::uint32_t>(parked_.size());
            parked_.push_back(p);  // capacity reserved in make_room
            heap_index_.push_back(0);
            generation_.push_back(0);
        } else {
            slot = free_parked_.back();
            free_parked_.pop_back();
            parked_[slot] = p;
        }
        timers_.push_back(timer{t, next_seq_++, slot});
        sift_up(timers_.size() - 1, timers_.back());
        return static_cast<timer_id>(generation_[slot]) << 32 | slot;
    }

    work take_work(std::uint64_t index) noexcept {
        work w = std::move(works_[index]);
        free_works_.push_back(static_cast<std::uint32_t>(index));
        return w;
    }

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
        free_parked_.push_back(slot);  // capacity reserved in make_room
    }

    std::vector<timer> timers_;
    std::vector<parked> parked_;             // by slot: the timer's call, or where its work is
    std::vector<std::uint32_t> heap_index_;  // by slot: where its timer is in timers_
    std::vector<std::uint32_t> generation_;  // by slot: the high half of its timer's id (wraps after 2^32 uses)
    std::vector<std::uint32_t> free_parked_;
    std::vector<work> works_;                // the works of pending timers that are not calls
    std::vector<std::uint32_t> free_works_;
    std::uint64_t next_seq_ = 0;
};

}  // namespace coflow::detail
