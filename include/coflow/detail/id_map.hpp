// coflow/detail/id_map.hpp: the runtime's runs by workflow id, an open-addressing table of (hash, slot).
// A lookup probes a few adjacent 8-byte entries and reads a run only when the stored hash matches, and
// growing re-places entries by their stored hashes without touching the runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace coflow::detail {

/// Maps a workflow id to the slot of a run of type Run, which has a `std::string id` member; `at(slot)`
/// (a callable the caller passes) gives the run in a slot. It does not own the runs.
/// Linear probing, at most 7/8 full; erasing shifts the entries after it back (no tombstones).
/// An entry keeps 32 bits of the id's hash and the slot, not a pointer and the whole hash: 8 bytes
/// instead of 16, which at half full were 42 bytes per suspended workflow in S3 (bench/RESULTS.md);
/// at 7/8, 10. The longer probes cost S3's starts about 50 instructions each at w = 20,000.
template <class Run>
class id_map {
public:
    struct entry {
        std::uint32_t hash = 0;  // the low half of the id's hash (wide enough for any table size)
        std::uint32_t key = 0;   // the slot + 1; 0: an empty entry
        [[nodiscard]] bool empty() const noexcept { return key == 0; }
        [[nodiscard]] std::uint32_t slot() const noexcept { return key - 1; }
    };

    /// 8 bytes at a time, each multiplied in, then splitmix64's finalizer: for a 13-character id about a
    /// third of std::hash's instructions, which a start pays twice (its check and its insertion).
    [[nodiscard]] static std::uint64_t hash_of(std::string_view id) noexcept {
        constexpr std::uint64_t k = 0x9e3779b97f4a7c15u;
        const char* p = id.data();
        std::size_t n = id.size();
        std::uint64_t h = n * k;
        const auto mix = [&](std::uint64_t w) {
            h = (h ^ w) * k;
            h ^= h >> 32;
        };
        for (; n >= 8; p += 8, n -= 8) mix(load64(p));
        if (n >= 4) mix(std::uint64_t{load32(p)} | std::uint64_t{load32(p + n - 4)} << 32);  // they may overlap
        else if (n > 0)
            mix(std::uint64_t{byte(p[0])} | std::uint64_t{byte(p[n / 2])} << 8 | std::uint64_t{byte(p[n - 1])} << 16);
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
        return h ^ (h >> 31);
    }

    /// The entry of `id`, or the empty entry where it would go (make room with reserve_one first).
    template <class At>
    [[nodiscard]] entry& probe(std::string_view id, std::uint64_t h, At&& at) noexcept {
        const auto tag = static_cast<std::uint32_t>(h);
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
            entry& e = table_[i];
            if (e.empty() || (e.hash == tag && at(e.slot())->id == id)) return e;
        }
    }

    /// The entry of the run in `slot`, given the low half of its id's hash: found by the slot, with no id
    /// compared. The empty entry where the probe ends if there is none (not empty()).
    [[nodiscard]] entry& entry_of(std::uint32_t tag, std::uint32_t slot) noexcept {
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
            entry& e = table_[i];
            if (e.empty() || e.key == slot + 1) return e;
        }
    }

    template <class At>
    [[nodiscard]] Run* find(std::string_view id, At&& at) const noexcept {
        return find(id, hash_of(id), at);
    }
    /// As above, with the id's hash_of already at hand.
    template <class At>
    [[nodiscard]] Run* find(std::string_view id, std::uint64_t h, At&& at) const noexcept {
        if (size_ == 0) return nullptr;
        const entry& e = const_cast<id_map*>(this)->probe(id, h, at);
        return e.empty() ? nullptr : at(e.slot());
    }

    /// Grows the table if one more entry would make it more than 7/8 full. May throw (allocation);
    /// then nothing changed.
    void reserve_one() {
        if (8 * (size_ + 1) <= 7 * table_.size()) return;
        std::vector<entry> old(table_.size() ? 2 * table_.size() : 16);
        old.swap(table_);
        const std::size_t mask = table_.size() - 1;
        for (const entry& e : old) {
            if (e.empty()) continue;
            std::size_t i = e.hash & mask;
            while (!table_[i].empty()) i = (i + 1) & mask;
            table_[i] = e;
        }
    }

    /// Fills an empty entry found by probe() with the run in `slot`.
    void occupy(entry& e, std::uint64_t h, std::uint32_t slot) noexcept {
        e.hash = static_cast<std::uint32_t>(h);
        e.key = slot + 1;
        ++size_;
    }

    /// Points a full entry at another slot (a new run under the same id).
    static void replace(entry& e, std::uint32_t slot) noexcept { e.key = slot + 1; }

    /// Empties entry `e` (found by probe()), moving later entries of its cluster back into the gap.
    void erase(entry& e) noexcept {
        const std::size_t mask = table_.size() - 1;
        std::size_t gap = static_cast<std::size_t>(&e - table_.data());
        for (std::size_t j = (gap + 1) & mask; !table_[j].empty(); j = (j + 1) & mask) {
            const std::size_t home = table_[j].hash & mask;
            // Entry j may fill the gap if its home is not in (gap, j] (cyclically).
            const bool home_in_between = gap < j ? (gap < home && home <= j) : (gap < home || home <= j);
            if (!home_in_between) {
                table_[gap] = table_[j];
                gap = j;
            }
        }
        table_[gap] = entry{};
        --size_;
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    /// Calls f(slot) for every entry, in table order.
    template <class F>
    void for_each_slot(F&& f) const {
        for (const entry& e : table_)
            if (!e.empty()) f(e.slot());
    }

    /// Forgets every entry (the runs are the caller's to delete).
    void clear() noexcept {
        table_.clear();
        size_ = 0;
    }

    void swap(id_map& o) noexcept {
        table_.swap(o.table_);
        std::swap(size_, o.size_);
    }

private:
    static std::uint64_t load64(const char* p) noexcept {
        std::uint64_t w;
        std::memcpy(&w, p, sizeof w);
        return w;
    }
    static std::uint32_t load32(const char* p) noexcept {
        std::uint32_t w;
        std::memcpy(&w, p, sizeof w);
        return w;
    }
    static std::uint8_t byte(char c) noexcept { return static_cast<std::uint8_t>(c); }

    std::vector<entry> table_;
    std::size_t size_ = 0;
};

}  // namespace coflow::detail
