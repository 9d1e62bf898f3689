// coflow/codec.hpp: codec<T>, how a value is written to saved text and read back exactly.
// A customisation point with built-in codecs for arithmetic, enum, string, container and chrono types.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <coflow/detail/codec_concept.hpp>
#include <coflow/detail/codec_reader.hpp>
#include <coflow/detail/codec_writer.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/errors.hpp>

namespace coflow {

// Text rather than binary, so that a save can be read, diffed and mended by hand. The encoded text is
// printable ASCII with no spaces, quotes or backslashes (bytes 0x21..0x7E except '"' and '\'), so it
// fits on a journal line or inside a JSON string as it is. Each value starts with a
// one-character tag, which lets a reader say what it expected where the text goes wrong:
//
//     t f                  bool
//     i-42;                any integer, char as its byte 0..255 (the same on every platform), an enum
//                          as its underlying integer
//     d0.1;  dnan; d-inf;  a floating-point number, shortest form that reads back exactly (std::to_chars);
//                          a long double too small to be normal is written as a normal one and a binary
//                          exponent: d1.5e-4931p-64;
//     s5:hello             bytes, count first; bytes outside the set above are %XX (s3:a%00b)
//     [2:i1;i2;]           a sequence (vector, array), count first
//     {1:s1:ai1;}          a map, count first, then key, value, key, value...
//     (i1;t)               a pair or tuple; () for std::tuple<> and std::monostate
//     (i1;s0:)             a variant: its index, then the value
//     n  oi7;              an optional, empty or holding a value
//
// Durations are their count and time points their duration since the clock's epoch: the period and
// the clock are the type's, not the text's. An unordered_map is written with its entries sorted by the
// encoded key, so equal maps give equal text whatever their bucket order.

// has_codec and the helpers writer and reader share are in detail/codec_concept.hpp; writer in
// detail/codec_writer.hpp, reader in detail/codec_reader.hpp.

/// The encoded text of `value` (its codec must exist: has_codec<T>).
template <class T>
[[nodiscard]] std::string encode(const T& value) {
    std::string out;
    writer(out).write(value);
    return out;
}

/// The value encoded in `text`, which must hold exactly one value of type T. Raises invalid_save when
/// it does not (naming the byte and what was expected there).
template <class T>
[[nodiscard]] T decode(std::string_view text) {
    detail::require_codec<T>();
    reader r(text);
    T value = r.read<T>();
    if (!r.at_end()) r.fail("the end of the encoded value");
    return value;
}


// ---- built-in codecs ---------------------------------------------------------------------------------

/// How a value of type T is saved: specialise it for your types, writing the parts in `encode` and
/// reading them back in the same order in `decode`:
///
///     template <> struct coflow::codec<point> {
///         static void encode(coflow::writer& w, const point& p) { w.write(p.x, p.y); }
///         static point decode(coflow::reader& r) { return point{r.read<int>(), r.read<int>()}; }
///     };
///
/// (A braced initialiser evaluates its elements in order.) `decode` may raise invalid_save, through
/// reader::fail_at, for a value that does not fit the type's rules. This primary template has no members:
/// no codec.
///
/// A class template, as history_text and std::hash are, not functions found by ADL: one constrained
/// partial specialisation covers a family (every vector<T> whose T has a codec), and types in namespaces
/// nobody may add to (std) get codecs without overloads there.
template <class T>
struct codec {};

template <>
struct codec<bool> {
    static void encode(writer& w, bool v) { w.put_bool(v); }
    static bool decode(reader& r) { return r.get_bool(); }
};

template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
struct codec<T> {
    using library_integer = void;  // put_integer, as a journal's stream writes it (journal_stream.hpp)
    static void encode(writer& w, T v) { w.put_integer(v); }
    static T decode(reader& r) { return r.get_integer<T>(); }
};

template <std::floating_point T>
struct codec<T> {
    static void encode(writer& w, T v) { w.put_floating(v); }
    static T decode(reader& r) { return r.get_floating<T>(); }
};

template <detail::enum_with_fixed_type T>
struct codec<T> {
    using underlying = std::underlying_type_t<T>;
    static void encode(writer& w, T v) { w.put_integer(static_cast<underlying>(v)); }
    static T decode(reader& r) { return static_cast<T>(r.get_integer<underlying>(detail::type_name<T>())); }
};

template <class Traits, class Alloc>
struct codec<std::basic_string<char, Traits, Alloc>> {
    using string = std::basic_string<char, Traits, Alloc>;
    static void encode(writer& w, const string& s) { w.put_bytes(std::string_view(s.data(), s.size())); }
    static string decode(reader& r) {
        if constexpr (std::is_same_v<string, std::string>) {
            return r.get_bytes();
        } else {
            const std::string s = r.get_bytes();
            return string(s.data(), s.size());
        }
    }
};

template <class T, class Alloc>
    requires has_codec<T>
struct codec<std::vector<T, Alloc>> {
    static void encode(writer& w, const std::vector<T, Alloc>& v) {
        w.open_list(v.size());
        for (const T& e : v) w.write(e);  // const T&, not auto&: vector<bool> hands out proxies
        w.close_list();
    }
    static std::vector<T, Alloc> decode(reader& r) {
        const std::size_t n = r.open_list();
        std::vector<T, Alloc> out;
        out.reserve(detail::reserve_hint<T>(n));
        for (std::size_t i = 0; i < n; ++i) out.push_back(r.read<T>());
        r.close_list();
        return out;
    }
};

template <class T, std::size_t N>
    requires has_codec<T>
struct codec<std::array<T, N>> {
    static void encode(writer& w, const std::array<T, N>& a) {
        w.open_list(N);
        for (const T& e : a) w.write(e);
        w.close_list();
    }
    static std::array<T, N> decode(reader& r) {
        const std::size_t at = r.position();
        if (r.open_list() != N) r.fail_at(at, "a list of " + std::to_string(N) + " values, for an array");
        auto out = read_all(r, std::make_index_sequence<N>{});
        r.close_list();
        return out;
    }

private:
    template <std::size_t... I>
    static std::array<T, N> read_all(reader& r, std::index_sequence<I...>) {
        return std::array<T, N>{{(static_cast<void>(I), r.read<T>())...}};
    }
};

template <class T>
    requires has_codec<T>
struct codec<std::optional<T>> {
    static void encode(writer& w, const std::optional<T>& v) {
        if (v) {
            w.put_some();
            w.write(*v);
        } else {
            w.put_none();
        }
    }
    static std::optional<T> decode(reader& r) {
        if (!r.get_optional()) return std::nullopt;
        return std::optional<T>(std::in_place, r.read<T>());
    }
};

template <class A, class B>
    requires(has_codec<A> && has_codec<B>)
struct codec<std::pair<A, B>> {
    static void encode(writer& w, const std::pair<A, B>& p) {
        w.open_tuple();
        w.write(p.first, p.second);
        w.close_tuple();
    }
    static std::pair<A, B> decode(reader& r) {
        r.open_tuple();
        std::pair<A, B> out{r.read<A>(), r.read<B>()};
        r.close_tuple();
        return out;
    }
};

template <class... Ts>
    requires(has_codec<Ts> && ...)
struct codec<std::tuple<Ts...>> {
    static void encode(writer& w, const std::tuple<Ts...>& t) {
        w.open_tuple();
        std::apply([&w](const Ts&... v) { w.write(v...); }, t);
        w.close_tuple();
    }
    static std::tuple<Ts...> decode(reader& r) {
        r.open_tuple();
        std::tuple<Ts...> out{r.read<Ts>()...};
        r.close_tuple();
        return out;
    }
};

template <>
struct codec<std::monostate> {
    static void encode(writer& w, std::monostate) {
        w.open_tuple();
        w.close_tuple();
    }
    static std::monostate decode(reader& r) {
        r.open_tuple();
        r.close_tuple();
        return {};
    }
};

template <class... Ts>
    requires(has_codec<Ts> && ...)
struct codec<std::variant<Ts...>> {
    using variant = std::variant<Ts...>;
    static void encode(writer& w, const variant& v) {
        if (v.valueless_by_exception()) detail::raise(invalid_operation("cannot save a valueless std::variant"));
        w.open_tuple();
        w.put_integer(v.index());
        std::visit([&w](const auto& x) { w.write(x); }, v);
        w.close_tuple();
    }
    static variant decode(reader& r) {
        r.open_tuple();
        const std::size_t at = r.position();
        const auto index = r.get_integer<std::size_t>();
        if (index >= sizeof...(Ts)) {
            r.fail_at(at, "variant index " + std::to_string(index) + " is out of range for type " +
                              detail::quoted(detail::type_name<variant>()));
        }
        variant out = read_alternative(r, index, std::index_sequence_for<Ts...>{});
        r.close_tuple();
        return out;
    }

private:
    template <std::size_t... I>
    static variant read_alternative(reader& r, std::size_t index, std::index_sequence<I...>) {
        using read_fn = variant (*)(reader&);
        static constexpr read_fn table[] = {[](reader& rd) {
            return variant(std::in_place_index<I>, rd.read<std::variant_alternative_t<I, variant>>());
        }...};
        return table[index](r);
    }
};

template <class K, class V, class Compare, class Alloc>
    requires(has_codec<K> && has_codec<V>)
struct codec<std::map<K, V, Compare, Alloc>> {
    using map = std::map<K, V, Compare, Alloc>;
    static void encode(writer& w, const map& m) {
        w.open_map(m.size());
        for (const auto& [k, v] : m) w.write(k, v);
        w.close_map();
    }
    static map decode(reader& r) {
        const std::size_t n = r.open_map();
        map out;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = r.position();
            K k = r.read<K>();
            V v = r.read<V>();
            const std::size_t size = out.size();
            out.emplace_hint(out.end(), std::move(k), std::move(v));  // written in order: constant time
            if (out.size() == size) r.fail_at(at, "a key that appears twice in a map");
        }
        r.close_map();
        return out;
    }
};

