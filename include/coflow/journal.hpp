// coflow/journal.hpp: a crash-safe journal. Every input a client call accepts is in the journal's file
// before the call returns; a runtime started on the file again recovers every run where it stood.
#pragma once

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <iterator>
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
#include <coflow/detail/journal_format.hpp>
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
    /// The file is rewritten as one save once its dead bytes (what a rewrite drops: the records of runs
    /// forgotten or replaced by continue-as-new, and run and commit records that later ones supersede) are
    /// at least this many, and at least `compact_dead_percent` percent of the file. A file whose records are
    /// all live (one long run) is never rewritten: a rewrite would only copy it.
    std::size_t compact_min_bytes = std::size_t{1} << 20;
    std::size_t compact_dead_percent = 50;
    /// false: the runs' histories live in the file, not in memory. A run the file holds has its events
    /// encoded as they happen (a named signal's as short 'a' and 'h' records) and keeps at most its last
    /// event; a run new to the file keeps its events until its first group is written (and then the accepted
    /// events of its queued signals). So memory stays the size of the open runs, not of their histories;
    /// rt.histories() and a handle's history hold what memory kept (history::first_event says where it
    /// starts). save() and compaction write the group first and read the rest back from the file. An event
    /// that cannot be encoded stops the journal: its call and every later commit raise what was wrong.
    bool histories_in_memory = true;
};

