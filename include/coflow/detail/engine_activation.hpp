// coflow/detail/engine_activation.hpp: one activation of a run: its steps, in order, until it is quiet or closes.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::run(instance_base& in) {
    if (in.x && in.x->predecessor) [[unlikely]]
        take_over(in);
    in.delivered_ahead = 0;  // from here on, they are delivered for everyone
    activation act{this, &in, false};
    activation* const outer = std::exchange(current_activation, &act);
    in.active = true;
    guarded([&] { run_steps(in, act); },
            [&](std::exception_ptr e) {
                if (!in.failure) in.failure = std::move(e);
            });
    // A closing run still handles what was accepted for it and sends what it sent; signals it sends
    // itself on the way are handled too (each round takes what the one before queued).
    for (;;) {
        if (in.body_finished && !in.failure) deliver_leftovers(in, act);
        flush(in);
        if (!in.body_finished || in.failure || in.inbox.empty()) break;
    }
    in.active = false;
    current_activation = outer;
    if (in.failure) close(in, workflow_status::failed);
    else if (in.continuing) continue_as_new(in);
    else if (in.body_finished) close(in, in.finished_as);
    else if (cancel_closes_run(in)) close(in, workflow_status::cancelled);  // it cancelled itself
}

inline void engine::run_steps(instance_base& in, activation& act) {
    while (!in.body_finished && !in.failure && !in.continuing && !cancel_closes_run(in)) {
        if (in.hist) [[unlikely]]
            if (check_ && feed_recorded_update(in, act)) continue;
        if (!in.inbox.empty()) {
            ++in.steps;
            deliver_next(in, act);
            continue;
        }
        if (in.needs_start) {  // after the signals that came with the start: the body's first line
            in.needs_start = false;
            act.body = true;
            act.task = false;
            ++in.steps;
            resume_chain(act, in.body);
            continue;
        }
        if (waiter* w = in.ready.pop_front()) {
            act.body = w->body;
            act.task = w->task;
            ++in.steps;
            if (in.hist) record_wait_ended(in, *w);
            resume_chain(act, w->handle);
            continue;
        }
        if (in.pending_outgoing() != 0) {  // the step's external signals go out; their awaiters wake
            flush(in);
            continue;
        }
        if (!test_conditions(in)) break;
    }
}

[[gnu::noinline]] inline bool engine::feed_recorded_update(instance_base& in, activation& act) {
    const history_event* e = recorded_next(in, event_kind::update_accepted);
    if (!e || !in.type.replay_update || !check_->mismatch.empty()) return false;
    if (e->time_ns > ex_->now().time_since_epoch().count()) return false;  // it came later, to an idle run
    act.body = false;
    act.task = false;
    ++in.steps;
    std::string why = in.type.replay_update(in, *e);
    if (!why.empty()) check_->mismatch = std::move(why);
    return true;
}

inline void engine::deliver_leftovers(instance_base& in, activation& act) {
    guarded(
        [&] {
            while (!in.inbox.empty() && !in.failure) deliver_next(in, act);
        },
        [&](std::exception_ptr e) { in.failure = std::move(e); });
}

}  // namespace coflow::detail
