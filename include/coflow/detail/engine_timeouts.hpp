// coflow/detail/engine_timeouts.hpp: execution and run timeouts: setting them, firing them, recording them.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::check_timeouts(std::string_view id, duration execution, duration run) {
    if (execution < duration::zero() || run < duration::zero())
        detail::raise(invalid_operation("workflow '" + std::string(id) +
                                        "': a timeout may not be negative (zero means none)"));
}

inline void engine::start_timeouts(instance_base& in, duration execution, duration run) {
    if (execution == duration::zero() && run == duration::zero()) return;
    set_timeouts(in, execution, run,
                 execution > duration::zero() ? saturating_add(in.start_time, execution) : time_point::max());
}

inline void engine::set_timeouts(instance_base& in, duration execution, duration run, time_point execution_deadline,
                                 bool arm) {
    auto& x = in.more();
    x.execution_timeout = execution;
    x.run_timeout = run;
    x.execution_deadline = execution_deadline;
    const time_point run_due = run > duration::zero() ? saturating_add(in.start_time, run) : time_point::max();
    x.timeout_by = execution_deadline <= run_due ? timeout_kind::execution : timeout_kind::run;
    x.timeout_due = std::min(execution_deadline, run_due);
    if (in.hist) {
        in.hist->execution_timeout_ns = execution.count();
        in.hist->run_timeout_ns = run.count();
        in.hist->execution_deadline_ns =
            execution_deadline == time_point::max() ? 0 : execution_deadline.time_since_epoch().count();
    }
    // A deadline at the end of the clock never comes: no timer drags the clock there.
    if (!arm || in.stand_in || x.timeout_due == time_point::max()) return;
    x.timeout_timer = ex_->post_at(x.timeout_due, timeout_work{link_ref(link_), in.slot, in.gen});
    x.timeout_seq = timers_.draw_seq();
    x.timeout_armed = true;
}

inline void engine::time_out(instance_base& in, timeout_kind which, duration length) {
    if (!in.running()) detail::raise(workflow_closed(in.id, to_string(in.status), "time it out"));
    if (in.active)
        detail::raise(invalid_operation("workflow '" + in.id + "' cannot time out while its own code runs"));
    auto& x = in.more();
    x.timeout_by = which;
    (which == timeout_kind::execution ? x.execution_timeout : x.run_timeout) = length;
    close(in, workflow_status::timed_out);
}

inline void engine::fire_timeout(std::uint32_t slot, std::uint32_t gen) {
    instance_base* in = by_slot(slot, gen);
    if (!in || !in->running() || !in->x || !in->x->timeout_armed) return;
    in->x->timeout_armed = false;  // its work is running: nothing to cancel
    time_out(*in, in->x->timeout_by, in->x->timeout_length());
}

inline void engine::cancel_timeout(instance_base& in) noexcept {
    if (in.x && in.x->timeout_armed) {
        in.x->timeout_armed = false;
        ex_->cancel(in.x->timeout_timer);
    }
}

inline void engine::timeout_outcome(const instance_base& in, std::vector<std::string>& args,
                                    std::shared_ptr<arg_pack_base>& input) {
    const std::string which(to_string(in.x->timeout_by));
    const std::int64_t length = in.x->timeout_length().count();
    args.push_back(json(which));
    args.push_back(std::to_string(length));
    input = std::make_shared<arg_pack_impl<std::string, std::int64_t>>(which, length);
}

}  // namespace coflow::detail
