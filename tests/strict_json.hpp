// strict_json.hpp: a strict JSON reader (RFC 8259) for the tests and the fuzzer, and the checks coflow's
// exports must pass: valid UTF-8, strict JSON, and a Chrome trace whose slices nest.
// Strict means: the text is well-formed UTF-8 (no overlong forms, no encoded surrogates, nothing past
// U+10FFFF); no NaN, Infinity, comments, trailing commas, leading zeros, single quotes or raw control
// characters; \u escapes pair their surrogates; an object repeats no key (JSON allows that, but coflow
// never writes it). Written independently of coflow's writer, so that one does not check itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace strict_json {

struct member;

/// One parsed JSON value.
struct value {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    std::string text;  // string: its decoded UTF-8; number: its literal; boolean: "true" or "false"
    std::vector<value> items;                            // array
    std::vector<member> members;  // object, in order

    [[nodiscard]] inline const value* find(std::string_view key) const;
    [[nodiscard]] bool is(kind k) const { return type == k; }
};

struct member {
    std::string key;
    value v;
};

inline const value* value::find(std::string_view key) const {
    for (const member& m : members)
        if (m.key == key) return &m.v;
    return nullptr;
}

namespace detail {

// The code point of the UTF-8 sequence at s[i], advancing i; -1 if it is ill-formed.
inline long decode_utf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int len = 0;
    long cp = 0;
    if ((b0 & 0xE0) == 0xC0) len = 2, cp = b0 & 0x1F;
    else if ((b0 & 0xF0) == 0xE0) len = 3, cp = b0 & 0x0F;
    else if ((b0 & 0xF8) == 0xF0) len = 4, cp = b0 & 0x07;
    else return -1;
    if (i + static_cast<std::size_t>(len) > s.size()) return -1;
    for (int k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr long least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    i += static_cast<std::size_t>(len);
    return cp;
}

inline void append_utf8(std::string& out, long cp) {
    const auto u = static_cast<std::uint32_t>(cp);
    if (u < 0x80) {
        out += static_cast<char>(u);
    } else if (u < 0x800) {
        out += static_cast<char>(0xC0 | (u >> 6));
        out += static_cast<char>(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
        out += static_cast<char>(0xE0 | (u >> 12));
        out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (u & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (u >> 18));
        out += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (u & 0x3F));
    }
}

class parser {
public:
    explicit parser(std::string_view s) : s_(s) {}

    // One JSON text: a value with only whitespace around it.
    bool document(value& out, std::string& error) {
        ws();
        bool ok = parse(out, 0);
        if (ok) {
            ws();
            if (i_ != s_.size()) ok = fail("text after the value");
        }
        if (!ok) error = error_ + " at byte " + std::to_string(i_);
        return ok;
    }

private:
    bool fail(const char* what) {
        if (error_.empty()) error_ = what;
        return false;
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) != word) return fail("not a JSON value");
        i_ += word.size();
        return true;
    }
    bool digits() {
        const std::size_t from = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        return i_ > from || fail("a digit was expected");
    }
    bool number(value& out) {
        const std::size_t from = i_;
        if (s_[i_] == '-') ++i_;
        if (i_ < s_.size() && s_[i_] == '0') {
            ++i_;
        } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
            (void)digits();
        } else {
            return fail("not a JSON value (NaN and Infinity are not JSON)");
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (!digits()) return false;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (!digits()) return false;
        }
        out.type = value::kind::number;
        out.text = std::string(s_.substr(from, i_ - from));
        return true;
    }
    bool hex4(long& v) {
        if (i_ + 4 > s_.size()) return fail("a \\u escape needs four hex digits");
        v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= c - '0';
            else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
            else return fail("a \\u escape needs four hex digits");
        }
        return true;
    }
    bool string(std::string& out) {
        ++i_;  // the opening quote
        for (;;) {
            if (i_ >= s_.size()) return fail("unterminated string");
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) return fail("a raw control character in a string");
            if (c >= 0x80) {
                const long cp = decode_utf8(s_, i_);
                if (cp < 0) return fail("ill-formed UTF-8");
                append_utf8(out, cp);
                continue;
            }
            ++i_;
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            if (i_ >= s_.size()) return fail("unterminated escape");
            const char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    long cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a lone low surrogate escape");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        long lo = 0;
                        if (s_.substr(i_, 2) != "\\u") return fail("a lone high surrogate escape");
                        i_ += 2;
                        if (!hex4(lo)) return false;
                        if (lo < 0xDC00 || lo > 0xDFFF) return fail("a lone high surrogate escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: return fail("an unknown escape");
            }
        }
    }
    bool parse(value& out, int depth) {
        if (depth > 256) return fail("nested too deeply");
        if (i_ >= s_.size()) return fail("a value was expected");
        switch (s_[i_]) {
            case 'n': out.type = value::kind::null; return literal("null");
            case 't': out.type = value::kind::boolean, out.text = "true"; return literal("true");
            case 'f': out.type = value::kind::boolean, out.text = "false"; return literal("false");
            case '"': out.type = value::kind::string; return string(out.text);
            case '[': {
                out.type = value::kind::array;
                ++i_;
                ws();
                if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
                for (;;) {
                    ws();
                    out.items.emplace_back();
                    if (!parse(out.items.back(), depth + 1)) return false;
                    ws();
                    if (i_ < s_.size() && s_[i_] == ',') {
                        ++i_;
                        continue;
                    }
                    if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
                    return fail("',' or ']' was expected");
                }
            }
            case '{': {
                out.type = value::kind::object;
                ++i_;
                ws();
                if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
                for (;;) {
                    ws();
                    if (i_ >= s_.size() || s_[i_] != '"') return fail("a key was expected");
                    std::string key;
                    if (!string(key)) return false;
                    if (out.find(key)) return fail("a repeated key");
                    ws();
                    if (i_ >= s_.size() || s_[i_] != ':') return fail("':' was expected");
                    ++i_;
                    ws();
                    out.members.push_back(member{std::move(key), value{}});
                    if (!parse(out.members.back().v, depth + 1)) return false;
                    ws();
                    if (i_ < s_.size() && s_[i_] == ',') {
                        ++i_;
                        continue;
                    }
                    if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
                    return fail("',' or '}' was expected");
                }
            }
            default: return number(out);
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::string error_;
};

}  // namespace detail

