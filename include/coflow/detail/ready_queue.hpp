// coflow/detail/ready_queue.hpp: the deterministic executor's FIFO of ready work, with compact calls.
// The engine's activations go in as 16-byte entries; any other work waits in a ring of its own, in order.
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

/// Ready work in the order posted. An entry is a target and an argument (16 bytes): a call, or (no target)
/// the next work of `works_`. Each started workflow's first activation took a 64-byte `work` before, and
/// the ring keeps the room of its largest burst (S3 memory). Its buffers are kept when it empties: given
/// back, they cost a regrowth in every burst of signals, and glibc's heap kept the pages anyway.
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
        order_.emplace_back(entry{nullptr, 0});  // room made above: cannot throw
    }

    /// Queues a call of `t.run(t, arg)`; the entry owns a reference to `t` that the caller takes once this
    /// returned (if it throws, nothing was queued).
    void post_call(ready_target& t, std::uint64_t arg) { order_.emplace_back(entry{&t, arg}); }

    /// Takes the first entry out, then runs it (a throw leaves the queue without it, as a work's would).
    void run_one() {
        const entry e = order_.front();
        order_.pop_front();
        if (e.target) {
            e.target->run(*e.target, e.arg);
            return;
        }
        work w = std::move(works_.front());
        works_.pop_front();
        w();
    }

private:
    struct entry {
        ready_target* target;  // null: the next work of works_
        std::uint64_t arg;
    };

    void drop_all() noexcept {
        while (!order_.empty()) {
            const entry e = order_.front();
            order_.pop_front();
            if (e.target) e.target->drop(*e.target);
        }
    }

    ring<entry> order_;
    ring<work> works_;
};

}  // namespace coflow::detail
