// coflow/detail/codec_writer.hpp: coflow::writer, which appends encoded values to a string (codec.hpp).
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <coflow/detail/codec_concept.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>

namespace coflow {

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

namespace detail {
struct writer_access {
    static void append_encoded(writer& w, std::string_view text) { w.out_->append(text); }
};
}  // namespace detail

}  // namespace coflow
