// The crash-safe journal (journal.hpp): recovery where the runs stood, torn tails, damage, compaction,
// sync policies and errors. The kill -9 test is journal_crash_test.cpp.
#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "coflow_catch.hpp"
#include "journal_workload.hpp"

namespace jw = journal_workload;
using i64 = std::int64_t;

namespace {

// Unique to this process: two builds' tests may run at once on one machine.
std::string temp_path(const std::string& name) {
    static const std::string process =
        std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
    return (std::filesystem::temp_directory_path() / ("coflow_journal_test_" + process + "_" + name)).string();
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_all(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

/// The workload run start to end without a journal.
std::string uninterrupted(const std::vector<jw::op>& ops) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    jw::start_tally(rt);
    for (int k = 0; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
    ex.run_until_idle();
    return jw::outcome(rt, ops);
}

/// Recovers from `path` in a fresh runtime and finishes the workload from where the journal got to.
/// Returns the outcome; `done` is how many ops the journal held.
std::string recover_and_finish(const std::string& path, const std::vector<jw::op>& ops, int& done,
                               std::string* recovered = nullptr) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    coflow::journal journal(rt, path, {.sync = coflow::sync_policy::flush}, jw::ledger::definition,
                            jw::summer::definition, jw::tally::definition);
    if (recovered) *recovered = coflow::detail::save_text(rt.engine_internals(), true);
    if (journal.recovered_runs() == 0) jw::start_tally(rt);
    int k = jw::progress(rt) + 1;
    if (k < static_cast<int>(ops.size()) && jw::reached(rt, ops, k)) {  // in, but the tally's signal is not
        rt.get_workflow_handle_for<jw::tally>("tally").signal(&jw::tally::done, i64{k});
        ++k;
    }
    done = k;
    for (; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
    ex.run_until_idle();
    return jw::outcome(rt, ops);
}

}  // namespace

TEST_CASE("issue 15: a journal recovers every run where it stood, and the rest of the program ends the same",
          "[journal][regression]") {
    // COFLOW_JOURNAL_SEEDS: how many workloads (default 12; the sanitizer build runs fewer, tools/run_tests.sh).
    const char* seeds_env = std::getenv("COFLOW_JOURNAL_SEEDS");
    const std::uint64_t seeds = seeds_env && *seeds_env ? std::strtoull(seeds_env, nullptr, 10) : 12;
    std::uint64_t compacted = 0;  // workloads whose journal compacted on the way (dead bytes: not all do)
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        CAPTURE(seed);
        const std::vector<jw::op> ops = jw::make_ops(seed, 70);
        const std::string expected = uninterrupted(ops);
        const std::string path = temp_path("recover_" + std::to_string(seed));
        std::filesystem::remove(path);
        std::vector<std::string> images;  // the file after each op: what a crash then would leave
        std::vector<std::string> states;  // and the runtime then, as a snapshot (work may be ready)
        {
            coflow::deterministic_executor ex;
            coflow::runtime rt(ex, {.record_history = true});
            coflow::journal journal(rt, path, {.sync = coflow::sync_policy::flush, .compact_min_bytes = 1024},
                                    jw::ledger::definition, jw::summer::definition, jw::tally::definition);
            jw::start_tally(rt);
            for (int k = 0; k < static_cast<int>(ops.size()); ++k) {
                jw::apply(rt, ex, ops, k);
                images.push_back(read_all(path));
                states.push_back(coflow::detail::save_text(rt.engine_internals(), true));
            }
            ex.run_until_idle();
            CHECK(jw::outcome(rt, ops) == expected);  // journaling changes nothing
            compacted += journal.compactions() > 1;
        }
        for (std::size_t k = 0; k < images.size(); k += 1 + seed % 3) {
            CAPTURE(k);
            write_all(path, images[k]);
            int done = 0;
            std::string recovered;
            CHECK(recover_and_finish(path, ops, done, &recovered) == expected);
            CHECK(done == static_cast<int>(k) + 1);  // flush: every op whose call returned is in
            CHECK(recovered == states[k]);  // the same runs, clock, timers and ready queue, byte for byte
        }
        std::filesystem::remove(path);
    }
    CHECK(compacted * 2 >= seeds);
}

TEST_CASE("issue 15: a journal cut short after its snapshot recovers every complete group",
          "[journal][regression]") {
    const std::vector<jw::op> ops = jw::make_ops(7, 40);
    const std::string expected = uninterrupted(ops);
    const std::string path = temp_path("torn");
    std::filesystem::remove(path);
    std::string full;
    std::size_t snapshot = 0;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {.sync = coflow::sync_policy::flush}, jw::ledger::definition,
                                jw::summer::definition, jw::tally::definition);
        snapshot = journal.snapshot_bytes();
        jw::start_tally(rt);
        for (int k = 0; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
        CHECK(journal.compactions() == 1);  // the file is one snapshot and its records
        full = read_all(path);
    }
    // Cut just after each commit line, in the middle of its last byte, and every 61 bytes between.
    std::vector<std::size_t> cuts;
    for (std::size_t at = snapshot; at <= full.size(); at += 61) cuts.push_back(at);
    for (std::size_t at = full.find("\nc ", snapshot); at != std::string::npos; at = full.find("\nc ", at + 1)) {
        const std::size_t end = full.find('\n', at + 1) + 1;
        cuts.push_back(end - 1);
        cuts.push_back(end);
    }
    std::sort(cuts.begin(), cuts.end());
    int last_done = 0;
    for (const std::size_t cut : cuts) {
        CAPTURE(cut);
        write_all(path, full.substr(0, cut));
        int done = 0;
        REQUIRE(recover_and_finish(path, ops, done) == expected);
        CHECK(done >= last_done);  // a longer prefix holds at least as much
        last_done = done;
    }
    std::filesystem::remove(path);
}

