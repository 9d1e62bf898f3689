// coflow/detail/replay_executor.hpp: the executor replay() runs a recorded run on. The replay decides
// what runs next (ready work, or the next timer) from the history, and moves the clock to inputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include <coflow/executor.hpp>

namespace coflow::detail {

/// Ready work in the order posted, timers by (due, posting order) until run or cancelled, a clock moved
/// only by its caller.
/// Unlike deterministic_executor it does not decide between a ready work and a due timer: the live
/// executor that recorded the run may have interleaved them differently (its ready queue held other
/// runs' work), so the replay follows the history instead.
class replay_executor final : public executor {
public:
    void post(work w) override { ready_.push_back(std::move(w)); }
    timer_id post_at(time_point t, work w) override {
        timers_.push_back(timer{t, seq_, std::move(w)});
        std::push_heap(timers_.begin(), timers_.end(), later);
        return seq_++;
    }
    // A replay has few timers pending at once (one run's): a linear search is enough.
    void cancel(timer_id id) noexcept override {
        const auto it = std::find_if(timers_.begin(), timers_.end(), [id](const timer& t) { return t.seq == id; });
        if (it == timers_.end()) return;
        const work dead = std::move(it->w);  // destroyed last, with the heap whole again
        *it = std::move(timers_.back());
        timers_.pop_back();
        std::make_heap(timers_.begin(), timers_.end(), later);
    }
    [[nodiscard]] time_point now() const noexcept override { return now_; }

    /// Drops every work without running it and sets the clock to `t`: a load keeps nothing of one run's
    /// replay for the next, which starts at its own time.
    void reset(time_point t = time_point{}) noexcept {
        ready_.clear();
        timers_.clear();
        now_ = t;
    }

    /// Moves the clock forward to `t` (never back), running nothing.
    void set_clock(time_point t) noexcept { now_ = std::max(now_, t); }

    /// Runs the oldest ready work; false if there is none.
    bool run_ready() {
        if (ready_.empty()) return false;
        work w = std::move(ready_.front());
        ready_.pop_front();
        w();
        return true;
    }

    /// Moves the clock to the earliest timer (if later) and runs its work; false if there is none.
    bool fire_timer() {
        if (timers_.empty()) return false;
        std::pop_heap(timers_.begin(), timers_.end(), later);
        timer t = std::move(timers_.back());
        timers_.pop_back();
        set_clock(t.due);
        t.w();
        return true;
    }

private:
    struct timer {
        time_point due;
        std::uint64_t seq;
        work w;
    };
    static bool later(const timer& a, const timer& b) noexcept {
        return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }

    std::deque<work> ready_;
    std::vector<timer> timers_;
    std::uint64_t seq_ = 0;
    time_point now_{};
};

}  // namespace coflow::detail
