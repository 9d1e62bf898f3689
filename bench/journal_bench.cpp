// bench/journal_bench.cpp: S1 and S6 of bench/SCENARIOS.md with a crash-safe journal (issue 15),
// beside the same scenarios without one, so that each cost reads apart:
//
//   S1, S6                          as in bench.cpp (no history, no journal)
//   S1h, S6h                        recording histories (runtime_options::record_history), which a journal needs
//   S1j-none, S6j-none              and a coflow::journal with sync_policy::none (written every 1,024 inputs)
//   S1j-flush, S6j-flush            and sync_policy::flush (each input handed to the system before it returns)
//   S1f-none, S1f-flush, S6f-...     as j, with journal_options::histories_in_memory = false: the histories are
//                                   in the file only (each run keeps its last event in memory)
//
// The journal is a file in the system's temporary directory (or --dir), removed after each scenario. Each
// line has the fields of bench.cpp's, and for a journal: the bytes written by the process while measured
// (/proc/self/io's wchar: every append and every compaction's snapshot), the file's size at the end, the
// journal's commits and compactions. Same checksums as S1 and S6; exits 1 on a mismatch.
//
// Build: the CMake target coflow_journal_bench (always -O2 -DNDEBUG). Run:
//   coflow_journal_bench [--scenario S1|S1h|S1j|S1j-none|S1j-flush|S1f|S1f-none|S1f-flush|S6...] [--n N]
//                        [--dir DIR]
// (S1j runs both policies, as do S1f, S6j and S6f; no scenario runs them all.)
#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

#include <sys/resource.h>  // getrusage: peak RSS, as the peers measure it
#include <unistd.h>        // getpid: the journal's file name

namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;

constexpr u64 fnv_offset = 0xcbf29ce484222325ULL;
constexpr u64 fnv_prime = 0x100000001b3ULL;
constexpr u64 fnv(u64 h, u64 v) { return (h ^ v) * fnv_prime; }

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

// Bytes this process has passed to write(2) so far (Linux), or 0.
u64 bytes_written() {
    std::FILE* f = std::fopen("/proc/self/io", "r");
    if (!f) return 0;
    char key[64];
    unsigned long long v = 0, wchar = 0;
    while (std::fscanf(f, "%63s %llu", key, &v) == 2)
        if (std::string(key) == "wchar:") wchar = v;
    std::fclose(f);
    return wchar;
}

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

bool report(const std::string& scenario, u64 n, double seconds, u64 checksum, u64 expected, const std::string& extra) {
    std::printf("{\"impl\":\"coflow\",\"scenario\":\"%s\",\"n\":%llu,\"seconds\":%.6f,\"ops_per_sec\":%.1f,"
                "\"peak_rss_kib\":%ld,\"checksum\":\"0x%016llx\"%s}\n",
                scenario.c_str(), static_cast<unsigned long long>(n), seconds, static_cast<double>(n) / seconds,
                peak_rss_kib(), static_cast<unsigned long long>(checksum), extra.c_str());
    std::fflush(stdout);
    if (checksum != expected) {
        std::fprintf(stderr, "%s: checksum 0x%016llx, expected 0x%016llx\n", scenario.c_str(),
                     static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(expected));
        return false;
    }
    return true;
}

// What a scenario runs with: histories or not, and a journal with which policy, if any.
struct setup {
    std::string name;
    bool history = false;
    std::optional<coflow::sync_policy> journal;
    bool in_memory = true;  // journal_options::histories_in_memory
};

std::string journal_dir;

std::string journal_path(const std::string& scenario) {
    return (std::filesystem::path(journal_dir) /
            ("coflow_journal_bench_" + std::to_string(::getpid()) + "_" + scenario + ".journal"))
        .string();
}

void remove_journal(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(path + ".tmp", ec);
}

// Runs `body` on a runtime with the setup's history and journal, timing all of it (the journal's first
// snapshot, of an empty runtime, included), and reports. `body` returns the checksum.
template <class Body, class... Defs>
bool measure(const setup& s, u64 n, u64 expected, coflow::runtime_options options, Body body, const Defs&... defs) {
    options.record_history = s.history;
    const std::string path = journal_path(s.name);
    remove_journal(path);
    u64 got = 0, written = 0, commits = 0, compactions = 0;
    double seconds = 0;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex, options};
        const u64 w0 = bytes_written();
        const auto t0 = clock_type::now();
        std::optional<coflow::journal> journal;
        if (s.journal)
            journal.emplace(rt, path, coflow::journal_options{.sync = *s.journal, .histories_in_memory = s.in_memory},
                            defs...);
        got = body(rt, ex);
        if (journal) {
            journal->commit();  // what is left in its group: part of the cost
            commits = journal->commits();
            compactions = journal->compactions();
        }
        seconds = since(t0);
        written = bytes_written() - w0;
    }
    std::string extra;
    if (s.journal) {
        std::error_code ec;
        const auto file = std::filesystem::file_size(path, ec);
        char text[256];
        std::snprintf(text, sizeof text,
                      ",\"journal_bytes_written\":%llu,\"journal_file_bytes\":%llu,\"journal_commits\":%llu,"
                      "\"journal_compactions\":%llu",
                      static_cast<unsigned long long>(written), static_cast<unsigned long long>(ec ? 0 : file),
                      static_cast<unsigned long long>(commits), static_cast<unsigned long long>(compactions));
        extra = text;
    }
    remove_journal(path);
    return report(s.name, n, seconds, got, expected, extra);
}