TEST_CASE("issue 15: damage inside a journal's committed records is an invalid_save naming the byte",
          "[journal][regression]") {
    const std::vector<jw::op> ops = jw::make_ops(3, 30);
    const std::string path = temp_path("damaged");
    std::filesystem::remove(path);
    std::size_t snapshot = 0;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {}, jw::ledger::definition, jw::summer::definition, jw::tally::definition);
        snapshot = journal.snapshot_bytes();
        jw::start_tally(rt);
        for (int k = 0; k < static_cast<int>(ops.size()); ++k) jw::apply(rt, ex, ops, k);
    }
    const std::string whole = read_all(path);
    const auto recover_fails_at = [&](const std::string& text, std::size_t position, const std::string& why) {
        write_all(path, text);
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        try {
            coflow::journal journal(rt, path, {}, jw::ledger::definition, jw::summer::definition,
                                    jw::tally::definition);
            FAIL("a damaged journal was recovered");
        } catch (const coflow::invalid_save& e) {
            CHECK(e.position() == position);
            CHECK_THAT(e.what(), Catch::Matchers::Contains(why));
        }
    };
    {
        std::string text = whole;
        const std::size_t record = text.find("\ne ", snapshot) + 1;
        REQUIRE(record > snapshot);
        text[record] = 'q';
        recover_fails_at(text, record, "journal record");
    }
    {  // a run's count of events (an n record: its other fields as before) that goes back
        std::string text = whole;
        const std::size_t record = text.find("\nn ", snapshot) + 1;
        REQUIRE(record > snapshot);
        const std::size_t count = text.find(';', record) + 1;  // "n i<ordinal>;i<count>;"
        const std::size_t end = text.find(';', count);
        text.replace(count, end - count, "i0");
        recover_fails_at(text, count, "events, not 0");
    }
    std::filesystem::remove(path);
}

TEST_CASE("issue 15: a journal with sync policy none writes when its group fills or on commit",
          "[journal][regression]") {
    const std::string path = temp_path("none");
    std::filesystem::remove(path);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    coflow::journal journal(rt, path, {.sync = coflow::sync_policy::none}, jw::ledger::definition,
                            jw::summer::definition, jw::tally::definition);
    auto h = rt.start_workflow(&jw::ledger::run, i64{0}, i64{0}, {.id = "L"});
    const std::size_t commits = journal.commits();
    h.signal(&jw::ledger::add, i64{1});
    CHECK(journal.commits() == commits);  // buffered
    journal.commit();
    CHECK(journal.commits() == commits + 1);
    {
        coflow::deterministic_executor ex2;
        coflow::runtime rt2(ex2, {.record_history = true});
        write_all(path + ".copy", read_all(path));
        coflow::journal copy(rt2, path + ".copy", {}, jw::ledger::definition, jw::summer::definition,
                             jw::tally::definition);
        CHECK(copy.recovered_runs() == 1);
        ex2.run_until_idle();
        CHECK(rt2.get_workflow_handle_for<jw::ledger>("L").query(&jw::ledger::log) == "1,");
    }
    for (int k = 0; k < 1100; ++k) h.signal(&jw::ledger::add, i64{k});
    CHECK(journal.commits() == commits + 2);  // 1,024 inputs make a group
    std::filesystem::remove(path + ".copy");
    std::filesystem::remove(path + ".copy.tmp");
    std::filesystem::remove(path);
}

