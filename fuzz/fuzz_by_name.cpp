// fuzz_by_name.cpp: a libFuzzer harness for coflow's by-name API. The input is a program: starts (with
// signal-with-start), signals, queries, results, cancels, terminates, forgets and executor steps, addressed by
// ids and names that are either known or arbitrary bytes, with arguments of C++ types chosen from a fixed set
// in any number and order. Only coflow::error may come out of the API; anything else (another exception, a
// crash, a sanitizer report, a hang) is a finding. A few invariants are checked on the way: a rejected signal
// or start changes nothing, an accepted signal is counted exactly once. Histories are recorded: after each
// input every run's JSON lines and the Chrome trace must be strict JSON in valid UTF-8, and the trace's
// slices must nest (tests/strict_json.hpp), whatever bytes the ids, names and payloads held.
//
// Build and run: see fuzz/README.md (clang++ -fsanitize=fuzzer,address,undefined; CMake: -DCOFLOW_BUILD_FUZZ=ON).
#include <coflow/coflow.hpp>

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
#include <utility>
#include <vector>

#include "strict_json.hpp"  // from tests/

namespace {

// ---- the workflows -------------------------------------------------------------------------------------

class target {
public:
    coflow::signal_channel<std::string, std::int64_t> pairs;

    coflow::workflow<std::int64_t> run(int gen, std::string tag) {
        gen_ = gen;
        tag_ += tag;
        while (!end_) {
            co_await coflow::wait_condition([this] { return end_ || roll_ || !pairs.empty(); });
            while (auto p = pairs.try_receive()) add(std::get<1>(*p));
            if (roll_ && gen_ < 50) co_await coflow::continue_as_new(gen_ + 1, tag_);
            roll_ = false;
        }
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        co_return total_;
    }
    void on_int(int v) { add(v); }
    void on_long(std::int64_t v) { add(v); }
    void on_string(std::string s) { tag_ += s.substr(0, 8); }
    void on_double(double d) { total_ += d > 0 && d < 1e6 ? static_cast<std::int64_t>(d) : 1; }
    void on_bool(bool b) { total_ += b ? 1 : 0; }
    void on_string_int(std::string s, int v) { tag_ += s.substr(0, 4) + std::to_string(v % 10); }
    void on_void() { ++total_; }
    void roll() { roll_ = true; }
    void end() { end_ = true; }
    void explode() { throw std::runtime_error("explode"); }
    coflow::task<void> slow(int ms) {
        co_await coflow::sleep(std::chrono::milliseconds(ms % 5000));
        ++total_;
    }
    // Forwards `name(int)` by name to another workflow, from workflow code.
    coflow::task<void> forward(std::string to, std::string name) {
        try {
            const auto h = coflow::get_external_workflow_handle(to);
            co_await h.signal(name, 1);
        } catch (const coflow::error&) {
            ++refused_;
        }
    }
    coflow::task<void> kill(std::string to) {
        try {
            const auto h = coflow::get_external_workflow_handle(to);
            co_await h.cancel();
        } catch (const coflow::error&) {
            ++refused_;
        }
    }
    coflow::task<void> spawn(std::string id) {
        try {
            coflow::child_options opts{};
            opts.id = id.substr(0, 100);
            auto c = coflow::start_child_workflow(&target::run, 0, std::string("child"), opts);
            add(co_await c.result());
        } catch (const coflow::error&) {
            ++refused_;
        }
    }

    [[nodiscard]] int q_int() const { return static_cast<int>(total_ % 1000); }
    [[nodiscard]] std::string q_string() const { return tag_; }
    [[nodiscard]] std::string q_args(std::string s, int n) const {
        return s.substr(0, 4) + std::to_string(static_cast<long long>(n) + gen_);
    }
    [[nodiscard]] double q_double(double d) const { return d * 2; }
    [[nodiscard]] std::int64_t q_long() const { return total_; }
    [[nodiscard]] int q_throw() const { throw std::logic_error("query throws"); }