// ---- S1 signal_throughput (bench.cpp's) ----------------------------------------------------------

class accumulator {
public:
    coflow::signal_channel<i64> adds;

    coflow::workflow<u64> run(u64 n) {
        u64 h = fnv_offset;
        for (u64 i = 0; i < n; ++i) h = fnv(h, static_cast<u64>(co_await adds.receive()));
        co_return h;
    }

    static constexpr auto definition =
        coflow::define<accumulator>("accumulator").run(&accumulator::run).signal("add", &accumulator::adds);
};

bool s1(const setup& s, u64 n) {
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, v);
    return measure(
        s, n, expected, {.max_received_signals_per_run = 0},  // a million signals to one run
        [n](coflow::runtime& rt, coflow::deterministic_executor& ex) {
            auto h = rt.start_workflow(&accumulator::run, n, {.id = "accumulator"});
            ex.run_until_idle();
            for (u64 b = 0; b < n; b += 1000) {
                const u64 e = std::min(n, b + 1000);
                for (u64 v = b; v < e; ++v) h.signal(&accumulator::adds, static_cast<i64>(v));
                ex.run_until_idle();
            }
            return h.status() == coflow::workflow_status::completed ? h.result() : u64{0};
        },
        accumulator::definition);
}

// ---- S6 entity (bench.cpp's) ------------------------------------------------------------------------

constexpr u64 ops_per_run = 10000;

class apply_wf {
public:
    coflow::workflow<i64> run(i64 v) { co_return 2 * v + 1; }
    static constexpr auto definition = coflow::define<apply_wf>("apply").run(&apply_wf::run);
};

class entity {
public:
    coflow::signal_channel<i64> ops;

    coflow::workflow<u64> run(u64 n, u64 done, u64 hash) {
        for (u64 in_run = 0;; ++in_run) {
            if (in_run == ops_per_run) co_await coflow::continue_as_new(&entity::run, n, done, hash);
            const i64 v = co_await ops.receive();
            const std::string id = "apply-" + std::to_string(done);  // bound first: see README, compiler notes
            const i64 r = co_await coflow::execute_child_workflow(&apply_wf::run, v, {.id = id, .forget_on_result = true});
            hash = fnv(hash, static_cast<u64>(r));
            if (++done == n) co_return hash;
        }
    }

    static constexpr auto definition = coflow::define<entity>("entity").run(&entity::run).signal("op", &entity::ops);
};

bool s6(const setup& s, u64 n) {
    u64 expected = fnv_offset;
    for (u64 v = 0; v < n; ++v) expected = fnv(expected, 2 * v + 1);
    return measure(
        s, n, expected, {},  // default limits: each run receives at most ops_per_run signals
        [n](coflow::runtime& rt, coflow::deterministic_executor& ex) {
            auto h = rt.start_workflow(&entity::run, n, u64{0}, fnv_offset, {.id = "entity"});
            ex.run_until_idle();
            for (u64 b = 0; b < n; b += 1000) {
                const u64 e = std::min(n, b + 1000);
                for (u64 v = b; v < e; ++v) h.signal(&entity::ops, static_cast<i64>(v));
                ex.run_until_idle();
            }
            // Completed, and every child forgotten once read: only the entity's id is left.
            return h.status() == coflow::workflow_status::completed && rt.size() == 1 ? h.result() : u64{0};
        },
        entity::definition, apply_wf::definition);
}

u64 parse_size(const char* flag, const char* text) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (!end || *end != '\0' || v == 0) {
        std::fprintf(stderr, "bad value for %s: %s\n", flag, text);
        std::exit(2);
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    std::string only;
    u64 n1 = 1000000, n6 = 100000;
    journal_dir = std::filesystem::temp_directory_path().string();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "usage: coflow_journal_bench [--scenario S1|S1h|S1j[-none|-flush]|S1f[-none|-flush]|S6|S6h|S6j[...]|S6f[...]] "
                                 "[--n N] [--dir DIR]\n");
            return 2;
        }
        const char* v = argv[++i];
        if (a == "--scenario") only = v;
        else if (a == "--n") n1 = n6 = parse_size("--n", v);
        else if (a == "--dir") journal_dir = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const setup setups[] = {
        {"", false, std::nullopt},
        {"h", true, std::nullopt},
        {"j-none", true, coflow::sync_policy::none},
        {"j-flush", true, coflow::sync_policy::flush},
        {"f-none", true, coflow::sync_policy::none, false},
        {"f-flush", true, coflow::sync_policy::flush, false},
    };
    bool ok = true, ran = false;
    try {
        for (const char* scenario : {"S1", "S6"}) {
            for (const setup& base : setups) {
                setup s = base;
                s.name = scenario + base.name;
                // "S1j" names both of S1's journal lines, "S1f" both of those without histories in memory.
                const std::string family = scenario + std::string(base.in_memory ? "j" : "f");
                const bool wanted = only.empty() || only == s.name || (base.journal && only == family);
                if (!wanted) continue;
                ran = true;
                ok = (scenario[1] == '1' ? s1(s, n1) : s6(s, n6)) && ok;
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coflow_journal_bench: %s\n", e.what());
        return 1;
    }
    if (!ran) {
        std::fprintf(stderr, "unknown scenario %s (S1, S1h, S1j, S1j-none, S1j-flush, S1f, S1f-none, S1f-flush, and the same for S6)\n",
                     only.c_str());
        return 2;
    }
    return ok ? 0 : 1;
}