TEST_CASE("issue 15: a journal refuses a runtime without histories, a runtime with runs, and a file it cannot write",
          "[journal][regression]") {
    const std::string path = temp_path("errors");
    std::filesystem::remove(path);
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex);
        CHECK_THROWS_AS(coflow::journal(rt, path, {}, jw::ledger::definition), coflow::invalid_operation);
    }
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {}, jw::ledger::definition);
        (void)rt.start_workflow(&jw::ledger::run, i64{0}, i64{0}, {.id = "L"});
        CHECK_THROWS_AS(coflow::journal(rt, path, {}, jw::ledger::definition), coflow::invalid_operation);
    }
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        (void)rt.start_workflow(&jw::ledger::run, i64{0}, i64{0}, {.id = "other"});
        CHECK_THROWS_AS(coflow::journal(rt, path, {}, jw::ledger::definition), coflow::invalid_operation);
    }
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        try {
            coflow::journal journal(rt, temp_path("no_such_dir") + "/x/journal", {}, jw::ledger::definition);
            FAIL("a journal in a missing directory was opened");
        } catch (const coflow::journal_error& e) {
            CHECK(e.code() == coflow::errc::journal_failed);
            CHECK_THAT(e.what(), Catch::Matchers::Contains("no_such_dir"));
        }
    }
    std::filesystem::remove(path);
}

namespace {

class catch_all {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return seen_ > 1; });
        co_return seen_;
    }
    void on_any(std::string, coflow::raw_args) { ++seen_; }
    [[nodiscard]] int seen() const { return seen_; }
    static constexpr auto definition = coflow::define<catch_all>("catch_all")
                                           .run(&catch_all::run)
                                           .dynamic_signal(&catch_all::on_any)
                                           .query("seen", &catch_all::seen);

private:
    int seen_ = 0;
};

}  // namespace

TEST_CASE("issue 15: an input a journal cannot write fails its call, and the file keeps what came before",
          "[journal][regression]") {
    for (const bool in_memory : {true, false}) {  // without histories in memory, its stream stops at it
    CAPTURE(in_memory);
    const std::string path = temp_path("unwritable_input");
    std::filesystem::remove(path);
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {.histories_in_memory = in_memory}, catch_all::definition);
        auto h = rt.start_workflow(&catch_all::run, {.id = "c"});
        ex.run_until_idle();
        try {
            h.signal("anything", 1);  // a dynamic handler's argument types: a load could not know them
            FAIL("the journal wrote a dynamic handler's input");
        } catch (const coflow::invalid_operation& e) {
            CHECK_THAT(e.what(), Catch::Matchers::Contains("dynamic handler"));
        }
        CHECK_THROWS_AS(journal.commit(), coflow::invalid_operation);  // still there: every commit says so
    }
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    coflow::journal journal(rt, path, {}, catch_all::definition);
    CHECK(journal.recovered_runs() == 1);  // as it was before the signal
    ex.run_until_idle();
    CHECK(rt.get_workflow_handle_for<catch_all>("c").query(&catch_all::seen) == 0);
    std::filesystem::remove(path);
    }
}

TEST_CASE("issue 15: a journal keeps in memory only the histories of the runs its file keeps",
          "[journal][regression]") {
    const std::string path = temp_path("memory");
    std::filesystem::remove(path);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    coflow::journal journal(rt, path, {.sync = coflow::sync_policy::none, .compact_min_bytes = 4096},
                            jw::ledger::definition, jw::summer::definition, jw::tally::definition);
    auto h = rt.start_workflow(&jw::ledger::run, i64{0}, i64{0}, {.id = "L"});
    for (int k = 0; k < 600; ++k) {  // a run continues as new every 6 values: 100 runs
        h.signal(&jw::ledger::add, i64{k});
        ex.run_until_idle();
        journal.commit();
    }
    CHECK(h.query(&jw::ledger::count) == 600);
    CHECK(journal.compactions() > 5);
    CHECK(rt.histories().size() < 10);  // without the journal, all 100 runs' histories stay
    journal.compact();
    CHECK(rt.histories().size() == 1);
    std::filesystem::remove(path);
}

