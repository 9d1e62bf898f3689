// coflow/detail/engine_load.hpp: what loading a save needs of the engine: a stand-in child giving its place
// to the run loaded for it, and the pending work of the loaded runs going to the live executor.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <algorithm>
#include <tuple>
#include <vector>

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::take_stand_in_place(instance_base& stand_in, instance_base& fresh) {
    auto& nx = fresh.more();
    nx.parent_id = stand_in.x ? stand_in.x->parent_id : std::string();
    // A closed stand-in already gave its parent the recorded outcome: the loaded run, which closes as
    // its own history says, must not give it again.
    if (!stand_in.running() || !stand_in.x) return;
    auto& sx = *stand_in.x;
    while (waiter* w = sx.completion.pop_front()) nx.completion.push_back(*w);
    nx.parent_slot = sx.parent_slot;
    nx.parent_gen = sx.parent_gen;
    nx.on_parent_close = sx.on_parent_close;
    if (static_cast<list_hook<child_tag>&>(sx).linked()) sx.replace_with(nx);
}

inline void engine::finish_load(executor& live, std::uint64_t rng, std::uint64_t generated_ids,
                                std::uint64_t timer_seq, std::uint64_t ready_counter) {
    ex_ = &live;
    rng_ = splitmix64(rng);
    generated_ids_ = generated_ids;
    timers_.set_next_seq(timer_seq);
    ready_counter_ = ready_counter;
    // Everything the replays left in their executor was dropped with it: post it again here, timers by
    // due time and then in the order the runs that never stopped armed them (load_runs restored it).
    struct due_work {
        time_point due;
        std::uint64_t seq;
        instance_base* timeout_of;  // null: the timer of timers_ slot `slot`
        std::uint32_t slot;
    };
    std::vector<due_work> timers;
    timers_.for_each_posted([&](std::uint32_t s, time_point due) { timers.push_back({due, timers_.seq(s), nullptr, s}); });
    // Runs with work ready go back in the order their activations were posted (a journal recovers runs
    // between steps, in the middle of an executor's run).
    std::vector<instance_base*> ready;
    for_each_recorded_run([&](instance_base& in) {
        if (in.scheduled) {
            in.scheduled = false;
            if (in.running()) ready.push_back(&in);
        }
        if (in.running() && in.x && in.x->timeout_due != time_point::max())
            timers.push_back({in.x->timeout_due, in.x->timeout_seq, &in, 0});
    });
    std::stable_sort(ready.begin(), ready.end(),
                     [](const instance_base* a, const instance_base* b) { return a->x->ready_seq < b->x->ready_seq; });
    for (instance_base* in : ready) {
        const std::uint64_t place = in->x->ready_seq;  // kept as saved: a save of it is the same text
        schedule(*in);
        in->x->ready_seq = place;
    }
    ready_counter_ = ready_counter;
    std::sort(timers.begin(), timers.end(),
              [](const due_work& a, const due_work& b) { return std::tie(a.due, a.seq) < std::tie(b.due, b.seq); });
    for (const due_work& t : timers) {
        if (instance_base* in = t.timeout_of) {
            in->x->timeout_timer = ex_->post_at(t.due, timeout_work{link_ref(link_), in->slot, in->gen});
            in->x->timeout_armed = true;
        } else {
            timers_.posted(t.slot, post_timer(t.due, t.slot));
        }
    }
}

inline void engine::drop_gone_histories() {
    std::vector<std::shared_ptr<const history>> kept;
    for_each_recorded_run([&](instance_base& in) {
        in.x->hist_index = static_cast<std::uint32_t>(kept.size());
        kept.push_back(in.x->hist_owner);
    });
    histories_ = std::move(kept);
    dirty_.clear();  // by the old indexes: the journal has just written everything
}

}  // namespace coflow::detail