/// A crash-safe journal for a runtime. Constructed on a file that holds a journal, it first recovers its
/// runs into the runtime (which must be fresh and record histories), as load does from a save; on a new
/// or empty file it starts one with the runtime's runs. From then on, each input a client call accepts
/// (a start, signal, cancel, terminate, forget, signal-with-start) is in the file before the call
/// returns, as the sync policy says; what the runs do with them is written in groups between steps. The file is
/// compacted (rewritten as one save, replaced atomically) once half of it, and at least 1 MiB, is dead:
/// records of runs forgotten or replaced, and records superseded by later ones (journal_options).
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
        std::vector<const detail::workflow_type*>& types = types_;
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
        detail::rethrow_if_set(poisoned_);
        if (!stream.empty()) (void)append_group();  // the stream's events are in neither memory nor the file
        std::string old_text;  // with released events: the file they are copied from
        if (released_) {
            if (broken_) heal();
            old_text = read_file();
            index_released(old_text);
        }
        broken_ = true;  // until the new file is in place
        if (file_) {
            std::fclose(file_);
            file_ = nullptr;
        }
        std::vector<detail::saved_bytes> run_bytes;
        const std::string snapshot = released_ ? detail::save_text(eng_, true, &run_bytes, &released_text, this)
                                               : detail::save_text(eng_, true, &run_bytes);
        released_by_ordinal_.clear();
        expanded_.clear();
        old_text.clear();
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
        dead_bytes_ = 0;
        broken_ = false;
        ++compactions_;
        // What the file no longer holds, memory need not either: histories of forgotten and replaced runs go.
        eng_.drop_gone_histories();
        // The snapshot's runs, in its order, are the journal's runs 0, 1, ...
        ordinal_.assign(eng_.histories().size(), 0);
        written_.clear();
        eng_.for_each_recorded_run([&](detail::instance_base& in) {
            const std::size_t k = written_.size();
            ordinal_[in.x->hist_index] = static_cast<std::uint32_t>(k + 1);
            in.x->journal_ordinal = static_cast<std::uint32_t>(k + 1);
            // A snapshot's run line is superseded by the run's first r record, as an r record by the next.
            written_.push_back({in.hist->first_event + in.hist->events.size(), run_bytes[k].all, run_bytes[k].run_line,
                                state_of(in)});
            in.x->journal_dirty = false;
            if (!opts_.histories_in_memory) {
                eng_.release_history(in);
                released_ = true;
            }
        });
        eng_.dirty_.clear();
        stream_bytes.assign(written_.size(), 0);
        streaming = !opts_.histories_in_memory;
        released_ = released_ || streaming;
    }

    /// Runs recovered from the file when the journal was constructed (0 for a new journal).
    [[nodiscard]] std::size_t recovered_runs() const noexcept { return recovered_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] sync_policy policy() const noexcept { return opts_.sync; }
    /// Bytes of the last snapshot, and appended after it.
    [[nodiscard]] std::size_t snapshot_bytes() const noexcept { return snapshot_bytes_; }
    [[nodiscard]] std::size_t appended_bytes() const noexcept { return appended_bytes_; }
    /// Bytes of the file that the next compaction drops (journal_options::compact_min_bytes).
    [[nodiscard]] std::size_t dead_bytes() const noexcept { return dead_bytes_; }
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

    // Streaming: the event `in` just recorded goes into the stream. One that cannot be encoded (a dynamic
    // handler's, a value without a codec) stops the stream for good: every commit raises what it was, as
    // every commit of a group holding it would, and the file keeps what came before.
    void stream_event(detail::instance_base& in) override {
        const history& h = *in.hist;
        event_text_.clear();
        detail::guarded(
            [&] {
                writer w(event_text_);
                event_text_ += "e ";
                w.write(static_cast<std::uint64_t>(in.x->journal_ordinal - 1));
                detail::write_event(w, in, h.events.back(), h.first_event + h.events.size() - 1);
                event_text_ += '\n';
                stream.append(event_text_);
                stream_bytes[in.x->journal_ordinal - 1] += event_text_.size();
            },
            [&](std::exception_ptr e) {
                poisoned_ = std::move(e);
                streaming = false;
            });
    }

    // save() asks (through save_text): the histories whole again, from the file and what memory kept.
    void restore_histories() override {
        if (!released_ || detail::current_activation || detail::current_query) return;
        detail::rethrow_if_set(poisoned_);
        if (!stream.empty()) write_group();  // the stream's events go to the file, to be read back with the rest
        if (broken_) heal();
        restore_from_file();
        release_all_ = true;  // the next group lets go of them again
    }

    // Where each run's events are in the file's text (by ordinal), for a compaction to copy those memory
    // let go of: the snapshot's event lines, then the e records, each as its encoded tuple.
    void index_released(std::string_view text) {
        released_by_ordinal_.assign(written_.size(), {});
        detail::journal_lines lines(text, 0);
        std::string_view line;
        std::size_t at = 0;
        std::size_t ord = 0;  // the snapshot's runs are ordinals 0, 1, ...
        bool in_run = false;
        while (lines.next(line, at) && line != "end") {
            if (line.starts_with("run ")) {
                ord += in_run;
                in_run = true;
            } else if (line.starts_with("event ") && in_run && ord < released_by_ordinal_.size()) {
                released_by_ordinal_[ord].push_back(line.substr(6));
            }
        }
        // The short records of the stream are copied as the 'e' records they stand for.
        std::vector<const detail::workflow_type*> type_of(released_by_ordinal_.size());
        eng_.for_each_recorded_run([&](detail::instance_base& in) {
            const std::uint32_t o = in.x->hist_index < ordinal_.size() ? ordinal_[in.x->hist_index] : 0;
            if (o != 0 && o <= type_of.size()) type_of[o - 1] = &in.type;
        });
        expanded_.clear();
        while (lines.next(line, at)) {
            if (line.empty()) continue;
            const char tag = line[0];
            if (line.size() < 3 || line[1] != ' ' || line[2] != 'i' || (tag != 'e' && tag != 'a' && tag != 'h'))
                continue;
            const std::size_t semi = line.find(';');
            std::uint64_t k = 0;
            const auto r = std::from_chars(line.data() + 3, line.data() + semi, k);
            if (semi == std::string_view::npos || r.ptr != line.data() + semi) continue;
            if (k >= released_by_ordinal_.size()) continue;
            if (tag == 'e') {
                released_by_ordinal_[k].push_back(line.substr(semi + 1));
            } else if (type_of[k]) {  // a run still kept (the others are not copied)
                std::string& expanded = expanded_.emplace_back();
                if (!detail::expand_signal_event(line.substr(semi + 1), tag == 'a', *type_of[k], expanded))
                    fail("holds a damaged record at byte " + std::to_string(at), false);
                released_by_ordinal_[k].push_back(expanded);
            }
        }
        eng_.for_each_recorded_run([&](detail::instance_base& in) {
            const std::uint32_t o = in.x->hist_index < ordinal_.size() ? ordinal_[in.x->hist_index] : 0;
            if (in.hist->first_event == 0) return;
            if (o == 0 || released_by_ordinal_[o - 1].size() < in.hist->first_event)
                fail("does not hold the events of workflow '" + in.id + "' that it wrote", false);
        });
    }

    static std::string_view released_text(void* self, const detail::instance_base& in, std::size_t k) {
        journal& j = *static_cast<journal*>(self);
        return j.released_by_ordinal_[j.ordinal_[in.x->hist_index] - 1][k];
    }

    // Reads the file back and puts each kept run's released events before those memory kept.
    void restore_from_file() {
        const std::string text = read_file();
        detail::saved_runtime doc = detail::parse_journal(text, types_);
        for (detail::saved_run& r : doc.runs) {
            detail::instance_base* in = eng_.find(r.hist.workflow_id);
            if (!in || !in->hist || in->hist->run_id != r.hist.run_id || in->hist->first_event == 0) continue;
            history& h = *in->hist;
            std::vector<history_event>& events = r.hist.events;
            if (events.size() < h.first_event)
                fail("holds " + std::to_string(events.size()) + " events of workflow '" + h.workflow_id +
                         "', which wrote " + std::to_string(h.first_event),
                     false);
            events.resize(h.first_event);
            events.insert(events.end(), std::make_move_iterator(h.events.begin()),
                          std::make_move_iterator(h.events.end()));
            h.events = std::move(events);
            h.first_event = 0;
        }
        eng_.for_each_recorded_run([&](detail::instance_base& in) {
            if (in.hist->first_event != 0) fail("does not hold workflow '" + in.id + "', whose events it wrote", false);
        });
        released_ = false;
    }

    // A write failed part-way (histories not kept in memory): the file is cut back to its last whole group,
    // so that the group is written again, whole.
    void heal() {
        if (file_) std::fclose(file_);
        file_ = nullptr;
        std::error_code ec;
        std::filesystem::resize_file(path_, snapshot_bytes_ + appended_bytes_, ec);
        if (ec) fail("cannot cut the file back to its last whole group: " + ec.message(), false);
        file_ = std::fopen(path_.c_str(), "ab");
        if (!file_) fail("cannot open for appending");
        broken_ = false;
    }

    // Writes the records of every changed run and a commit line; compacts when the records have grown.
    // All or nothing: what it staged takes effect once the group is written, so that a group that could not
    // be made (a value without a codec) or written is made again, whole, by the next commit.
    void write_group() {
        if (append_group()) compact();
    }

    // The group itself; true when the file's dead bytes call for a compaction.
    bool append_group() {
        detail::rethrow_if_set(poisoned_);
        since_commit_ = 0;
        auto& dirty = eng_.dirty_;
        if (dirty.empty()) return false;
        if (broken_ || !file_) {  // a write failed part-way: the file's tail is not whole
            if (opts_.histories_in_memory) {  // so it is rewritten from memory instead
                compact();
                return false;
            }
            heal();
        }
        std::sort(dirty.begin(), dirty.end());  // start order: a parent before the children it started
        const auto& histories = eng_.histories();
        if (ordinal_.size() < histories.size()) ordinal_.resize(histories.size(), 0);
        buf_.clear();
        tail_.clear();
        staged_.clear();
        writer w(buf_);
        writer tail(tail_);
        std::size_t runs = written_.size();
        std::size_t dead = dead_bytes_;
        for (const std::uint32_t index : dirty) {
            const history& h = *histories[index];
            detail::instance_base* in = eng_.find(h.workflow_id);
            std::uint32_t ord = ordinal_[index];
            if (!in || in->hist != &h) {  // forgotten, or replaced by a new run under its id
                if (ord != 0) {  // after the stream, which may hold its last events
                    const std::size_t at = tail_.size();
                    tail_ += "x ";
                    tail.write(static_cast<std::uint64_t>(ord - 1));
                    tail_ += '\n';
                    // the run's lines, and this one
                    dead += written_[ord - 1].bytes + stream_bytes[ord - 1] + (tail_.size() - at);
                }
                staged_.push_back({index, 0, {}, nullptr});
                continue;
            }
            detail::check_savable(*in, true);
            const bool known = ord != 0;
            run_record rec = known ? written_[ord - 1] : run_record{};
            if (!known) ord = static_cast<std::uint32_t>(++runs);
            const std::size_t at = buf_.size();
            run_state state = state_of(*in);
            const std::size_t total = h.first_event + h.events.size();
            if (known && state == rec.state) {  // only its count moved (most groups): no run record
                buf_ += "n ";
                w.write(static_cast<std::uint64_t>(ord - 1), static_cast<std::uint64_t>(total));
            } else {
                buf_ += "r ";
                w.write(static_cast<std::uint64_t>(ord - 1));
                detail::write_run(w, eng_, *in);
                w.write(in->scheduled && in->running() ? in->x->ready_seq : std::uint64_t{0});
                rec.state = std::move(state);
            }
            buf_ += '\n';
            dead += rec.line;  // the run's record (or count) before this one
            rec.bytes += (buf_.size() - at) - rec.line;
            rec.line = buf_.size() - at;
            const std::size_t events_at = buf_.size();
            if (known && streaming) {
                rec.bytes += stream_bytes[ord - 1];  // its events since the last group are in the stream
            } else {
                for (std::size_t k = rec.events; k < total; ++k) {  // rec.events >= first_event: written ones go
                    buf_ += "e ";
                    w.write(static_cast<std::uint64_t>(ord - 1));
                    detail::write_event(w, *in, h.events[k - h.first_event], k);
                    buf_ += '\n';
                }
            }
            rec.bytes += buf_.size() - events_at;
            rec.events = total;
            staged_.push_back({index, ord, rec, in});
        }
        const std::size_t commit_at = tail_.size();
        tail_ += "c ";
        detail::write_runtime(tail, eng_, eng_.ready_counter());
        tail_ += '\n';
        dead += last_commit_bytes_;  // superseded by this one
        const std::size_t commit_bytes = tail_.size() - commit_at;
        // The group: run records (and new runs' events), the stream, dropped runs, the commit line. Without
        // histories in memory, it must be in the file (handed to the system) before its events leave
        // memory: a failure stdio reported later could not be made good.
        if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size() ||
            (!stream.empty() && std::fwrite(stream.data(), 1, stream.size(), file_) != stream.size()) ||
            std::fwrite(tail_.data(), 1, tail_.size(), file_) != tail_.size() ||
            (!opts_.histories_in_memory && std::fflush(file_) != 0)) {
            broken_ = true;
            fail("cannot append");
        }
        const std::size_t group_bytes = buf_.size() + stream.size() + tail_.size();
        written_.resize(runs);
        stream_bytes.resize(runs, 0);
        for (const std::uint32_t index : dirty)  // the stream's bytes are the runs' now
            if (ordinal_[index] != 0) stream_bytes[ordinal_[index] - 1] = 0;
        stream.clear();
        for (const staged& st : staged_) {
            ordinal_[st.index] = st.ord;
            if (st.ord != 0) written_[st.ord - 1] = st.rec;
            if (!st.run) continue;
            st.run->x->journal_ordinal = st.ord;
            st.run->x->journal_dirty = false;
            if (!opts_.histories_in_memory) {
                eng_.release_history(*st.run);
                released_ = true;
            }
        }
        if (release_all_) {
            release_all_ = false;
            eng_.for_each_recorded_run([&](detail::instance_base& in) { eng_.release_history(in); });
        }
        dirty.clear();
        appended_bytes_ += group_bytes;
        dead_bytes_ = dead;
        last_commit_bytes_ = commit_bytes;
        ++commits_;
        const std::size_t file = snapshot_bytes_ + appended_bytes_;
        return dead_bytes_ >= opts_.compact_min_bytes && dead_bytes_ >= file / 100 * opts_.compact_dead_percent;
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

    // With `system`, the reason errno gives is added (an I/O call failed); without, the journal's own.
    [[noreturn]] void fail(const std::string& what, bool system = true) const {
        const int code = system ? errno : 0;
        detail::raise(journal_error(path_, what + (code != 0 ? std::string(": ") + std::strerror(code) : "")));
    }

    detail::engine& eng_;
    std::vector<const detail::workflow_type*> types_;  // what recovery and restore_from_file read
    std::string path_;
    journal_options opts_;
    std::FILE* file_ = nullptr;
    std::string buf_;   // a group's run records (and the events of runs new to the file)
    std::string tail_;  // its dropped runs and commit line, after the stream
    std::string event_text_;  // stream_event's
    std::vector<std::uint32_t> ordinal_;  // by engine::histories() index: the journal's run ordinal + 1, 0 if none
    // What a run record holds that can change after the run started (the rest is fixed at its start): when
    // it is as before, a group writes the run's new count of events alone.
    struct run_state {
        std::uint64_t status = ~std::uint64_t{0};  // none yet: a new run's record is written whole
        std::uint64_t made_ids = 0, timeout_seq = 0, ready_seq = 0;
        std::int64_t deadline_ns = 0, execution_timeout_ns = 0, run_timeout_ns = 0;
        std::vector<std::uint64_t> timer_seqs;
        bool operator==(const run_state&) const = default;
    };

    struct run_record {
        std::size_t events = 0;  // events written
        std::size_t bytes = 0;   // the file's live bytes for the run: its last run record and its events
        std::size_t line = 0;    // of which its last run record (superseded by the next)
        run_state state;         // when its last r record was written
    };

    [[nodiscard]] run_state state_of(detail::instance_base& in) const {
        const detail::instance_base::extras* x = in.x.get();
        return {static_cast<std::uint64_t>(in.status),
                x && x->updates ? x->updates->made_ids : 0,
                x && x->timeout_armed ? x->timeout_seq : 0,
                in.scheduled && in.running() && x ? x->ready_seq : 0,
                in.hist->execution_deadline_ns,
                in.hist->execution_timeout_ns,
                in.hist->run_timeout_ns,
                detail::timer_seqs(eng_, in)};
    }
    std::vector<run_record> written_;  // by ordinal
    std::vector<std::vector<std::string_view>> released_by_ordinal_;  // compact(): events' text in the old file
    std::deque<std::string> expanded_;  // compact(): the 'a' and 'h' records' events, as 'e' records hold them
    struct staged {
        std::uint32_t index, ord;  // ord 0: the run is dropped
        run_record rec;
        detail::instance_base* run;
    };
    std::vector<staged> staged_;
    std::size_t since_commit_ = 0;
    bool broken_ = false;  // a write failed: the next commit rewrites the file (or cuts it back: heal)
    bool released_ = false;     // some run's events are in the file only (histories_in_memory = false)
    bool release_all_ = false;  // save() brought them back: the next group lets go of them again
    std::exception_ptr poisoned_;  // an event the stream could not take: no commit can succeed
    std::size_t snapshot_bytes_ = 0, appended_bytes_ = 0, commits_ = 0, compactions_ = 0, recovered_ = 0;
    std::size_t dead_bytes_ = 0, last_commit_bytes_ = 0;
};

}  // namespace coflow
