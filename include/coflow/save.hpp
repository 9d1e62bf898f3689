// coflow/save.hpp: save(runtime) and load(runtime, saved, definitions...): workflows that survive the
// program. A save holds each run's history with its inputs' values; a load replays each run's code
// against its history, so the run is back in the middle of its coroutine, and then goes on live.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <iterator>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/replay_check.hpp>
#include <coflow/detail/replay_executor.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/replay.hpp>
#include <coflow/runtime.hpp>

namespace coflow {

namespace detail {

// The document, one record per line, each line a tag and one encoded tuple (codec.hpp):
//
//     coflow-save 1
//     runtime (clock, random state, ids generated, timers armed, runs)
//     run (type, id, run id, run key, seed, status, start time, parent id, first run key,
//          continued run key, continued, execution timeout, run timeout, execution deadline,
//          update ids made, timers' arming order, timeout's arming order, events)
//     event (kind, time, name, args, self-sent, in a handler, start index, input, error)   ... per event
//     ready (activations posted, [each run's place in the ready queue, 0: none])   only between steps
//     end
//
// An input is n, or o(values...): the values of the pack replay feeds. The save names no C++ type: a load
// reads them as the types the workflow type's definition gives the event (its run method's, signal's,
// update's or child's result), so that a save from a build by one compiler loads in a build by another.
// An error is n, or o(code, message), code -1 for an exception
// that is not a coflow::error.
inline constexpr std::string_view save_header = "coflow-save 1";

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

// The events whose input replay feeds (the others' inputs are made again, or are not needed).
[[nodiscard]] inline bool saves_input(const history_event& e) noexcept {
    return e.kind == event_kind::workflow_started || e.kind == event_kind::update_accepted || is_input(e);
}

inline void write_error(writer& w, const std::exception_ptr& e) {
    if (!e) {
        w.put_none();
        return;
    }
    std::int64_t code = -1;
    std::string message = describe_exception(e);
    catch_as<error>(
        e,
        [&](const error& x) {
            code = static_cast<std::int64_t>(x.code());
            const std::string prefix = "[coflow." + std::string(to_string(x.code())) + "] ";
            if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
        },
        [] {});
    w.put_some();
    w.write(std::tuple<std::int64_t, std::string>(code, message));
}

/// An error as a save recorded it: a coflow::error with its code and message (its own class is not
/// kept), or a std::runtime_error with the message.
[[nodiscard]] inline std::exception_ptr restored_error(std::int64_t code, const std::string& message) {
    if (code >= 0 && code <= static_cast<std::int64_t>(errc::update_unfinished))
        return std::make_exception_ptr(error(static_cast<errc>(code), message));
    return std::make_exception_ptr(std::runtime_error(message));
}

// A dynamic handler takes values of any types: a load could not tell which to read.
inline void refuse_dynamic(const instance_base& run, const history_event& e, std::size_t index) {
    std::uint32_t unused = 0;
    const bool dynamic = (e.kind == event_kind::signal_accepted && !run.type.find_signal(e.name, unused)) ||
                         (e.kind == event_kind::update_accepted && !run.type.find_update(e.name));
    if (dynamic)
        detail::raise(invalid_operation("save: workflow '" + run.id + "' event " + e.describe(index) +
                                        " went to a dynamic handler, whose argument types a load cannot know: "
                                        "give it a named handler to save it"));
}

/// The head of an event's record: its tuple (kind, time, name, display arguments, self-sent, in a
/// handler, start index), part by part (as codec<std::tuple<...>> would write it, without copying the
/// event into one). `write_args()` writes the display arguments, a list of strings. write_event and a
/// journal's compaction (expand_signal_event) write it here, read_event reads it.
template <class WriteArgs>
void write_event_head(writer& w, event_kind kind, std::int64_t time_ns, std::string_view name, WriteArgs&& write_args,
                      bool self_sent, bool in_handler, std::uint64_t start_index) {
    w.open_tuple();
    w.put_bytes(to_string(kind));
    w.put_integer(time_ns);
    w.put_bytes(name);
    write_args();
    w.put_bool(self_sent);
    w.put_bool(in_handler);
    w.put_integer(start_index);
    w.close_tuple();
}

inline void write_event(writer& w, const instance_base& run, const history_event& e, std::size_t index) {
    write_event_head(
        w, e.kind, e.time_ns, e.name,
        [&] {
            w.open_list(e.args.size());
            for (const std::string& a : e.args) w.put_bytes(a);
            w.close_list();
        },
        e.self_sent, e.in_handler, static_cast<std::uint64_t>(e.start_index));
    if (e.input && saves_input(e)) {
        refuse_dynamic(run, e, index);
        w.put_some();
        w.open_tuple();
        const std::string_view missing = e.input->encode(w);
        if (!missing.empty())
            detail::raise(invalid_operation("save: workflow '" + run.id + "' event " + e.describe(index) +
                                            " holds a value of type " + std::string(missing) +
                                            ", which has no codec: specialise coflow::codec for it (coflow/codec.hpp)"));
        w.close_tuple();
    } else {
        w.put_none();
    }
    write_error(w, e.error);
}

/// The arming order (timer_table::seq) of the timers `run` waits on, in that order; with `slots`, their slots.
inline std::vector<std::uint64_t> timer_seqs(engine& eng, instance_base& run,
                                             std::vector<std::uint32_t>* slots = nullptr) {
    // Between steps every timer of the run belongs to one of its suspended waits: its own, not all the
    // runtime's timers (a journal asks this of each run it writes).
    std::vector<std::pair<std::uint64_t, std::uint32_t>> found;
    run.suspended.for_each([&](const waiter& w) {
        if (w.timer != no_timer && eng.timers().waiter_of(w.timer) == &w)
            found.emplace_back(eng.timers().seq(w.timer), w.timer);
    });
    std::sort(found.begin(), found.end());
    std::vector<std::uint64_t> seqs;
    for (const auto& [seq, slot] : found) {
        seqs.push_back(seq);
        if (slots) slots->push_back(slot);
    }
    return seqs;
}

using runtime_tuple = std::tuple<std::int64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>;
using run_tuple = std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t, std::string,
                             std::int64_t, std::string, std::uint64_t, std::uint64_t, bool, std::int64_t,
                             std::int64_t, std::int64_t, std::uint64_t, std::vector<std::uint64_t>, std::uint64_t,
                             std::uint64_t>;

/// Refuses to save or journal a run that is running its code, or (unless `between_steps`) has work ready.
inline void check_savable(const instance_base& in, bool between_steps) {
    if (in.active || current_query)
        detail::raise(invalid_operation("save: workflow '" + in.id + "' is running its code; save between steps"));
    if (!between_steps && in.scheduled && in.running())
        detail::raise(invalid_operation("save: workflow '" + in.id +
                                        "' has work ready to run; run the executor until it is idle, then save"));
}

/// The run line's tuple: the run, its links and timers, and how many events its history holds.
inline void write_run(writer& w, engine& eng, instance_base& in) {
    const history& h = *in.hist;
    const instance_base::extras* x = in.x.get();
    // run_tuple, part by part (no copies of its strings).
    w.open_tuple();
    w.put_bytes(h.workflow_type);
    w.put_bytes(in.id);
    w.put_bytes(h.run_id);
    w.put_integer(in.run_key);
    w.put_integer(h.seed);
    w.put_bytes(to_string(in.status));
    w.put_integer(static_cast<std::int64_t>(in.start_time.time_since_epoch().count()));
    w.put_bytes(x ? std::string_view(x->parent_id) : std::string_view());
    w.put_integer(x ? x->first_run_key : std::uint64_t{0});
    w.put_integer(x ? x->continued_run_key : std::uint64_t{0});
    w.put_bool(x && x->continued);
    w.put_integer(h.execution_timeout_ns);
    w.put_integer(h.run_timeout_ns);
    w.put_integer(h.execution_deadline_ns);
    w.put_integer(x && x->updates ? x->updates->made_ids : std::uint64_t{0});
    w.write(timer_seqs(eng, in));
    w.put_integer(x && x->timeout_armed ? x->timeout_seq : std::uint64_t{0});
    w.put_integer(static_cast<std::uint64_t>(h.first_event + h.events.size()));
    w.close_tuple();
}

/// The runtime's own state: clock, random state, generated ids, timer order, and `count`.
inline void write_runtime(writer& w, engine& eng, std::uint64_t count) {
    w.write(runtime_tuple(eng.exec().now().time_since_epoch().count(), eng.rng_state(), eng.generated_ids(),
                          eng.timers().next_seq(), count));
}

/// The bytes a run's lines take in a save: its run line, and all (the run line and its events), newlines in.
struct saved_bytes {
    std::size_t run_line = 0, all = 0;
};

/// Where a run's released events are (history::first_event): their encoded text, as a journal's file
/// holds it (journal.hpp), so that a compaction copies them rather than reading them back.
using released_event_text = std::string_view (*)(void* context, const instance_base& run, std::size_t index);

/// The save of every run a reload needs. With `between_steps` (a journal's snapshot), runs may have work
/// ready, and the save keeps the order it was posted in. With `run_bytes`, also each run's bytes, in order.
/// With `released`, events that are no longer in memory are copied from the text it gives.
inline std::string save_text(engine& eng, bool between_steps = false, std::vector<saved_bytes>* run_bytes = nullptr,
                             released_event_text released = nullptr, void* context = nullptr) {
    if (!eng.recording())
        detail::raise(invalid_operation(
            "save needs the runs' histories: construct the runtime with runtime_options::record_history = true"));
    if (eng.sink_ && !released) eng.sink_->restore_histories();  // a journal's file may hold them, not memory
    std::vector<instance_base*> runs;
    eng.for_each_recorded_run([&](instance_base& in) {
        check_savable(in, between_steps);
        if (in.hist->first_event != 0 && !released)  // a journal without histories in memory, destroyed since
            detail::raise(invalid_operation(
                "save: workflow '" + in.id + "' has " + std::to_string(in.hist->first_event) +
                " events in a journal's file only (journal_options::histories_in_memory = false), and the "
                "journal is gone: save while it exists, or recover from its file"));
        runs.push_back(&in);
    });
    std::string out(save_header);
    out += "\nruntime ";
    writer w(out);
    write_runtime(w, eng, static_cast<std::uint64_t>(runs.size()));
    bool ready = false;
    for (instance_base* in : runs) {
        const std::size_t from = out.size();
        out += "\nrun ";
        write_run(w, eng, *in);
        const std::size_t run_line = out.size() - from;
        const history& h = *in->hist;
        for (std::size_t k = 0; k < h.first_event; ++k) {  // only with `released`: else restored above
            out += "\nevent ";
            out += released(context, *in, k);
        }
        for (std::size_t k = 0; k < h.events.size(); ++k) {
            out += "\nevent ";
            write_event(w, *in, h.events[k], h.first_event + k);
        }
        if (run_bytes) run_bytes->push_back({run_line, out.size() - from});
        ready = ready || (in->scheduled && in->running());
    }
    if (ready) {
        std::vector<std::uint64_t> places;
        for (const instance_base* in : runs) places.push_back(in->scheduled && in->running() ? in->x->ready_seq : 0);
        out += "\nready ";
        w.write(std::tuple<std::uint64_t, std::vector<std::uint64_t>>(eng.ready_counter(), places));
    }
    out += "\nend\n";
    return out;
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

/// Restores the engine's executor when a load ends, however it ends.
class loading {
public:
    loading(engine& eng, executor& live, replay_executor& ex) noexcept : eng_(eng), live_(live) { eng.begin_load(ex); }
    loading(const loading&) = delete;
    loading& operator=(const loading&) = delete;
    ~loading() {
        eng_.check_ = nullptr;
        eng_.begin_load(live_);
    }

private:
    engine& eng_;
    executor& live_;
};

/// Loads one run: replays it against its history to where the history ends.
inline void replay_run(engine& eng, replay_executor& ex, replay_check& check, const saved_run& run,
                       const workflow_type& type, instance_base* stand_in) {
    instance_base& in = begin_replay(eng, ex, check, run.hist, type, &run.run_key, stand_in);
    // A loaded run records its history (load_runs checked), which holds its run id: not made again here.
    if (in.hist ? in.hist->run_id != run.hist.run_id : in.run_id() != run.hist.run_id)
        detail::raise(invalid_save(run.position, "workflow '" + run.hist.workflow_id + "': run id " +
                                                     run.hist.run_id + " does not match its run key"));
    auto& x = in.more();
    if (x.parent_id.empty()) x.parent_id = run.parent_id;
    x.first_run_key = run.first_run_key;
    x.continued_run_key = run.continued_run_key;
    x.continued = run.continued;
    if (run.update_ids_made != 0) {
        if (!x.updates) x.updates = std::make_shared<update_book>();
        x.updates->made_ids = run.update_ids_made;
    }
    replay_to_end(eng, ex, check, in, run.hist);
    std::vector<std::uint32_t> slots;
    const std::size_t waiting = timer_seqs(eng, in, &slots).size();
    if (waiting != run.timer_seqs.size())
        detail::raise(invalid_save(run.position, "workflow '" + run.hist.workflow_id + "': the save holds " +
                                                     std::to_string(run.timer_seqs.size()) +
                                                     " timers, the loaded run waits on " + std::to_string(waiting)));
    for (std::size_t k = 0; k < slots.size(); ++k) eng.timers().set_seq(slots[k], run.timer_seqs[k]);
    x.timeout_seq = run.timeout_seq;
    x.ready_seq = run.ready_seq;
    if (in.status != run.status)
        detail::raise(nondeterminism_error("the run replays to status " + std::string(to_string(in.status)) +
                                           ", the save holds " + std::string(to_string(run.status))));
}

/// Replays the runs `doc` holds (see parse_save). Each run's parsed events are freed once it is replayed
/// (it holds its own history then), so the memory serves the runs after it.
inline void load_runs(engine& eng, saved_runtime doc, const std::vector<const workflow_type*>& types) {
    if (eng.size() != 0 || !eng.histories().empty())
        detail::raise(invalid_operation("load: the runtime has workflows already; load into a fresh runtime"));
    if (!eng.recording())
        detail::raise(invalid_operation(
            "load needs the runs' histories: construct the runtime with runtime_options::record_history = true"));
    executor& live = eng.exec();
    const time_point clock{duration(doc.clock_ns)};
    if (!live.restore_clock(clock))
        detail::raise(invalid_operation("load: the save was made at " + std::to_string(doc.clock_ns) +
                                        "ns and the executor's clock shows " +
                                        std::to_string(live.now().time_since_epoch().count()) +
                                        "ns, which it cannot move there (executor::restore_clock)"));
    replay_executor ex;
    {
        loading guard(eng, live, ex);
        for (saved_run& run : doc.runs) {
            const workflow_type* type = type_named(types, run.type);  // parse_save checked it is there
            ex.reset();  // the runs replayed before wait, parked, until all are back
            instance_base* stand_in = eng.find(run.hist.workflow_id);
            if (stand_in && !stand_in->stand_in)
                detail::raise(invalid_save(run.position, "workflow '" + run.hist.workflow_id + "' is in the save twice"));
            if (stand_in && &stand_in->type != type)  // its parent's code awaits a result of its own type
                detail::raise(nondeterminism_error("load: workflow '" + run.hist.workflow_id + "' is a child of type '" +
                                                   std::string(stand_in->type.name) +
                                                   "' in its parent's code, and of type '" + run.type + "' in the save"));
            replay_check check{};
            check.expected = &run.hist;
            guarded([&] { replay_run(eng, ex, check, run, *type, stand_in); },
                    [&](std::exception_ptr e) {
                        catch_as<nondeterminism_error>(
                            e,
                            [&](const nondeterminism_error& why) {
                                const std::string prefix = "[coflow.nondeterminism] ";
                                std::string what = why.what();
                                if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
                                detail::raise(nondeterminism_error("load: workflow '" + run.hist.workflow_id +
                                                                   "', run " + run.hist.run_id + ": " + what));
                            },
                            [&] { std::rethrow_exception(e); });
                    });
            eng.check_ = nullptr;
            std::vector<history_event>().swap(run.hist.events);
        }
        ex.reset();
        // Children the save does not hold (closed and forgotten before it was made) leave no stand-in.
        std::vector<std::string> stand_ins;
        eng.for_each_stand_in([&](instance_base& s) {
            if (s.running())
                detail::raise(invalid_save(0, "workflow '" + (s.x ? s.x->parent_id : std::string()) +
                                                  "' has an open child '" + s.id + "' that the save does not hold"));
            stand_ins.push_back(s.id);
        });
        for (const std::string& id : stand_ins) eng.forget(id);
    }
    eng.finish_load(live, doc.rng, doc.generated_ids, doc.timer_seq, doc.ready_counter);
}

template <class Def>
void add_type(std::vector<const workflow_type*>& types) {
    using T = typename Def::workflow_class;
    static_assert(workflow_class<T>, "load takes workflow classes' definitions: coflow::load(rt, saved, A::definition, ...)");
    types.push_back(&workflow_type_of<T>());
}

}  // namespace detail

/// Saves every run a reload needs: the open runs and the closed runs still kept (for queries and
/// results), each as its history with the values of its inputs. The runtime must record histories
/// (runtime_options::record_history) and be between steps with no work ready (run the executor until it
/// is idle first). Every value the inputs hold needs a codec (coflow/codec.hpp): one that has none
/// raises invalid_operation naming its type, the workflow and the event. See "Durable runs" in the README.
[[nodiscard]] inline std::string save(runtime& rt) { return detail::save_text(rt.engine_internals()); }

/// Writes save(rt) to `out`.
inline void save(runtime& rt, std::ostream& out) {
    const std::string text = save(rt);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

/// Rebuilds the runs of a save in `rt`, a fresh runtime recording histories, whose workflow types
/// include those of the save (pass their definitions: `coflow::load(rt, saved, Cart::definition, ...)`).
/// Each run replays its code against its history, and so stands where it stood, mid-coroutine; its
/// parent and children are linked again; the executor's clock moves to the save's time
/// (executor::restore_clock), the timers the runs wait on are armed again, and the runtime goes on
/// live. Raises invalid_save naming the byte position for a damaged save, nondeterminism_error when
/// the code no longer makes the recorded decisions (naming the workflow, the run and the first
/// differing event), invalid_operation when the runtime is not fresh or a type was not given. After an
/// error the runtime holds what was loaded so far: destroy it.
template <class... Defs>
void load(runtime& rt, std::string_view saved, const Defs&...) {
    std::vector<const detail::workflow_type*> types;
    (detail::add_type<Defs>(types), ...);
    detail::load_runs(rt.engine_internals(), detail::parse_save(saved, types), types);
}

/// Reads a save from `in` and loads it (see above).
template <class... Defs>
void load(runtime& rt, std::istream& in, const Defs&... definitions) {
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    load(rt, std::string_view(text), definitions...);
}

}  // namespace coflow
