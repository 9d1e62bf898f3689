// coflow/detail/save_reader.hpp: a save's text read back, every byte checked, into the runs a load rebuilds.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/save_format.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/replay.hpp>

namespace coflow::detail {

/// The runs a load rebuilds, as read from a save.
struct saved_run {
    std::string type;
    std::uint64_t run_key = 0;
    workflow_status status = workflow_status::running;
    std::string parent_id;
    std::uint64_t first_run_key = 0, continued_run_key = 0;
    bool continued = false;
    std::uint64_t update_ids_made = 0;  // update ids the runtime made for it ("update-<n>"): not in the history
    // The order in which the timers it waits on (and its timeout) were armed among all runs' timers,
    // so that timers due at the same time fire in the same order after a load.
    std::vector<std::uint64_t> timer_seqs;
    std::uint64_t timeout_seq = 0;
    std::uint64_t ready_seq = 0;        // with work ready to run: the order it was posted in (engine::finish_load)
    std::size_t position = 0;           // of its run line
    history hist;
};

struct saved_runtime {
    std::int64_t clock_ns = 0;
    std::uint64_t rng = 0, generated_ids = 0, timer_seq = 0, ready_counter = 0;
    std::vector<saved_run> runs;
};

[[nodiscard]] inline bool event_kind_named(std::string_view name, event_kind& k) noexcept {
    // The names in a table, not through to_string's switch for each kind tried: a load reads one per event.
    static constexpr auto names = [] {
        std::array<std::string_view, static_cast<std::size_t>(last_event_kind) + 1> table{};
        for (std::size_t i = 0; i < table.size(); ++i) table[i] = to_string(static_cast<event_kind>(i));
        return table;
    }();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) {
            k = static_cast<event_kind>(i);
            return true;
        }
    return false;
}

[[nodiscard]] inline bool status_named(std::string_view name, workflow_status& s) noexcept {
    for (int i = 0; i <= static_cast<int>(workflow_status::timed_out); ++i)
        if (to_string(static_cast<workflow_status>(i)) == name) {
            s = static_cast<workflow_status>(i);
            return true;
        }
    return false;
}

/// An error as a save recorded it: a coflow::error with its code and message (its own class is not
/// kept), or a std::runtime_error with the message.
[[nodiscard]] inline std::exception_ptr restored_error(std::int64_t code, const std::string& message) {
    if (code >= 0 && code <= static_cast<std::int64_t>(errc::update_unfinished))
        return std::make_exception_ptr(error(static_cast<errc>(code), message));
    return std::make_exception_ptr(std::runtime_error(message));
}

/// Reads a save's lines, each tag and payload, keeping their byte positions for errors.
class save_lines {
public:
    explicit save_lines(std::string_view text) : text_(text) {}

    /// The payload of the next line, which must carry `tag`; raises invalid_save naming the position.
    reader next(std::string_view tag) {
        const std::size_t start = pos_;
        const std::string_view line = take_line(tag);
        if (line.size() <= tag.size() || line.compare(0, tag.size(), tag) != 0 || line[tag.size()] != ' ')
            detail::raise(invalid_save(start, "expected a '" + std::string(tag) + "' line, found " + shown(line)));
        return reader(line.substr(tag.size() + 1), start + tag.size() + 1);
    }

    /// Whether the next line carries `tag`.
    [[nodiscard]] bool next_is(std::string_view tag) const noexcept {
        const std::string_view rest = text_.substr(pos_);
        return rest.size() > tag.size() && rest.compare(0, tag.size(), tag) == 0 && rest[tag.size()] == ' ';
    }

    /// The next line, which must be exactly `line`.
    void expect(std::string_view line) {
        const std::size_t start = pos_;
        const std::string_view got = take_line(line);
        if (got != line)
            detail::raise(invalid_save(start, "expected '" + std::string(line) + "', found " + shown(got)));
    }

    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return text_.size() - pos_; }

    void finish() const {
        if (pos_ != text_.size()) detail::raise(invalid_save(pos_, "expected the end of the save after 'end'"));
    }

