// coflow/detail/slot_table.hpp: a runtime's runs by slot. Handles, posted activations and timers name a run
// by its slot and generation (8 bytes, no id to hash), and find it here with one load and a compare.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <coflow/detail/raise.hpp>

namespace coflow::detail {

/// The run in each slot (null: free), 8 bytes a run. A run (type T) carries its own `slot` and `gen`; the
/// generation is checked against the run itself, so a slot holds only the pointer. A free slot's next
/// generation waits with it in the free list. A slot whose generations have all been used is never used
/// again: a handle that last saw its first run must not reach a run in it, four billion runs later, as if
/// it were that one.
template <class T>
class slot_table {
public:
    /// At most this many slots: a call posted for a slot keeps the top bit of its 32 for itself.
    static constexpr std::uint32_t max_slots = (std::uint32_t{1} << 31) - 1;

    /// The run in `slot` if it is of generation `gen`, else null (a stale or foreign slot finds nothing).
    [[nodiscard, gnu::always_inline]] inline T* find(std::uint32_t slot, std::uint32_t gen) const noexcept {
        if (slot >= slots_.size()) return nullptr;
        T* t = slots_[slot];
        return t && t->gen == gen ? t : nullptr;
    }
    /// The run in `slot`, which holds one.
    [[nodiscard]] T* operator[](std::uint32_t slot) const noexcept { return slots_[slot]; }

    /// Gives `t` the slot and generation it will take (`t.slot`, `t.gen`) without taking them yet: until
    /// occupy(), nothing changed that a caller would have to undo. Throws std::length_error past max_slots,
    /// or bad_alloc; once it returned, neither occupy() nor release() can throw.
    void prepare(T& t) {
        if (free_.empty()) [[unlikely]]
            add_slot();
        t.slot = free_.back().slot;
        t.gen = free_.back().gen;
    }
    /// Puts `t` in the slot prepare() gave it.
    void occupy(T& t) noexcept {
        free_.pop_back();
        slots_[t.slot] = &t;
    }
    /// Empties `t`'s slot: it waits for the next run, of the next generation, unless it has none left.
    /// Never allocates: the free list has room for every slot.
    void release(const T& t) noexcept {
        slots_[t.slot] = nullptr;
        if (t.gen + 1 != 0) free_.push_back(free_slot{t.slot, t.gen + 1});
    }

    /// Takes every slot out (the runtime's destruction): from here on find() finds nothing.
    [[nodiscard]] std::vector<T*> take_all() noexcept {
        std::vector<T*> out;
        out.swap(slots_);
        return out;
    }

    /// Tests only: sets the generation of slot `slot` if it is free (to reach the end of its generations).
    void set_free_generation(std::uint32_t slot, std::uint32_t gen) noexcept {
        for (free_slot& f : free_)
            if (f.slot == slot) f.gen = gen;
    }

private:
    [[gnu::noinline]] void add_slot() {
        if (slots_.size() >= max_slots) [[unlikely]]
            detail::raise(std::length_error("coflow: more than 2^31 - 1 workflow runs kept at once"));
        if (free_.capacity() < slots_.size() + 1) free_.reserve(std::max(slots_.size() + 1, 2 * free_.capacity()));
        slots_.push_back(nullptr);
        free_.push_back(free_slot{static_cast<std::uint32_t>(slots_.size() - 1), 0});
    }

    struct free_slot {
        std::uint32_t slot;
        std::uint32_t gen;  // of the slot's next run
    };
    std::vector<T*> slots_;
    std::vector<free_slot> free_;
};

}  // namespace coflow::detail