namespace {

// One long run: every record it appends stays live (its events), but for its superseded run records.
class keeper {
public:
    coflow::workflow<i64> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return sum_;
    }
    void add(i64 v) { sum_ += v; }
    void finish() { done_ = true; }
    static constexpr auto definition =
        coflow::define<keeper>("keeper").run(&keeper::run).signal("add", &keeper::add).signal("finish", &keeper::finish);

private:
    i64 sum_ = 0;
    bool done_ = false;
};

}  // namespace

TEST_CASE("issue 15: a journal compacts on dead bytes: never for one open run, and once forgotten runs are half the file",
          "[journal][regression]") {
    const std::string path = temp_path("dead_bytes");
    std::filesystem::remove(path);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    // Histories in memory: the file holds each event as a save does, so its size reads against a snapshot's.
    coflow::journal journal(rt, path,
                            {.sync = coflow::sync_policy::none, .compact_min_bytes = 4096, .histories_in_memory = true},
                            keeper::definition, jw::summer::definition);
    CHECK(journal.compactions() == 1);  // the constructor's
    auto h = rt.start_workflow(&keeper::run, {.id = "K"});
    for (int k = 0; k < 9000; ++k) {  // under the 10,000 signals a run may receive
        h.signal(&keeper::add, i64{k});
        if (k % 100 == 99) {
            ex.run_until_idle();
            journal.commit();
        }
    }
    // The file is 50 times the snapshot, all of it the open run's events: a rewrite would only copy it.
    CHECK(journal.appended_bytes() > 50 * journal.snapshot_bytes());
    CHECK(journal.compactions() == 1);
    // A group's dead bytes are the run record and commit it supersedes: a few hundred a commit.
    CHECK(journal.dead_bytes() < journal.commits() * 400);
    CHECK(journal.dead_bytes() > 0);

    // Short runs, forgotten once closed: their records are dead, and once the dead half the file, it goes.
    const std::size_t file = journal.snapshot_bytes() + journal.appended_bytes();
    int started = 0;
    std::size_t peak = file;
    while (journal.compactions() == 1) {
        peak = std::max(peak, journal.snapshot_bytes() + journal.appended_bytes());
        REQUIRE(started < 100000);
        const std::string id = "S" + std::to_string(started++);
        (void)rt.start_workflow(&jw::summer::run, i64{started}, {.id = id});
        ex.run_until_idle();
        rt.forget(id);
        journal.commit();
    }
    CHECK(journal.compactions() == 2);
    CHECK(journal.dead_bytes() == 0);
    CHECK(journal.appended_bytes() == 0);
    CHECK(peak > file * 19 / 10);  // the file grew to twice what the open run holds: half of it dead
    // The forgotten runs are gone; the open run's events stay (a snapshot's lines are a little longer).
    CHECK(journal.snapshot_bytes() > file);
    CHECK(journal.snapshot_bytes() < file + file / 20);
    CHECK(read_all(path).size() == journal.snapshot_bytes());
    h.signal(&keeper::finish);
    ex.run_until_idle();
    CHECK(h.result() == i64{9000} * 8999 / 2);
    std::filesystem::remove(path);
}

