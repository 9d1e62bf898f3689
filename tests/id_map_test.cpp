// detail::id_map, the runtime's runs by id: a randomized comparison with std::unordered_map, so that
// lookups, insertions, growth and erasure (which shifts later entries back) agree at every step.
#include <coflow/detail/id_map.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "coflow_catch.hpp"

namespace {

struct run {
    std::string id;
};

using map = coflow::detail::id_map<run>;

// The runs by slot, as the engine's slot table holds them.
struct slot_table {
    std::vector<std::unique_ptr<run>> runs;
    std::vector<std::uint32_t> free;
    std::uint32_t take(const std::string& id) {
        std::uint32_t s;
        if (free.empty()) {
            s = static_cast<std::uint32_t>(runs.size());
            runs.emplace_back();
        } else {
            s = free.back();
            free.pop_back();
        }
        runs[s] = std::make_unique<run>(run{id});
        return s;
    }
    void give_back(std::uint32_t s) {
        runs[s].reset();
        free.push_back(s);
    }
    [[nodiscard]] auto at() const {
        return [this](std::uint32_t s) { return runs[s].get(); };
    }
};

}  // namespace

TEST_CASE("id_map finds, inserts and erases exactly like a std::unordered_map", "[id_map]") {
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        map m;
        slot_table slots;
        std::unordered_map<std::string, std::uint32_t> ref;  // id -> slot
        // Few distinct ids against many operations: long probe clusters, and erasures inside them.
        const std::uint64_t ids = seed == 1 ? 40 : 3000;
        for (int step = 0; step < 200000; ++step) {
            const std::string id = "w-" + std::to_string(rng() % ids);
            const std::uint64_t h = map::hash_of(id);
            switch (rng() % 3) {
                case 0:
                    if (ref.count(id) == 0) {
                        m.reserve_one();
                        map::entry& e = m.probe(id, h, slots.at());
                        REQUIRE(e.empty());
                        const std::uint32_t s = slots.take(id);
                        m.occupy(e, h, s);
                        ref[id] = s;
                    }
                    break;
                case 1: {
                    const auto it = ref.find(id);
                    REQUIRE(m.find(id, slots.at()) == (it == ref.end() ? nullptr : slots.runs[it->second].get()));
                    break;
                }
                default:
                    if (const auto it = ref.find(id); it != ref.end()) {
                        map::entry& e = m.probe(id, h, slots.at());
                        REQUIRE(!e.empty());
                        REQUIRE(e.slot() == it->second);
                        // Found by its slot and the hash's low half (engine::forget_run): the same entry.
                        REQUIRE(&m.entry_of(static_cast<std::uint32_t>(h), it->second) == &e);
                        m.erase(e);
                        slots.give_back(it->second);
                        ref.erase(it);
                    }
            }
            REQUIRE(m.size() == ref.size());
        }
        std::size_t seen = 0;
        m.for_each_slot([&](std::uint32_t s) {
            ++seen;
            CHECK(ref.at(slots.runs[s]->id) == s);
        });
        CHECK(seen == ref.size());
    }
}

TEST_CASE("id_map's entry_of gives an empty entry for a slot it does not hold", "[id_map]") {
    map m;
    slot_table slots;
    for (int i = 0; i < 100; ++i) {
        const std::string id = "w-" + std::to_string(i);
        const std::uint64_t h = map::hash_of(id);
        m.reserve_one();
        m.occupy(m.probe(id, h, slots.at()), h, slots.take(id));
    }
    // Slot 100 holds no run: whatever tag it is given, the probe ends at an empty entry.
    for (std::uint32_t tag = 0; tag < 64; ++tag) CHECK(m.entry_of(tag, 100).empty());
    CHECK(m.entry_of(static_cast<std::uint32_t>(map::hash_of("w-7")), 7).slot() == 7);
}

TEST_CASE("an empty id_map finds nothing", "[id_map]") {
    map m;
    const slot_table slots;
    CHECK(m.find("", slots.at()) == nullptr);
    CHECK(m.find("w", slots.at()) == nullptr);
    CHECK(m.size() == 0);
}

TEST_CASE("id_map's hash reads every byte of an id of any length", "[id_map]") {
    // Lengths around the 8-, 4- and 1-byte reads: changing any one byte changes the hash, and so does the
    // length (a shorter id is not a prefix's hash).
    for (std::size_t n = 0; n <= 24; ++n) {
        CAPTURE(n);
        const std::string id(n, 'a');
        const std::uint64_t h = map::hash_of(id);
        for (std::size_t i = 0; i < n; ++i) {
            std::string other = id;
            other[i] = 'b';
            CHECK(map::hash_of(other) != h);
        }
        CHECK(map::hash_of(id + 'a') != h);
    }
}
