// Values that round-trip: codec<T> for built-in and user types, and typed errors for bad saved text.
#include <coflow/codec.hpp>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "coflow_catch.hpp"

namespace {

struct point {
    int x, y;
    bool operator==(const point&) const = default;
};

// A recursive type: its depth comes from the text, not from the type.
struct tree {
    std::vector<tree> children;
    bool operator==(const tree&) const = default;
};

struct no_codec {};
enum unfixed { unfixed_a, unfixed_b };
enum class mode : std::uint8_t { idle, busy = 200 };
enum plain_fixed : long long { far_away = std::numeric_limits<long long>::min() };

}  // namespace

template <>
struct coflow::codec<point> {
    static void encode(coflow::writer& w, const point& p) { w.write(p.x, p.y); }
    static point decode(coflow::reader& r) { return point{r.read<int>(), r.read<int>()}; }
};

template <>
struct coflow::codec<tree> {
    static void encode(coflow::writer& w, const tree& t) { w.write(t.children); }
    static tree decode(coflow::reader& r) { return tree{r.read<std::vector<tree>>()}; }
};

static_assert(coflow::has_codec_v<int>);
static_assert(coflow::has_codec_v<long double>);
static_assert(coflow::has_codec_v<mode>);
static_assert(coflow::has_codec_v<plain_fixed>);
static_assert(!coflow::has_codec_v<unfixed>, "an enum without a fixed type could decode to a value it cannot hold");
static_assert(coflow::has_codec_v<point>);
static_assert(coflow::has_codec_v<tree>);
static_assert(!coflow::has_codec_v<no_codec>);
static_assert(coflow::has_codec_v<std::map<std::string, std::vector<std::optional<point>>>>);
static_assert(!coflow::has_codec_v<std::vector<no_codec>>, "a container has a codec only if its elements do");
static_assert(!coflow::has_codec_v<std::map<int, no_codec>>);
static_assert(!coflow::has_codec_v<std::optional<std::pair<int, no_codec>>>);
static_assert(!coflow::has_codec_v<std::tuple<int, no_codec>>);
static_assert(!coflow::has_codec_v<std::variant<int, unfixed>>);
static_assert(!coflow::has_codec_v<std::chrono::duration<no_codec>>);
static_assert(coflow::has_codec_v<std::tuple<>>);
static_assert(coflow::has_codec_v<std::monostate>);
static_assert(!coflow::has_codec_v<std::string_view>, "nothing would own the bytes a string_view decodes to");
static_assert(!coflow::has_codec_v<int*>);

namespace {

// Encoded text fits on a journal line and inside a JSON string with no escaping.
bool embeddable(const std::string& text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7E || c == '"' || c == '\\') return false;
    }
    return true;
}

template <class T>
T round_trip(const T& value) {
    const std::string text = coflow::encode(value);
    INFO("encoded: " << text);
    CHECK(embeddable(text));
    return coflow::decode<T>(text);
}

// Decoding `text` as T raises invalid_save at `position`, with a message naming it and containing `words`.
template <class T>
void expect_invalid(const std::string& text, std::size_t position, const std::string& words) {
    INFO("text: " << text);
    try {
        (void)coflow::decode<T>(text);
        FAIL("decoded without an error");
    } catch (const coflow::invalid_save& e) {
        const std::string what = e.what();
        INFO("what(): " << what);
        CHECK(e.code() == coflow::errc::invalid_save);
        CHECK(e.position() == position);
        CHECK(what.find("[coflow.invalid_save] at byte " + std::to_string(position) + ": ") == 0);
        CHECK(what.find(words) != std::string::npos);
    }
}

