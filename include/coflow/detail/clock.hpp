// coflow/detail/clock.hpp: arithmetic on an executor's clock that saturates instead of overflowing.
// A duration too long for the clock (duration::max() among them) reaches its end: no undefined behaviour.
#pragma once

#include <type_traits>

#include <coflow/executor.hpp>

namespace coflow::detail {

/// `t + d`, or the end of the clock (time_point::max(), or min() going back) where that would overflow.
[[nodiscard]] constexpr time_point saturating_add(time_point t, duration d) noexcept {
    const duration since = t.time_since_epoch();
    if (d > duration::zero() && since > duration::max() - d) return time_point::max();
    if (d < duration::zero() && since < duration::min() - d) return time_point::min();
    return t + d;
}

// The timeout of a wait without one takes no room: awaiters and awaitables live in the frames of
// suspended workflows (wait_condition's, a channel's receive), so 16 bytes there are 16 bytes a workflow.
struct no_timeout {
    explicit no_timeout(duration) noexcept {}
};
template <bool Timed>
using timeout_field = std::conditional_t<Timed, duration, no_timeout>;

}  // namespace coflow::detail