TEST_CASE("issue 15: a journal without histories in memory keeps a run's last events only, and save and recovery "
          "see every event",
          "[journal][regression]") {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        CAPTURE(seed);
        const std::vector<jw::op> ops = jw::make_ops(seed, 70);
        const std::string expected = uninterrupted(ops);
        const std::string kept_path = temp_path("kept_" + std::to_string(seed));
        const std::string file_path = temp_path("file_" + std::to_string(seed));
        std::filesystem::remove(kept_path);
        std::filesystem::remove(file_path);
        {
            // Twins: one keeps the histories in memory, the other only in its file.
            coflow::deterministic_executor ex_kept, ex_file;
            coflow::runtime kept(ex_kept, {.record_history = true}), file(ex_file, {.record_history = true});
            coflow::journal kept_journal(
                kept, kept_path,
                {.sync = coflow::sync_policy::flush, .compact_min_bytes = 2048, .histories_in_memory = true},
                jw::ledger::definition, jw::summer::definition, jw::tally::definition);
            coflow::journal file_journal(
                file, file_path,
                {.sync = coflow::sync_policy::flush, .compact_min_bytes = 2048, .histories_in_memory = false},
                jw::ledger::definition, jw::summer::definition, jw::tally::definition);
            jw::start_tally(kept);
            jw::start_tally(file);
            for (int k = 0; k < static_cast<int>(ops.size()); ++k) {
                CAPTURE(k);
                jw::apply(kept, ex_kept, ops, k);
                jw::apply(file, ex_file, ops, k);
                std::size_t in_memory = 0, recorded = 0;
                for (const auto& h : file.histories()) {
                    const coflow::detail::instance_base* in = file.engine_internals().find(h->workflow_id);
                    if (!in || in->hist != h.get()) continue;  // forgotten or replaced: compaction drops it
                    in_memory += h->events.size();
                    // At most its last event (none when that was a streamed signal's), or from the accepted
                    // event of its oldest queued signal on (a run new to the file in its last group).
                    CHECK((h->events.size() <= 1 || h->events.front().kind == coflow::event_kind::signal_accepted));
                    CHECK(h->events.size() <= 1 + 2 * in->inbox.size() + 8);
                    recorded += h->first_event + h->events.size();  // its length counts the events in the file
                }
                std::size_t kept_events = 0;
                kept.engine_internals().for_each_recorded_run(
                    [&](coflow::detail::instance_base& in) { kept_events += in.hist->events.size(); });
                CHECK(recorded == kept_events);
                if (k > 10) CHECK(in_memory < kept_events);
                if (k % 9 == 4)  // read back from the file (work may be ready: a journal's snapshot, not save())
                    CHECK(coflow::detail::save_text(file.engine_internals(), true) ==
                          coflow::detail::save_text(kept.engine_internals(), true));
            }
            ex_kept.run_until_idle();
            ex_file.run_until_idle();
            file_journal.commit();
            file.engine_internals().for_each_recorded_run(  // nothing queued: at most one event each
                [&](coflow::detail::instance_base& in) { CHECK(in.hist->events.size() <= 1); });
            CHECK(jw::outcome(file, ops) == expected);
            CHECK(coflow::save(file) == coflow::save(kept));
            CHECK(file_journal.compactions() > 1);
        }
        int done = 0;
        CHECK(recover_and_finish(file_path, ops, done) == expected);
        CHECK(done == static_cast<int>(ops.size()));
        std::filesystem::remove(kept_path);
        std::filesystem::remove(file_path);
    }
}

namespace {

// Continues as new every third value; signals come faster than it takes them.
class chain {
public:
    coflow::signal_channel<int> adds;

    coflow::workflow<int> run(int total, int seen) {
        total_ = total;
        for (;;) {
            const int v = co_await adds.receive();
            total_ += v;
            if (v < 0) co_return total_;
            if (++seen % 3 == 0) co_await coflow::continue_as_new(total_, seen);
        }
    }
    void bump(int v) { bumps_ += v; }
    static constexpr auto definition =
        coflow::define<chain>("chain").run(&chain::run).signal("add", &chain::adds).signal("bump", &chain::bump);

private:
    int total_ = 0;
    int bumps_ = 0;
};

// Signals itself and continues as new in the same step: the signal is carried into the next run's history.
class relay {
public:
    coflow::workflow<int> run(int n, int total) {
        total_ += total;
        if (n == 0) {
            co_await coflow::wait_condition([&] { return pings_ > 0; });
            co_return total_;
        }
        {
            auto me = coflow::get_external_workflow_handle(coflow::info().id);
            auto send = me.signal("ping", n);  // not awaited: it goes out as the step ends
            (void)send;
        }
        co_return coflow::continue_as_new(&relay::run, n - 1, total_);
    }
    void ping(int v) {
        total_ += v;
        ++pings_;
    }
    static constexpr auto definition = coflow::define<relay>("relay").run(&relay::run).signal("ping", &relay::ping);

private:
    int total_ = 0;
    int pings_ = 0;
};

}  // namespace