template <class T>
void check_integer_limits() {
    INFO("type: " << coflow::detail::type_name<T>());
    for (T v : {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T{}, T(1)}) CHECK(round_trip(v) == v);
    using wider = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
    if constexpr (sizeof(T) < sizeof(long long)) {
        // One past each end is refused, not wrapped.
        const auto past_max = std::to_string(static_cast<wider>(std::numeric_limits<T>::max()) + 1);
        if constexpr (!std::is_same_v<T, char>) expect_invalid<T>("i" + past_max + ";", 0, "out of range");
        if constexpr (std::is_signed_v<T>) {
            const auto past_min = std::to_string(static_cast<long long>(std::numeric_limits<T>::min()) - 1);
            expect_invalid<T>("i" + past_min + ";", 0, "out of range");
        }
    }
    if constexpr (std::is_unsigned_v<T>) expect_invalid<T>("i-1;", 0, "out of range");
}

template <class F>
void check_floating_edges() {
    using lim = std::numeric_limits<F>;
    INFO("type: " << coflow::detail::type_name<F>());
    for (F v : {F(0.1), F(1) / F(3), F(-2.5), lim::max(), lim::lowest(), lim::min(), lim::denorm_min(),
                -lim::denorm_min(), lim::epsilon(), F(1e-300L), F(123456789.0L), lim::infinity(), -lim::infinity()}) {
        INFO("value: " << coflow::encode(v));
        CHECK(round_trip(v) == v);
    }
    const F negative_zero = round_trip(F(-0.0));
    CHECK(negative_zero == 0);
    CHECK(std::signbit(negative_zero));
    CHECK_FALSE(std::signbit(round_trip(F(0.0))));
    const F nan = round_trip(lim::quiet_NaN());
    CHECK(std::isnan(nan));
    CHECK_FALSE(std::signbit(nan));
    const F negative_nan = round_trip(-lim::quiet_NaN());
    CHECK(std::isnan(negative_nan));
    CHECK(std::signbit(negative_nan));
}

}  // namespace

TEST_CASE("every integer type round-trips its minimum, maximum and zero, and refuses what it cannot hold",
          "[codec]") {
    check_integer_limits<char>();
    check_integer_limits<signed char>();
    check_integer_limits<unsigned char>();
    check_integer_limits<wchar_t>();
    check_integer_limits<char8_t>();
    check_integer_limits<char16_t>();
    check_integer_limits<char32_t>();
    check_integer_limits<short>();
    check_integer_limits<unsigned short>();
    check_integer_limits<int>();
    check_integer_limits<unsigned>();
    check_integer_limits<long>();
    check_integer_limits<unsigned long>();
    check_integer_limits<long long>();
    check_integer_limits<unsigned long long>();
    CHECK(coflow::encode(std::numeric_limits<long long>::min()) == "i-9223372036854775808;");
    expect_invalid<long long>("i-9223372036854775809;", 0, "integer -9223372036854775809 is out of range");
    expect_invalid<unsigned long long>("i18446744073709551616;", 0, "out of range for type");
    expect_invalid<int>("i99999999999999999999999999;", 0, "out of range");
    CHECK(round_trip(true));
    CHECK_FALSE(round_trip(false));
    CHECK(coflow::encode(true) == "t");
}

TEST_CASE("issue 15: integers and counts of more than 19 digits read as their value, up to the 64-bit limit",
          "[codec][regression]") {
    // A reader sums up to 19 digits itself (they always fit); longer ones, leading zeros included, must
    // still read as written, and errors name the type whether the caller named it or not.
    const std::string zeros(12, '0');
    CHECK(coflow::decode<unsigned long long>("i" + zeros + "18446744073709551615;") ==
          std::numeric_limits<unsigned long long>::max());
    CHECK(coflow::decode<long long>("i-" + zeros + "9223372036854775808;") == std::numeric_limits<long long>::min());
    CHECK(coflow::decode<int>("i" + zeros + zeros + "42;") == 42);
    expect_invalid<unsigned long long>("i" + zeros + "18446744073709551616;", 0, "out of range for type");
    CHECK(coflow::decode<std::string>("s" + zeros + "3:abc") == "abc");
    CHECK(coflow::decode<std::vector<int>>("[" + zeros + zeros + "1:i7;]") == std::vector<int>{7});
    expect_invalid<std::vector<int>>("[" + zeros + "18446744073709551616:]", 1, "the count of a list is too large");
    expect_invalid<mode>("i256;", 0, "integer 256 is out of range for type '" +
                                         std::string(coflow::detail::type_name<mode>()) + "'");
    expect_invalid<mode>("s1:a", 0, "expected an integer of type '" + std::string(coflow::detail::type_name<mode>()));
}

