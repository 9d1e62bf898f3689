// coflow/detail/save_format.hpp: a save's document, line by line, and its runtime and run lines' tuples.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace coflow::detail {

// The document, one record per line, each line a tag and one encoded tuple (codec.hpp):
//
//     coflow-save 1
//     runtime (clock, random state, ids generated, timers armed, runs)
//     run (type, id, run id, run key, seed, status, start time, parent id, first run key,
//          continued run key, continued, execution timeout, run timeout, execution deadline,
//          update ids made, timers' arming order, timeout's arming order, events)
//     event (kind, time, name, args, self-sent, in a handler, start index, input, error)   ... per event
//     ready (activations posted, [each run's place in the ready queue, 0: none])   only between steps
//     end
//
// An input is n, or o(values...): the values of the pack replay feeds. The save names no C++ type: a load
// reads them as the types the workflow type's definition gives the event (its run method's, signal's,
// update's or child's result), so that a save from a build by one compiler loads in a build by another.
// An error is n, or o(code, message), code -1 for an exception
// that is not a coflow::error.
inline constexpr std::string_view save_header = "coflow-save 1";

using runtime_tuple = std::tuple<std::int64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>;
using run_tuple = std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t, std::string,
                             std::int64_t, std::string, std::uint64_t, std::uint64_t, bool, std::int64_t,
                             std::int64_t, std::int64_t, std::uint64_t, std::vector<std::uint64_t>, std::uint64_t,
                             std::uint64_t>;

}  // namespace coflow::detail
