// coflow/history_text.hpp: history_text<T>, how a value is written into a history (a JSON value).
// A customisation point: specialise it for your own argument and result types.
#pragma once

#include <charconv>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <coflow/detail/type_id.hpp>

namespace coflow {

namespace detail {
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u < 0x20) {
                    out += "\\u00";
                    out += hex[u >> 4];
                    out += hex[u & 0xf];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

template <class T>
concept ostreamable = requires(std::ostream& os, const T& v) { os << v; };
}  // namespace detail

/// How a value is written into a history: `write` appends one JSON value. Specialise it for your types:
///
///     template <> struct coflow::history_text<point> {
///         static void write(std::string& out, const point& p) { out += "[" + std::to_string(p.x) + "]"; }
///     };
///
/// By default: strings as JSON strings, numbers and booleans as JSON literals, enums as their number,
/// types with `operator<<` as the JSON string of what they print, anything else as "<type name>".
template <class T, class = void>
struct history_text {
    static void write(std::string& out, const T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char>) {
            out += std::to_string(v);
        } else if constexpr (std::is_floating_point_v<T>) {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, v);
            out.append(buf, r.ptr);
        } else if constexpr (std::is_enum_v<T>) {
            out += std::to_string(static_cast<std::underlying_type_t<T>>(v));
        } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
            detail::append_json_string(out, std::string_view(v));
        } else if constexpr (detail::ostreamable<T>) {
            std::ostringstream os;
            os << v;
            detail::append_json_string(out, os.str());
        } else {
            detail::append_json_string(out, "<" + std::string(detail::type_name<T>()) + ">");
        }
    }
};


namespace detail {
/// The JSON text of each value in a tuple.
template <class Tuple>
std::vector<std::string> tuple_text(const Tuple& values) {
    std::vector<std::string> out;
    std::apply(
        [&](const auto&... v) {
            (
                [&] {
                    std::string s;
                    history_text<std::remove_cvref_t<decltype(v)>>::write(s, v);
                    out.push_back(std::move(s));
                }(),
                ...);
        },
        values);
    return out;
}
}  // namespace detail

}  // namespace coflow