TEST_CASE("a char is saved as its byte 0..255, the same where char is signed and where it is not", "[codec]") {
    CHECK(coflow::encode('\xff') == "i255;");
    CHECK(coflow::encode('A') == "i65;");
    CHECK(coflow::decode<char>("i255;") == '\xff');
    expect_invalid<char>("i256;", 0, "out of range for type 'char'");
    expect_invalid<char>("i-1;", 0, "out of range for type 'char'");
}

TEST_CASE("floating-point numbers round-trip exactly, as do infinities, -0.0 and NaN with its sign", "[codec]") {
    check_floating_edges<float>();
    check_floating_edges<double>();
    check_floating_edges<long double>();
    CHECK(coflow::encode(0.1) == "d0.1;");
    CHECK(coflow::encode(0.1f) == "d0.1;");
    CHECK(coflow::encode(-0.0) == "d-0;");
    CHECK(coflow::encode(std::numeric_limits<double>::denorm_min()) == "d5e-324;");
    CHECK(coflow::encode(std::numeric_limits<double>::infinity()) == "dinf;");
    CHECK(coflow::encode(-std::numeric_limits<double>::quiet_NaN()) == "d-nan;");
    // Text written for a double reads as the nearest float.
    CHECK(coflow::decode<float>("d0.1;") == 0.1f);
}

TEST_CASE("random bit patterns of double and float round-trip bit for bit", "[codec]") {
    std::mt19937_64 rng(15);
    for (int i = 0; i < 20000; ++i) {
        const auto bits = rng();
        const auto d = std::bit_cast<double>(bits);
        const auto d2 = coflow::decode<double>(coflow::encode(d));
        if (std::isnan(d)) {
            CHECK(std::isnan(d2));
            CHECK(std::signbit(d2) == std::signbit(d));
        } else {
            REQUIRE(std::bit_cast<std::uint64_t>(d2) == bits);
        }
        const auto f = std::bit_cast<float>(static_cast<std::uint32_t>(bits >> 32));
        const auto f2 = coflow::decode<float>(coflow::encode(f));
        if (!std::isnan(f)) REQUIRE(std::bit_cast<std::uint32_t>(f2) == std::bit_cast<std::uint32_t>(f));
    }
}

TEST_CASE("strings hold any bytes: empty, NUL, invalid UTF-8 and every byte value", "[codec]") {
    CHECK(round_trip(std::string()).empty());
    CHECK(coflow::encode(std::string()) == "s0:");
    const std::string with_nul("a\0b", 3);
    CHECK(round_trip(with_nul) == with_nul);
    CHECK(coflow::encode(with_nul) == "s3:a%00b");
    const std::string invalid_utf8 = "\xff\xfe\xc0\x80\xed\xa0\x80";
    CHECK(round_trip(invalid_utf8) == invalid_utf8);
    std::string every_byte;
    for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
    CHECK(round_trip(every_byte) == every_byte);
    const std::string awkward = "quote\" backslash\\ percent% newline\n tab\t";
    CHECK(round_trip(awkward) == awkward);
    CHECK(coflow::decode<std::string>("s2:%4a%4B") == "JK");  // escapes need not be canonical
}

TEST_CASE("enums round-trip through their underlying type", "[codec]") {
    CHECK(round_trip(mode::busy) == mode::busy);
    CHECK(coflow::encode(mode::busy) == "i200;");
    CHECK(round_trip(far_away) == far_away);
    expect_invalid<mode>("i256;", 0, "mode'");
}

