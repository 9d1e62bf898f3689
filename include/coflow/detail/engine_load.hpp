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

inline void engine::finish_load(executor& live, std::uint64_t rng, std::uint64_t generated_ids) {
    ex_ = &live;
    rng_ = splitmix64(rng);
    generated_ids_ = generated_ids;
    // Everything the replays left in their executor was dropped with it: post it again here. Timers go
    // by due time, then by the order of the runs (their start order) and of their arming.
    struct due_work {
        time_point due;
        std::uint32_t run_order;
        std::uint32_t slot;  // a timer's (timers_), or the run's for its timeout
        bool timeout;
    };
    std::vector<due_work> timers;
    std::vector<instance_base*> runs;
    for (const auto& h : histories_)
        if (instance_base* in = find(h->workflow_id); in && in->hist == h.get()) runs.push_back(in);
    std::vector<std::uint32_t> order_of_slot(slots_.size(), 0);
    for (std::uint32_t k = 0; k < runs.size(); ++k) order_of_slot[runs[k]->slot] = k;
    timers_.for_each_posted([&](std::uint32_t s, time_point due) {
        const waiter* w = timers_.waiter_of(s);
        timers.push_back(due_work{due, w && w->inst ? order_of_slot[w->inst->slot] : 0, s, false});
    });
    for (std::uint32_t k = 0; k < runs.size(); ++k) {
        instance_base& in = *runs[k];
        if (in.scheduled) {
            in.scheduled = false;
            if (in.running()) schedule(in);
        }
        if (in.running() && in.x && in.x->timeout_due != time_point::max())
            timers.push_back(due_work{in.x->timeout_due, k, in.slot, true});
    }
    std::stable_sort(timers.begin(), timers.end(), [](const due_work& a, const due_work& b) {
        return std::tie(a.due, a.run_order) < std::tie(b.due, b.run_order);
    });
    for (const due_work& t : timers) {
        if (t.timeout) {
            instance_base& in = *slots_[t.slot].inst;
            in.x->timeout_timer = ex_->post_at(t.due, timeout_work{link_ref(link_), in.slot, in.gen});
            in.x->timeout_armed = true;
        } else {
            timers_.posted(t.slot, ex_->post_at(t.due, timer_work{link_ref(link_), t.slot, timers_.generation(t.slot)}));
        }
    }
}

}  // namespace coflow::detail
