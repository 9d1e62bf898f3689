// coflow/codec.hpp: codec<T>, how a value is written to saved text and read back exactly.
// A customisation point with built-in codecs for arithmetic, enum, string, container and chrono types.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

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

/// Appends encoded values to a string. A codec's `encode` writes its value's parts with `write` (or,
/// for a shape of its own, with the building blocks below). Raises invalid_operation for a value nested
/// deeper than `max_depth` lists, maps and tuples, which a reader with the same limit would refuse: a
/// save that cannot be loaded fails when it is made (leaving part of the value in the string).
class writer {
public:
    static constexpr std::size_t default_max_depth = 256;

    /// Appends to `out`, which must outlive the writer.
    explicit writer(std::string& out, std::size_t max_depth = default_max_depth) noexcept
        : out_(&out), max_depth_(max_depth) {}

    /// Writes each value, in order, with its codec.
    template <class... Ts>
    void write(const Ts&... values) {
        (write_one(values), ...);
    }

    // Building blocks, for codecs of their own shape; each writes one token of the format above.
    void put_bool(bool v) { *out_ += v ? 't' : 'f'; }

    template <std::integral I>
    void put_integer(I v) {
        if constexpr (std::is_same_v<I, bool>) {
            put_bool(v);
        } else if constexpr (std::is_same_v<I, char>) {
            put_integer(static_cast<unsigned char>(v));  // char's signedness differs between platforms
        } else {
            char buf[24];  // 'i', up to 20 characters, ';': one append
            buf[0] = 'i';
            std::to_chars_result r{};
            if constexpr (std::is_signed_v<I>) r = std::to_chars(buf + 1, buf + 22, static_cast<long long>(v));
            else r = std::to_chars(buf + 1, buf + 22, static_cast<unsigned long long>(v));
            *r.ptr++ = ';';
            // (pointer, count): the (iterator, iterator) overload goes through replace()
            out_->append(buf, static_cast<std::size_t>(r.ptr - buf));
        }
    }

    template <std::floating_point F>
    void put_floating(F v) {
        *out_ += 'd';
        if (std::isnan(v)) {
            *out_ += std::signbit(v) ? "-nan" : "nan";
        } else if (std::isinf(v)) {
            *out_ += v < 0 ? "-inf" : "inf";
        } else {
            int shift = 0;
            // libstdc++'s from_chars refuses long doubles below the normal range: write a normal one.
            if constexpr (std::is_same_v<F, long double>) {
                if (std::fpclassify(v) == FP_SUBNORMAL) {
                    shift = std::numeric_limits<F>::digits;
                    v = std::ldexp(v, shift);
                }
            }
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, v);
            out_->append(buf, static_cast<std::size_t>(r.ptr - buf));
            if (shift != 0) {
                *out_ += "p-";
                *out_ += std::to_string(shift);
            }
        }
        *out_ += ';';
    }

    void put_bytes(std::string_view bytes) {
        static constexpr char hex[] = "0123456789ABCDEF";
        put_count('s', bytes.size());
        // Runs of plain bytes are appended whole: most strings (ids, names) are nothing else.
        for (std::size_t i = 0; i < bytes.size();) {
            std::size_t plain = i;
            while (plain < bytes.size() && detail::plain_byte(static_cast<unsigned char>(bytes[plain]))) ++plain;
            out_->append(bytes.data() + i, plain - i);
            if (plain == bytes.size()) break;
            const auto u = static_cast<unsigned char>(bytes[plain]);
            const char escaped[3] = {'%', hex[u >> 4], hex[u & 0xF]};
            out_->append(escaped, 3);
            i = plain + 1;
        }
    }

    /// A sequence of `count` values follows, then close_list().
    void open_list(std::size_t count) { open_counted('[', count); }
    void close_list() { close(']'); }
    /// `count` key-value pairs follow (key, value, key, value...), then close_map().
    void open_map(std::size_t count) { open_counted('{', count); }
    void close_map() { close('}'); }
    /// A fixed number of values follows, then close_tuple().
    void open_tuple() { open('('); }
    void close_tuple() { close(')'); }
    /// An optional: put_none(), or put_some() and then the value.
    void put_none() { *out_ += 'n'; }
    void put_some() { *out_ += 'o'; }

