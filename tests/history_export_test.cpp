// History exports: JSON lines and the Chrome trace are strict JSON in valid UTF-8 whatever was recorded,
// and the trace's slices nest (see export_scenarios.hpp for the runs, strict_json.hpp for the checks).
#include <coflow/coflow.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "coflow_catch.hpp"
#include "export_scenarios.hpp"
#include "strict_json.hpp"

namespace {

template <class T>
std::string text_of(const T& v) {
    std::string out;
    coflow::history_text<T>::write(out, v);
    return out;
}

using strict_json::value;

// The trace's events, parsed.
std::vector<value> trace_events(const std::string& trace) {
    value doc;
    std::string error;
    REQUIRE(strict_json::parse(trace, doc, error));
    REQUIRE(doc.find("traceEvents"));
    return doc.find("traceEvents")->items;
}

std::string field(const value& e, std::string_view key) {
    const value* v = e.find(key);
    return v ? v->text : std::string();
}

// "ph name @ts" of each event of the trace with one of the phases in `phases`, for the process `pid`.
std::vector<std::string> slices(const std::string& trace, const std::string& pid, std::string_view phases) {
    std::vector<std::string> out;
    for (const value& e : trace_events(trace))
        if (field(e, "pid") == pid && phases.find(field(e, "ph")) != std::string_view::npos)
            out.push_back(field(e, "ph") + " " + field(e, "name") + " @" + field(e, "ts"));
    return out;
}

}  // namespace

TEST_CASE("the strict JSON checker refuses what a strict parser refuses", "[export]") {
    for (std::string_view ok : {R"({"a":[1,-0.5,2e10,true,false,null,"\u00e9\ud83d\ude00\n"]})", " [] ", "\"caf\xC3\xA9\"",
                                "0", "-0", "1E+2"})
        CHECK(strict_json::check_document(ok) == "");
    for (std::string_view bad : {"NaN", "[nan]", "Infinity", "-Infinity", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1",
                                 "'a'", "\"\x01\"", "\"\t\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"\xC0\xAF\"",
                                 "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "\"\x80\"", "{\"a\":1,\"a\":2}",
                                 "[] []", "", "[1] // no comments"}) {
        INFO(bad);
        CHECK(strict_json::check_document(bad) != "");
    }
    CHECK(strict_json::check_trace(R"({"traceEvents":[{"ph":"B","pid":1,"tid":1,"ts":0,"name":"a"},)"
                                   R"({"ph":"B","pid":1,"tid":1,"ts":1,"name":"b"},{"ph":"E","pid":1,"tid":1,"ts":2,"name":"a"}]})")
              .find("closes") != std::string::npos);
    CHECK(strict_json::check_trace(R"({"traceEvents":[{"ph":"B","pid":1,"tid":1,"ts":0,"name":"a"}]})") != "");
    CHECK(strict_json::check_trace(R"({"traceEvents":[{"ph":"b","pid":1,"cat":"c","id":1,"ts":0,"name":"a"},)"
                                   R"({"ph":"b","pid":1,"cat":"c","id":2,"ts":1,"name":"a"},)"
                                   R"({"ph":"e","pid":1,"cat":"c","id":1,"ts":2,"name":"a"},)"
                                   R"({"ph":"e","pid":1,"cat":"c","id":2,"ts":3,"name":"a"}]})") == "");
}

TEST_CASE("issue 14: NaN and infinities are exported as the strings NaN, Infinity and -Infinity",
          "[history][export][regression]") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    CHECK(text_of(std::numeric_limits<double>::quiet_NaN()) == "\"NaN\"");
    CHECK(text_of(-std::numeric_limits<double>::quiet_NaN()) == "\"NaN\"");
    CHECK(text_of(inf) == "\"Infinity\"");
    CHECK(text_of(-inf) == "\"-Infinity\"");
    CHECK(text_of(std::numeric_limits<float>::quiet_NaN()) == "\"NaN\"");
    CHECK(text_of(-std::numeric_limits<float>::infinity()) == "\"-Infinity\"");
    CHECK(text_of(std::numeric_limits<long double>::infinity()) == "\"Infinity\"");
    // Finite values stay JSON numbers, shortest form.
    CHECK(text_of(1.5) == "1.5");
    CHECK(text_of(-0.0) == "-0");
    CHECK(text_of(1e300) == "1e+300");
    CHECK(text_of(0.1f) == "0.1");
}