private:
    std::string_view take_line(std::string_view what) {
        if (pos_ >= text_.size())
            detail::raise(invalid_save(pos_, "the save ends early: expected '" + std::string(what) + "'"));
        const std::size_t nl = text_.find('\n', pos_);
        if (nl == std::string_view::npos)
            detail::raise(invalid_save(text_.size(), "the save ends in the middle of a line (it was cut short)"));
        const std::string_view line = text_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        return line;
    }
    static std::string shown(std::string_view line) {
        std::string out = "'";  // appended, not added: g++ 12 -O3 warns (-Wrestrict) about "'" + std::string(...)
        out.append(line.substr(0, 40));
        out.append(line.size() > 40 ? "...'" : "'");
        return out;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

/// The workflow type named `name` among those given to load, or null.
[[nodiscard]] inline const workflow_type* type_named(const std::vector<const workflow_type*>& types,
                                                     std::string_view name) noexcept {
    for (const workflow_type* t : types)
        if (t->name == name) return t;
    return nullptr;
}

/// The decoder of input event `e` of a run of `type` whose earlier events are `before`, or null.
[[nodiscard]] inline pack_decoder decoder_of_input(const workflow_type& type, const std::vector<history_event>& before,
                                                   const history_event& e,
                                                   const std::vector<const workflow_type*>& types) {
    const auto status_is = [&](workflow_status s) { return !e.args.empty() && e.args[0] == engine::json(to_string(s)); };
    switch (e.kind) {
        case event_kind::workflow_started: return type.decoder_for(input_role::run, {});
        case event_kind::signal_accepted: return type.decoder_for(input_role::signal, e.name);
        case event_kind::update_accepted: return type.decoder_for(input_role::update, e.name);
        case event_kind::workflow_terminated: return decoder_of<std::tuple<std::string>>::get();
        case event_kind::workflow_timed_out: return decoder_of<std::tuple<std::string, std::int64_t>>::get();
        case event_kind::child_closed:
            if (status_is(workflow_status::terminated)) return decoder_of<std::tuple<std::string>>::get();
            if (status_is(workflow_status::timed_out)) return decoder_of<std::tuple<std::string, std::int64_t>>::get();
            if (status_is(workflow_status::completed))  // the child's result: its type is in its child_started
                for (auto it = before.rbegin(); it != before.rend(); ++it)
                    if (it->kind == event_kind::child_started && it->name == e.name && !it->args.empty()) {
                        for (const workflow_type* t : types)
                            if (engine::json(t->name) == it->args[0]) return t->decoder_for(input_role::result, {});
                        return nullptr;
                    }
            return nullptr;
        default: return nullptr;
    }
}

inline void read_event(reader& r, const workflow_type& type, const std::vector<const workflow_type*>& types,
                       std::vector<history_event>& events) {
    history_event& e = events.emplace_back();
    const std::size_t at = r.position();
    // The tuple (kind, time, name, args, self-sent, in a handler, start index) that write_event_head writes, read
    // field by field into the event, in the order (and so with the errors) of codec<std::tuple<...>>.
    r.open_tuple();
    std::string scratch;  // only for a kind spelled with %XX
    const std::string_view kind = reader_access::bytes_view(r, scratch);
    e.time_ns = r.get_integer<std::int64_t>();
    reader_access::bytes_into(r, e.name);
    e.args = codec<std::vector<std::string>>::decode(r);
    e.self_sent = r.get_bool();
    e.in_handler = r.get_bool();
    e.start_index = static_cast<std::size_t>(r.get_integer<std::uint64_t>());
    r.close_tuple();
    if (!event_kind_named(kind, e.kind)) r.fail_at(at, "unknown event kind '" + std::string(kind) + "'");
    if (r.get_optional()) {
        const std::size_t values_at = r.position();
        r.open_tuple();
        const pack_decoder d = decoder_of_input(type, events, e, types);
        if (!d)
            r.fail_at(values_at, "event " + e.describe(events.size() - 1) + " of a run of workflow type '" +
                                     std::string(type.name) +
                                     "' holds values its definition gives no types for (or types without codecs)");
        e.input = d(r);
        r.close_tuple();
    }
    if (r.get_optional()) {
        auto [code, message] = r.read<std::tuple<std::int64_t, std::string>>();
        e.error = restored_error(code, message);
    }
    if (!r.at_end()) r.fail("the end of the event");
}

/// Reads a run line's tuple into `run` (see write_run); returns the number of events it announces.
inline std::uint64_t read_run(reader& r, saved_run& run, const std::vector<const workflow_type*>& types) {
    // run_tuple, read field by field into the run, in the order (and so with the errors) of its codec.
    // A failure leaves the run half read: the load fails with it.
    r.open_tuple();
    reader_access::bytes_into(r, run.type);
    reader_access::bytes_into(r, run.hist.workflow_id);
    reader_access::bytes_into(r, run.hist.run_id);
    run.run_key = r.get_integer<std::uint64_t>();
    run.hist.seed = r.get_integer<std::uint64_t>();
    std::string scratch;  // only for a status spelled with %XX
    const std::string_view status = reader_access::bytes_view(r, scratch);
    static_cast<void>(r.get_integer<std::int64_t>());  // the start time: the history's first event has it
    reader_access::bytes_into(r, run.parent_id);
    run.first_run_key = r.get_integer<std::uint64_t>();
    run.continued_run_key = r.get_integer<std::uint64_t>();
    run.continued = r.get_bool();
    run.hist.execution_timeout_ns = r.get_integer<std::int64_t>();
    run.hist.run_timeout_ns = r.get_integer<std::int64_t>();
    run.hist.execution_deadline_ns = r.get_integer<std::int64_t>();
    run.update_ids_made = r.get_integer<std::uint64_t>();
    run.timer_seqs = codec<std::vector<std::uint64_t>>::decode(r);
    run.timeout_seq = r.get_integer<std::uint64_t>();
    const auto events = r.get_integer<std::uint64_t>();
    r.close_tuple();
    if (!status_named(status, run.status))
        detail::raise(invalid_save(run.position, "workflow '" + run.hist.workflow_id + "': unknown status '" +
                                                     std::string(status) + "'"));
    run.hist.workflow_type = run.type;
    if (!type_named(types, run.type))
        detail::raise(invalid_operation("load: workflow '" + run.hist.workflow_id + "' is of workflow type '" +
                                        run.type + "', which was not given to load"));
    return events;
}

inline void check_run_shape(const saved_run& run) {
    guarded([&] { check_shape(run.hist); },
            [&](std::exception_ptr why) {
                detail::raise(
                    invalid_save(run.position, "workflow '" + run.hist.workflow_id + "': " + describe_exception(why)));
            });
}

/// Reads a save. With `end`, the save may be followed by more (a journal's records): `*end` is where it ends.
inline saved_runtime parse_save(std::string_view text, const std::vector<const workflow_type*>& types,
                                std::size_t* end = nullptr) {
    save_lines lines(text);
    lines.expect(save_header);
    saved_runtime doc;
    reader head = lines.next("runtime");
    std::uint64_t count = 0;
    std::tie(doc.clock_ns, doc.rng, doc.generated_ids, doc.timer_seq, count) = head.read<runtime_tuple>();
    if (!head.at_end()) head.fail("the end of the runtime line");
    for (std::uint64_t n = 0; n < count; ++n) {
        saved_run& run = doc.runs.emplace_back();  // read in place: a failure fails the whole parse
        run.position = lines.position();
        reader r = lines.next("run");
        const std::uint64_t events = read_run(r, run, types);
        if (!r.at_end()) r.fail("the end of the run line");
        const workflow_type* type = type_named(types, run.type);
        // A hostile count buys little: the reserve is capped, as a codec's (and by the lines left, each
        // at least "event ()\n").
        run.hist.events.reserve(
            reserve_hint<history_event>(static_cast<std::size_t>(std::min<std::uint64_t>(events, lines.remaining() / 9))));
        for (std::uint64_t k = 0; k < events; ++k) {
            reader e = lines.next("event");
            read_event(e, *type, types, run.hist.events);
        }
        check_run_shape(run);
    }
    if (lines.next_is("ready")) {
        reader r = lines.next("ready");
        std::vector<std::uint64_t> places;
        std::tie(doc.ready_counter, places) = r.read<std::tuple<std::uint64_t, std::vector<std::uint64_t>>>();
        if (!r.at_end()) r.fail("the end of the ready line");
        if (places.size() != doc.runs.size()) r.fail("a place in the ready queue for each run");
        for (std::size_t k = 0; k < places.size(); ++k) doc.runs[k].ready_seq = places[k];
    }
    lines.expect("end");
    if (end) *end = lines.position();
    else lines.finish();
    return doc;
}

}  // namespace coflow::detail
