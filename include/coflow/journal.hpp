// coflow/journal.hpp: a crash-safe journal. Every input a client call accepts is in the journal's file
// before the call returns; a runtime started on the file again recovers every run where it stood.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define COFLOW_JOURNAL_POSIX 1
#endif

#include <coflow/codec.hpp>
#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/runtime.hpp>
#include <coflow/save.hpp>

namespace coflow {

/// When a journal's records reach the disk, and so what a crash can lose.
enum class sync_policy {
    /// Records are written as the journal's buffer fills (every 1,024 inputs or activations, and on
    /// commit() and destruction). A crash of the process loses the inputs accepted since the last write.
    none,
    /// Each input is handed to the operating system before the call that accepted it returns: a crash of
    /// the process loses nothing; a crash of the machine may lose what the system had not yet written.
    flush,
    /// As flush, and the file is synced to the disk (fsync) before the call returns: a power loss loses
    /// nothing the disk acknowledged. Costs a disk round trip per input.
    fsync,
};

[[nodiscard]] constexpr std::string_view to_string(sync_policy p) noexcept {
    switch (p) {
        case sync_policy::none: return "none";
        case sync_policy::flush: return "flush";
        case sync_policy::fsync: return "fsync";
    }
    return "?";
}

/// How a journal writes: its sync policy, and when it compacts its file.
struct journal_options {
    sync_policy sync = sync_policy::flush;
    /// The file is rewritten as one save once the records appended after the last one exceed both this
    /// many bytes and `compact_ratio` times the save's size.
    std::size_t compact_min_bytes = std::size_t{1} << 20;
    std::size_t compact_ratio = 4;
};

namespace detail {

// The file is a save (save.hpp: a snapshot), then groups of records, each group ended by a commit line:
//
//     r <ordinal> (run tuple of save.hpp's run line) <place in the ready queue>   a run, new or changed
//     e <ordinal> (event as in a save)                                            its next event
//     x <ordinal>                                                                 a run forgotten or replaced
//     c (clock, random state, ids generated, timers armed, activations posted)   the end of a group
//
// A run's ordinal is its place among the snapshot's runs and then the runs the records add, in start order.
// A group is written between steps (when a client call returns, or an activation ended), so the runs'
// histories at a commit are where a load can take them. Recovery keeps the groups up to the last commit:
// what follows it was cut short by a crash (a partial last line) or never committed.

/// Reads a journal's file into the runs a load rebuilds. Raises invalid_save naming the byte position
/// when a committed part is damaged.
inline saved_runtime parse_journal(std::string_view text, const std::vector<const workflow_type*>& types) {
    std::size_t pos = 0;
    saved_runtime doc = parse_save(text, types, &pos);
    std::vector<bool> alive(doc.runs.size(), true);
    std::vector<std::uint64_t> announced;  // events each run's last r line counts
    for (const saved_run& r : doc.runs) announced.push_back(r.hist.events.size());
    // The committed part ends after the last complete commit line; what follows may only be the start
    // of a group (a crash cut it), ending maybe in a partial line.
    std::size_t committed = pos;
    for (std::size_t at = pos; at < text.size();) {
        const std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) break;  // a partial last line: cut short by a crash
        const std::string_view line = text.substr(at, nl - at);
        if (line.size() < 2 || line[1] != ' ' || std::string_view("rexc").find(line[0]) == std::string_view::npos)
            detail::raise(invalid_save(at, "expected a journal record ('r', 'e', 'x' or 'c' and a space)"));
        at = nl + 1;
        if (line[0] == 'c') committed = at;
    }
    for (std::size_t at = pos; at < committed;) {
        const std::size_t nl = text.find('\n', at);
        const char tag = text[at];
        reader r(text.substr(at + 2, nl - at - 2), at + 2);
        const std::size_t line_at = at;
        at = nl + 1;
        if (tag == 'c') {
            std::uint64_t ready_counter = 0;
            std::tie(doc.clock_ns, doc.rng, doc.generated_ids, doc.timer_seq, ready_counter) = r.read<runtime_tuple>();
            doc.ready_counter = ready_counter;
            if (!r.at_end()) r.fail("the end of the commit line");
            continue;
        }
        const std::uint64_t ord = r.read<std::uint64_t>();
        if (ord > doc.runs.size() || (ord == doc.runs.size() && tag != 'r'))
            r.fail_at(line_at, "run " + std::to_string(ord) + " is not in the journal (it holds " +
                                   std::to_string(doc.runs.size()) + ")");
        if (tag == 'r') {
            if (ord == doc.runs.size()) {
                doc.runs.emplace_back();
                alive.push_back(true);
                announced.push_back(0);
            }
            saved_run& run = doc.runs[ord];
            if (!alive[ord]) r.fail_at(line_at, "run " + std::to_string(ord) + " was dropped before");
            run.position = line_at;
            const std::string type = run.type, id = run.hist.workflow_id;
            announced[ord] = read_run(r, run, types);
            if ((!type.empty() && type != run.type) || (!id.empty() && id != run.hist.workflow_id))
                r.fail_at(line_at, "run " + std::to_string(ord) + " changed its workflow type or id");
            run.ready_seq = r.read<std::uint64_t>();
            if (!r.at_end()) r.fail("the end of the run record");
        } else if (tag == 'e') {
            if (!alive[ord] || doc.runs[ord].type.empty())
                r.fail_at(line_at, "an event of run " + std::to_string(ord) + ", which is not open in the journal");
            saved_run& run = doc.runs[ord];
            read_event(r, *type_named(types, run.type), types, run.hist.events);
        } else {
            if (!r.at_end()) r.fail("the end of the record");
            alive[ord] = false;
        }
    }
    saved_runtime out;
    out.clock_ns = doc.clock_ns;
    out.rng = doc.rng;
    out.generated_ids = doc.generated_ids;
    out.timer_seq = doc.timer_seq;
    out.ready_counter = doc.ready_counter;
    for (std::size_t k = 0; k < doc.runs.size(); ++k) {
        if (!alive[k]) continue;
        saved_run& run = doc.runs[k];
        if (run.hist.events.size() != announced[k])
            detail::raise(invalid_save(run.position, "workflow '" + run.hist.workflow_id + "': its record counts " +
                                                         std::to_string(announced[k]) + " events, the journal holds " +
                                                         std::to_string(run.hist.events.size())));
        check_run_shape(run);
        out.runs.push_back(std::move(run));
    }
    return out;
}

}  // namespace detail

