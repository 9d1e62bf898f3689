// coflow/detail/timers.hpp: the engine's table of armed timers, each the timeout of one suspended wait.
// A slot names its waiter and the executor's id for the timer, so that a wait ending early cancels it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

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
        if (free_.empty()) {
            if (free_.capacity() <= slots_.size()) free_.reserve(2 * slots_.size() + 8);  // release never allocates
            slots_.push_back(slot{&w, due, 0, 0, false});
            return static_cast<std::uint32_t>(slots_.size() - 1);
        }
        const std::uint32_t s = free_.back();
        free_.pop_back();
        slots_[s].w = &w;
        slots_[s].due = due;
        return s;
    }

    void posted(std::uint32_t s, timer_id id) noexcept {
        slots_[s].id = id;
        slots_[s].in_executor = true;
    }

    /// Gives the slot back (the wait ended); sets `id` and returns true when the executor still holds
    /// the timer's work, which the caller then cancels.
    bool release(std::uint32_t s, timer_id& id) noexcept {
        slot& t = slots_[s];
        t.w = nullptr;
        ++t.gen;
        id = t.id;
        free_.push_back(s);
        return std::exchange(t.in_executor, false);
    }

    /// The waiter whose timer's work is running, or null if that wait already ended. The work is the
    /// executor's no more: releasing the slot then cancels nothing.
    [[nodiscard]] waiter* fired(std::uint32_t s, std::uint32_t gen) noexcept {
        if (s >= slots_.size() || slots_[s].gen != gen) return nullptr;
        slots_[s].in_executor = false;
        return slots_[s].w;
    }

    [[nodiscard]] std::uint32_t generation(std::uint32_t s) const noexcept { return slots_[s].gen; }
    [[nodiscard]] time_point due(std::uint32_t s) const noexcept { return slots_[s].due; }

private:
    struct slot {
        waiter* w;
        time_point due;  // kept here, not in the waiter: only armed timers pay for it
        timer_id id;
        std::uint32_t gen;
        bool in_executor;
    };
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;  // grows only past the most timers ever armed at once
};

}  // namespace coflow::detail
