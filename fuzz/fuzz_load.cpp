// fuzz_load.cpp: a libFuzzer harness for coflow::load, with the workflow types of load_workflows.hpp. Two
// kinds of input (the first byte tells them apart):
//
// - A save, taken as it is: any bytes, seeded with real saves (fuzz/corpus_load/, written by
//   make_load_corpus.cpp). It is loaded into a fresh runtime, and recovered into another as a journal's
//   file (journal.hpp: a save followed by records). Only coflow::error may come out.
// - A program (first byte 0x01): client operations (starts, signals of every argument type, updates,
//   cancels, terminations, time) on a runtime; at its save point the runtime is saved and loaded into a
//   second one, and every later operation goes to both. Both must go on alike: the same outcomes, query
//   answers, results and final save. The save may also be damaged at bytes the input picks and loaded
//   into a third runtime, which, like any save, must either load or raise a coflow::error.
//
// Whatever loads must then behave: every run answers describe(), queries and result(); the runtime saves
// again, and that save is a fixed point (it loads into another fresh runtime and saves the same text); and
// the runs go on live to the end. Anything else (another exception, a crash, a sanitizer report, a leak, a
// hang, a broken check) is a finding: the harness prints "fuzz_load: FINDING: ..." and aborts.
//
// Build and run: see fuzz/README.md (clang++ -fsanitize=fuzzer,address,undefined; CMake: -DCOFLOW_BUILD_FUZZ=ON).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load_workflows.hpp"