TEST_CASE("containers round-trip, nested and empty", "[codec]") {
    const std::vector<std::vector<int>> nested{{}, {1}, {2, 3}};
    CHECK(round_trip(nested) == nested);
    CHECK(coflow::encode(nested) == "[3:[0:][1:i1;][2:i2;i3;]]");
    const std::vector<bool> bits{true, false, true};
    CHECK(round_trip(bits) == bits);
    const std::map<std::string, std::vector<std::optional<int>>> m{{"", {}}, {"a", {std::nullopt, 7}}};
    CHECK(round_trip(m) == m);
    const std::unordered_map<int, std::string> um{{1, "one"}, {-2, "minus two"}, {3, ""}};
    CHECK(round_trip(um) == um);
    const std::pair<std::string, double> p{"pi", 3.14159};
    CHECK(round_trip(p) == p);
    const std::tuple<int, std::optional<bool>, std::tuple<>, std::monostate> t{-1, false, {}, {}};
    CHECK(round_trip(t) == t);
    CHECK(coflow::encode(t) == "(i-1;of()())");
    const std::optional<std::optional<int>> inner_empty{std::optional<int>{}};
    CHECK(round_trip(inner_empty) == inner_empty);
    CHECK(coflow::encode(inner_empty) == "on");
    const std::array<point, 2> a{point{1, 2}, point{3, 4}};
    CHECK(round_trip(a) == a);
    using var = std::variant<std::monostate, int, std::string, std::vector<int>>;
    for (const var& v : {var{}, var{5}, var{std::string("x")}, var{std::vector<int>{1, 2}}}) CHECK(round_trip(v) == v);
    CHECK(coflow::encode(var{std::string("x")}) == "(i2;s1:x)");
}

TEST_CASE("equal unordered_maps are written alike, whatever their bucket order", "[codec]") {
    std::unordered_map<std::string, int> a, b;
    for (int i = 0; i < 100; ++i) a.emplace("key" + std::to_string(i), i);
    b.reserve(1000);
    for (int i = 99; i >= 0; --i) b.emplace("key" + std::to_string(i), i);
    REQUIRE(a == b);
    CHECK(coflow::encode(a) == coflow::encode(b));
}

TEST_CASE("durations and time points round-trip with their own representation", "[codec]") {
    using namespace std::chrono;
    CHECK(round_trip(milliseconds(-1500)) == milliseconds(-1500));
    CHECK(round_trip(nanoseconds::max()) == nanoseconds::max());
    CHECK(round_trip(nanoseconds::min()) == nanoseconds::min());
    CHECK(round_trip(duration<double>(0.1)) == duration<double>(0.1));
    CHECK(coflow::encode(seconds(3)) == "i3;");
    const auto now = system_clock::now();
    CHECK(round_trip(now) == now);
    const steady_clock::time_point then{hours(5)};
    CHECK(round_trip(then) == then);
    const time_point<steady_clock, duration<float, std::milli>> fractional{duration<float, std::milli>(2.5f)};
    CHECK(round_trip(fractional) == fractional);
}

TEST_CASE("a user's codec round-trips alone and inside built-in containers", "[codec]") {
    CHECK(round_trip(point{-3, 4}) == point{-3, 4});
    CHECK(coflow::encode(point{-3, 4}) == "i-3;i4;");
    const std::map<int, std::vector<point>> m{{1, {{1, 2}, {3, 4}}}, {2, {}}};
    CHECK(round_trip(m) == m);
    const tree t{{tree{}, tree{{tree{}}}}};
    CHECK(round_trip(t) == t);
}

TEST_CASE("a recursive type cannot nest deeper than the reader allows", "[codec]") {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "[1:";
    expect_invalid<tree>(deep, 256 * 3, "values nested deeper than 256 levels");
    // A legitimate depth below the limit reads fine, and the limit is the reader's to set.
    std::string ok;
    for (int i = 0; i < 200; ++i) ok += "[1:";
    ok += "[0:]";
    for (int i = 0; i < 200; ++i) ok += "]";
    CHECK_NOTHROW(coflow::decode<tree>(ok));
    coflow::reader shallow(ok, 0, 10);
    CHECK_THROWS_AS(shallow.read<tree>(), coflow::invalid_save);
}

