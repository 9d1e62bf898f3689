// coflow/detail/timers.hpp: the engine's table of armed timers, each the timeout of one suspended wait.
// A slot names its waiter and the executor's id for the timer, so that a wait ending early cancels it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <coflow/detail/raise.hpp>

#include <coflow/executor.hpp>

namespace coflow::detail {

class waiter;

/// The armed timers, by slot. The executor's work for a timer carries its slot and generation: a work
/// that runs after its wait ended (its time came before cancel reached it) finds another generation
/// and does nothing.
class timer_table {
public:
    /// Takes a slot for `w`'s timer due at `due`; `posted` gives it the executor's id next.
    [[nodiscard]] std::uint32_t take(waiter& w, time_point due) {
        if (free_.empty()) [[unlikely]]
            add_slot();
        const std::uint32_t s = free_.back();
        free_.pop_back();
        slots_[s].w = &w;
        slots_[s].due = due;
        slots_[s].seq = next_seq_++;
        return s;
    }

    void posted(std::uint32_t s, timer_id id) noexcept {
        slots_[s].id = id;
        slots_[s].in_executor = true;
    }

    /// Gives the slot back (the wait ended); sets `id` and returns true when the executor still holds
    /// the timer's work, which the caller then cancels.
    bool release(std::uint32_t s, timer_id& id) noexcept {
        id = slots_[s].id;
        const bool held = slots_[s].in_executor;
        give_back(s);
        return held;
    }

    /// The waiter whose timer's work is running, or null if that wait already ended. The slot is given
    /// back at once: the work is the executor's no more, so there is nothing to cancel.
    [[nodiscard]] waiter* fire(std::uint32_t s, std::uint32_t gen) noexcept {
        if (s >= slots_.size() || slots_[s].gen != gen) return nullptr;
        waiter* w = slots_[s].w;
        give_back(s);
        return w;
    }

    /// Loading: calls f(slot, due) for each timer the executor holds.
    template <class F>
    void for_each_posted(F&& f) const {
        for (std::uint32_t s = 0; s < slots_.size(); ++s)
            if (slots_[s].in_executor) f(s, slots_[s].due);
    }

    [[nodiscard]] std::uint32_t generation(std::uint32_t s) const noexcept { return slots_[s].gen; }
    [[nodiscard]] const waiter* waiter_of(std::uint32_t s) const noexcept { return slots_[s].w; }

    /// The order timers were armed in (a timeout's too: draw_seq): the executor runs timers due at the
    /// same time in that order, and a save keeps it so that a load posts them again in it.
    [[nodiscard]] std::uint64_t seq(std::uint32_t s) const noexcept { return slots_[s].seq; }
    void set_seq(std::uint32_t s, std::uint64_t seq) noexcept { slots_[s].seq = seq; }
    [[nodiscard]] std::uint64_t draw_seq() noexcept { return next_seq_++; }
    [[nodiscard]] std::uint64_t next_seq() const noexcept { return next_seq_; }
    void set_next_seq(std::uint64_t n) noexcept { next_seq_ = n; }
    [[nodiscard]] time_point due(std::uint32_t s) const noexcept { return slots_[s].due; }

private:
    void give_back(std::uint32_t s) noexcept {
        slots_[s].w = nullptr;
        slots_[s].in_executor = false;
        // As for run slots: a slot whose generations have all been used is not reused, so a stale
        // work's generation can never match again.
        if (++slots_[s].gen != 0) free_.push_back(s);  // never allocates: see add_slot
    }

    [[gnu::noinline]] void add_slot() {
        // The engine marks a timer's call with its slot's top bit (engine::timer_call).
        if (slots_.size() >= (std::uint32_t{1} << 31) - 1)
            detail::raise(std::length_error("coflow: more than 2^31 - 1 timers armed at once"));
        if (free_.capacity() <= slots_.size()) free_.reserve(2 * slots_.size() + 8);
        slots_.push_back(slot{nullptr, time_point{}, 0, 0, 0, false});
        free_.push_back(static_cast<std::uint32_t>(slots_.size() - 1));
    }

    struct slot {
        waiter* w;
        time_point due;  // kept here, not in the waiter: only armed timers pay for it
        timer_id id;
        std::uint64_t seq;
        std::uint32_t gen;
        bool in_executor;
    };
    std::vector<slot> slots_;
    std::uint64_t next_seq_ = 0;
    std::vector<std::uint32_t> free_;  // grows only past the most timers ever armed at once
};

}  // namespace coflow::detail
