// coflow/realtime_executor.hpp: an executor on real time for tools and services. Its loop sleeps until work
// or a timer is due, and other threads hand it calls through a thread-safe queue (submit, call).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <coflow/detail/raise.hpp>
#include <coflow/detail/ring.hpp>
#include <coflow/detail/thread_token.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>

namespace coflow {

/// An executor on real time: its timers wait on std::chrono::steady_clock, and the thread that drives it
/// sleeps on a condition variable (it never spins) until work is ready, a timer is due, another thread
/// hands it a call or stop() is called.
///
/// **Its clock.** `now()` is the time the steady clock has moved since the executor was constructed:
/// `time_point{}` is its construction (`epoch()` on the steady clock). A timer due at `t` runs once
/// `epoch() + t` has passed on the steady clock, never before; how long after depends on the OS scheduler.
/// Timers due at the same time run in the order posted, ready work in the order posted.
///
/// **Threads.** Workflows run on the thread that drives the loop: the caller of run(), run_for(),
/// run_until(), run_until_idle() or poll(), one at a time (a second caller, or a work that calls one,
/// gets invalid_operation). post, post_at and cancel, which the runtime calls, are that thread's too.
/// Any thread may call submit(), call(), stop() and now(). Other threads reach workflows only through
/// submit() and call(): they queue a function that the loop runs on its thread, in FIFO order, so the calls
/// of each sending thread keep their order and none is lost while the executor lives. Each round of the
/// loop runs its own work ready at the round's start (posts, timers due), then the functions handed over
/// since the last round: a workflow turn that a handed-over signal queued runs before the next batch.
///
/// Exceptions thrown by a work (not by a call()'s function, whose future gets them) propagate to the
/// caller of the running method; the executor stays usable. Destroying the executor destroys the work
/// still queued without running it (a call()'s future then gets std::future_errc::broken_promise); it
/// must not be destroyed while its loop runs, and must outlive any runtime that uses it.
class realtime_executor final : public executor {
public:
    using clock = std::chrono::steady_clock;

    realtime_executor() : epoch_(clock::now().time_since_epoch().count()) {}

    // ---- the executor interface: the loop's thread ------------------------------------------------

    void post(work w) override {
        check_loop_thread("realtime_executor::post was called");
        ready_.push_back(std::move(w));
    }

    timer_id post_at(time_point t, work w) override {
        check_loop_thread("realtime_executor::post_at was called");
        const timer_id id = next_timer_++;
        const auto placed = timers_.emplace(std::pair{t, id}, std::move(w)).first;
        detail::guarded([&] { (void)due_.emplace(id, t); },
                        [&](std::exception_ptr e) {  // all or nothing: a timer that cannot be cancelled is not set
                            timers_.erase(placed);
                            std::rethrow_exception(std::move(e));
                        });
        return id;
    }

    /// Destroys a pending timer's work. Ignores ids of timers run, taken out to run, or cancelled.
    void cancel(timer_id id) noexcept override {
        const auto found = due_.find(id);
        if (found == due_.end()) return;
        timers_.erase(std::pair{found->second, id});
        due_.erase(found);
    }

    /// The steady clock's time since construction (or since restore_clock moved it). Any thread may read it.
    [[nodiscard]] time_point now() const noexcept override { return from_steady(clock::now()); }

    /// Loading a save (coflow/save.hpp) moves the clock to the save's time: now() goes on from `t`, in
    /// real time. Refused (false) while timers are set, which keep their place on the steady clock.
    bool restore_clock(time_point t) noexcept override {
        if (!timers_.empty()) return false;
        const auto since = std::chrono::duration_cast<clock::duration>(t.time_since_epoch());
        epoch_.store((clock::now() - since).time_since_epoch().count(), std::memory_order_relaxed);
        return true;
    }

