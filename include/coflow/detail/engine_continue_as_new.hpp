// coflow/detail/engine_continue_as_new.hpp: continue-as-new: a run closes and a fresh one takes its id, its signals and its parent.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::continue_as_new(instance_base& old) {
    std::unique_ptr<instance_base> next = old.type.make(*this, old.id);
    std::unique_ptr<arg_pack_base> args = std::move(old.more().continue_args);
    std::vector<std::string> text;
    std::shared_ptr<arg_pack_base> input;
    if (old.hist) {
        text = args->text();
        input = args->clone();
        record(old, event_kind::continued_as_new, {}, text);
    }
    const bool started = guarded([&] { old.type.start(*next, args->view()); return true; },
                                 [&](std::exception_ptr e) {
                                     old.failure = std::move(e);
                                     return false;
                                 });
    if (!started) {
        close(old, workflow_status::failed);
        return;
    }
    // Moved signals were received by the old run: they do not count against the new run's limit.
    // Updates move too (they were not accepted yet: they have no event to carry), and are the new run's.
    std::size_t carried_inbox = 0;
    old.inbox.for_each(pending_pool_, [&](const pending_signal& p) { carried_inbox += p.index != update_index; });
    next->inbox.splice_back(pending_pool_, old.inbox);
    // Channel values stay in the old object (which queries read until the new run first runs) and
    // move when it does; values handed to receivers that will never resume go back first.
    old.type.reclaim_channels(old);
    auto& nx = next->more();
    while (waiter* w = old.x->completion.pop_front()) nx.completion.push_back(*w);
    nx.parent_slot = old.x->parent_slot;
    nx.parent_gen = old.x->parent_gen;
    nx.on_parent_close = old.x->on_parent_close;
    nx.parent_id = old.x->parent_id;
    nx.first_run_key = old.x->continued ? old.x->first_run_key : old.run_key;
    nx.continued_run_key = old.run_key;
    nx.continued = true;
    const duration execution_timeout = old.x->execution_timeout, run_timeout = old.x->run_timeout;
    const time_point execution_deadline = old.x->execution_deadline;
    close(old, workflow_status::continued_as_new);
    // After close: the old run's async updates are settled (unfinished). The queued ones stay known by
    // id in the new run, as if their callers had retried them there (Temporal's retry lands on it).
    if (old.x->updates) {
        nx.updates = std::move(old.x->updates);
        nx.updates->carry_over();
    }
    id_map<instance_base>::entry& entry = by_id_.probe(old.id, id_map<instance_base>::hash_of(old.id), run_at());
    std::unique_ptr<instance_base> keep(slots_[entry.slot()]);
    by_id_.erase(entry);
    retire(*keep);
    // Until the new run first runs, queries read the old run's object (which ran, so it is its own).
    nx.own_object = std::exchange(next->query_object, keep->query_object);
    nx.predecessor = std::move(keep);  // `old` lives on there until the new run first runs
    instance_base& fresh = add(std::move(next));  // a parent still finds the new run by id
    old.x->replace_with(nx);  // a parent's child is the new run now, in the old one's place
    // The chain's execution deadline carries over; the run timeout starts again (Temporal keeps it).
    if (execution_timeout != duration::zero() || run_timeout != duration::zero())
        set_timeouts(fresh, execution_timeout, run_timeout, execution_deadline);
    if (fresh.hist) {
        record(fresh, event_kind::workflow_started, std::string(fresh.type.name), text, input);
        record_carried(*nx.predecessor, fresh, carried_inbox);
    }
}

[[gnu::noinline]] inline void engine::take_over(instance_base& in) {
    in.type.move_channels(*in.x->predecessor, in, [](instance_base& to, std::uint32_t index) {
        if (to.hist) to.eng.record_handled(to, index, to.type.signals[index].name);
    });
    in.x->predecessor.reset();
    in.query_object = in.x->own_object;
}

}  // namespace coflow::detail
