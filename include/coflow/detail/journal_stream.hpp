// coflow/detail/journal_stream.hpp: a journal's stream (journal.hpp, without histories in memory). A run
// that the journal's file holds has its events encoded as they happen, and a named signal's two events
// (accepted, handled) are encoded without ever being a history_event, as the short records 'a' and 'h'
// (detail/journal_format.hpp): that is most of what a busy run records. Members of detail::engine.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <coflow/codec.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/history_text.hpp>

namespace coflow::detail {

inline void engine::keep_last_event(history& h) noexcept {
    if (h.events.size() < 2) return;
    h.first_event += h.events.size() - 1;
    h.events.erase(h.events.begin(), h.events.end() - 1);
}

inline void engine::streamed(instance_base& in, std::size_t at) {
    sink_->stream_bytes[in.x->journal_ordinal - 1] += sink_->stream.size() - at;
    mark_dirty(in);
    history& h = *in.hist;
    h.first_event += h.events.size() + 1;  // this event, and the one memory held: both are in the stream
    h.events.clear();
}

namespace stream_detail {

// The tokens of coflow::writer, written by pointer into room made beforehand.

inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The decimal digits of u, two at a time from the end (as std::to_chars, without the call).
[[nodiscard]] inline char* decimal(char* p, std::uint64_t u) noexcept {
    std::size_t len = 1;
    for (std::uint64_t t = u; t >= 10; t /= 10) ++len;
    char* const end = p + len;
    char* q = end;
    while (u >= 100) {
        const std::size_t r = static_cast<std::size_t>(u % 100) * 2;
        u /= 100;
        q -= 2;
        q[0] = digit_pairs[r];
        q[1] = digit_pairs[r + 1];
    }
    if (u >= 10) {
        q[-2] = digit_pairs[u * 2];
        q[-1] = digit_pairs[u * 2 + 1];
    } else {
        q[-1] = static_cast<char>('0' + u);
    }
    return end;
}

template <class I>
[[nodiscard]] inline char* number(char* p, I v) noexcept {
    using U = std::make_unsigned_t<I>;
    if (static_cast<U>(v) < 10) {  // most ordinals, times on a game's clock, indexes, counts and lengths
        *p = static_cast<char>('0' + static_cast<U>(v));
        return p + 1;
    }
    if constexpr (std::is_signed_v<I>) {
        if (v < 0) {
            *p++ = '-';
            return decimal(p, static_cast<U>(U{0} - static_cast<U>(v)));
        }
    }
    return decimal(p, static_cast<U>(v));
}
template <class I>
[[nodiscard]] inline char* integer(char* p, I v) noexcept {  // writer::put_integer
    *p++ = 'i';
    p = number(p, v);
    *p++ = ';';
    return p;
}
[[nodiscard]] inline char* bytes(char* p, std::string_view s) noexcept {  // writer::put_bytes
    static constexpr char hex[] = "0123456789ABCDEF";
    *p++ = 's';
    p = number(p, s.size());
    *p++ = ':';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (plain_bytes[u]) {
            *p++ = c;
        } else {
            p[0] = '%';
            p[1] = hex[u >> 4];
            p[2] = hex[u & 0xF];
            p += 3;
        }
    }
    return p;
}
inline constexpr std::size_t integer_most = 22;
[[nodiscard]] constexpr std::size_t bytes_most(std::size_t n) noexcept { return 22 + 3 * n; }

// "<tag> <ordinal> <time> <signal index> ", the start of an 'a' or 'h' record.
[[nodiscard]] inline char* open_record(char* p, char tag, const instance_base& in, std::int64_t time,
                                       std::uint32_t index) noexcept {
    *p++ = tag;
    *p++ = ' ';
    p = integer(p, static_cast<std::uint64_t>(in.x->journal_ordinal - 1));
    p = integer(p, time);
    return integer(p, std::uint64_t{index});
}

// An integer whose text and codec are the library's: its record is its digits, written once.
template <class T>
concept plain_integer = std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                        requires { typename history_text<T>::library_default; typename codec<T>::library_integer; };
template <class Tuple>
struct plain_integers : std::false_type {};
template <class... Ts>
struct plain_integers<std::tuple<Ts...>>
    : std::bool_constant<(sizeof...(Ts) > 0) && (plain_integer<std::remove_cvref_t<Ts>> && ...)> {};

template <class Tuple>
struct encodable : std::false_type {};
template <class... Ts>
struct encodable<std::tuple<Ts...>>
    : std::bool_constant<((has_codec<std::remove_cvref_t<Ts>> && std::is_copy_constructible_v<std::remove_cvref_t<Ts>>) &&
                          ...)> {};
}  // namespace stream_detail

