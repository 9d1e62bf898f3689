// coflow/detail/codec_concept.hpp: has_codec<T>, and the rules writer and reader share (codec.hpp).
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <type_traits>

namespace coflow {

template <class T>
struct codec;
class writer;
class reader;

/// A codec for T exists: `codec<T>` has `encode(writer&, const T&)` and `decode(reader&)` returning a T.
/// True for containers only when their element types have codecs too. As with any template, specialise
/// codec<T> before the first use of has_codec<T> (or of encode/decode with T).
template <class T>
concept has_codec = requires(writer& w, reader& r, const T& v) {
    codec<T>::encode(w, v);
    { codec<T>::decode(r) } -> std::same_as<T>;
};

/// `has_codec<T>` as a value, for `static_assert(coflow::has_codec_v<X>, ...)` where saving is asked for.
template <class T>
inline constexpr bool has_codec_v = has_codec<T>;

namespace detail {

// An enum with a fixed underlying type (every scoped enum, and `enum E : int`) holds every value of that
// type; one without may not, and a decoded out-of-range value would be undefined behaviour. Only the
// former can be direct-list-initialised from its underlying type.
template <class T>
concept enum_with_fixed_type = std::is_enum_v<T> && requires { T{std::underlying_type_t<T>{}}; };

// Names the missing codec in one error, where encode or decode is asked for a type without one.
template <class T>
constexpr void require_codec() {
    if constexpr (!has_codec<T>) {
        if constexpr (std::is_enum_v<T>) {
            static_assert(has_codec<T>,
                          "coflow: this enum has no codec: give it a fixed underlying type (enum E : int) or "
                          "specialise coflow::codec<E> for it");
        } else {
            static_assert(has_codec<T>,
                          "coflow: this type has no codec, so it cannot be saved: specialise coflow::codec<T> "
                          "for it (see coflow/codec.hpp); a container needs codecs for its element types");
        }
    }
}

/// How many elements a decoder reserves before it has read them: the count is checked against the bytes
/// left, but a hostile count must not buy a large allocation (growth past this is paid for by real bytes).
template <class T>
[[nodiscard]] constexpr std::size_t reserve_hint(std::size_t count) noexcept {
    return std::min(count, std::max<std::size_t>(1, 4096 / sizeof(T)));
}

[[nodiscard]] constexpr bool plain_byte(unsigned char c) noexcept {
    return c >= 0x21 && c <= 0x7E && c != '%' && c != '"' && c != '\\';
}

struct writer_access;
struct reader_access;

// plain_byte of each byte value: the reader's scans take one load a byte.
inline constexpr std::array<bool, 256> plain_bytes = [] {
    std::array<bool, 256> table{};
    for (std::size_t c = 0; c < table.size(); ++c) table[c] = plain_byte(static_cast<unsigned char>(c));
    return table;
}();

}  // namespace detail

}  // namespace coflow