TEST_CASE("a value nested deeper than a reader allows cannot be saved either", "[codec]") {
    tree t;
    tree* leaf = &t;
    for (int i = 0; i < 300; ++i) leaf = &leaf->children.emplace_back();
    try {
        (void)coflow::encode(t);
        FAIL("saved a value that no default reader could load");
    } catch (const coflow::invalid_operation& e) {
        CHECK(std::string(e.what()).find("cannot save a value nested deeper than 256 levels") != std::string::npos);
    }
    std::string text;
    coflow::writer(text, 400).write(t);
    CHECK(coflow::reader(text, 0, 400).read<tree>() == t);
}

TEST_CASE("bad input raises invalid_save naming the byte and what was expected there", "[codec]") {
    SECTION("truncated") {
        expect_invalid<int>("", 0, "expected an integer of type 'int', found the end of the input");
        expect_invalid<int>("i12", 3, "expected ';' ending an integer, found the end of the input");
        expect_invalid<std::string>("s3:ab", 1, "a string of 3 bytes cannot fit in the 2 bytes left");
        expect_invalid<std::vector<int>>("[2:i1;i2;", 9, "expected ']' ending a list, found the end");
        expect_invalid<std::pair<int, int>>("(i1;", 4, "expected an integer of type 'int'");
        expect_invalid<std::optional<int>>("o", 1, "expected an integer");
        expect_invalid<double>("d1.5", 4, "expected ';' ending a floating-point number");
    }
    SECTION("corrupted or hand-edited") {
        expect_invalid<bool>("x", 0, "expected a bool ('t' or 'f'), found 'x'");
        expect_invalid<int>("i1x;", 2, "expected ';' ending an integer, found 'x'");
        expect_invalid<int>("i;", 1, "expected the digits of an integer of type 'int', found ';'");
        expect_invalid<int>("i+1;", 1, "found '+'");
        expect_invalid<double>("d1.2.3;", 1, "expected a floating-point number of type 'double', found '1'");
        expect_invalid<double>("dinfinity;", 1, "expected a floating-point number");
        expect_invalid<double>("d;", 1, "expected a floating-point number");
        expect_invalid<std::string>("s1:%G0", 4, "expected two hex digits after '%'");
        expect_invalid<std::string>("s2:a b", 4, "expected byte 2 of a string of 2 (a printable byte or %XX), found byte 0x20");
        expect_invalid<std::string>(std::string("s1:\n"), 3, "found byte 0x0A");
        expect_invalid<std::vector<int>>("[1:i1;i2;]", 6, "expected ']' ending a list, found 'i'");
        expect_invalid<std::vector<int>>("[x:]", 1, "expected the count of a list, found 'x'");
        expect_invalid<std::vector<int>>("[1i1;]", 2, "expected ':' after the count of a list, found 'i'");
        expect_invalid<std::map<int, int>>("{2:i1;i1;i1;i2;}", 9, "a key that appears twice in a map");
        expect_invalid<std::unordered_map<int, int>>("{2:i1;i1;i1;i2;}", 9, "a key that appears twice in a map");
        expect_invalid<std::optional<int>>("x", 0, "expected an optional ('n' for none, 'o' before a value)");
        expect_invalid<std::variant<int, bool>>("(i2;t)", 1, "variant index 2 is out of range");
        expect_invalid<std::array<int, 2>>("[1:i1;]", 0, "a list of 2 values, for an array");
        expect_invalid<std::tuple<int>>("[1:i1;]", 0, "expected a tuple ('('), found '['");
    }
    SECTION("hostile counts") {
        expect_invalid<std::vector<int>>("[18446744073709551615:]", 1, "cannot fit in the 1 bytes left");
        expect_invalid<std::vector<int>>("[99999999999999999999999:]", 1, "the count of a list is too large");
        expect_invalid<std::string>("s18446744073709551615:", 1, "a string of 18446744073709551615 bytes cannot fit");
        expect_invalid<std::map<int, int>>("{4:i1;i1;}", 1, "a map of 4 pairs cannot fit in the 7 bytes left");
        // A count that fits the bytes left still reserves little: the elements must be there.
        std::string many = "[4000000:";
        many += std::string(4000000, 't');
        expect_invalid<std::vector<std::vector<int>>>(many, 9, "expected a list ('['), found 't'");
    }
    SECTION("trailing garbage") {
        expect_invalid<int>("i1;i2;", 3, "expected the end of the encoded value, found 'i'");
        expect_invalid<std::string>("s1:ab", 4, "expected the end of the encoded value, found 'b'");
    }
}