// a <ordinal> <time> <signal index> [<each argument's text>] (<the arguments, encoded>)
template <class Tuple>
bool engine::stream_accepted(instance_base& in, std::uint32_t index, const Tuple& args) {
    // As record_accepted records it: a self-sent signal, a closed history or arguments a load could not
    // read back take record()'s way (whose write_event says what is wrong).
    if constexpr (!stream_detail::encodable<std::remove_cv_t<Tuple>>::value) {
        return false;
    } else {
        if (self_sender_ == &in || history_closed(*in.hist)) return false;
        constexpr std::size_t n = std::tuple_size_v<Tuple>;
        if constexpr (stream_detail::plain_integers<std::remove_cv_t<Tuple>>::value) {
            const std::size_t at = sink_->stream.size();
            char* p = sink_->stream.room(2 + 3 * stream_detail::integer_most + 22 + n * 2 * (22 + 20) + 4);
            p = stream_detail::open_record(p, 'a', in, ex_->now().time_since_epoch().count(), index);
            *p++ = '[';
            p = stream_detail::number(p, n);
            *p++ = ':';
            char digits[n][21];  // each argument's digits, written once for its text and its encoding
            std::size_t lengths[n];
            std::size_t k = 0;
            std::apply([&](const auto&... v) {
                ((lengths[k] = static_cast<std::size_t>(stream_detail::number(digits[k], v) - digits[k]), ++k), ...);
            }, args);
            for (k = 0; k < n; ++k) {
                *p++ = 's';
                p = stream_detail::number(p, lengths[k]);
                *p++ = ':';
                for (std::size_t d = 0; d < lengths[k]; ++d) *p++ = digits[k][d];  // a few: no memcpy call
            }
            *p++ = ']';
            *p++ = '(';
            for (k = 0; k < n; ++k) {
                *p++ = 'i';
                for (std::size_t d = 0; d < lengths[k]; ++d) *p++ = digits[k][d];
                *p++ = ';';
            }
            *p++ = ')';
            *p++ = '\n';
            sink_->stream.commit(p);
            streamed(in, at);
            return true;
        }
        // Each argument's text (history_text) and encoding (its codec), into scratch space first: their
        // lengths bound the record.
        std::string& text = sink_->scratch;
        text.clear();
        std::size_t ends[n + 1] = {};
        const bool encoded = guarded(
            [&] {
                std::size_t k = 0;
                (void)k;  // no arguments
                std::apply([&](const auto&... v) {
                    ((history_text<std::remove_cvref_t<decltype(v)>>::write(text, v), ends[++k] = text.size()), ...);
                }, args);
                writer w(text);
                std::apply([&](const auto&... v) { w.write(v...); }, args);
                return true;
            },
            [](std::exception_ptr) { return false; });
        if (!encoded) return false;
        const std::size_t texts = ends[n];
        const std::size_t at = sink_->stream.size();
        char* p = sink_->stream.room(2 + 3 * stream_detail::integer_most + 22 + n * 22 + 3 * texts +
                                     (text.size() - texts) + 4);
        p = stream_detail::open_record(p, 'a', in, ex_->now().time_since_epoch().count(), index);
        *p++ = '[';
        p = stream_detail::number(p, n);
        *p++ = ':';
        for (std::size_t k = 0; k < n; ++k)
            p = stream_detail::bytes(p, std::string_view(text.data() + ends[k], ends[k + 1] - ends[k]));
        *p++ = ']';
        *p++ = '(';
        std::memcpy(p, text.data() + texts, text.size() - texts);
        p += text.size() - texts;
        *p++ = ')';
        *p++ = '\n';
        sink_->stream.commit(p);
        streamed(in, at);
        return true;
    }
}

// h <ordinal> <time> <signal index> <count of signals the run handled, this one included>
inline void engine::stream_handled(instance_base& in, std::uint32_t index, std::uint64_t count) {
    const std::size_t at = sink_->stream.size();
    char* p = sink_->stream.room(2 + 4 * stream_detail::integer_most + 1);
    p = stream_detail::open_record(p, 'h', in, ex_->now().time_since_epoch().count(), index);
    p = stream_detail::integer(p, count);
    *p++ = '\n';
    sink_->stream.commit(p);
    streamed(in, at);
}

}  // namespace coflow::detail
