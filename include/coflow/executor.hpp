// coflow/executor.hpp: the small interface that drives coflow, and its virtual clock.
// A game loop or a tool's event loop implements `executor` to run coflow workflows on its own thread.
#pragma once

#include <chrono>
#include <cstdint>

#include <coflow/detail/inline_function.hpp>

namespace coflow {

namespace detail {
class engine;
class ready_queue;
class timer_heap;
}  // namespace detail

/// Durations in workflow code: any std::chrono duration converts to this.
using duration = std::chrono::nanoseconds;

/// The clock of an executor. It is virtual: it advances only when the executor says so.
struct virtual_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<virtual_clock, duration>;
    static constexpr bool is_steady = true;
};

/// A point on an executor's clock; the epoch (time_point{}) is when the executor was made.
using time_point = virtual_clock::time_point;

/// A unit of posted work: a move-only `void()` callable. Closures up to 40 bytes are stored inline.
using work = detail::inline_function<void(), 40>;

/// Names a timer for `executor::cancel`: whatever the executor's `post_at` returned for it.
using timer_id = std::uint64_t;

/// What drives coflow. Everything runs on the thread that drives the executor.
///
/// - `post(w)`: run `w` later, after the work already posted (FIFO).
/// - `post_at(t, w)`: run `w` once the clock reaches `t`; works due at the same time run in the order
///   posted. Returns an id for `cancel`, of the executor's choosing.
/// - `cancel(id)`: destroy that timer's work without running it. coflow cancels the timer of every
///   wait that ends another way (satisfied, cancelled, its frame destroyed), so that a loop of timed
///   waits holds no memory per wait. Ids of timers already run, already taken out to run, or
///   cancelled must be ignored. An executor may ignore every cancel: coflow's work then runs at its
///   time and does nothing, but holds its memory until then.
/// - `now()`: the executor's clock.
/// - `restore_clock(t)`: optional; see below.
///
/// Works must never be run inside `post`, `post_at` or `cancel` (no re-entrancy), and a work may post
/// more work.
class executor {
public:
    executor() = default;
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;
    virtual ~executor() = default;

    virtual void post(work w) = 0;
    virtual timer_id post_at(time_point t, work w) = 0;
    virtual void cancel(timer_id id) noexcept = 0;
    [[nodiscard]] virtual time_point now() const noexcept = 0;

    /// Loading a save (coflow/save.hpp) moves the clock to `t`, the time the save was made, before the
    /// loaded runs' timers are posted. Returns false when it cannot. This default can only when now() is
    /// `t` already: an executor whose clock can be set overrides it.
    virtual bool restore_clock(time_point t) noexcept { return now() == t; }

protected:
    /// Set by deterministic_executor to its ready queue: the engine puts its activations there as 8-byte
    /// calls, in the same FIFO as posted work, without a `work` or a virtual call. Null: through post().
    detail::ready_queue* ready_calls_ = nullptr;
    /// Set by deterministic_executor to its timers: the engine arms its waits' timers there as calls of
    /// 16 bytes rather than 48-byte works. Null: through post_at().
    detail::timer_heap* timer_calls_ = nullptr;

private:
    friend class detail::engine;
};

}  // namespace coflow