template <class K, class V, class Hash, class Equal, class Alloc>
    requires(has_codec<K> && has_codec<V>)
struct codec<std::unordered_map<K, V, Hash, Equal, Alloc>> {
    using map = std::unordered_map<K, V, Hash, Equal, Alloc>;
    static void encode(writer& w, const map& m) {
        std::vector<std::pair<std::string, const V*>> entries;
        entries.reserve(m.size());
        for (const auto& [k, v] : m) entries.emplace_back(coflow::encode(k), &v);
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        w.open_map(m.size());
        for (const auto& [key, value] : entries) {
            detail::writer_access::append_encoded(w, key);
            w.write(*value);
        }
        w.close_map();
    }
    static map decode(reader& r) {
        const std::size_t n = r.open_map();
        map out;
        out.reserve(detail::reserve_hint<typename map::value_type>(n));
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = r.position();
            K k = r.read<K>();
            V v = r.read<V>();
            if (!out.emplace(std::move(k), std::move(v)).second) r.fail_at(at, "a key that appears twice in a map");
        }
        r.close_map();
        return out;
    }
};

template <class Rep, class Period>
    requires has_codec<Rep>
struct codec<std::chrono::duration<Rep, Period>> {
    using duration = std::chrono::duration<Rep, Period>;
    static void encode(writer& w, const duration& d) { w.write(d.count()); }
    static duration decode(reader& r) { return duration(r.read<Rep>()); }
};

template <class Clock, class Duration>
    requires has_codec<Duration>
struct codec<std::chrono::time_point<Clock, Duration>> {
    using time_point = std::chrono::time_point<Clock, Duration>;
    static void encode(writer& w, const time_point& t) { w.write(t.time_since_epoch()); }
    static time_point decode(reader& r) { return time_point(r.read<Duration>()); }
};

}  // namespace coflow
