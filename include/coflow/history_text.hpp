// coflow/history_text.hpp: history_text<T>, how a value is written into a history (a JSON value).
// A customisation point: specialise it for your own argument and result types.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/type_id.hpp>

namespace coflow {

namespace detail {

/// The size of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7), or 0 and in `bad` the size of
/// its maximal subpart: the bytes that could begin a sequence but break off (at least 1).
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& bad) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t size = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range; later ones are always 80..BF
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        size = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        size = 3;
        if (b0 == 0xE0) lo = 0xA0;       // else overlong
        else if (b0 == 0xED) hi = 0x9F;  // else a surrogate
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        size = 4;
        if (b0 == 0xF0) lo = 0x90;       // else overlong
        else if (b0 == 0xF4) hi = 0x8F;  // else past U+10FFFF
    } else {
        bad = 1;  // 80..C1, F5..FF never begin a sequence
        return 0;
    }
    for (std::size_t k = 1; k < size; ++k) {
        const auto b = i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
        if (b < lo || b > hi) {
            bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return size;
}

/// Appends `s` as a JSON string. Quotes, backslashes and control characters are escaped. Ids, names and
/// payloads are bytes, but JSON is Unicode text: each ill-formed UTF-8 sequence becomes U+FFFD, one per
/// maximal subpart (the Unicode standard's recommended practice, as WHATWG decoders and Python do).
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t plain = 0;  // the start of the bytes not yet copied, which need no escape
    std::size_t i = 0;
    while (i < s.size()) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u >= 0x20 && u < 0x80 && u != '"' && u != '\\') {
            ++i;
            continue;
        }
        std::size_t bad = 0;
        if (u >= 0x80) {
            if (const std::size_t n = utf8_sequence(s, i, bad)) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + plain, i - plain);
        switch (u) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u >= 0x80) {
                    out += "\xEF\xBF\xBD";  // U+FFFD
                } else {
                    out += "\\u00";
                    out += hex[u >> 4];
                    out += hex[u & 0xf];
                }
        }
        i += bad ? bad : 1;
        plain = i;
    }
    out.append(s.data() + plain, i - plain);
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
/// types with `operator<<` as the JSON string of what they print, other types with a codec
/// (coflow/codec.hpp: containers, optionals, tuples...) as the JSON string of their encoded text, anything
/// else as "<type name>".
/// NaN and infinities are the strings "NaN", "Infinity" and "-Infinity"; in strings, ill-formed UTF-8
/// becomes U+FFFD. A specialisation must write one strict JSON value: `history_text<U>::write` writes
/// its parts that way.
template <class T, class = void>
struct history_text {
    using library_default = void;  // not specialised: a journal's stream may write an integer's text itself
    static void write(std::string& out, const T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, char>) {
            char buf[24];
            const auto r = std::to_chars(buf, buf + sizeof buf, v);
            out.append(buf, static_cast<std::size_t>(r.ptr - buf));
        } else if constexpr (std::is_floating_point_v<T>) {
            // JSON has no NaN or infinities: strings, spelled as protobuf's JSON mapping spells them.
            if (std::isnan(v)) {
                out += "\"NaN\"";
            } else if (std::isinf(v)) {
                out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
            } else {
                char buf[64];
                auto r = std::to_chars(buf, buf + sizeof buf, v);
                out.append(buf, static_cast<std::size_t>(r.ptr - buf));
            }
        } else if constexpr (std::is_enum_v<T>) {
            out += std::to_string(static_cast<std::underlying_type_t<T>>(v));
        } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
            detail::append_json_string(out, std::string_view(v));
        } else if constexpr (detail::ostreamable<T>) {
            std::ostringstream os;
            os << v;
            detail::append_json_string(out, os.str());
        } else if constexpr (has_codec<T>) {
            // A save loads in a build by another compiler, whose type names differ: the value, not its type.
            detail::append_json_string(out, coflow::encode(v));
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
