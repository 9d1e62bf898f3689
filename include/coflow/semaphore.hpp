// coflow/semaphore.hpp: coflow::semaphore, counted permits for workflow code, and semaphore_permit.
// Bounds how many handlers (or the body) may be inside a section at once, first come, first served.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/permits.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>

namespace coflow {

class semaphore;

/// Permits taken from a coflow::semaphore: move-only, given back on destruction (or by `release()`).
/// An empty one (default-made, moved from, released, or from a failed try_acquire or a timed-out
/// acquire) holds none; `if (permit)` tells.
class [[nodiscard]] semaphore_permit {
public:
    semaphore_permit() noexcept = default;
    semaphore_permit(semaphore_permit&&) noexcept = default;
    semaphore_permit& operator=(semaphore_permit&&) noexcept = default;  // releases what it held before

    /// Gives the permits back now: they go straight to the first waiters they satisfy.
    void release() noexcept { held_.release(); }
    /// How many permits it holds.
    [[nodiscard]] std::size_t count() const noexcept { return held_.count(); }
    explicit operator bool() const noexcept { return held_.held(); }

private:
    friend class semaphore;
    template <class, bool>
    friend class detail::acquire_awaiter;
    explicit semaphore_permit(detail::held_permits h) noexcept : held_(std::move(h)) {}

    detail::held_permits held_;
};

/// `n` permits for workflow code: `auto permit = co_await s.acquire();` (or `acquire(k)` for k of them).
/// Requests are served strictly in the order they were made: one that does not fit yet holds up those
/// behind it, even smaller ones, so a large request is never starved. Released permits go straight to
/// the first waiters they satisfy.
///
/// - `acquire(timeout)` and `acquire(k, timeout)` yield an empty permit if the permits did not come in
///   time. `try_acquire(k)` never suspends. Asking for 0 permits, or for more than the semaphore has,
///   throws invalid_operation.
/// - Cancellation, destroyed frames, the owning run, lifetimes and describe() ("body: semaphore") are
///   as for coflow::mutex (mutex.hpp), which is a semaphore of one permit.
class semaphore {
public:
    explicit semaphore(std::size_t permits, std::string name = {}) noexcept
        : pool_(permits, detail::wait_kind::semaphore, std::move(name)) {}
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    /// Suspends until `k` permits are this caller's.
    [[nodiscard]] detail::acquire_awaiter<semaphore_permit, false> acquire(std::size_t k = 1) {
        detail::activation& a = check("coflow::semaphore::acquire", k);
        return detail::acquire_awaiter<semaphore_permit, false>(a, pool_, k, duration::zero());
    }

    /// As acquire(k), giving up after `timeout` of executor time: the permit is then empty.
    [[nodiscard]] detail::acquire_awaiter<semaphore_permit, true> acquire(std::size_t k, duration timeout) {
        detail::activation& a = check("coflow::semaphore::acquire", k);
        return detail::acquire_awaiter<semaphore_permit, true>(a, pool_, k, timeout);
    }
    [[nodiscard]] detail::acquire_awaiter<semaphore_permit, true> acquire(duration timeout) { return acquire(1, timeout); }

    /// `k` permits if they are free and nobody waits, else an empty permit. Never suspends.
    [[nodiscard]] semaphore_permit try_acquire(std::size_t k = 1) {
        (void)check("coflow::semaphore::try_acquire", k);
        return pool_.try_take(k) ? semaphore_permit(detail::held_permits(pool_, k)) : semaphore_permit();
    }

    /// Permits free right now (those handed to a waiter that has not resumed yet are not).
    [[nodiscard]] std::size_t available() const noexcept { return pool_.available(); }
    /// How many requests wait.
    [[nodiscard]] std::size_t waiting() const noexcept { return pool_.waiting(); }

private:
    detail::activation& check(std::string_view what, std::size_t k) {
        detail::activation& a = detail::require_activation(what);
        pool_.check_owner(a, what);
        if (k == 0 || k > pool_.capacity()) [[unlikely]]
            raise_bad_count(a, what, k);
        return a;
    }

    [[noreturn]] [[gnu::noinline]] void raise_bad_count(const detail::activation& a, std::string_view what,
                                                        std::size_t k) const {
        detail::raise(invalid_operation("workflow '" + a.inst->id + "': " + std::string(what) + " of " +
                                        std::to_string(k) + " permits from a semaphore of " +
                                        std::to_string(pool_.capacity()) +
                                        (k == 0 ? ": ask for one or more" : ": it would wait forever")));
    }

    detail::permit_pool pool_;
};

}  // namespace coflow
