// coflow/detail/random.hpp: a small deterministic PRNG (splitmix64) for run ids and workflow randomness.
// Its output is the same on every platform, unlike the std distributions.
#pragma once

#include <cstdint>
#include <limits>

namespace coflow::detail {

class splitmix64 {
public:
    using result_type = std::uint64_t;

    constexpr explicit splitmix64(std::uint64_t seed = 0) noexcept : state_(seed) {}

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    constexpr result_type operator()() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// A uniform integer in [lo, hi], the same on every platform.
    constexpr std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) noexcept {
        const std::uint64_t span = hi - lo;
        if (span == max()) return (*this)();
        const std::uint64_t n = span + 1;
        const std::uint64_t limit = max() - max() % n;  // reject the biased tail
        std::uint64_t x = (*this)();
        while (x >= limit) x = (*this)();
        return lo + x % n;
    }

    /// A uniform double in [0, 1), the same on every platform.
    constexpr double uniform01() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    /// The state: a generator made from it yields what this one yields next.
    [[nodiscard]] constexpr std::uint64_t state() const noexcept { return state_; }

private:
    std::uint64_t state_;
};

}  // namespace coflow::detail