    static constexpr auto definition = coflow::define<target>("target")
                                           .run(&target::run)
                                           .signal("i", &target::on_int)
                                           .signal("l", &target::on_long)
                                           .signal("s", &target::on_string)
                                           .signal("d", &target::on_double)
                                           .signal("b", &target::on_bool)
                                           .signal("si", &target::on_string_int)
                                           .signal("v", &target::on_void)
                                           .signal("pair", &target::pairs)
                                           .signal("roll", &target::roll)
                                           .signal("end", &target::end)
                                           .signal("x", &target::explode)
                                           .signal("slow", &target::slow)
                                           .signal("fw", &target::forward)
                                           .signal("kill", &target::kill)
                                           .signal("spawn", &target::spawn)
                                           .query("qi", &target::q_int)
                                           .query("qs", &target::q_string)
                                           .query("qa", &target::q_args)
                                           .query("qd", &target::q_double)
                                           .query("ql", &target::q_long)
                                           .query("qx", &target::q_throw);

private:
    // Wrapping addition: the values come from the fuzzer, and signed overflow would be a finding in this file.
    void add(std::int64_t v) {
        total_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(total_) + static_cast<std::uint64_t>(v));
    }

    int gen_ = 0;
    std::string tag_;
    std::int64_t total_ = 0;
    int refused_ = 0;
    bool roll_ = false;
    bool end_ = false;
};

class other {
public:
    coflow::signal_channel<std::string> words;
    coflow::workflow<std::string> run() {
        std::string out;
        for (;;) {
            std::string w = co_await words.receive();
            if (w.empty()) break;
            out += w.substr(0, 4);
        }
        co_return out;
    }
    void ping(int n) { pings_ = static_cast<int>(static_cast<unsigned>(pings_) + static_cast<unsigned>(n)); }
    [[nodiscard]] int n() const { return pings_; }
    static constexpr auto definition =
        coflow::define<other>("other").run(&other::run).signal("w", &other::words).signal("i", &other::ping).query(
            "n", &other::n);

private:
    int pings_ = 0;
};

// Dynamic handlers: every by-name signal and query whose name the type does not have lands here, with any
// arguments. The handler probes them with holds<U>() and sometimes reads one blindly with get<U>(), which
// throws argument_mismatch (failing the run) when the sender gave another type.
class catchall {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return seen_;
    }
    void stop() { done_ = true; }
    void any(std::string name, coflow::raw_args args) {
        ++seen_;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args.holds<std::string>(i)) total_ += static_cast<long>(args.get<std::string>(i).size());
            else if (args.holds<int>(i)) total_ += args.get<int>(i) % 7;
            else if (args.holds<std::int64_t>(i)) total_ += static_cast<long>(args.get<std::int64_t>(i) % 7);
        }
        if (!name.empty() && name.front() == 'g') total_ += args.get<int>(0);  // blind: may throw
        raw_.push_back(std::move(args));  // kept: moved-from and moved-to raw_args must both stay sound
        if (raw_.size() > 8) raw_.erase(raw_.begin());
    }
    [[nodiscard]] int ask(std::string_view name, const coflow::raw_args& args) const {
        if (name == "total") return static_cast<int>(total_ % 1000);
        if (!name.empty() && name.front() == 'g') return args.get<int>(0);  // blind: may throw
        return static_cast<int>(args.size() + raw_.size());
    }
    static constexpr auto definition = coflow::define<catchall>("catchall")
                                           .run(&catchall::run)
                                           .signal("stop", &catchall::stop)
                                           .dynamic_signal(&catchall::any)
                                           .dynamic_query(&catchall::ask);

private:
    std::vector<coflow::raw_args> raw_;
    long total_ = 0;
    int seen_ = 0;
    bool done_ = false;
};

// ---- reading the input ------------------------------------------------------------------------------------