/// A crash-safe journal for a runtime. Constructed on a file that holds a journal, it first recovers its
/// runs into the runtime (which must be fresh and record histories), as load does from a save; on a new
/// or empty file it starts one with the runtime's runs. From then on, each input a client call accepts
/// (a start, signal, cancel, terminate, forget, signal-with-start) is in the file before the call
/// returns, as the sync policy says; what the runs do with them is written in groups between steps. The file is
/// compacted (rewritten as one save, replaced atomically) once the records appended exceed four times the
/// last snapshot, and at least 1 MiB (journal_options).
///
///     coflow::runtime rt{ex, {.record_history = true}};
///     coflow::journal journal{rt, "jobs.journal", {.sync = coflow::sync_policy::flush}, Job::definition};
///
/// Recovery needs the workflow types (as load does), which a runtime's options cannot name: hence an
/// object beside the runtime, declared after it so that it is destroyed first. Updates are journaled
/// once delivered (Temporal's "accepted"); one still queued when the process dies is lost, and its
/// caller's handle never saw it accepted. Calls made from workflow code are journaled with the step
/// that made them. Every value an input holds needs a codec (codec.hpp), as for save.
class journal final : private detail::engine::journal_sink {
public:
    template <class... Defs>
    journal(runtime& rt, std::string path, journal_options options, const Defs&...)
        : eng_(rt.engine_internals()), path_(std::move(path)), opts_(options) {
        std::vector<const detail::workflow_type*> types;
        (detail::add_type<Defs>(types), ...);
        if (!eng_.recording())
            detail::raise(invalid_operation("journal '" + path_ +
                                            "' needs the runs' histories: construct the runtime with "
                                            "runtime_options::record_history = true"));
        if (eng_.sink_) detail::raise(invalid_operation("journal '" + path_ + "': the runtime has a journal already"));
        const std::string text = read_file();
        if (!text.empty()) {
            detail::saved_runtime doc = detail::parse_journal(text, types);
            recovered_ = doc.runs.size();
            detail::load_runs(eng_, std::move(doc), types);
        }
        compact();  // a recovered journal starts again from one save of what it recovered
        eng_.dirty_.clear();
        eng_.sink_ = this;
    }

    journal(const journal&) = delete;
    journal& operator=(const journal&) = delete;

