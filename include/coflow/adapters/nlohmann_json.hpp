// coflow/adapters/nlohmann_json.hpp: json_codec<T>, a codec that saves a type through nlohmann::json.
// Optional: coflow.hpp does not include it, and it needs <nlohmann/json.hpp> (nlohmann-json3-dev).
#pragma once

#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include <coflow/codec.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/errors.hpp>

namespace coflow {

/// A codec for a T that has nlohmann's `to_json` and `from_json`: the value is saved as its JSON text,
/// written as a coflow string. A type opts in by deriving its codec from it:
///
///     template <> struct coflow::codec<settings> : coflow::json_codec<settings> {};
///
/// Opt-in, not detected: a detected codec would exist in the files that include this header and not in
/// the others, so two parts of one program would disagree on has_codec_v<T> and on how T is saved.
///
/// JSON's limits apply to what the type writes: nlohmann writes NaN and infinities as null, and refuses
/// (by throwing its type_error) strings that are not UTF-8. Use coflow's own codecs where those matter.
/// decode raises invalid_save, naming the string's byte, when the text is not JSON or `from_json`
/// refuses it with a nlohmann::json::exception.
template <class T>
struct json_codec {
    static void encode(writer& w, const T& value) {
        const nlohmann::json j = value;
        w.put_bytes(j.dump());
    }

    static T decode(reader& r) {
        const std::size_t at = r.position();
        const std::string text = r.get_bytes();
        const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) {
            r.fail_at(at, "a string holding JSON text for type " + detail::quoted(detail::type_name<T>()) +
                              ", found text that is not JSON");
        }
        return detail::guarded([&] { return j.template get<T>(); },
                               [&](const std::exception_ptr& e) -> T {
                                   detail::catch_as<nlohmann::json::exception>(
                                       e,
                                       [&](const nlohmann::json::exception& x) {
                                           r.fail_at(at, "JSON that type " +
                                                             detail::quoted(detail::type_name<T>()) +
                                                             " can read, found: " + x.what());
                                       },
                                       [&] { std::rethrow_exception(e); });
                                   std::rethrow_exception(e);  // not reached: both branches leave
                               });
    }
};

}  // namespace coflow
