// coflow/detail/raise.hpp: how coflow raises its errors, and the few places where it catches them.
// With exceptions these throw and catch; without (-fno-exceptions) an error goes to the error handler.
#pragma once

#include <cstdlib>
#include <exception>
#include <type_traits>
#include <utility>

#include <coflow/error_handler.hpp>

namespace coflow::detail {

// The only place that asks the compiler whether exceptions are on: g++ and clang++ define
// __cpp_exceptions unless -fno-exceptions, MSVC defines _CPPUNWIND with /EHsc. Everything else tests
// exceptions_enabled or calls the helpers below, so no `try`, `catch` or `throw` is compiled
// without exceptions.
#if defined(__cpp_exceptions) || defined(_CPPUNWIND)

inline constexpr bool exceptions_enabled = true;

/// Throws `e`.
template <class E>
[[noreturn]] void raise(E&& e) {
    static_assert(std::is_base_of_v<std::exception, std::remove_cvref_t<E>>, "coflow raises std::exceptions only");
    throw std::forward<E>(e);
}

/// Returns `body()`; if it throws, returns `on_error(the exception_ptr)` instead (which may raise).
template <class Body, class OnError>
auto guarded(Body&& body, OnError&& on_error) -> decltype(body()) {
    try {
        return body();
    } catch (...) {
        return on_error(std::current_exception());
    }
}

/// `on_match(x)` if the exception in `e` (not null) is an E, caught as `const E& x`; else `otherwise()`.
/// This is how coflow reads an exception_ptr without RTTI.
template <class E, class OnMatch, class Otherwise>
auto catch_as(const std::exception_ptr& e, OnMatch&& on_match, Otherwise&& otherwise) -> decltype(otherwise()) {
    try {
        std::rethrow_exception(e);
    } catch (const E& x) {
        return on_match(x);
    } catch (...) {
        return otherwise();
    }
}

/// Rethrows the exception stored in `e`, if there is one (what a finished coroutine ended with).
inline void rethrow_if_set(const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
}

#else

inline constexpr bool exceptions_enabled = false;

/// Passes `e` to the installed error handler, which must not return (if it does: std::abort()).
template <class E>
[[noreturn]] void raise(E&& e) {
    static_assert(std::is_base_of_v<std::exception, std::remove_cvref_t<E>>, "coflow raises std::exceptions only");
    get_error_handler()(e);
    std::abort();
}

/// Nothing can be thrown: returns `body()`.
template <class Body, class OnError>
auto guarded(Body&& body, OnError&&) -> decltype(body()) {
    return body();
}

/// No exception_ptr is ever set without exceptions: `otherwise()`.
template <class E, class OnMatch, class Otherwise>
auto catch_as(const std::exception_ptr&, OnMatch&&, Otherwise&& otherwise) -> decltype(otherwise()) {
    return otherwise();
}

/// Nothing is ever stored: no exception can leave a coroutine body in a build without exceptions.
inline void rethrow_if_set(const std::exception_ptr&) noexcept {}

#endif

}  // namespace coflow::detail