private:
    friend struct detail::writer_access;

    template <class T>
    void write_one(const T& v) {
        detail::require_codec<T>();
        if constexpr (has_codec<T>) codec<T>::encode(*this, v);
    }

    void open(char bracket) {
        enter();
        *out_ += bracket;
    }

    void enter() {
        if (depth_ == max_depth_) {
            detail::raise(invalid_operation("cannot save a value nested deeper than " + std::to_string(max_depth_) +
                                            " levels of lists, maps and tuples"));
        }
        ++depth_;
    }

    void close(char bracket) {
        --depth_;
        *out_ += bracket;
    }

    void open_counted(char bracket, std::size_t count) {
        enter();
        put_count(bracket, count);
    }

    // `tag`, the count in decimal, ':' (one append: no std::to_string temporary).
    void put_count(char tag, std::size_t count) {
        char buf[24];
        buf[0] = tag;
        char* end = std::to_chars(buf + 1, buf + sizeof buf - 1, count).ptr;
        *end++ = ':';
        out_->append(buf, static_cast<std::size_t>(end - buf));
    }

    std::string* out_;
    std::size_t depth_ = 0;
    std::size_t max_depth_;
};

/// Reads encoded values from text, checking every byte. A codec's `decode` reads its value's parts with
/// `read<T>()`, in the order `encode` wrote them. Text that does not fit raises invalid_save (errors.hpp)
/// naming the byte and what was expected there; nothing is allocated for a count the bytes left cannot
/// hold, and nesting deeper than `max_depth` lists, maps and tuples is refused, so that hostile text
/// cannot exhaust the stack through a recursive type.
class reader {
public:
    static constexpr std::size_t default_max_depth = 256;

    /// Reads `text`, which must outlive the reader. `first_byte` is the position of text[0] in its save,
    /// so that errors name the byte of the whole save.
    explicit reader(std::string_view text, std::size_t first_byte = 0,
                    std::size_t max_depth = default_max_depth) noexcept
        : text_(text), first_byte_(first_byte), max_depth_(max_depth) {}

    /// Reads one value with its codec.
    template <class T>
    [[nodiscard]] T read() {
        detail::require_codec<T>();
        if constexpr (has_codec<T>) return codec<T>::decode(*this);
        else std::abort();  // not compiled: require_codec stopped the build (this keeps its error the only one)
    }

    /// The position of the next byte in the save (first_byte + bytes read).
    [[nodiscard]] std::size_t position() const noexcept { return first_byte_ + pos_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return text_.size() - pos_; }
    [[nodiscard]] bool at_end() const noexcept { return pos_ == text_.size(); }

    /// Raises invalid_save: "at byte <position>: expected <expected>, found <what is there>".
    [[noreturn]] void fail(std::string_view expected) const {
        detail::raise(invalid_save(position(), "expected " + std::string(expected) + ", found " + found()));
    }

    /// Raises invalid_save: "at byte <position>: <message>", for a value read from `position` that does
    /// not fit its type (out of range, a duplicate key...). Codecs may use it to refuse a value.
    [[noreturn]] void fail_at(std::size_t position, std::string_view message) const {
        detail::raise(invalid_save(position, std::string(message)));
    }

    // Building blocks, the counterparts of writer's.
    [[nodiscard]] bool get_bool() {
        const int c = peek();
        if (c != 't' && c != 'f') fail("a bool ('t' or 'f')");
        ++pos_;
        return c == 't';
    }

    /// An integer of type I; errors name I.
    template <std::integral I>
    [[nodiscard]] I get_integer() {
        return integer<I>(&detail::type_name<I>, {});
    }

    /// An integer of type I; `type` names it in errors.
    template <std::integral I>
    [[nodiscard]] I get_integer(std::string_view type) {
        return integer<I>(nullptr, type);
    }

