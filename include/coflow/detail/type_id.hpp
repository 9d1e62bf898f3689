// coflow/detail/type_id.hpp: type identity and readable type names without RTTI.
// By-name signals and queries check argument types with these, so -fno-rtti builds work.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace coflow::detail {

/// One distinct address per type: the identity compared when arguments cross a type-erased boundary.
using type_id = const void*;

// Not const, though nothing writes it: linkers that fold identical read-only data (lld --icf=all,
// MSVC /OPT:ICF) would give every type the same address, and they never merge writable variables.
template <class T>
struct type_tag {
    static inline char id = 0;
};

template <class T>
[[nodiscard]] constexpr type_id type_id_of() noexcept {
    return &type_tag<T>::id;
}

// The compiler spells the template argument inside __PRETTY_FUNCTION__; cut it out.
template <class T>
[[nodiscard]] std::string_view pretty_type_name() noexcept {
#if defined(__clang__) || defined(__GNUC__)
    std::string_view p = __PRETTY_FUNCTION__;
    auto start = p.find("T = ");
    if (start == std::string_view::npos) return "<unknown type>";
    start += 4;
    auto end = p.find("; ", start);  // gcc: "[with T = int; std::string_view = ...]"
    if (end == std::string_view::npos) end = p.rfind(']');  // clang: "[T = int]"
    if (end == std::string_view::npos || end < start) return "<unknown type>";
    return p.substr(start, end - start);
#else
    return "<unknown type>";
#endif
}

/// A readable name for T, used in error messages. Common library types get their usual spelling.
template <class T>
[[nodiscard]] std::string_view type_name() noexcept {
    if constexpr (std::is_same_v<T, std::string>) return "std::string";
    else if constexpr (std::is_same_v<T, std::string_view>) return "std::string_view";
    else return pretty_type_name<T>();
}

/// "(A, B, C)": the spelling of a parameter list in error messages.
template <class... Ts>
[[nodiscard]] std::string type_list_name() {
    std::string out = "(";
    bool first = true;
    ((out += (first ? "" : ", "), out += type_name<Ts>(), first = false), ...);
    out += ")";
    return out;
}

}  // namespace coflow::detail