TEST_CASE("every prefix of an encoded value is refused as truncated, never read past", "[codec]") {
    using value = std::map<std::string, std::tuple<std::vector<double>, std::optional<point>, std::variant<int, std::string>>>;
    const value v{{"first", {{0.5, -1e300}, point{1, 2}, 7}}, {"\x01", {{}, std::nullopt, std::string("x%y")}}};
    const std::string text = coflow::encode(v);
    for (std::size_t n = 0; n < text.size(); ++n) {
        INFO("prefix of " << n << " bytes: " << text.substr(0, n));
        CHECK_THROWS_AS(coflow::decode<value>(std::string_view(text).substr(0, n)), coflow::invalid_save);
    }
    CHECK(coflow::decode<value>(text) == v);
}

TEST_CASE("a reader names positions within the whole save", "[codec]") {
    const std::string save = "header:i1;ix;";
    coflow::reader r(std::string_view(save).substr(7), 7);
    CHECK(r.read<int>() == 1);
    try {
        (void)r.read<int>();
        FAIL("read a bad integer");
    } catch (const coflow::invalid_save& e) {
        CHECK(e.position() == 11);
        CHECK(std::string(e.what()) ==
              "[coflow.invalid_save] at byte 11: expected the digits of an integer of type 'int', found 'x'");
    }
}

namespace {

// Random values of one nested type, for the property loop below.
using sample = std::map<std::string, std::vector<std::tuple<std::int64_t, double, std::optional<std::string>,
                                                            std::variant<std::monostate, bool, std::uint8_t>>>>;

std::string random_bytes(std::mt19937_64& rng) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    return s;
}

sample random_sample(std::mt19937_64& rng) {
    sample out;
    const auto keys = rng() % 5;
    for (std::uint64_t k = 0; k < keys; ++k) {
        auto& rows = out[random_bytes(rng)];
        const auto n = rng() % 4;
        for (std::uint64_t i = 0; i < n; ++i) {
            double d = std::bit_cast<double>(rng());
            if (std::isnan(d)) d = 0.25;  // NaN != NaN would fail the comparison, not the codec
            std::optional<std::string> s;
            if (rng() % 2) s = random_bytes(rng);
            std::variant<std::monostate, bool, std::uint8_t> var;
            if (const auto pick = rng() % 3; pick == 1) var = rng() % 2 == 0;
            else if (pick == 2) var = static_cast<std::uint8_t>(rng());
            rows.emplace_back(static_cast<std::int64_t>(rng()), d, std::move(s), var);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("random nested values round-trip, and damaged copies either read or raise invalid_save",
          "[codec]") {
    std::mt19937_64 rng(20240615);
    for (int round = 0; round < 500; ++round) {
        const sample v = random_sample(rng);
        const std::string text = coflow::encode(v);
        REQUIRE(embeddable(text));
        REQUIRE(coflow::decode<sample>(text) == v);
        REQUIRE(coflow::encode(coflow::decode<sample>(text)) == text);
        if (text.empty()) continue;
        std::string damaged = text;
        damaged[rng() % damaged.size()] = static_cast<char>(rng() % 256);
        try {
            (void)coflow::decode<sample>(damaged);
        } catch (const coflow::invalid_save& e) {
            REQUIRE(e.position() <= damaged.size());
        }
    }
}
