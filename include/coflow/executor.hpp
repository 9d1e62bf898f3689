// coflow/executor.hpp: the small interface that drives coflow, and its virtual clock.
// A game loop or a tool's event loop implements `executor` to run coflow workflows on its own thread.
#pragma once

#include <chrono>
#include <cstdint>

#include <coflow/detail/inline_function.hpp>

namespace coflow {

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

/// What drives coflow. Everything runs on the thread that drives the executor.
///
/// - `post(w)`: run `w` later, after the work already posted (FIFO).
/// - `post_at(t, w)`: run `w` once the clock reaches `t`; works due at the same time run in the order posted.
/// - `now()`: the executor's clock.
///
/// Works must never be run inside `post`/`post_at` (no re-entrancy), and a work may post more work.
class executor {
public:
    executor() = default;
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;
    virtual ~executor() = default;

    virtual void post(work w) = 0;
    virtual void post_at(time_point t, work w) = 0;
    [[nodiscard]] virtual time_point now() const noexcept = 0;
};

}  // namespace coflow
