// fuzz_load.cpp: a libFuzzer harness for coflow::load. The input is a save, taken as it is: any bytes, seeded
// with real saves (fuzz/corpus_load/, written by make_load_corpus.cpp). It is loaded into a fresh runtime
// knowing the workflow types of load_workflows.hpp. Only coflow::error may come out; anything else (another
// exception, a crash, a sanitizer report, a leak, a hang) is a finding. A save that loads must then behave:
// queries and describe() answer, it saves again, that save loads into another fresh runtime and saves the
// same text, and the runs go on live (signals, time, every run told to finish) to the end.
//
// Build and run: see fuzz/README.md (clang++ -fsanitize=fuzzer,address,undefined; CMake: -DCOFLOW_BUILD_FUZZ=ON).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "load_workflows.hpp"

namespace {

[[noreturn]] void finding(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "fuzz_load: FINDING: %s\n%s\n", what, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

// Runs f and says whether it returned; coflow::error is expected, anything else is a finding.
template <class F>
bool guard(const char* where, F&& f) {
    try {
        f();
        return true;
    } catch (const coflow::error&) {
        return false;
    } catch (const std::exception& e) {
        finding("an exception not derived from coflow::error escaped", std::string(where) + ": " + e.what());
    } catch (...) {
        finding("a non-std exception escaped", where);
    }
}

std::vector<std::string> ids_of(coflow::runtime& rt) {
    std::vector<std::string> ids;
    for (const auto& h : rt.histories()) ids.push_back(h->workflow_id);
    return ids;
}

// Reads what an observer can read of every run.
void observe(coflow::runtime& rt) {
    for (const std::string& id : ids_of(rt)) {
        guard("describe", [&] { (void)rt.get_workflow_handle(id).describe(); });
        guard("query total", [&] { (void)rt.get_workflow_handle(id).query<load_fuzz::i64>("total"); });
        guard("query log", [&] { (void)rt.get_workflow_handle(id).query<std::string>("log"); });
        guard("query ms", [&] { (void)rt.get_workflow_handle(id).query<load_fuzz::i64>("ms"); });
        guard("result", [&] { (void)rt.get_workflow_handle(id).result<load_fuzz::i64>(); });
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, load_fuzz::recording());
    if (!guard("load", [&] { load_fuzz::load(rt, text); })) return 0;
    observe(rt);

    // What loaded saves again, and that save is a fixed point: it loads, and saves the same text.
    std::string again;
    if (guard("save", [&] { again = coflow::save(rt); })) {
        coflow::deterministic_executor ex2;
        coflow::runtime rt2(ex2, load_fuzz::recording());
        if (!guard("load of a save", [&] { load_fuzz::load(rt2, again); }))
            finding("a save made after a load does not load", again);
        std::string third;
        if (!guard("save after the second load", [&] { third = coflow::save(rt2); }))
            finding("a runtime loaded from a save cannot save", again);
        if (third != again) finding("a save loaded and saved again gives other text", again + "=====\n" + third);
    }

    // Live: a few inputs, time, then every run is told to finish.
    for (const std::string& id : ids_of(rt)) {
        guard("signal add", [&] { rt.get_workflow_handle(id).signal("add", load_fuzz::i64{1}); });
        guard("signal line", [&] { rt.get_workflow_handle(id).signal("line", std::string("live")); });
        guard("update", [&] { (void)rt.get_workflow_handle(id).start_update<load_fuzz::i64>("bump", load_fuzz::i64{2}); });
    }
    guard("advance", [&] { ex.advance(std::chrono::milliseconds(250)); });
    observe(rt);
    for (const std::string& id : ids_of(rt))
        guard("signal finish", [&] { rt.get_workflow_handle(id).signal("finish"); });
    guard("run_until_idle", [&] { ex.run_until_idle(); });
    observe(rt);
    return 0;
}
