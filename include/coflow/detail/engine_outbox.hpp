// coflow/detail/engine_outbox.hpp: a run's outbox, the signals and cancel requests its step sent, sent as it ends.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

[[gnu::noinline]] inline void engine::send_outbox(instance_base& in) {
    auto& outbox = in.x->outbox;
    while (!outbox.empty()) {
        // Sent from its slot, not moved out: only the sender's own code adds to its outbox, and none
        // of it runs here. Popped when the iteration ends (or unwinds), where the moved-out copy died.
        outgoing& o = outbox.front();
        struct pop_sent {
            ring<outgoing>& r;
            ~pop_sent() { r.pop_front(); }
        } const popping{outbox};
        std::exception_ptr error;
        if (check_ && check_->actual == in.hist && !resend_in_replay(in, o)) {
            // Replaying: the target is not here; the outcome is the one the history recorded.
            const std::size_t k = in.hist->events.size();
            if (k < check_->expected->events.size()) error = check_->expected->events[k].error;
        } else {
            guarded(
                [&] {
                    // A run still in the slot where the sender saw it is the id's latest run: a newer
                    // run under the id would have retired it.
                    instance_base* target = by_slot(o.slot, o.gen);
                    instance_base& to = target ? *target : require(o.target);
                    self_sender_ = &to == &in ? &in : nullptr;
                    o.send(*this, to);
                },
                [&](std::exception_ptr e) { error = std::move(e); });
            self_sender_ = nullptr;
        }
        if (in.hist)
            record(in, event_kind::signal_sent, o.target,
                   {json(o.what ? *o.what : std::string()),
                    json(error ? describe_exception(error) : std::string("accepted"))},
                   {}, error);
        if (o.state) o.state->complete(std::move(error));
        else if (error && !in.failure) in.failure = std::move(error);  // nobody awaited it: not lost silently
    }
}

// The order is the loop's (engine::run_steps): with the inbox and the ready list empty, its next pass
// sends the outbox and then resumes the body, whose awaiter the send woke; done here, the awaiter needs
// no waiter and the loop no pass. Nothing else of the run can change in between: a signal to another run
// goes to that run's inbox or channel and posts its activation (an executor never runs work inside post),
// and its refusal goes to the awaiter. A signal to the run itself is left to the loop (it is handled
// before the body resumes), and so is a cancel request (it can reach the sender through its parent).
inline bool engine::send_at_suspension(instance_base& in, const activation& a) {
    if (!a.body || a.task || a.next || a.inst != &in || in.hist || check_ || !in.inbox.empty() ||
        !in.ready.empty() || in.failure || in.cancel_pending || cancel_closes_run(in))
        return false;
    ring<outgoing>& outbox = in.x->outbox;
    if (outbox.size() != 1 || outbox.front().slot == in.slot || outbox.front().slot == run_hint{}.slot)
        return false;
    send_outbox(in);
    ++in.steps;
    return true;
}

inline bool engine::resend_in_replay(instance_base& in, const outgoing& o) const {
    const std::vector<history_event>& expected = check_->expected->events;
    const std::size_t k = in.hist->events.size();
    return o.target == in.id && find(o.target) == &in && k < expected.size() && expected[k].self_sent;
}

}  // namespace coflow::detail
