// coflow/detail/id_map.hpp: the runtime's runs by workflow id, an open-addressing table of (hash, run).
// A lookup probes a few adjacent 16-byte entries and reads a run only when the stored hash matches, and
// growing re-places entries by their stored hashes without touching the runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace coflow::detail {

/// Maps a workflow id to a run of type Run, which has a `std::string id` member. It does not own the runs.
/// Linear probing, at most half full; erasing shifts the entries after it back (no tombstones).
template <class Run>
class id_map {
public:
    struct entry {
        std::uint64_t hash = 0;
        Run* run = nullptr;  // null: an empty entry
    };

    [[nodiscard]] static std::uint64_t hash_of(std::string_view id) noexcept {
        return static_cast<std::uint64_t>(std::hash<std::string_view>{}(id));
    }

    /// The entry of `id`, or the empty entry where it would go (make room with reserve_one first).
    [[nodiscard]] entry& probe(std::string_view id, std::uint64_t h) noexcept {
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            entry& e = table_[i];
            if (!e.run || (e.hash == h && e.run->id == id)) return e;
        }
    }

    [[nodiscard]] Run* find(std::string_view id) const noexcept {
        if (size_ == 0) return nullptr;
        return const_cast<id_map*>(this)->probe(id, hash_of(id)).run;
    }

    /// Grows the table if one more entry would make it more than half full. May throw (allocation);
    /// then nothing changed.
    void reserve_one() {
        if (2 * (size_ + 1) <= table_.size()) return;
        std::vector<entry> old(table_.size() ? 2 * table_.size() : 16);
        old.swap(table_);
        const std::size_t mask = table_.size() - 1;
        for (const entry& e : old) {
            if (!e.run) continue;
            std::size_t i = static_cast<std::size_t>(e.hash) & mask;
            while (table_[i].run) i = (i + 1) & mask;
            table_[i] = e;
        }
    }

    /// Fills an empty entry found by probe().
    void occupy(entry& e, std::uint64_t h, Run* run) noexcept {
        e.hash = h;
        e.run = run;
        ++size_;
    }

    /// Empties entry `e` (found by probe()), moving later entries of its cluster back into the gap.
    void erase(entry& e) noexcept {
        const std::size_t mask = table_.size() - 1;
        std::size_t gap = static_cast<std::size_t>(&e - table_.data());
        for (std::size_t j = (gap + 1) & mask; table_[j].run; j = (j + 1) & mask) {
            const std::size_t home = static_cast<std::size_t>(table_[j].hash) & mask;
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

    /// Calls f(Run&) for every run, in table order.
    template <class F>
    void for_each(F&& f) const {
        for (const entry& e : table_)
            if (e.run) f(*e.run);
    }

    /// Forgets every entry (the runs are the caller's to delete).
    void clear() noexcept {
        table_.clear();
        size_ = 0;
    }

private:
    std::vector<entry> table_;
    std::size_t size_ = 0;
};

}  // namespace coflow::detail
