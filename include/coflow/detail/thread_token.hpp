// coflow/detail/thread_token.hpp: a cheap token naming the calling thread, for the checks that catch calls
// into a runtime or a realtime_executor's loop from a thread that does not own it.
#pragma once

namespace coflow::detail {

/// The address of a thread_local: distinct for each thread alive. Cheaper than std::this_thread::get_id()
/// and needs no <thread>. A thread that ended may hand its address on to a new one, as thread ids are
/// reused; the checks only need to tell apart threads that are alive at once.
[[nodiscard]] inline const void* this_thread_token() noexcept {
    static thread_local const char token = 0;
    return &token;
}

}  // namespace coflow::detail