    /// Commits what is left and closes the file. A failure to write is dropped here (call commit() first
    /// to see it).
    ~journal() {
        detail::guarded([&] { commit(); }, [](std::exception_ptr) {});
        eng_.sink_ = nullptr;
        eng_.dirty_.clear();
        if (file_) std::fclose(file_);
    }

    /// Writes every change since the last commit and syncs the file as the policy says (with none, hands
    /// it to the system). Call it between steps: from workflow code or a query it raises invalid_operation.
    void commit() {
        if (detail::current_activation || detail::current_query)
            detail::raise(invalid_operation("journal '" + path_ + "': commit between steps, not from workflow code"));
        write_group();
        flush(opts_.sync == sync_policy::fsync);
    }

    /// Rewrites the file as one save of the runtime's runs (at a commit point), replacing it atomically.
    void compact() {
        broken_ = true;  // until the new file is in place
        if (file_) {
            std::fclose(file_);
            file_ = nullptr;
        }
        const std::string snapshot = detail::save_text(eng_, true);
        const std::string tmp = path_ + ".tmp";
        std::FILE* out = std::fopen(tmp.c_str(), "wb");
        if (!out) fail("cannot create " + tmp);
        const bool written = std::fwrite(snapshot.data(), 1, snapshot.size(), out) == snapshot.size() &&
                             std::fflush(out) == 0 && sync(out);
        if (std::fclose(out) != 0 || !written) fail("cannot write " + tmp);
        if (std::rename(tmp.c_str(), path_.c_str()) != 0) fail("cannot replace the journal with " + tmp);
        sync_directory();
        file_ = std::fopen(path_.c_str(), "ab");
        if (!file_) fail("cannot open for appending");
        snapshot_bytes_ = snapshot.size();
        appended_bytes_ = 0;
        broken_ = false;
        ++compactions_;
        // What the file no longer holds, memory need not either: histories of forgotten and replaced runs go.
        eng_.drop_gone_histories();
        // The snapshot's runs, in its order, are the journal's runs 0, 1, ...
        ordinal_.assign(eng_.histories().size(), 0);
        written_.clear();
        eng_.for_each_recorded_run([&](detail::instance_base& in) {
            ordinal_[in.x->hist_index] = static_cast<std::uint32_t>(written_.size() + 1);
            written_.push_back(in.hist->events.size());
            in.x->journal_dirty = false;
        });
        eng_.dirty_.clear();
    }

    /// Runs recovered from the file when the journal was constructed (0 for a new journal).
    [[nodiscard]] std::size_t recovered_runs() const noexcept { return recovered_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] sync_policy policy() const noexcept { return opts_.sync; }
    /// Bytes of the last snapshot, and appended after it.
    [[nodiscard]] std::size_t snapshot_bytes() const noexcept { return snapshot_bytes_; }
    [[nodiscard]] std::size_t appended_bytes() const noexcept { return appended_bytes_; }
    [[nodiscard]] std::size_t commits() const noexcept { return commits_; }
    [[nodiscard]] std::size_t compactions() const noexcept { return compactions_; }

private:
    static constexpr std::size_t group_every = 1024;  // inputs or activations between commits with no sync

    void input_returned() override {
        if (detail::current_activation || detail::current_query) return;  // the step that made it commits
        if (opts_.sync != sync_policy::none) {
            write_group();
            flush(opts_.sync == sync_policy::fsync);
        } else if (++since_commit_ >= group_every) {
            write_group();
        }
    }

    void work_done() override {
        if (detail::current_activation || detail::current_query) return;
        if (++since_commit_ >= group_every) write_group();
    }