namespace {

using load_fuzz::i64;
using load_fuzz::keeper;

[[noreturn]] void finding(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "fuzz_load: FINDING: %s\n%s\n", what, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

std::string error_name(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const coflow::error& x) {
        return std::string(coflow::to_string(x.code()));
    } catch (const std::exception& x) {
        finding("an exception not derived from coflow::error escaped", x.what());
    } catch (...) {
        finding("a non-std exception escaped");
    }
}

// Runs f: "ok", or the code of the coflow::error it raised; anything else is a finding.
template <class F>
std::string outcome(F&& f) {
    try {
        f();
        return "ok";
    } catch (...) {
        return error_name(std::current_exception());
    }
}

std::vector<std::string> ids_of(coflow::runtime& rt) {
    std::vector<std::string> ids;
    for (const auto& h : rt.histories()) ids.push_back(h->workflow_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

// What an observer can read of every run.
std::string observe(coflow::runtime& rt) {
    std::string out;
    for (const std::string& id : ids_of(rt)) {
        const auto h = rt.get_workflow_handle(id);
        out += id + ":";
        out += " " + outcome([&] { out += coflow::to_string(h.describe().status); });
        out += " " + outcome([&] { out += std::to_string(h.query<i64>("total")); });
        out += " " + outcome([&] { out += h.query<std::string>("log"); });
        out += " " + outcome([&] { out += std::to_string(h.query<i64>("ms")); });
        out += " " + outcome([&] { out += std::to_string(h.result<i64>()); });
        out += "\n";
    }
    return out;
}

// A save that loaded into `rt` saves again, and that save is a fixed point.
void check_saves_again(coflow::runtime& rt) {
    std::string again;
    if (outcome([&] { again = coflow::save(rt); }) != "ok") return;
    coflow::deterministic_executor ex2;
    coflow::runtime rt2(ex2, load_fuzz::recording());
    if (const std::string why = outcome([&] { load_fuzz::load(rt2, again); }); why != "ok")
        finding(("a save made after a load does not load: " + why).c_str(), again);
    std::string third;
    if (const std::string why = outcome([&] { third = coflow::save(rt2); }); why != "ok")
        finding(("a runtime loaded from a save cannot save: " + why).c_str(), again);
    if (third != again) finding("a save loaded and saved again gives other text", again + "=====\n" + third);
}

// The same for a journal: what a recovered runtime's snapshot holds (work may be ready in it) recovers again
// to the same snapshot.
void check_recovers_again(coflow::runtime& rt) {
    std::string again;
    if (outcome([&] { again = coflow::detail::save_text(rt.engine_internals(), true); }) != "ok") return;
    coflow::deterministic_executor ex2;
    coflow::runtime rt2(ex2, load_fuzz::recording());
    if (const std::string why = outcome([&] { load_fuzz::recover(rt2, again); }); why != "ok")
        finding(("a journal's snapshot made after a recovery does not recover: " + why).c_str(), again);
    std::string third;
    if (const std::string why = outcome([&] { third = coflow::detail::save_text(rt2.engine_internals(), true); });
        why != "ok")
        finding(("a recovered runtime cannot make a snapshot: " + why).c_str(), again);
    if (third != again) finding("a snapshot recovered and made again gives other text", again + "=====\n" + third);
}

// Loads `text` into a fresh runtime; if it loads, checks it as the file comment says.
void check_load(std::string_view text) {
    {  // the same bytes as a journal's file: a save, then records (what a save ends with is one)
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, load_fuzz::recording());
        if (outcome([&] { load_fuzz::recover(rt, text); }) == "ok") {
            (void)observe(rt);
            check_recovers_again(rt);
        }
    }
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, load_fuzz::recording());
    if (outcome([&] { load_fuzz::load(rt, text); }) != "ok") return;
    (void)observe(rt);
    check_saves_again(rt);
    for (const std::string& id : ids_of(rt)) {
        const auto h = rt.get_workflow_handle(id);
        (void)outcome([&] { h.signal("add", i64{1}); });
        (void)outcome([&] { h.signal("line", std::string("live")); });
        (void)outcome([&] { (void)h.start_update<i64>("bump", i64{2}); });
    }
    (void)outcome([&] { ex.advance(std::chrono::milliseconds(250)); });
    (void)observe(rt);
    for (const std::string& id : ids_of(rt)) (void)outcome([&] { rt.get_workflow_handle(id).signal("finish"); });
    (void)outcome([&] { ex.run_until_idle(); });
    (void)observe(rt);
}

// ---- programs ---------------------------------------------------------------------------------------------

class bytes {
public:
    bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    [[nodiscard]] bool done() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
    i64 value() { return static_cast<i64>(static_cast<std::int16_t>(u16())); }  // small, either sign
    std::string text() {
        const std::size_t n = std::min<std::size_t>(byte() % 8, size_ - std::min(pos_, size_));
        std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return s;
    }
    double real() {
        std::uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = bits << 8 | byte();
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_, pos_ = 0;
};

// One client operation, read once and done to each runtime alike.
struct op {
    std::uint8_t kind = 0, pick = 0;
    std::string id, other, text;
    i64 v = 0;
    double d = 0;
};

constexpr const char* ids[] = {"k0", "k1", "k2", "k3"};
constexpr std::uint8_t save_point = 15;

op read_op(bytes& in) {
    op o;
    o.kind = in.byte() % 16;
    o.pick = in.byte();
    o.id = ids[o.pick % 4];
    o.other = ids[(o.pick >> 2) % 4];
    o.v = in.value();
    if (o.kind == 3 || o.kind == 5) o.text = in.text();
    if (o.kind == 4) o.d = in.real();
    return o;
}

// Does `o` to `rt`: the outcome, as text both runtimes must agree on.
std::string apply(coflow::deterministic_executor& ex, coflow::runtime& rt, const op& o) {
    const auto ms = std::chrono::milliseconds(o.v < 0 ? -o.v : o.v);
    return outcome([&] {
        const auto h = rt.get_workflow_handle_for<keeper>(o.id);
        switch (o.kind) {
            case 0:
            case 1: {
                coflow::start_options opts{.id = o.id};
                if (o.pick & 0x80) opts.run_timeout = ms + std::chrono::milliseconds(1);
                if (o.pick & 0x40) opts.execution_timeout = 2 * ms + std::chrono::milliseconds(1);
                opts.id_reuse = static_cast<coflow::id_reuse_policy>((o.pick >> 4) % 3);
                (void)rt.start_workflow(&keeper::run, o.v, o.text, std::move(opts));
                break;
            }
            case 2: h.signal(&keeper::add, o.v); break;
            case 3: h.signal("line", o.text); break;
            case 4: h.signal(&keeper::real, o.d); break;
            case 5:
                switch ((o.pick >> 4) % 5) {
                    case 0: h.signal(&keeper::flag, (o.v & 1) != 0); break;
                    case 1: h.signal(&keeper::pair, o.text, static_cast<int>(o.v)); break;
                    case 2: h.signal(&keeper::list, std::vector<int>(static_cast<std::size_t>(o.v & 7), 3)); break;
                    case 3: h.signal(&keeper::maybe, o.v & 1 ? std::optional<std::string>(o.text) : std::nullopt); break;
                    default: h.signal(&keeper::feel, static_cast<load_fuzz::mood>(o.v & 3)); break;
                }
                break;
            case 6: h.signal(&keeper::nap, ms); break;
            case 7: h.signal(&keeper::spawn, o.v); break;
            case 8: h.signal(&keeper::poke, o.other, o.v); break;
            case 9:
                switch ((o.pick >> 4) % 3) {
                    case 0: h.signal(&keeper::roll); break;
                    case 1: h.signal(&keeper::finish); break;
                    default: h.signal(&keeper::fail); break;
                }
                break;
            case 10: h.signal(&keeper::slow, o.v); break;
            case 11: (void)h.start_update(&keeper::bump, o.v); break;
            case 12:
                if (o.pick & 0x80) h.cancel();
                else h.terminate(o.other);
                break;
            case 13: ex.advance(ms); break;
            case 14: ex.advance(std::chrono::seconds(0)); break;
            default: break;  // the save point
        }
    });
}

// Runs the program; from its save point on, a loaded runtime takes every operation too, and must go on alike.
void check_program(bytes& in) {
    coflow::deterministic_executor ex_a;
    coflow::runtime a(ex_a, load_fuzz::recording());
    std::optional<coflow::deterministic_executor> ex_b;
    std::optional<coflow::runtime> b;
    std::string saved;
    for (int n = 0; n < 200 && !in.done(); ++n) {
        const op o = read_op(in);
        if (o.kind == save_point && !b) {
            ex_a.advance(std::chrono::seconds(0));  // no work ready
            if (const std::string why = outcome([&] { saved = coflow::save(a); }); why != "ok")
                finding(("a runtime with no work ready cannot save: " + why).c_str());
            ex_b.emplace();
            b.emplace(*ex_b, load_fuzz::recording());
            if (const std::string why = outcome([&] { load_fuzz::load(*b, saved); }); why != "ok")
                finding(("a save does not load: " + why).c_str(), saved);
            std::string again;
            if (outcome([&] { again = coflow::save(*b); }) != "ok" || again != saved)
                finding("a loaded save saves other text", saved + "=====\n" + again);
            if (o.pick & 1) {  // the save damaged at the bytes the input picks
                std::string bad = saved;
                for (int k = 0; k < 1 + (o.pick >> 5) && !bad.empty(); ++k)
                    bad[in.u16() % bad.size()] = static_cast<char>(in.byte());
                check_load(bad);
            }
            continue;
        }
        const std::string got_a = apply(ex_a, a, o);
        if (b && apply(*ex_b, *b, o) != got_a)
            finding("a loaded runtime gave another outcome to an operation", saved);
    }
    if (!b) return;
    ex_a.run_until_idle();
    ex_b->run_until_idle();
    if (observe(a) != observe(*b))
        finding("a loaded runtime went on to other answers", saved + "=====\n" + observe(a) + "=====\n" + observe(*b));
    std::string end_a, end_b;
    const std::string why_a = outcome([&] { end_a = coflow::save(a); });
    const std::string why_b = outcome([&] { end_b = coflow::save(*b); });
    if (why_a != why_b || end_a != end_b)
        finding("a loaded runtime went on to another history", saved + "=====\n" + end_a + "=====\n" + end_b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 0 && data[0] == 0x01) {
        bytes in(data + 1, size - 1);
        check_program(in);
    } else {
        check_load(std::string_view(reinterpret_cast<const char*>(data), size));
    }
    return 0;
}