    /// The executor's time_point{} on the steady clock: when it was constructed (or as restore_clock set it).
    [[nodiscard]] clock::time_point epoch() const noexcept {
        return clock::time_point(clock::duration(epoch_.load(std::memory_order_relaxed)));
    }
    /// A steady-clock time on the executor's clock, and back (to_steady saturates at the steady clock's ends).
    [[nodiscard]] time_point from_steady(clock::time_point t) const noexcept {
        return time_point(std::chrono::duration_cast<duration>(t - epoch()));
    }
    [[nodiscard]] clock::time_point to_steady(time_point t) const noexcept {
        const auto since = std::chrono::duration_cast<clock::duration>(t.time_since_epoch());
        const clock::time_point origin = epoch();
        const clock::duration base = origin.time_since_epoch();
        if (since > clock::duration::zero() && base > clock::duration::max() - since) return clock::time_point::max();
        if (since < clock::duration::zero() && base < clock::duration::min() - since) return clock::time_point::min();
        return origin + since;
    }

    // ---- the hand-off: any thread ------------------------------------------------------------------

    /// Queues `f` (a `void()` callable, moved or copied in) to run on the loop's thread, after everything
    /// submitted before it, and wakes the loop. Thread-safe; never blocks for long (a short lock). What
    /// `f` throws propagates from the loop's running method. The queue is unbounded: a thread that submits
    /// faster than the loop runs makes it grow.
    template <class F>
        requires std::is_invocable_r_v<void, std::decay_t<F>&> && std::move_constructible<std::decay_t<F>>
    void submit(F&& f) {
        hand_over(work(std::forward<F>(f)));  // made (and, if big, allocated) before the lock
    }

    /// As submit(f), and returns a std::future for what `f` returns, or for what it throws:
    /// `auto count = ex.call([&] { return h.query(&counter::count); }).get();`. The future is ready once
    /// the loop has run `f`. Called from work the loop runs, where waiting for that future would never end,
    /// it is refused with invalid_operation: there, call `f()` directly.
    template <class F>
        requires std::invocable<std::decay_t<F>&> && std::move_constructible<std::decay_t<F>>
    [[nodiscard]] auto call(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
        using result = std::invoke_result_t<std::decay_t<F>&>;
        if (driver_.load(std::memory_order_relaxed) == detail::this_thread_token()) [[unlikely]]
            refuse_call();
        std::packaged_task<result()> task(std::forward<F>(f));
        std::future<result> answer = task.get_future();
        hand_over(work(std::move(task)));
        return answer;
    }

    /// Makes the running loop return once the work it is running returns (at once if it sleeps), or, if
    /// none runs, the next one as soon as it starts. Each stop() ends one loop call. Thread-safe.
    void stop() {
        const std::lock_guard lock(mutex_);
        stop_.store(true, std::memory_order_relaxed);
        cv_.notify_all();  // under the lock: once it is released, the executor may be gone
    }

    // ---- the loop: the one thread that drives it ----------------------------------------------------

    /// Runs work as it comes, sleeping in between, until stop(). Returns the works run.
    std::size_t run() {
        std::size_t ran = 0;
        const auto never = [] { return false; };
        (void)drive("run", never, clock::time_point::max(), ends::on_stop, ran);
        return ran;
    }

    /// Runs work as it comes for `d` of real time (or until stop()). Returns the works run.
    std::size_t run_for(duration d) {
        const clock::time_point start = clock::now();
        const auto span = std::chrono::duration_cast<clock::duration>(d);
        const clock::time_point deadline =
            span > clock::time_point::max() - start ? clock::time_point::max() : start + span;
        std::size_t ran = 0;
        const auto never = [] { return false; };
        (void)drive("run_for", never, deadline, ends::on_stop, ran);
        return ran;
    }

