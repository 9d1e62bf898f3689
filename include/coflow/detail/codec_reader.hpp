// coflow/detail/codec_reader.hpp: coflow::reader, which reads encoded values back, checking every byte (codec.hpp).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <coflow/detail/codec_concept.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/errors.hpp>

namespace coflow {

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

namespace detail {
// What a load reads in place, without a value of its own (detail/save_reader.hpp's records).
struct reader_access {
    /// A string into `out`, its storage reused (as codec<std::string> would read it).
    static void bytes_into(reader& r, std::string& out) { r.get_bytes_into(out); }
    /// A string, as a view of the text or, when it holds %XX, of `scratch`.
    [[nodiscard]] static std::string_view bytes_view(reader& r, std::string& scratch) { return r.get_bytes_view(scratch); }
};
}  // namespace detail

}  // namespace coflow