    /// A floating-point number of type F (NaN keeps its sign; infinities and -0.0 read back as written).
    template <std::floating_point F>
    [[nodiscard]] F get_floating() {
        const std::string_view type = detail::type_name<F>();
        const std::size_t start = pos_;
        if (peek() != 'd') fail("a floating-point number of type " + detail::quoted(type));
        ++pos_;
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] != ';' && detail::plain_byte(byte(pos_)) && pos_ - begin < 64)
            ++pos_;
        std::string_view token = text_.substr(begin, pos_ - begin);
        int shift = 0;
        if (const auto p = token.find('p'); p != std::string_view::npos) {
            const auto e = token.substr(p + 1);
            const auto r = std::from_chars(e.data(), e.data() + e.size(), shift);
            if (r.ec != std::errc{} || r.ptr != e.data() + e.size() || shift < -1024 * 64 || shift > 0)
                fail_at(first_byte_ + start, "a bad binary exponent in floating-point number " + detail::quoted(token));
            token = token.substr(0, p);
        }
        F value{};
        if (token == "nan" || token == "-nan") {
            value = std::copysign(std::numeric_limits<F>::quiet_NaN(), token[0] == '-' ? F(-1) : F(1));
        } else if (token == "inf" || token == "-inf") {
            value = token[0] == '-' ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
        } else {
            // Only the spellings written above: from_chars would also take "infinity" or "nan(0x1)".
            const bool letters = std::any_of(token.begin(), token.end(), [](char c) {
                return c != 'e' && c != 'E' && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
            });
            const auto r = letters ? std::from_chars_result{token.data(), std::errc::invalid_argument}
                                   : std::from_chars(token.data(), token.data() + token.size(), value);
            if (r.ec == std::errc::result_out_of_range) {
                fail_at(first_byte_ + start, "floating-point number " + detail::quoted(token) +
                                                 " is out of range for type " + detail::quoted(type));
            }
            if (r.ec != std::errc{} || r.ptr != token.data() + token.size()) {
                pos_ = begin;
                fail("a floating-point number of type " + detail::quoted(type));
            }
        }
        if (shift != 0) value = std::ldexp(value, shift);
        expect(';', "';' ending a floating-point number");
        return value;
    }

    /// Bytes, as written by put_bytes.
    [[nodiscard]] std::string get_bytes() {
        std::string out;
        get_bytes_into(out);
        return out;
    }

    /// Opens a sequence and returns its count of values.
    [[nodiscard]] std::size_t open_list() { return open_counted('[', 1, "a list", "values"); }
    void close_list() { close(']', "']' ending a list"); }
    /// Opens a map and returns its count of key-value pairs.
    [[nodiscard]] std::size_t open_map() { return open_counted('{', 2, "a map", "pairs"); }
    void close_map() { close('}', "'}' ending a map"); }
    void open_tuple() {
        if (peek() != '(') fail("a tuple ('(')");
        enter();
    }
    void close_tuple() { close(')', "')' ending a tuple"); }
    /// Reads an optional's marker: true when a value follows.
    [[nodiscard]] bool get_optional() {
        const int c = peek();
        if (c != 'n' && c != 'o') fail("an optional ('n' for none, 'o' before a value)");
        ++pos_;
        return c == 'o';
    }