/// Parses one JSON text into `out`; on failure returns false and says why in `error`.
inline bool parse(std::string_view text, value& out, std::string& error) {
    return detail::parser(text).document(out, error);
}

/// Why `text` is not one strict JSON text (empty: it is).
[[nodiscard]] inline std::string check_document(std::string_view text) {
    value v;
    std::string error;
    return parse(text, v, error) ? std::string() : error;
}

/// Why `text` is not JSON lines of objects (each line one object, each ended by '\n'); empty: it is.
[[nodiscard]] inline std::string check_json_lines(std::string_view text) {
    std::size_t from = 0, line = 1;
    for (; from < text.size(); ++line) {
        const std::size_t nl = text.find('\n', from);
        if (nl == std::string_view::npos) return "line " + std::to_string(line) + " has no final newline";
        value v;
        std::string error;
        if (!parse(text.substr(from, nl - from), v, error)) return "line " + std::to_string(line) + ": " + error;
        if (!v.is(value::kind::object)) return "line " + std::to_string(line) + " is not an object";
        from = nl + 1;
    }
    return {};
}

/// Why `text` is not a well-formed Chrome trace (empty: it is): strict JSON, an object whose "traceEvents"
/// is an array of events with a "ph"; on each track (pid, tid) every "E" closes the latest open "B", of the
/// same name and not earlier, and every "B" is closed; the same for async "b"/"e" per (pid, cat, id).
[[nodiscard]] inline std::string check_trace(std::string_view text) {
    value doc;
    std::string error;
    if (!parse(text, doc, error)) return error;
    const value* events = doc.is(value::kind::object) ? doc.find("traceEvents") : nullptr;
    if (!events || !events->is(value::kind::array)) return "no traceEvents array";
    struct open {
        std::string name;
        double ts;
    };
    using key = std::tuple<std::string, std::string, std::string>;
    std::map<key, std::vector<open>> stacks;
    auto text_of = [](const value* v) { return v ? std::to_string(static_cast<int>(v->type)) + ":" + v->text : "-"; };
    for (std::size_t n = 0; n < events->items.size(); ++n) {
        const value& e = events->items[n];
        const std::string at = "event " + std::to_string(n) + ": ";
        const value* ph = e.find("ph");
        if (!e.is(value::kind::object) || !ph || !ph->is(value::kind::string)) return at + "no \"ph\"";
        const bool sync = ph->text == "B" || ph->text == "E";
        const bool async = ph->text == "b" || ph->text == "e";
        if (!sync && !async) continue;
        const value* name = e.find("name");
        const value* ts = e.find("ts");
        if (!name || !name->is(value::kind::string)) return at + "no name";
        if (!ts || !ts->is(value::kind::number)) return at + "no ts";
        if (!e.find("pid")) return at + "no pid";
        if (async && !e.find("id")) return at + "an async event without an id";
        const key k = sync ? key{text_of(e.find("pid")), text_of(e.find("tid")), "B/E"}
                           : key{text_of(e.find("pid")), text_of(e.find("cat")), text_of(e.find("id"))};
        const double t = std::strtod(ts->text.c_str(), nullptr);
        auto& stack = stacks[k];
        if (ph->text == "B" || ph->text == "b") {
            stack.push_back({name->text, t});
            continue;
        }
        if (stack.empty()) return at + "\"" + ph->text + "\" " + name->text + " closes nothing";
        if (stack.back().name != name->text)
            return at + "\"" + ph->text + "\" " + name->text + " closes \"" + stack.back().name + "\"";
        if (t < stack.back().ts) return at + "\"" + ph->text + "\" " + name->text + " ends before it began";
        stack.pop_back();
    }
    for (const auto& [k, stack] : stacks)
        if (!stack.empty()) return "\"" + stack.back().name + "\" is never closed";
    return {};
}

}  // namespace strict_json
