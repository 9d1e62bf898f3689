// coflow/detail/ready_queue.hpp: the deterministic executor's FIFO of ready work, with compact calls.
// The engine's activations go in as 8-byte entries; any other work waits in a ring of its own, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include <coflow/detail/ring.hpp>
#include <coflow/executor.hpp>

namespace coflow::detail {

/// Who runs a compact entry: `run(t, arg)` runs it, `drop(t)` is called instead for an entry destroyed
/// without running (its executor went first). Each entry holds one reference to `t`, which either of them
/// gives back.
struct ready_target {
    void (*run)(ready_target& t, std::uint64_t arg);
    void (*drop)(ready_target& t) noexcept;
};

/// Ready work in the order posted. An entry is 8 bytes: the argument of a call of `target_`, or
/// `next_work`, which stands for the next work of `works_`. Each started workflow's first activation took
/// a 64-byte `work` before, and the ring keeps the room of its largest burst (S3 memory). Its buffers are
/// kept when it empties: given back, they cost a regrowth in every burst of signals (23 instructions a
/// signal in S3), and glibc's heap kept the pages anyway.
///
/// Calls have one target at a time (a runtime's; most executors drive one): it may change only while no
/// entry is queued, and post_call refuses the calls of another, which then go as works (in the same order).
class ready_queue {
public:
    ready_queue() noexcept = default;
    ready_queue(const ready_queue&) = delete;
    ready_queue& operator=(const ready_queue&) = delete;
    ~ready_queue() { drop_all(); }

    [[nodiscard]] bool empty() const noexcept { return order_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }

    /// Queues `w`. Strong guarantee: if growing either ring throws, nothing was queued.
    void post(work&& w) {
        order_.reserve_one();
        works_.push_back(std::move(w));
        order_.emplace_back(next_work);  // room made above: cannot throw
    }

    /// Makes room for one more work, so that the next post cannot throw.
    void reserve_work() {
        order_.reserve_one();
        works_.reserve_one();
    }

    /// Queues a call of `t.run(t, arg)` and returns true; the entry owns a reference to `t` that the
    /// caller takes then. False, queueing nothing: `t` is not the target of the calls queued now, or `arg`
    /// is next_work (post the call as a work instead). If it throws, nothing was queued.
    [[nodiscard]] bool post_call(ready_target& t, std::uint64_t arg) {
        if (&t != target_) {
            if (!order_.empty()) return false;
            target_ = &t;  // no entry refers to the one before
        }
        if (arg == next_work) [[unlikely]]
            return false;
        order_.emplace_back(arg);
        return true;
    }

    /// Takes the first entry out, then runs it (a throw leaves the queue without it, as a work's would).
    void run_one() {
        const std::uint64_t e = order_.front();
        order_.pop_front();
        if (e != next_work) {
            target_->run(*target_, e);
            return;
        }
        work w = std::move(works_.front());
        works_.pop_front();
        w();
    }

    static constexpr std::uint64_t next_work = ~std::uint64_t{0};

private:
    void drop_all() noexcept {
        while (!order_.empty()) {
            const std::uint64_t e = order_.front();
            order_.pop_front();
            if (e != next_work) target_->drop(*target_);
        }
    }

    ring<std::uint64_t> order_;
    ring<work> works_;
    ready_target* target_ = nullptr;  // of the calls in order_
};

}  // namespace coflow::detail