    // Writes the records of every changed run and a commit line; compacts when the records have grown.
    // All or nothing: what it staged takes effect once the group is written, so that a group that could not
    // be made (a value without a codec) or written is made again, whole, by the next commit.
    void write_group() {
        since_commit_ = 0;
        auto& dirty = eng_.dirty_;
        if (dirty.empty()) return;
        if (broken_ || !file_) {  // a write failed part-way: the file's tail is not whole, so it is rewritten instead
            compact();
            return;
        }
        std::sort(dirty.begin(), dirty.end());  // start order: a parent before the children it started
        const auto& histories = eng_.histories();
        if (ordinal_.size() < histories.size()) ordinal_.resize(histories.size(), 0);
        buf_.clear();
        staged_.clear();
        writer w(buf_);
        std::size_t runs = written_.size();
        for (const std::uint32_t index : dirty) {
            const history& h = *histories[index];
            detail::instance_base* in = eng_.find(h.workflow_id);
            std::uint32_t ord = ordinal_[index];
            if (!in || in->hist != &h) {  // forgotten, or replaced by a new run under its id
                if (ord != 0) {
                    buf_ += "x ";
                    w.write(static_cast<std::uint64_t>(ord - 1));
                    buf_ += '\n';
                }
                staged_.push_back({index, 0, 0, nullptr});
                continue;
            }
            detail::check_savable(*in, true);
            const std::size_t from = ord == 0 ? 0 : written_[ord - 1];
            if (ord == 0) ord = static_cast<std::uint32_t>(++runs);
            buf_ += "r ";
            w.write(static_cast<std::uint64_t>(ord - 1));
            detail::write_run(w, eng_, *in);
            w.write(in->scheduled && in->running() ? in->x->ready_seq : std::uint64_t{0});
            buf_ += '\n';
            for (std::size_t k = from; k < h.events.size(); ++k) {
                buf_ += "e ";
                w.write(static_cast<std::uint64_t>(ord - 1));
                detail::write_event(w, *in, h.events[k], k);
                buf_ += '\n';
            }
            staged_.push_back({index, ord, h.events.size(), in});
        }
        buf_ += "c ";
        detail::write_runtime(w, eng_, eng_.ready_counter());
        buf_ += '\n';
        if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
            broken_ = true;
            fail("cannot append");
        }
        written_.resize(runs, 0);
        for (const staged& st : staged_) {
            ordinal_[st.index] = st.ord;
            if (st.ord != 0) written_[st.ord - 1] = st.written;
            if (st.run) st.run->x->journal_dirty = false;
        }
        dirty.clear();
        appended_bytes_ += buf_.size();
        ++commits_;
        if (appended_bytes_ > std::max(opts_.compact_min_bytes, opts_.compact_ratio * snapshot_bytes_)) compact();
    }

    void flush(bool to_disk) {
        if (std::fflush(file_) != 0 || (to_disk && !sync(file_))) {
            broken_ = true;
            fail(to_disk ? "cannot write and sync to the disk" : "cannot write");
        }
    }

    static bool sync([[maybe_unused]] std::FILE* f) {
#ifdef COFLOW_JOURNAL_POSIX
        return ::fsync(::fileno(f)) == 0;
#else
        return true;  // no portable fsync: flush is as far as the standard library goes
#endif
    }

    // A rename is durable once the directory holding it is synced.
    void sync_directory() const {
#ifdef COFLOW_JOURNAL_POSIX
        const std::size_t slash = path_.find_last_of('/');
        const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
        const int fd = ::open(dir.c_str(), O_RDONLY);
        if (fd >= 0) {
            (void)::fsync(fd);
            ::close(fd);
        }
#endif
    }

    [[nodiscard]] std::string read_file() const {
        std::FILE* in = std::fopen(path_.c_str(), "rb");
        if (!in) return {};  // a new journal
        std::string text;
        char block[1 << 16];
        for (std::size_t n; (n = std::fread(block, 1, sizeof block, in)) > 0;) text.append(block, n);
        const bool failed = std::ferror(in) != 0;
        std::fclose(in);
        if (failed) fail("cannot read");
        return text;
    }

    [[noreturn]] void fail(const std::string& what) const {
        const int code = errno;
        detail::raise(journal_error(path_, what + (code != 0 ? std::string(": ") + std::strerror(code) : "")));
    }

    detail::engine& eng_;
    std::string path_;
    journal_options opts_;
    std::FILE* file_ = nullptr;
    std::string buf_;
    std::vector<std::uint32_t> ordinal_;  // by engine::histories() index: the journal's run ordinal + 1, 0 if none
    std::vector<std::size_t> written_;    // by ordinal: events written
    struct staged {
        std::uint32_t index, ord;  // ord 0: the run is dropped
        std::size_t written;
        detail::instance_base* run;
    };
    std::vector<staged> staged_;
    std::size_t since_commit_ = 0;
    bool broken_ = false;  // a write failed: the next commit rewrites the file
    std::size_t snapshot_bytes_ = 0, appended_bytes_ = 0, commits_ = 0, compactions_ = 0, recovered_ = 0;
};

}  // namespace coflow
