// coflow/adapters/asio.hpp: asio_executor, which runs coflow on an Asio io_context, in real time.
// Optional: coflow.hpp does not include it, and it needs standalone Asio's <asio.hpp> (Debian: libasio-dev).
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

// Boost.Asio instead, when COFLOW_ASIO_BOOST is defined (the same code; not tested by coflow's suite).
#if defined(COFLOW_ASIO_BOOST)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

// The umbrella, not <coflow/executor.hpp>: built with `-I single_include -I include`, it is the single header,
// while <coflow/executor.hpp> would come from include/ and define the executor a second time.
#include <coflow/coflow.hpp>

namespace coflow {

namespace detail {
#if defined(COFLOW_ASIO_BOOST)
namespace net = ::boost::asio;
#else
namespace net = ::asio;
#endif
}  // namespace detail

/// An executor that runs coflow on an Asio io_context, in real time: `post` is `asio::post`, timers wait
/// on one `asio::steady_timer` set for the earliest of them, and the clock is `std::chrono::steady_clock`
/// (`now()` is the time since the executor was made).
///
///     asio::io_context io;
///     coflow::asio_executor ex{io};  // after io: destroyed before it
///     coflow::runtime rt{ex};        // after ex: destroyed before it
///     ... start workflows, accept sockets ...
///     io.run();
///
/// Threads: coflow takes no locks, so the io_context must be run by one thread, and coflow (the runtime,
/// its handles, this executor) called only from that thread: from Asio's handlers, or before run().
///
/// Order: works run in the order posted. A timer's work is posted when the steady_timer finds it due
/// (timers due together in the order set), so it runs after the work already posted. Cancelling a timer
/// destroys its work at once; the steady_timer is cancelled when no timer is left.
///
/// Outstanding work: a pending timer keeps `io_context::run()` running, as an Asio timer does (a
/// workflow in a `wait_condition(pred, 24h)` keeps it running up to 24 h); posted work counts too. When
/// every workflow waits without a timer and Asio has nothing else to do, run() returns.
///
/// An exception thrown by a work leaves `io_context::run()`, as from any handler; the executor stays
/// usable. Destroying the executor destroys the works of its pending timers; its posted works stay with
/// the io_context, and do nothing once the runtime is gone.
class asio_executor final : public executor {
public:
    /// Runs coflow on `io`, which must outlive the executor.
    explicit asio_executor(detail::net::io_context& io)
        : exec_(io.get_executor()), steady_(io), start_(std::chrono::steady_clock::now()) {}

    void post(work w) override { detail::net::post(exec_, std::move(w)); }

    timer_id post_at(time_point t, work w) override {
        const timer_id id = next_id_++;
        due_.push_back(due_timer{t, id});  // first: should the next line throw, fire() skips an id without a work
        std::push_heap(due_.begin(), due_.end(), later);
        works_.emplace(id, std::move(w));
        arm();
        return id;
    }

    /// Destroys the timer's work; ignores ids of timers that ran, are posted to run, or were cancelled.
    void cancel(timer_id id) noexcept override {
        if (works_.erase(id) == 0) return;
        if (works_.empty()) {
            due_.clear();
            disarm();
        } else if (due_.size() > 2 * works_.size() + 16) {
            // Cancelled entries stay in the heap until they reach its top; once they outnumber the live
            // ones, drop them all, so that a loop of cancelled waits holds no memory per wait.
            std::erase_if(due_, [this](const due_timer& d) { return !works_.contains(d.id); });
            std::make_heap(due_.begin(), due_.end(), later);
        }
    }

    [[nodiscard]] time_point now() const noexcept override {
        return time_point{std::chrono::duration_cast<duration>(std::chrono::steady_clock::now() - start_)};
    }

    /// Loading a save (coflow/save.hpp) moves the clock to the save's time: now() goes on from `t`, in
    /// real time. Refused (false) while timers are set: they keep their place on the steady clock.
    bool restore_clock(time_point t) noexcept override {
        if (!works_.empty()) return false;
        start_ = std::chrono::steady_clock::now() -
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch());
        return true;
    }

    /// The io_context's executor, which coflow's work is posted to.
    [[nodiscard]] detail::net::io_context::executor_type get_executor() const noexcept { return exec_; }

    /// Timers set and neither run nor cancelled.
    [[nodiscard]] std::size_t timer_count() const noexcept { return works_.size(); }

private:
    struct due_timer {
        time_point due;
        timer_id id;  // ids grow: among timers due together, the lower was set first
    };
    // A min-heap on (due, id) with std::push_heap's max-heap order reversed.
    static bool later(const due_timer& a, const due_timer& b) noexcept {
        return a.due != b.due ? a.due > b.due : a.id > b.id;
    }

    // When `t` is on the steady clock, saturated at its end: a timer set for time_point::max() never fires.
    [[nodiscard]] std::chrono::steady_clock::time_point steady_time(time_point t) const noexcept {
        using steady = std::chrono::steady_clock;
        const auto since = std::chrono::duration_cast<steady::duration>(t.time_since_epoch());
        if (since <= steady::duration::zero()) return start_;
        if (since >= steady::time_point::max() - start_) return steady::time_point::max();
        return start_ + since;
    }

    // Makes sure the steady_timer completes no later than the earliest timer is due. Setting its
    // expiry cancels the wait before; a wait that had already completed still calls fire(), which is
    // harmless (it posts what is due and arms again).
    void arm() {
        const time_point first = due_.front().due;
        if (armed_ && armed_for_ <= first) return;
        armed_ = true;
        armed_for_ = first;
        steady_.expires_at(steady_time(first));
        steady_.async_wait([this, alive = std::weak_ptr<const bool>(alive_)](const auto& error) {
            if (error || alive.expired()) return;  // cancelled or re-armed, or the executor is gone
            fire();
        });
    }

    // Asio declares cancel() throwing, but cancelling a timer's waits has no way to fail.
    void disarm() noexcept {
        armed_ = false;
        steady_.cancel();
    }

    // Posts the works of the timers that are due, in order, then waits for the next one.
    void fire() {
        armed_ = false;
        const time_point t = now();
        while (!due_.empty() && due_.front().due <= t) {
            std::pop_heap(due_.begin(), due_.end(), later);
            const timer_id id = due_.back().id;
            due_.pop_back();
            const auto it = works_.find(id);
            if (it == works_.end()) continue;  // cancelled
            work w = std::move(it->second);
            works_.erase(it);
            detail::net::post(exec_, std::move(w));
        }
        if (!due_.empty()) arm();
    }

    detail::net::io_context::executor_type exec_;
    detail::net::steady_timer steady_;
    std::chrono::steady_clock::time_point start_;
    std::vector<due_timer> due_;                    // the heap; may hold cancelled ids
    std::unordered_map<timer_id, work> works_;      // the live timers' works
    timer_id next_id_ = 1;
    bool armed_ = false;                            // a wait on steady_ will call fire() by armed_for_
    time_point armed_for_{};
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);  // handlers check it
};

}  // namespace coflow
