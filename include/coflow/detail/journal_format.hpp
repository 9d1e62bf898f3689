// coflow/detail/journal_format.hpp: a journal's file: its records, and how recovery reads them (journal.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/save_format.hpp>
#include <coflow/detail/save_reader.hpp>
#include <coflow/detail/save_writer.hpp>
#include <coflow/errors.hpp>

namespace coflow {

namespace detail {

// The file is a save (save.hpp: a snapshot), then groups of records, each group ended by a commit line:
//
//     r <ordinal> (run tuple of a save's run line) <place in the ready queue>     a run, new or changed
//     n <ordinal> <events>                      a run whose record is as before but for its count of events
//     e <ordinal> (event as in a save)                                            its next event
//     a <ordinal> <time> <signal index> [<texts>] (<values>)    its next event: a named signal accepted
//     h <ordinal> <time> <signal index> <count handled>          its next event: a named signal handled
//     x <ordinal>                                                                 a run forgotten or replaced
//     c (clock, random state, ids generated, timers armed, activations posted)   the end of a group
//
// 'a' and 'h' are the events a busy run records most, written short (journal_stream.hpp): an 'a' is the
// event (signal_accepted, time, the signal's name, texts, not self-sent, the body's, 0) with the values as
// its input; an 'h' is (signal_handled, time, the name, [the count in decimal], false, false, 0). Within a
// group, the run records come first, then the events, then the x records.
//
// A run's ordinal is its place among the snapshot's runs and then the runs the records add, in start order.
// A group is written between steps (when a client call returns, or an activation ended), so the runs'
// histories at a commit are where a load can take them. Recovery keeps the groups up to the last commit:
// what follows it was cut short by a crash (a partial last line) or never committed.

/// Reads an 'a' or 'h' record (after its ordinal) as the event it stands for.
inline void read_signal_event(reader& r, bool accepted, const workflow_type& type,
                              const std::vector<const workflow_type*>& types, std::vector<history_event>& events) {
    history_event& e = events.emplace_back();
    e.kind = accepted ? event_kind::signal_accepted : event_kind::signal_handled;
    e.time_ns = r.get_integer<std::int64_t>();
    const std::size_t index_at = r.position();
    const std::uint64_t index = r.get_integer<std::uint64_t>();
    if (index >= type.signal_count)
        r.fail_at(index_at, "signal " + std::to_string(index) + " of workflow type '" + std::string(type.name) +
                                "', which has " + std::to_string(type.signal_count));
    e.name = type.signals[index].name;
    if (accepted) {
        e.args = codec<std::vector<std::string>>::decode(r);
        const std::size_t values_at = r.position();
        r.open_tuple();
        const pack_decoder d = decoder_of_input(type, events, e, types);
        if (!d)
            r.fail_at(values_at, "event " + e.describe(events.size() - 1) + " of a run of workflow type '" +
                                     std::string(type.name) + "' holds values its definition gives no types for");
        e.input = d(r);
        r.close_tuple();
    } else {
        e.args.push_back(std::to_string(r.get_integer<std::uint64_t>()));
    }
    if (!r.at_end()) r.fail("the end of the event");
}

/// The text of an 'a' or 'h' record's event (from its time on) as an 'e' record writes it (journal
/// compaction copies events into a save so). False when the record does not read.
inline bool expand_signal_event(std::string_view rest, bool accepted, const workflow_type& type, std::string& out) {
    return guarded(
        [&] {
            reader r(rest, 0);
            const std::int64_t time = r.get_integer<std::int64_t>();
            const std::uint64_t index = r.get_integer<std::uint64_t>();
            if (index >= type.signal_count) return false;
            writer w(out);
            write_event_head(
                w, accepted ? event_kind::signal_accepted : event_kind::signal_handled, time, type.signals[index].name,
                [&] {
                    if (accepted) {
                        const std::size_t texts_at = r.position();
                        (void)codec<std::vector<std::string>>::decode(r);  // copied as it is
                        out.append(rest.substr(texts_at, r.position() - texts_at));
                    } else {
                        w.open_list(1);
                        w.put_bytes(std::to_string(r.get_integer<std::uint64_t>()));
                        w.close_list();
                    }
                },
                false, false, 0);
            if (accepted) {
                w.put_some();
                out.append(rest.substr(r.position()));  // the values' tuple, to the end of the record
            } else {
                w.put_none();
            }
            w.put_none();  // no error
            return true;
        },
        [](std::exception_ptr) { return false; });
}

/// A journal's complete lines, one at a time: a last line without its newline is not one (a crash cut it
/// short). Recovery and compaction read the file with it.
class journal_lines {
public:
    journal_lines(std::string_view text, std::size_t at) noexcept : text_(text), at_(at) {}

    /// The next line (without its newline) and where it starts; false after the last complete one.
    bool next(std::string_view& line, std::size_t& line_at) noexcept {
        const std::size_t nl = text_.find('\n', at_);
        if (nl == std::string_view::npos) return false;
        line_at = at_;
        line = text_.substr(at_, nl - at_);
        at_ = nl + 1;
        return true;
    }
    /// Where the next line starts.
    [[nodiscard]] std::size_t position() const noexcept { return at_; }

private:
    std::string_view text_;
    std::size_t at_;
};

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
    std::string_view line;
    std::size_t line_at = 0;
    for (journal_lines lines(text, pos); lines.next(line, line_at);) {
        if (line.size() < 2 || line[1] != ' ' || std::string_view("rneahxc").find(line[0]) == std::string_view::npos)
            detail::raise(
                invalid_save(line_at, "expected a journal record ('r', 'n', 'e', 'a', 'h', 'x' or 'c' and a space)"));
        if (line[0] == 'c') committed = lines.position();
    }
    for (journal_lines records(text, pos); records.position() < committed && records.next(line, line_at);) {
        const char tag = line[0];
        reader r(line.substr(2), line_at + 2);
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
        } else if (tag == 'n') {
            if (!alive[ord] || doc.runs[ord].type.empty())
                r.fail_at(line_at,
                          "the event count of run " + std::to_string(ord) + ", which is not open in the journal");
            const std::size_t count_at = r.position();
            const std::uint64_t count = r.read<std::uint64_t>();
            if (count < doc.runs[ord].hist.events.size())
                r.fail_at(count_at, "run " + std::to_string(ord) + " had " +
                                        std::to_string(doc.runs[ord].hist.events.size()) + " events, not " +
                                        std::to_string(count));
            announced[ord] = count;
            if (!r.at_end()) r.fail("the end of the record");
        } else if (tag == 'e' || tag == 'a' || tag == 'h') {
            if (!alive[ord] || doc.runs[ord].type.empty())
                r.fail_at(line_at, "an event of run " + std::to_string(ord) + ", which is not open in the journal");
            saved_run& run = doc.runs[ord];
            if (tag == 'e') read_event(r, *type_named(types, run.type), types, run.hist.events);
            else read_signal_event(r, tag == 'a', *type_named(types, run.type), types, run.hist.events);
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

}  // namespace coflow
