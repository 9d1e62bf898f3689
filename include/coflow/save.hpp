// coflow/save.hpp: save(runtime) and load(runtime, saved, definitions...): workflows that survive the
// program. A save holds each run's history with its inputs' values; a load replays each run's code
// against its history, so the run is back in the middle of its coroutine, and then goes on live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <coflow/codec.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/replay_check.hpp>
#include <coflow/detail/replay_executor.hpp>
#include <coflow/detail/save_format.hpp>
#include <coflow/detail/save_reader.hpp>
#include <coflow/detail/save_writer.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/replay.hpp>
#include <coflow/runtime.hpp>

namespace coflow {

namespace detail {

// The document's layout is in detail/save_format.hpp; save_text (detail/save_writer.hpp) writes it and
// parse_save (detail/save_reader.hpp) reads it back. Here: a load replays the runs parse_save read.

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
