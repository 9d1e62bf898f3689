// coflow/detail/save_writer.hpp: a save's text: the runtime line, each run's line and its events (save.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/replay_check.hpp>
#include <coflow/detail/save_format.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>

namespace coflow::detail {

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

}  // namespace coflow::detail
