// coflow/mutex.hpp: coflow::mutex, a FIFO lock for workflow code, and mutex_guard, which holds it.
// For async handlers and the body that must not interleave inside a critical section spanning awaits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/permits.hpp>
#include <coflow/executor.hpp>

namespace coflow {

class mutex;

/// Ownership of a coflow::mutex: move-only, unlocks on destruction (or earlier, by `unlock()`).
/// An empty guard (default-made, moved from, unlocked, or from a failed try_lock or a timed-out lock)
/// holds nothing; `if (guard)` tells.
class [[nodiscard]] mutex_guard {
public:
    mutex_guard() noexcept = default;
    mutex_guard(mutex_guard&&) noexcept = default;
    mutex_guard& operator=(mutex_guard&&) noexcept = default;  // unlocks what it held before

    /// Unlocks now: the lock goes straight to the first waiter, if any. Nothing happens if empty.
    void unlock() noexcept { held_.release(); }
    [[nodiscard]] bool owns_lock() const noexcept { return held_.held(); }
    explicit operator bool() const noexcept { return held_.held(); }

private:
    friend class mutex;
    template <class, bool>
    friend class detail::acquire_awaiter;
    explicit mutex_guard(detail::held_permits h) noexcept : held_(std::move(h)) {}

    detail::held_permits held_;
};

/// A lock for workflow code: `auto guard = co_await m.lock();`. Waiters get it in the order they
/// asked, whether they are the body or signal handlers. Unlocking hands it straight to the first
/// waiter, so code that locks again in the same step queues behind it (nothing barges in).
///
/// - `co_await m.lock()` yields a mutex_guard that holds the lock. `co_await m.lock(timeout)` yields
///   an empty guard if the lock did not come within `timeout` of executor time. `m.try_lock()` never
///   suspends: a guard holding the lock if it was free and nobody waited, else an empty one.
/// - The body's wait throws coflow::cancelled when its run is cancelled; handlers' waits are not
///   cancelled (as with wait_condition). A wait whose frame is destroyed (the run ended, a lost race)
///   leaves the queue; if it had been handed the lock but not resumed yet, the lock goes on to the next.
/// - A mutex belongs to the run that first locks it: locking it from another run's code throws
///   invalid_operation. Keep it in the workflow object or in a frame of that run. lock() and
///   try_lock() are for workflow code only (else not_in_workflow); `locked()` may be read anywhere.
/// - It cannot be copied or moved, and must outlive its guards: a guard kept in the workflow object
///   must be declared after the mutex. Guards that outlive their run (kept in the object) unlock
///   when the object goes; no waiter of a closed run is woken.
/// - describe() shows a waiter as "body: mutex" (with the name given to the constructor, if any:
///   "handler: mutex 'nodes'"), and histories record the wait like the others.
class mutex {
public:
    mutex() noexcept : pool_(1, detail::wait_kind::mutex, std::string()) {}
    /// `name` is shown by describe() and recorded in histories, to tell mutexes apart.
    explicit mutex(std::string name) noexcept : pool_(1, detail::wait_kind::mutex, std::move(name)) {}
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;

    /// Suspends until the lock is this caller's (at once if it is free and nobody waits).
    [[nodiscard]] detail::acquire_awaiter<mutex_guard, false> lock() {
        detail::activation& a = owner_check("coflow::mutex::lock");
        return detail::acquire_awaiter<mutex_guard, false>(a, pool_, 1, duration::zero());
    }

    /// As lock(), giving up after `timeout` of executor time: the guard is then empty. A negative
    /// timeout is a zero one; one past the end of the clock (duration::max()) never runs out.
    [[nodiscard]] detail::acquire_awaiter<mutex_guard, true> lock(duration timeout) {
        detail::activation& a = owner_check("coflow::mutex::lock");
        return detail::acquire_awaiter<mutex_guard, true>(a, pool_, 1, timeout);
    }

    /// The lock if it is free and nobody waits for it, else an empty guard. Never suspends.
    [[nodiscard]] mutex_guard try_lock() {
        (void)owner_check("coflow::mutex::try_lock");
        return pool_.try_take(1) ? mutex_guard(detail::held_permits(pool_, 1)) : mutex_guard();
    }

    /// Held by a guard (or handed to a waiter that has not resumed yet).
    [[nodiscard]] bool locked() const noexcept { return pool_.available() == 0; }
    /// How many wait for it.
    [[nodiscard]] std::size_t waiting() const noexcept { return pool_.waiting(); }

private:
    detail::activation& owner_check(std::string_view what) {
        detail::activation& a = detail::require_activation(what);
        pool_.check_owner(a, what);
        return a;
    }

    detail::permit_pool pool_;
};

}  // namespace coflow
