// tests/counted.hpp: a probe that counts how many of it were made and destroyed, to check lifetimes.
#pragma once

struct counted {
    static inline int created = 0;
    static inline int destroyed = 0;
    static void reset() { created = destroyed = 0; }
    static int alive() { return created - destroyed; }

    counted() { ++created; }
    counted(const counted&) { ++created; }
    counted(counted&&) noexcept { ++created; }
    counted& operator=(const counted&) = default;
    counted& operator=(counted&&) = default;
    ~counted() { ++destroyed; }
};