private:
    friend struct detail::reader_access;

    // An integer of type I, named in errors by `name()` or, when `name` is null, by `given`: the name is
    // worked out only for an error (type_name reads it from the compiler's function signature each call).
    template <std::integral I>
    [[nodiscard]] I integer(std::string_view (*name)() noexcept, std::string_view given) {
        if constexpr (std::is_same_v<I, bool>) {
            return get_bool();
        } else if constexpr (std::is_same_v<I, char>) {
            return static_cast<char>(integer<unsigned char>(name, given));
        } else {
            const auto type = [&] { return detail::quoted(name ? name() : given); };
            const std::size_t start = pos_;
            if (peek() != 'i') fail("an integer of type " + type());
            ++pos_;
            const bool negative = peek() == '-';
            if (negative) ++pos_;
            const std::size_t digits = pos_;
            unsigned long long magnitude = 0;
            bool fits = take_digits(digits, magnitude);
            if (pos_ == digits) fail("the digits of an integer of type " + type());
            I value{};
            if (fits && negative) {
                if constexpr (std::is_signed_v<I>) {
                    // -(min + 1) + 1 is |min|, computed without overflow.
                    constexpr auto limit =
                        static_cast<unsigned long long>(-(std::numeric_limits<I>::min() + 1)) + 1;
                    fits = magnitude <= limit;
                    if (fits) value = magnitude == 0 ? I{} : static_cast<I>(-static_cast<I>(magnitude - 1) - 1);
                } else {
                    fits = false;
                }
            } else if (fits) {
                fits = magnitude <= static_cast<unsigned long long>(std::numeric_limits<I>::max());
                if (fits) value = static_cast<I>(magnitude);
            }
            if (!fits) {
                fail_at(first_byte_ + start, "integer " + std::string(text_.substr(start + 1, pos_ - start - 1)) +
                                                 " is out of range for type " + type());
            }
            if (peek() != ';') fail("';' ending an integer");
            ++pos_;
            return value;
        }
    }

    // Moves past the digits at pos_ (which is `begin`), summing them into `value`; false when they do not
    // fit 64 bits. Up to 19 digits always fit; longer runs (leading zeros, or too large) go through
    // from_chars.
    [[nodiscard]] bool take_digits(std::size_t begin, unsigned long long& value) noexcept {
        unsigned long long v = 0;
        while (pos_ < text_.size()) {
            const unsigned digit = static_cast<unsigned>(byte(pos_)) - unsigned{'0'};
            if (digit > 9) break;
            v = v * 10 + digit;  // unsigned: past 19 digits it wraps, and from_chars reads them again
            ++pos_;
        }
        if (pos_ - begin <= 19) {
            value = v;
            return true;
        }
        return std::from_chars(text_.data() + begin, text_.data() + pos_, value).ec == std::errc{};
    }

    // Bytes, as written by put_bytes, into `out` (its storage reused).
    void get_bytes_into(std::string& out) {
        const std::size_t count = open_bytes();
        const std::size_t plain = plain_run(count);
        out.assign(text_.data() + pos_, plain);
        pos_ += plain;
        if (plain != count) decode_bytes(out, count, plain);
    }

    // Bytes, as written by put_bytes: a view of the text when they are all plain (no %XX), else of
    // `scratch`, decoded. Valid while the text and `scratch` are.
    [[nodiscard]] std::string_view get_bytes_view(std::string& scratch) {
        const std::size_t count = open_bytes();
        const std::size_t plain = plain_run(count);
        if (plain == count) {
            pos_ += count;
            return text_.substr(pos_ - count, count);
        }
        scratch.assign(text_.data() + pos_, plain);
        pos_ += plain;
        decode_bytes(scratch, count, plain);
        return scratch;
    }

    // "s<count>:": the count of bytes that follows.
    [[nodiscard]] std::size_t open_bytes() {
        if (peek() != 's') fail("a string");
        ++pos_;
        return get_count(1, "a string", "bytes");
    }

    // How many of the next `count` bytes are plain, from pos_ on.
    [[nodiscard]] std::size_t plain_run(std::size_t count) const noexcept {
        const std::size_t limit = pos_ + std::min(count, text_.size() - pos_);
        std::size_t plain = pos_;
        while (plain < limit && detail::plain_bytes[byte(plain)]) ++plain;
        return plain - pos_;
    }

    // The rest of a string of `count` bytes, of which `out` holds the first `done`.
    void decode_bytes(std::string& out, std::size_t count, std::size_t done) {
        out.reserve(count);
        for (std::size_t i = done; i < count; ++i) {
            // Runs of plain bytes are taken whole: most strings (ids, names) are nothing else.
            const std::size_t plain = plain_run(count - i);
            if (plain > 0) {
                out.append(text_.data() + pos_, plain);
                i += plain - 1;
                pos_ += plain;
                continue;
            }
            const int c = peek();
            if (c == '%') {
                const int hi = hex_digit(pos_ + 1), lo = hex_digit(pos_ + 2);
                if (hi < 0 || lo < 0) {
                    pos_ += hi < 0 ? 1 : 2;
                    fail("two hex digits after '%' in a string");
                }
                out += static_cast<char>(hi * 16 + lo);
                pos_ += 3;
            } else {
                fail("byte " + std::to_string(i + 1) + " of a string of " + std::to_string(count) +
                     " (a printable byte or %XX)");
            }
        }
    }

    [[nodiscard]] unsigned char byte(std::size_t i) const noexcept { return static_cast<unsigned char>(text_[i]); }
    [[nodiscard]] int peek() const noexcept { return pos_ < text_.size() ? byte(pos_) : -1; }

    [[nodiscard]] int hex_digit(std::size_t i) const noexcept {
        if (i >= text_.size()) return -1;
        const char c = text_[i];
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    }

    [[nodiscard]] std::string found() const {
        const int c = peek();
        if (c < 0) return "the end of the input";
        if (c >= 0x21 && c <= 0x7E) return std::string{'\'', static_cast<char>(c), '\''};
        static constexpr char hex[] = "0123456789ABCDEF";
        return std::string("byte 0x") + hex[c >> 4] + hex[c & 0xF];
    }

    void expect(char c, std::string_view what) {
        if (peek() != c) fail(what);
        ++pos_;
    }

    // "<count>:" after a tag; each of the count items needs at least `min_bytes` of what is left.
    [[nodiscard]] std::size_t get_count(std::size_t min_bytes, std::string_view what, std::string_view unit) {
        const std::size_t start = pos_;
        unsigned long long digits = 0;
        bool fits = take_digits(start, digits);
        if (pos_ == start) fail("the count of " + std::string(what));
        if constexpr (sizeof(std::size_t) < sizeof(unsigned long long))
            fits = fits && digits <= std::numeric_limits<std::size_t>::max();
        if (!fits) fail_at(first_byte_ + start, "the count of " + std::string(what) + " is too large");
        const auto count = static_cast<std::size_t>(digits);
        if (peek() != ':') fail("':' after the count of " + std::string(what));  // the message made only then
        ++pos_;
        if (count > remaining() / min_bytes) {
            fail_at(first_byte_ + start, std::string(what) + " of " + std::to_string(count) + " " +
                                             std::string(unit) + " cannot fit in the " +
                                             std::to_string(remaining()) + " bytes left");
        }
        return count;
    }

    void enter() {
        if (depth_ == max_depth_) {
            fail_at(position(), "values nested deeper than " + std::to_string(max_depth_) + " levels");
        }
        ++depth_;
        ++pos_;
    }

    [[nodiscard]] std::size_t open_counted(char open, std::size_t min_bytes, std::string_view what,
                                           std::string_view unit) {
        if (peek() != open) fail(std::string(what) + " ('" + open + "')");
        enter();
        return get_count(min_bytes, what, unit);
    }

    void close(char c, std::string_view what) {
        expect(c, what);
        --depth_;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t first_byte_;
    std::size_t depth_ = 0;
    std::size_t max_depth_;
};

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

namespace detail {
struct writer_access {
    static void append_encoded(writer& w, std::string_view text) { w.out_->append(text); }
};

// What a load reads in place, without a value of its own (save.hpp's records).
struct reader_access {
    /// A string into `out`, its storage reused (as codec<std::string> would read it).
    static void bytes_into(reader& r, std::string& out) { r.get_bytes_into(out); }
    /// A string, as a view of the text or, when it holds %XX, of `scratch`.
    [[nodiscard]] static std::string_view bytes_view(reader& r, std::string& scratch) { return r.get_bytes_view(scratch); }
};
}  // namespace detail

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
