// detail::id_map, the runtime's runs by id: a randomized comparison with std::unordered_map, so that
// lookups, insertions, growth and erasure (which shifts later entries back) agree at every step.
#include <coflow/detail/id_map.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include "coflow_catch.hpp"

namespace {

struct run {
    std::string id;
};

using map = coflow::detail::id_map<run>;

}  // namespace

TEST_CASE("id_map finds, inserts and erases exactly like a std::unordered_map", "[id_map]") {
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        map m;
        std::unordered_map<std::string, std::unique_ptr<run>> ref;
        // Few distinct ids against many operations: long probe clusters, and erasures inside them.
        const std::uint64_t ids = seed == 1 ? 40 : 3000;
        for (int step = 0; step < 200000; ++step) {
            const std::string id = "w-" + std::to_string(rng() % ids);
            const std::uint64_t h = map::hash_of(id);
            switch (rng() % 3) {
                case 0:
                    if (ref.count(id) == 0) {
                        m.reserve_one();
                        map::entry& e = m.probe(id, h);
                        REQUIRE(e.run == nullptr);
                        auto r = std::make_unique<run>(run{id});
                        m.occupy(e, h, r.get());
                        ref[id] = std::move(r);
                    }
                    break;
                case 1: {
                    const auto it = ref.find(id);
                    REQUIRE(m.find(id) == (it == ref.end() ? nullptr : it->second.get()));
                    break;
                }
                default:
                    if (const auto it = ref.find(id); it != ref.end()) {
                        map::entry& e = m.probe(id, h);
                        REQUIRE(e.run == it->second.get());
                        m.erase(e);
                        ref.erase(it);
                    }
            }
            REQUIRE(m.size() == ref.size());
        }
        std::size_t seen = 0;
        m.for_each([&](run& r) {
            ++seen;
            CHECK(ref.at(r.id).get() == &r);
        });
        CHECK(seen == ref.size());
    }
}

TEST_CASE("an empty id_map finds nothing", "[id_map]") {
    map m;
    CHECK(m.find("") == nullptr);
    CHECK(m.find("w") == nullptr);
    CHECK(m.size() == 0);
}