    /// Runs work as it comes until `done()` is true (tested before each work and before sleeping) or
    /// stop(). Returns true if `done()` held, false if stop() ended it. `done` reads state that work
    /// changes (a handle's `is_closed`, say); a flag set by another thread is seen when the loop next
    /// wakes, so set it through submit(). `ex.run_until(h)` runs until the workflow behind `h` has closed.
    template <class Pred>
        requires std::is_invocable_r_v<bool, Pred&>
    bool run_until(Pred done) {
        std::size_t ran = 0;
        return drive("run_until", done, clock::time_point::max(), ends::on_stop, ran);
    }
    template <class Handle>
        requires requires(const Handle& h) {
            { h.is_closed() } -> std::convertible_to<bool>;
        }
    bool run_until(const Handle& handle) {
        return run_until([&handle] { return handle.is_closed(); });
    }

    /// Runs work, sleeping until each timer is due, until no work is ready, none is handed over and no
    /// timer is pending (or stop()). What waits for another thread (a signal a producer will send) does
    /// not keep it running. Returns the works run.
    std::size_t run_until_idle() {
        std::size_t ran = 0;
        const auto never = [] { return false; };
        (void)drive("run_until_idle", never, clock::time_point::max(), ends::when_idle, ran);
        return ran;
    }

    /// Runs the work ready now, the timers due now and what was handed over, without sleeping: for a loop
    /// of its own (a GUI's idle callback) that calls it often. Returns the works run.
    std::size_t poll() {
        std::size_t ran = 0;
        const auto never = [] { return false; };
        (void)drive("poll", never, clock::time_point::max(), ends::when_nothing_ready, ran);
        return ran;
    }

    /// Timers pending (not due, not cancelled). The loop's thread only.
    [[nodiscard]] std::size_t timer_count() const noexcept { return timers_.size(); }

private:
    enum class ends { on_stop, when_idle, when_nothing_ready };

    // The loop's thread, while a loop method runs: refuses a second driver, and tells the checks who owns it.
    class driving {
    public:
        driving(realtime_executor& ex, const char* what) : ex_(ex) {
            const void* expected = nullptr;
            if (!ex.driver_.compare_exchange_strong(expected, detail::this_thread_token(), std::memory_order_acquire))
                [[unlikely]]
                refuse(what, expected == detail::this_thread_token());
        }
        driving(const driving&) = delete;
        driving& operator=(const driving&) = delete;
        ~driving() { ex_.driver_.store(nullptr, std::memory_order_release); }

    private:
        [[noreturn]] [[gnu::noinline]] static void refuse(const char* what, bool same_thread) {
            detail::raise(invalid_operation(
                std::string("realtime_executor::") + what +
                (same_thread ? " was called from work the executor runs (workflow code, a handler, a submitted "
                               "function); only the code that owns the loop may drive it"
                             : " was called while another thread drives the executor; one thread drives it at a "
                               "time, and others hand it calls with submit() or call()")));
        }
        realtime_executor& ex_;
    };

    // Builds without NDEBUG: the runtime's side of the executor belongs to the loop's thread while it runs.
    void check_loop_thread([[maybe_unused]] const char* what) const {
#ifndef NDEBUG
        const void* driver = driver_.load(std::memory_order_relaxed);
        if (driver && driver != detail::this_thread_token()) [[unlikely]]
            detail::raise(wrong_thread(what, "the executor's loop"));
#endif
    }

    [[noreturn]] [[gnu::noinline]] static void refuse_call() {
        detail::raise(invalid_operation(
            "realtime_executor::call was called on the thread that drives the executor: its future would be ready "
            "only after the current work returns, so waiting for it would never end; call the function directly"));
    }

    void hand_over(work w) {
        const std::lock_guard lock(mutex_);
        inbox_.push_back(std::move(w));
        if (sleeping_) {  // one wake-up per sleep: the senders after this one find it awake
            sleeping_ = false;
            cv_.notify_one();  // under the lock: once it is released, the executor may be gone
        }
    }

