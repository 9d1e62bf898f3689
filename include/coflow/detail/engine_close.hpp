// coflow/detail/engine_close.hpp: closing a run: its record, its children (parent-close policies), its waiters and its parent.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::close(instance_base& in, workflow_status status) {
    seal(in, status);
    if (!in.x || in.x->children.empty()) {
        announce_close(in);
        return;
    }
    // A parent's end (continue-as-new included, as in Temporal) reaches its open children; the
    // default policy terminates them, and their ends reach theirs. Walked with a stack of the runs
    // whose children are being ended rather than by recursion, so that a chain of children of any
    // depth closes on a flat stack. Each run announces its close once its children are done.
    std::vector<instance_base*> closing{&in};
    while (!closing.empty()) {
        instance_base& parent = *closing.back();
        instance_base::extras* c = parent.x ? parent.x->children.pop_front() : nullptr;
        if (!c) {
            closing.pop_back();
            announce_close(parent);
            continue;
        }
        instance_base& child = *c->run;
        if (!child.running()) continue;
        if (c->on_parent_close == parent_close_policy_kind::terminate) {
            if (child.active) continue;  // its own code is running: it cannot be terminated
            child.more().terminate_reason = "parent workflow '" + parent.id + "' closed";
            seal(child, workflow_status::terminated);
            closing.push_back(&child);
        } else if (c->on_parent_close == parent_close_policy_kind::request_cancel) {
            cancel(child);
        }
    }
}

inline void engine::seal(instance_base& in, workflow_status status) {
    in.status = status;
    if (in.hist) {
        switch (status) {
            case workflow_status::completed: record(in, event_kind::workflow_completed, {}, {in.result_text()}); break;
            case workflow_status::failed:
                record(in, event_kind::workflow_failed, {}, {json(describe_exception(in.failure))});
                break;
            case workflow_status::cancelled: record(in, event_kind::workflow_cancelled); break;
            case workflow_status::terminated:
                // The reason as an input too: replay terminates the run with it.
                record(in, event_kind::workflow_terminated, {}, {json(in.terminate_reason())},
                       std::make_shared<arg_pack_impl<std::string>>(std::string(in.terminate_reason())));
                break;
            case workflow_status::timed_out: {
                // An input too: replay times the run out at its place.
                std::vector<std::string> args;
                std::shared_ptr<arg_pack_base> input;
                timeout_outcome(in, args, input);
                record(in, event_kind::workflow_timed_out, {}, std::move(args), std::move(input));
                break;
            }
            default: break;
        }
    }
    cancel_timeout(in);
    in.destroy_frames();
    in.inbox.clear(pending_pool_);
    in.delivered_ahead = 0;
    if (in.x) in.x->outbox.release();  // only a terminated run can still hold some: they are not sent
    in.ready.clear();
    in.conditions.clear();
    in.suspended.clear();
    in.cancel_requested = false;
}

inline void engine::announce_close(instance_base& in) {
    if (in.status == workflow_status::continued_as_new || !in.x) return;  // a continued run lives on under its id
    while (waiter* w = in.x->completion.pop_front()) {
        auto& c = static_cast<completion_waiter&>(*w);
        c.capture(c, in);
        c.fire(wake_reason::fired);
    }
    if (instance_base* parent = by_slot(in.x->parent_slot, in.x->parent_gen))
        if (parent->hist) record_child_closed(*parent, in);
    in.x->unlink();
}

}  // namespace coflow::detail