TEST_CASE("issue 14: ill-formed UTF-8 is exported as U+FFFD, one for each maximal subpart",
          "[history][export][regression]") {
    const std::string r = "\xEF\xBF\xBD";  // U+FFFD, written as UTF-8
    auto json = [](std::string_view s) { return text_of(std::string(s)); };
    CHECK(json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    CHECK(json("a\x80z") == "\"a" + r + "z\"");                          // a stray continuation byte
    CHECK(json("\xC0\xAF") == "\"" + r + r + "\"");                      // an overlong '/'
    CHECK(json("\xE0\x80\xAF") == "\"" + r + r + r + "\"");              // another overlong '/'
    CHECK(json("\xED\xA0\x80") == "\"" + r + r + r + "\"");              // U+D800, a surrogate
    CHECK(json("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\"");      // past U+10FFFF
    CHECK(json("\xE2\x82") == "\"" + r + "\"");                          // cut short at the end
    CHECK(json("\xE2\x82z") == "\"" + r + "z\"");                        // cut short before ASCII
    CHECK(json("\xF0\x9F\x98\xE2\x82\xAC") == "\"" + r + "\xE2\x82\xAC\"");  // cut short before a character
    CHECK(json("\xF8\xFF\xFE") == "\"" + r + r + r + "\"");              // bytes UTF-8 never uses
    // Control characters are escaped; DEL and U+2028 are valid JSON as they are.
    CHECK(json(std::string("\x00\x01\x1F\x7F", 4)) == "\"\\u0000\\u0001\\u001f\x7F\"");
    CHECK(json("\"\\\t\n\r/\xE2\x80\xA8") == "\"\\\"\\\\\\t\\n\\r/\xE2\x80\xA8\"");
    // Text that streams itself (operator<<) and chars go the same way.
    CHECK(text_of('\xFF') == "\"" + r + "\"");
}

TEST_CASE("issue 14: every export is strict JSON in valid UTF-8 whatever was recorded", "[history][export][regression]") {
    for (const export_scenarios::exports& e : export_scenarios::all()) {
        INFO(e.name);
        CHECK(strict_json::check_json_lines(e.json_lines) == "");
        CHECK(strict_json::check_document(e.trace) == "");
        std::size_t lines = 0;
        for (const auto& h : e.runs) lines += h->events.size();
        CHECK(static_cast<std::size_t>(std::count(e.json_lines.begin(), e.json_lines.end(), '\n')) == lines);
    }
    const export_scenarios::exports e = export_scenarios::hostile_text();
    // The numbers and texts went in: as the documented strings, and with U+FFFD for what was not UTF-8.
    CHECK(e.json_lines.find(R"("args":["\"NaN\"")") == std::string::npos);
    CHECK(e.json_lines.find(R"("args":["NaN","NaN","NaN"])") != std::string::npos);
    CHECK(e.json_lines.find(R"(,"Infinity","-Infinity"])") != std::string::npos);
    CHECK(e.json_lines.find(R"("event":"workflow_completed","name":"","args":["NaN"])") != std::string::npos);
    CHECK(e.json_lines.find("\"sink \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \\\"type\\\"\\\\\\u0001\"") != std::string::npos);
}

TEST_CASE("issue 14: trace slices nest on every track and every run's span is closed", "[history][export][regression]") {
    auto check = [](const export_scenarios::exports& e) {
        INFO(e.name << "\n" << e.trace);
        CHECK(strict_json::check_trace(e.trace) == "");
        // One run span per run, opened and closed on the run's own track.
        std::size_t spans = 0;
        for (const value& ev : trace_events(e.trace))
            if (field(ev, "ph") == "B" && field(ev, "name").rfind("run ", 0) == 0) ++spans;
        CHECK(spans == e.runs.size());
    };
    SECTION("a terminated run") { check(export_scenarios::terminated()); }
    SECTION("a cancelled run") { check(export_scenarios::cancelled()); }
    SECTION("a run whose body and handlers wait at the same time") { check(export_scenarios::overlapping()); }
    SECTION("continue-as-new chains") { check(export_scenarios::continue_as_new_chain()); }
    SECTION("runs still open at export") { check(export_scenarios::open_runs()); }
    SECTION("hostile text, failed and terminated runs with children") { check(export_scenarios::hostile_text()); }
}

TEST_CASE("a wait_ended names the wait_started it ends and whether a signal handler waited", "[history]") {
    const export_scenarios::exports e = export_scenarios::overlapping();
    REQUIRE(e.runs.size() == 1);
    const auto& events = e.runs[0]->events;
    std::size_t ended = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const coflow::history_event& ev = events[i];
        if (ev.kind != coflow::event_kind::wait_ended) continue;
        ++ended;
        REQUIRE(ev.start_index < i);
        const coflow::history_event& start = events[ev.start_index];
        CHECK(start.kind == coflow::event_kind::wait_started);
        CHECK(start.name == ev.name);
        CHECK(start.in_handler == ev.in_handler);
    }
    CHECK(ended == 6);  // the body's three, one sleep for each of three handlers
    // Each handler's sleep is paired with its own start, earlier than its end (no two overlap exactly).
    for (const coflow::history_event& ev : events)
        if (ev.kind == coflow::event_kind::wait_ended && ev.in_handler)
            CHECK(events[ev.start_index].time_ns < ev.time_ns);
}

TEST_CASE("the trace draws a run as a slice with the body's waits in it and handlers' waits as async slices",
          "[history][export]") {
    SECTION("overlapping waits each keep their own begin and end") {
        const export_scenarios::exports e = export_scenarios::overlapping();
        CHECK(slices(e.trace, "1", "BE") == std::vector<std::string>{
                                                "B run overlap @0.000",
                                                "B wait: wait_condition @0.000",
                                                "E wait: wait_condition @0.000",
                                                "B wait: sleep @0.000",
                                                "E wait: sleep @5000.000",
                                                "B wait: wait_condition @5000.000",
                                                "E wait: wait_condition @10000.000",
                                                "E run overlap @10000.000",
                                            });
        // Handlers' waits, paired by their async id: 0-10ms, 2-3ms and 3-7ms.
        std::map<std::string, std::string> by_id;
        for (const value& ev : trace_events(e.trace))
            if (field(ev, "ph") == "b" || field(ev, "ph") == "e")
                by_id[field(ev, "id")] += field(ev, "ph") + " " + field(ev, "name") + " @" + field(ev, "ts") + "; ";
        std::vector<std::string> waits;
        for (const auto& [id, text] : by_id) waits.push_back(text);
        std::sort(waits.begin(), waits.end());
        CHECK(waits == std::vector<std::string>{
                           "b handler wait: sleep @0.000; e handler wait: sleep @10000.000; ",
                           "b handler wait: sleep @2000.000; e handler wait: sleep @3000.000; ",
                           "b handler wait: sleep @3000.000; e handler wait: sleep @7000.000; ",
                       });
    }
    SECTION("waits a terminated run left open end with it") {
        const export_scenarios::exports e = export_scenarios::terminated();
        CHECK(slices(e.trace, "1", "BEbe") == std::vector<std::string>{
                                                  "B run overlap @0.000",
                                                  "B wait: wait_condition @0.000",
                                                  "b handler wait: sleep @0.000",
                                                  "E wait: wait_condition @0.000",
                                                  "B wait: sleep @0.000",
                                                  "E wait: sleep @2000.000",
                                                  "e handler wait: sleep @2000.000",
                                                  "E run overlap @2000.000",
                                              });
    }
    SECTION("a run still open at export ends at its last event") {
        const export_scenarios::exports e = export_scenarios::open_runs();
        CHECK(slices(e.trace, "1", "BEbe").back() == "E run overlap @1000.000");
        CHECK(slices(e.trace, "2", "BEbe") == std::vector<std::string>{"B run forever_wf @3000.000",
                                                                       "E run forever_wf @3000.000"});
    }
}
