// bench/handoff.hpp: scenario S1x, coflow's own (not one of SCENARIOS.md's): S1's signals sent from a producer
// thread through realtime_executor::submit. bench/handoff.cpp runs it; bench.cpp checks and reports it.
#pragma once

#include <cstdint>

struct handoff_run {
    double seconds;      // from the start to the workflow's result
    double cpu_seconds;  // CPU time of the whole process meanwhile (both threads), user and system
    std::uint64_t checksum;
};

/// Starts S1's accumulator on a realtime_executor driven by this thread, sends it 0..n-1 from another thread,
/// one submit per signal, and runs the loop until the workflow's result.
handoff_run run_handoff(std::uint64_t n);
