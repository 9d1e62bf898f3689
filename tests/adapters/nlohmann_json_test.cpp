// The optional nlohmann::json adapter: types with to_json/from_json that opt in are saved as JSON text.
// Built only when CMake finds nlohmann_json (Debian: nlohmann-json3-dev).
#include <coflow/adapters/nlohmann_json.hpp>

#include <map>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

namespace game {

struct settings {
    std::string name;
    int volume = 0;
    std::vector<double> curve;
    bool operator==(const settings&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(settings, name, volume, curve)

// Has to_json/from_json, but did not opt in.
struct palette {
    std::vector<int> colours;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(palette, colours)

}  // namespace game

template <>
struct coflow::codec<game::settings> : coflow::json_codec<game::settings> {};

static_assert(coflow::has_codec_v<game::settings>);
static_assert(coflow::has_codec_v<std::map<std::string, std::vector<game::settings>>>);
static_assert(!coflow::has_codec_v<game::palette>, "the adapter is opt-in: to_json alone gives no codec");

TEST_CASE("a type that opts in is saved as its JSON text and reads back equal", "[codec][nlohmann_json]") {
    const game::settings s{"night \"mode\"", 7, {0.1, 1.0 / 3.0, -2e-308}};
    const std::string text = coflow::encode(s);
    CHECK(text.rfind("s", 0) == 0);
    CHECK(text.find("%22name%22:%22night%20%5C%22mode%5C%22%22") != std::string::npos);  // JSON, escaped
    CHECK(coflow::decode<game::settings>(text) == s);
}

TEST_CASE("json_codec types nest inside coflow's containers", "[codec][nlohmann_json]") {
    using library = std::map<std::string, std::vector<game::settings>>;
    const library m{{"a", {{"x", 1, {}}, {"y", 2, {0.5}}}}, {"b", {}}};
    CHECK(coflow::decode<library>(coflow::encode(m)) == m);
}

TEST_CASE("text that is not JSON, or JSON of the wrong shape, raises invalid_save at the string's byte",
          "[codec][nlohmann_json]") {
    const auto expect_invalid = [](const std::string& text, std::size_t position, const std::string& words) {
        INFO("text: " << text);
        try {
            (void)coflow::decode<std::vector<game::settings>>(text);
            FAIL("decoded without an error");
        } catch (const coflow::invalid_save& e) {
            INFO("what(): " << e.what());
            CHECK(e.position() == position);
            CHECK(std::string(e.what()).find(words) != std::string::npos);
        }
    };
    expect_invalid("[1:s5:%7B%22na]", 3, "found text that is not JSON");
    expect_invalid("[1:s2:%7B%7D]", 3, "JSON that type");           // {} lacks the fields
    expect_invalid("[1:s2:%7B%7D]", 3, "settings' can read, found:");  // and names the type
}