TEST_CASE("issue 15: without histories in memory, continue-as-new chains and the signals they carry save the same",
          "[journal][regression]") {
    std::string saves[2];
    for (const bool in_memory : {true, false}) {
        const std::string path = temp_path(in_memory ? "chain_kept" : "chain_file");
        std::filesystem::remove(path);
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {.histories_in_memory = in_memory}, chain::definition, relay::definition);
        auto h = rt.start_workflow(&chain::run, 0, 0, {.id = "c"});
        for (int i = 1; i <= 10; ++i) {  // each call is journaled (flush): the file holds the events
            h.signal(&chain::adds, i);
            h.signal(&chain::bump, i);
        }
        ex.step();
        for (int i = 11; i <= 20; ++i) h.signal(&chain::adds, i);
        h.signal(&chain::adds, -1);
        auto r = rt.start_workflow(&relay::run, 4, 0, {.id = "r"});
        for (int k = 0; k < 20 && ex.step(); ++k) journal.commit();  // a group after each step
        ex.run_until_idle();
        REQUIRE(h.result() == 20 * 21 / 2 - 1);
        REQUIRE(r.result() == 4 + 3 + 2 + 1);
        saves[in_memory ? 0 : 1] = coflow::save(rt);
        if (!in_memory) {  // the named signals' events went into the file as short records
            const std::string text = read_all(path);
            CHECK(text.find("\na i") != std::string::npos);
            CHECK(text.find("\nh i") != std::string::npos);
        }
        std::filesystem::remove(path);
    }
    CHECK(saves[0].find("s4:ping") != std::string::npos);  // the last relay run holds its carried ping
    CHECK(saves[1] == saves[0]);
}

TEST_CASE("issue 15: without histories in memory, events streamed since the last commit survive compact(), save() "
          "and recovery",
          "[journal][regression]") {
    std::string saves[2], recovered[2], files[2];
    for (const bool in_memory : {true, false}) {
        CAPTURE(in_memory);
        const int k = in_memory ? 0 : 1;
        const std::string path = temp_path(in_memory ? "stream_kept" : "stream_file");
        std::filesystem::remove(path);
        {
            coflow::deterministic_executor ex;
            coflow::runtime rt(ex, {.record_history = true});
            coflow::journal journal(rt, path, {.sync = coflow::sync_policy::none, .histories_in_memory = in_memory},
                                    chain::definition, relay::definition);
            auto h = rt.start_workflow(&chain::run, 0, 0, {.id = "c"});
            ex.run_until_idle();
            journal.commit();
            for (int i = 1; i <= 4; ++i) {  // a group holds 1,024 inputs: these are in memory or the stream only
                h.signal(&chain::adds, i);
                h.signal(&chain::bump, i);
            }
            CHECK(read_all(path).find("\na i") == std::string::npos);
            journal.compact();  // the stream goes into the file first, and so into the new one
            CHECK(journal.compactions() == 2);
            ex.run_until_idle();  // handled, and continue-as-new carries the queued signals into a new run
            journal.commit();     // the new run is in the file: its events are streamed from now on
            for (int i = 5; i <= 8; ++i) h.signal(&chain::bump, i);
            ex.run_until_idle();
            saves[k] = coflow::save(rt);  // reads the file back, and what the stream holds
            h.signal(&chain::adds, -1);
            ex.run_until_idle();
            REQUIRE(h.result() == 1 + 2 + 3 + 4 - 1);
        }  // its last group is written as it goes
        files[k] = read_all(path);
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        coflow::journal journal(rt, path, {.histories_in_memory = in_memory}, chain::definition, relay::definition);
        CHECK(rt.get_workflow_handle_for<chain>("c").result() == 9);
        recovered[k] = coflow::save(rt);
        std::filesystem::remove(path);
    }
    CHECK(saves[1] == saves[0]);
    CHECK(recovered[1] == recovered[0]);
    CHECK(recovered[1].find("s3:add") != std::string::npos);  // the recovered chain's events, read whole
    CHECK(files[1].find("\na i") != std::string::npos);  // -1, sent once the run was in the file
    CHECK(files[0].find("\na i") == std::string::npos);  // histories in memory: every event an 'e' record
}

TEST_CASE("issue 15: once a journal without histories in memory is gone, save() says where the events are",
          "[journal][regression]") {
    const std::string path = temp_path("gone");
    std::filesystem::remove(path);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    {
        coflow::journal journal(rt, path, {.histories_in_memory = false}, chain::definition, relay::definition);
        auto h = rt.start_workflow(&chain::run, 0, 0, {.id = "c"});
        ex.run_until_idle();
        journal.commit();
        h.signal(&chain::adds, 1);
        ex.run_until_idle();
    }
    CHECK(rt.engine_internals().find("c")->hist->first_event > 0);
    try {
        (void)coflow::save(rt);
        FAIL("saved a history whose first events only a journal's file held");
    } catch (const coflow::invalid_operation& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("workflow 'c'") &&
                                 Catch::Matchers::Contains("histories_in_memory = false"));
    }
    std::filesystem::remove(path);
}