    // A round runs the loop's own work ready at its start (posts, timers now due), then the batch handed over,
    // taken in one swap once the last batch is done. Work posted meanwhile waits for the next round, so no source
    // starves the others, and a workflow turn that a handed-over signal queued runs before the next batch.
    template <class Done>
    bool drive(const char* what, Done& done, clock::time_point deadline, ends end, std::size_t& ran) {
        const driving scope(*this, what);
        const auto may_run = [&]() -> int {  // 1: run the next work; 0: the loop ends, done() false; 2: true
            if (stop_requested()) return 0;
            if (done()) return 2;
            if (deadline != clock::time_point::max() && clock::now() >= deadline) return 0;
            return 1;
        };
        for (bool first = true;; first = false) {
            if (first || end != ends::when_nothing_ready) take_handed_over();  // poll takes one batch at most
            release_due();
            for (std::size_t k = ready_.size(); k != 0; --k) {
                if (const int go = may_run(); go != 1) return go == 2;
                run_one(ready_);
                ++ran;
            }
            while (!taken_.empty()) {
                if (const int go = may_run(); go != 1) return go == 2;
                run_one(taken_);
                ++ran;
            }
            if (!ready_.empty()) continue;
            if (stop_requested()) return false;
            if (done()) return true;
            if (end == ends::when_nothing_ready) {
                if (!timers_.empty() && timers_.begin()->first.first <= now()) continue;
                return false;
            }
            if (!sleep(deadline, end)) return false;
        }
    }

    // Sleeps until work is handed over, stop(), the next timer or the deadline. False: the loop ends (the
    // deadline passed, or run_until_idle finds nothing pending).
    bool sleep(clock::time_point deadline, ends end) {
        std::unique_lock lock(mutex_);
        const auto woken = [this] { return !inbox_.empty() || stop_.load(std::memory_order_relaxed); };
        if (woken()) return true;
        clock::time_point wake = deadline;
        if (!timers_.empty()) wake = std::min(wake, to_steady(timers_.begin()->first.first));
        else if (end == ends::when_idle) return false;
        sleeping_ = true;
        if (wake == clock::time_point::max()) cv_.wait(lock, woken);
        else (void)cv_.wait_until(lock, wake, woken);
        sleeping_ = false;
        return deadline == clock::time_point::max() || clock::now() < deadline;
    }

    // A stop request ends the loop call that sees it.
    bool stop_requested() noexcept {
        return stop_.load(std::memory_order_relaxed) && stop_.exchange(false, std::memory_order_relaxed);
    }

    // O(1) under the lock: the senders go on in the emptied buffer of the last batch.
    void take_handed_over() {
        if (!taken_.empty()) return;  // the rest of the last batch first (a stop or done() cut it short)
        const std::lock_guard lock(mutex_);
        std::swap(taken_, inbox_);
    }

    void release_due() {
        if (timers_.empty()) return;
        const time_point t = now();
        while (!timers_.empty() && timers_.begin()->first.first <= t) {
            const auto first = timers_.begin();
            ready_.push_back(std::move(first->second));  // may grow (and throw) before anything changed
            due_.erase(first->first.second);
            timers_.erase(first);
        }
    }

    static void run_one(detail::ring<work>& from) {
        work w = std::move(from.front());
        from.pop_front();
        w();
    }

    std::atomic<clock::rep> epoch_;  // time_point{} on the steady clock; atomic: other threads read now()
    // The loop's own: no lock.
    detail::ring<work> ready_;
    std::map<std::pair<time_point, timer_id>, work> timers_;  // by (due, id): ties in the order posted
    std::unordered_map<timer_id, time_point> due_;            // pending timers' due times, for cancel
    timer_id next_timer_ = 1;
    detail::ring<work> taken_;  // the batch handed over that the loop is running
    // Shared with other threads: the inbox and the sleeping flag under the mutex; stop_ and driver_ atomic.
    std::mutex mutex_;
    std::condition_variable cv_;
    detail::ring<work> inbox_;
    bool sleeping_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<const void*> driver_{nullptr};
};

}  // namespace coflow
