// coflow/error_handler.hpp: where coflow's errors go in a build without exceptions (-fno-exceptions).
// With exceptions on, errors are thrown as each function documents and the handler is never called.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace coflow {

/// Receives each error coflow raises in a build without exceptions, on the thread of the call that
/// failed: a coflow::error (errors.hpp; `what()` is "[coflow.<code>] ..." and names the workflow id and
/// the signal or query), or, for the two failures outside any workflow, std::logic_error (a bad name in
/// coflow::define) or std::length_error (a queue past 2^31 items). It must not return: log what it
/// needs, then end the process (std::abort, std::_Exit, a crash reporter). If it returns anyway,
/// coflow calls std::abort(): the failed call has no way to go on.
using error_handler = void (*)(const std::exception& error) noexcept;

/// The handler in place until set_error_handler is called: prints "coflow: fatal error: <what()>" to
/// stderr, then calls std::abort().
[[noreturn]] inline void default_error_handler(const std::exception& error) noexcept {
    std::fprintf(stderr, "coflow: fatal error: %s\n", error.what());
    std::abort();
}

namespace detail {
// Constant-initialised, so it is set before any static constructor can raise an error.
inline std::atomic<error_handler> installed_error_handler{&default_error_handler};
}  // namespace detail

/// Installs `handler` for errors raised from now on and returns the one it replaces; null restores
/// default_error_handler. Safe from any thread; usually called once, at start-up.
inline error_handler set_error_handler(error_handler handler) noexcept {
    return detail::installed_error_handler.exchange(handler ? handler : &default_error_handler);
}

/// The handler in place (never null).
[[nodiscard]] inline error_handler get_error_handler() noexcept { return detail::installed_error_handler.load(); }

}  // namespace coflow
