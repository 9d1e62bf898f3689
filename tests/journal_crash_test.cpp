// The journal's crash test: a child process runs a seeded workload (journal_workload.hpp) with fsync per
// input and acknowledges each operation whose calls returned; it is killed with SIGKILL at a random moment;
// this process recovers from its journal and finishes the workload. The outcome must equal an uninterrupted
// run's, and every acknowledged operation must be in the journal (handled once: the ledgers' order hashes
// and logs would show a signal lost or handled twice). POSIX only (fork, kill).
//
// Every other kill point runs the journal without histories in memory (journal_options::histories_in_memory),
// its process and the one that recovers.
//
// COFLOW_CRASH_POINTS sets how many kill points run (default 150); README.md ("Durable runs") tells of a
// longer run. COFLOW_CRASH_SEED moves the seeds.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "coflow_catch.hpp"
#include "journal_workload.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jw = journal_workload;
using i64 = std::int64_t;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

coflow::journal_options child_options(bool in_memory) {
    return {.sync = coflow::sync_policy::fsync, .compact_min_bytes = 4096, .histories_in_memory = in_memory};
}

std::string uninterrupted(const std::vector<jw::op>& ops) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    jw::start_tally(rt);
    for (int k = 0; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
    ex.run_until_idle();
    return jw::outcome(rt, ops);
}

// The child: one op per token read from `go`, an ack (the op's index) written to `ack` after it returned.
[[noreturn]] void child(const std::string& path, const std::vector<jw::op>& ops, int go, int ack, bool in_memory) {
    int code = 0;
    try {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, child_options(in_memory), jw::ledger::definition, jw::summer::definition,
                                jw::tally::definition);
        jw::start_tally(rt);
        for (int k = 0; k < static_cast<int>(ops.size()); ++k) {
            char token = 0;
            if (::read(go, &token, 1) != 1) break;
            jw::apply(rt, ex, ops, k);
            if (::write(ack, &k, sizeof k) != sizeof k) break;
        }
        char token = 0;
        (void)::read(go, &token, 1);  // waits to be killed: every run ends killed, never finished
        ex.run_until_idle();
    } catch (...) {
        code = 3;
    }
    ::_exit(code);
}

struct crash {
    int last_acked = -1;  // the last op whose ack this process read
    int status = 0;
};

crash run_and_kill(const std::string& path, const std::vector<jw::op>& ops, std::uint64_t& rng, bool in_memory) {
    int go[2], ack[2];
    REQUIRE(::pipe(go) == 0);
    REQUIRE(::pipe(ack) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(go[1]);
        ::close(ack[0]);
        child(path, ops, go[0], ack[1], in_memory);
    }
    ::close(go[0]);
    ::close(ack[1]);
    crash c;
    // Let it run a random number of ops to the end, then give it one more and kill it a random moment later:
    // in the middle of an op, of its journal's write, of a compaction, or between ops.
    const int whole = static_cast<int>(jw::next(rng) % ops.size());
    for (int k = 0; k <= whole; ++k) {
        const char token = 1;
        REQUIRE(::write(go[1], &token, 1) == 1);
        if (k == whole) break;
        int acked = -1;
        REQUIRE(::read(ack[0], &acked, sizeof acked) == sizeof acked);
        c.last_acked = acked;
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(jw::next(rng) % 400);
    while (std::chrono::steady_clock::now() < until) {
    }
    ::kill(pid, SIGKILL);
    REQUIRE(::waitpid(pid, &c.status, 0) == pid);
    ::close(go[1]);
    for (int acked = -1; ::read(ack[0], &acked, sizeof acked) == sizeof acked;) c.last_acked = acked;
    ::close(ack[0]);
    return c;
}

std::string recover_and_finish(const std::string& path, const std::vector<jw::op>& ops, int& done, bool in_memory) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    coflow::journal journal(rt, path, {.sync = coflow::sync_policy::none, .histories_in_memory = in_memory},
                            jw::ledger::definition, jw::summer::definition, jw::tally::definition);
    if (!rt.engine_internals().find("tally")) jw::start_tally(rt);
    int k = jw::progress(rt) + 1;
    if (k < static_cast<int>(ops.size()) && jw::reached(rt, ops, k)) {
        rt.get_workflow_handle_for<jw::tally>("tally").signal(&jw::tally::done, i64{k});
        ++k;
    }
    done = k;
    for (; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
    ex.run_until_idle();
    return jw::outcome(rt, ops);
}

}  // namespace

TEST_CASE("issue 15: a process killed at any moment recovers from its journal, every acknowledged input once",
          "[journal][crash][regression]") {
    const std::uint64_t points = env_or("COFLOW_CRASH_POINTS", 150);
    const std::uint64_t first_seed = env_or("COFLOW_CRASH_SEED", 1);
    const std::string path =
        (std::filesystem::temp_directory_path() / ("coflow_crash_" + std::to_string(::getpid()))).string();
    std::uint64_t killed_mid_run = 0;
    for (std::uint64_t p = 0; p < points; ++p) {
        const std::uint64_t seed = first_seed + p;
        CAPTURE(seed);
        std::uint64_t rng = seed * 7919;
        const std::vector<jw::op> ops = jw::make_ops(seed, 50);
        const std::string expected = uninterrupted(ops);
        std::filesystem::remove(path);
        const bool in_memory = seed % 2 == 1;
        CAPTURE(in_memory);
        const crash c = run_and_kill(path, ops, rng, in_memory);
        REQUIRE(WIFSIGNALED(c.status));  // it was still running: killed, not finished or failed
        ++killed_mid_run;
        int done = 0;
        const std::string got = recover_and_finish(path, ops, done, in_memory);
        CHECK(got == expected);
        CHECK(done > c.last_acked);  // every op acknowledged is in the journal
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".tmp");
    CHECK(killed_mid_run == points);
}
#endif