class reader {
public:
    reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
    [[nodiscard]] bool done() const { return p_ >= end_; }
    std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
        return v;
    }
    std::uint64_t u64() { return (std::uint64_t{u32()} << 32) | u32(); }
    double dbl() {
        const std::uint64_t bits = u64();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    std::string bytes(std::size_t max) {
        const std::size_t n = byte() % (max + 1);
        std::string s;
        for (std::size_t i = 0; i < n && p_ < end_; ++i) s += static_cast<char>(*p_++);
        return s;
    }

    std::string name() {
        static constexpr const char* known[] = {"i",  "l",    "s",   "d",  "b",    "si", "v",  "pair", "roll", "end",
                                                "x",  "slow", "fw",  "kill", "spawn", "w", "qi", "qs",   "qa",   "qd",
                                                "ql", "qx",   "n",   "",   "I",    "i ", "s i", "stop", "get", "total"};
        const std::uint8_t b = byte();
        if (b < 216) return known[b % (sizeof known / sizeof *known)];
        return bytes(12);
    }
    std::string id() {
        static constexpr const char* known[] = {"w0", "w1", "w2", "w3", "", "target-1", "other-1"};
        const std::uint8_t b = byte();
        if (b < 240) return known[b % (sizeof known / sizeof *known)];
        return bytes(16);
    }

private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

[[noreturn]] void finding(const char* what, const char* detail = "") {
    std::fprintf(stderr, "fuzz_by_name: FINDING: %s %s\n", what, detail);
    std::abort();
}

// Calls f with one value of a type chosen by `type` (read from the input): one of eight types, or (narrow) one
// of the five that the handlers take or that convert into them, which keeps the pairs below few.
template <class F>
void with_value(reader& r, std::uint8_t type, bool narrow, F&& f) {
    switch (type % (narrow ? 5 : 8)) {
        case 0: f(static_cast<int>(r.u32())); break;
        case 1: f(static_cast<std::int64_t>(r.u64())); break;
        case 2: f(r.dbl()); break;
        case 3: {
            std::string s = r.bytes(24);
            f(s);
            break;
        }
        case 4: {
            const std::string s = r.bytes(24);
            f(s.c_str());
            break;
        }
        case 5: {
            const std::string s = r.bytes(24);
            f(std::string_view(s));
            break;
        }
        case 6: f((r.byte() & 1) != 0); break;
        default: f(static_cast<char>(r.byte())); break;
    }
}

// Calls f with 0 to 3 arguments whose types and order come from the input.
template <class F>
void with_args(reader& r, F&& f) {
    switch (r.byte() % 5) {
        case 0: f(); break;
        case 1: with_value(r, r.byte(), false, [&](auto&& a) { f(a); }); break;
        case 2:
            with_value(r, r.byte(), true, [&](auto&& a) { with_value(r, r.byte(), true, [&](auto&& b) { f(a, b); }); });
            break;
        case 3: {  // three arguments, in a few orders
            std::string s = r.bytes(8);
            const auto n = static_cast<int>(r.u32());
            switch (r.byte() % 3) {
                case 0: f(s, r.name(), n); break;
                case 1: f(n, s, static_cast<std::int64_t>(n)); break;
                default: f(s, n, n); break;
            }
            break;
        }
        default: {  // the shapes the handlers take, and near misses
            std::string s = r.bytes(16);
            const auto n = static_cast<int>(r.u32());
            switch (r.byte() % 3) {
                case 0: f(s, n); break;
                case 1: f(s, static_cast<std::int64_t>(n)); break;
                default: f(s, r.name()); break;
            }
            break;
        }
    }
}

// As with_args, with at most one argument of any type or the two-argument shape a query takes (fewer
// instantiations: queries are checked by the same code as signals).
template <class F>
void with_few_args(reader& r, F&& f) {
    switch (r.byte() % 3) {
        case 0: f(); break;
        case 1: with_value(r, r.byte(), false, [&](auto&& a) { f(a); }); break;
        default: {
            std::string s = r.bytes(8);
            f(s, static_cast<int>(r.byte()));
            break;
        }
    }
}

// ---- the program -------------------------------------------------------------------------------------------

class session {
public:
    explicit session(reader& r) : r_(r), rt_(ex_, coflow::runtime_options{.max_received_signals_per_run = 64,
                                                                         .max_pending_outgoing_signals = 16,
                                                                         .seed = 7,
                                                                         .record_history = true}) {}

    void run() {
        for (int ops = 0; !r_.done() && ops < 400; ++ops) one();
        guard([&] { ex_.run_until_idle(); });
        check_exports();
    }

private:
    // Every export is strict JSON in valid UTF-8, and the trace's slices nest (runs open or closed).
    void check_exports() {
        for (const auto& h : rt_.histories()) {
            const std::string lines = h->to_json_lines();
            if (const std::string why = strict_json::check_json_lines(lines); !why.empty())
                finding("JSON lines that are not strict JSON:", (why + "\n" + lines).c_str());
        }
        const std::string trace = rt_.trace_json();
        if (const std::string why = strict_json::check_trace(trace); !why.empty())
            finding("a Chrome trace that is not strict JSON or whose slices do not nest:", (why + "\n" + trace).c_str());
    }

    // Runs f; coflow::error is expected, anything else is a finding.
    template <class F>
    void guard(F&& f) {
        try {
            f();
        } catch (const coflow::error&) {
        } catch (const std::exception& e) {
            finding("an exception not derived from coflow::error escaped:", e.what());
        } catch (...) {
            finding("a non-std exception escaped");
        }
    }

    std::optional<coflow::workflow_description> describe(const std::string& id) {
        try {
            return rt_.get_workflow_handle(id).describe();
        } catch (const coflow::workflow_not_found&) {
            return std::nullopt;
        }
    }

    static bool same(const std::optional<coflow::workflow_description>& a,
                     const std::optional<coflow::workflow_description>& b) {
        if (a.has_value() != b.has_value()) return false;
        if (!a) return true;
        return a->run_id == b->run_id && a->status == b->status && a->pending_signals == b->pending_signals &&
               a->received_signals == b->received_signals && a->cancel_requested == b->cancel_requested;
    }

    void one() {
        const std::uint8_t op = r_.byte();
        switch (op % 13) {
            case 0:
            case 1: start(op % 13 == 1); break;
            case 2: start_other(); break;
            case 12: start_catchall(); break;
            case 3:
            case 4: signal(); break;
            case 5: query(); break;
            case 6: result(); break;
            case 7: {
                const std::string id = r_.id();
                guard([&] {
                    auto h = rt_.get_workflow_handle(id);
                    if (r_.byte() & 1) h.cancel();
                    else h.terminate(r_.bytes(8));
                });
                break;
            }
            case 8: {
                const std::string id = r_.id();
                guard([&] { (void)rt_.forget(id); });
                break;
            }
            case 9: typed(); break;
            default: step(); break;
        }
    }

    void start(bool with_signal) {
        const std::string id = r_.id();
        const int gen = static_cast<int>(r_.byte());
        const std::string tag = r_.bytes(8);
        const auto policy = static_cast<coflow::id_reuse_policy>(r_.byte() % 3);
        const std::size_t size_before = rt_.size();
        const auto before = id.empty() ? std::nullopt : describe(id);
        bool ok = false;
        if (!with_signal) {
            guard([&] {
                (void)rt_.start_workflow(&target::run, gen, tag, {.id = id, .id_reuse = policy});
                ok = true;
            });
        } else {
            const std::string name = r_.name();
            with_args(r_, [&](auto&&... a) {
                guard([&] {
                    coflow::start_options o;
                    o.id = id;
                    o.id_reuse = policy;
                    o.start_signal = name;
                    o.start_signal_args = coflow::args(a...);
                    (void)rt_.start_workflow(&target::run, gen, tag, std::move(o));
                    ok = true;
                });
            });
        }
        if (!ok && (rt_.size() != size_before || (!id.empty() && !same(before, describe(id)))))
            finding("a start that threw changed the runtime");
    }

    void start_catchall() {
        const std::string id = r_.id();
        guard([&] { (void)rt_.start_workflow(&catchall::run, {.id = id}); });
    }

    void start_other() {
        const std::string id = r_.id();
        guard([&] { (void)rt_.start_workflow(&other::run, {.id = id}); });
    }

    void signal() {
        const std::string id = r_.id();
        const std::string name = r_.name();
        const auto before = describe(id);
        bool ok = false;
        with_args(r_, [&](auto&&... a) {
            guard([&] {
                rt_.get_workflow_handle(id).signal(name, a...);
                ok = true;
            });
        });
        const auto after = describe(id);
        if (!ok && !same(before, after)) finding("a rejected signal changed the workflow");
        if (ok && (!before || !after || after->run_id != before->run_id ||
                   after->received_signals != before->received_signals + 1 ||
                   after->pending_signals != before->pending_signals + 1))
            finding("an accepted signal was not counted exactly once");
    }

    void query() {
        const std::string id = r_.id();
        const std::string name = r_.name();
        const std::uint8_t result_type = r_.byte();
        const auto before = describe(id);
        with_few_args(r_, [&](auto&&... a) {
            guard([&] {
                const auto u = rt_.get_workflow_handle(id);
                if (result_type & 1) (void)u.query<int>(name, a...);
                else (void)u.query<std::string>(name, a...);
            });
        });
        // Other result types, with the arguments the queries take.
        guard([&] {
            const auto u = rt_.get_workflow_handle(id);
            switch (result_type % 5) {
                case 0: (void)u.query<double>(name, r_.dbl()); break;
                case 1: (void)u.query<std::int64_t>(name); break;
                case 2: (void)u.query<bool>(name); break;
                default: break;
            }
        });
        if (!same(before, describe(id))) finding("a query changed the workflow");
    }

    void result() {
        const std::string id = r_.id();
        guard([&] {
            const auto u = rt_.get_workflow_handle(id);
            switch (r_.byte() % 4) {
                case 0: (void)u.result<std::int64_t>(); break;
                case 1: (void)u.result<std::string>(); break;
                case 2: u.result<void>(); break;
                default: (void)u.result<int>(); break;
            }
        });
    }

    // Typed handles: the same workflows through member pointers (types checked at compile time, the
    // workflow's type at run time).
    void typed() {
        const std::string id = r_.id();
        const std::uint8_t what = r_.byte();
        guard([&] {
            if (what & 1) {
                auto h = rt_.get_workflow_handle_for<other>(id);
                if (what & 2) h.signal(&other::words, r_.bytes(6));
                else (void)h.query(&other::n);
                return;
            }
            auto h = rt_.get_workflow_handle_for<target>(id);
            switch ((what >> 1) % 6) {
                case 0: h.signal(&target::on_int, static_cast<int>(r_.u32())); break;
                case 1: h.signal(&target::pairs, r_.bytes(6), static_cast<std::int64_t>(r_.byte())); break;
                case 2: h.signal(&target::forward, r_.id(), r_.name()); break;
                case 3: h.signal(&target::spawn, r_.id()); break;
                case 4: h.signal(&target::kill, r_.id()); break;
                default: (void)h.query(&target::q_args, r_.bytes(6), static_cast<int>(r_.byte())); break;
            }
        });
    }

    void step() {
        const std::uint8_t how = r_.byte();
        guard([&] {
            switch (how % 3) {
                case 0: ex_.run_until_idle(); break;
                case 1:
                    for (int k = 0; k < 1 + how / 32; ++k) (void)ex_.step();
                    break;
                default: ex_.advance(std::chrono::milliseconds(how * 20)); break;
            }
        });
    }

    reader& r_;
    coflow::deterministic_executor ex_;
    coflow::runtime rt_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    reader r(data, size);
    session s(r);
    s.run();
    return 0;
}
