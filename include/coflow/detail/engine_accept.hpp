// coflow/detail/engine_accept.hpp: how a run accepts a signal: admitted (open, under its limit), an
// activation posted, then queued in its inbox in order, or (a channel's, with nothing queued ahead) put in
// the channel at once. Members of detail::engine (engine.hpp), defined here to keep that header to the
// scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

template <class Make>
[[gnu::always_inline]] inline void engine::accept(instance_base& in, std::uint32_t index, Make&& make) {
    if constexpr (std::remove_cvref_t<std::invoke_result_t<Make&>>::fills_channel) {
        // Nothing queued ahead of it and no code of the run on the stack: the channel takes the value
        // now, exactly as the next activation would (filling a channel runs no workflow code), and the
        // inbox hop is skipped. With a history, delivery stays an event of the activation. Not before
        // the run first ran: a continued run's carried values move in then, and must come first. Inline:
        // this is the whole of a busy channel's signal.
        if (may_take(in) && in.inbox.empty() && !in.active && !in.needs_start && !in.hist) [[likely]] {
            if (!in.scheduled) post_activation(in);  // first: if posting fails, nothing was accepted
            decltype(auto) deliver = make();
            deliver(in);
            ++in.received;
            ++in.delivered_ahead;
            ++in.steps;  // a step: conditions reading the channel are tested again
            return;
        }
    }
    enqueue(in, index, make);
}

template <class Make>
void engine::enqueue(instance_base& in, std::uint32_t index, Make& make) {
    admit(in, [&] { return in.type.signals[index].name; });
    decltype(auto) deliver = make();
    using D = std::remove_cvref_t<decltype(deliver)>;
    if (in.hist) [[unlikely]] {
        record_accepted(in, index, deliver.args);
        in.inbox.emplace_back(pending_pool_, std::forward<decltype(deliver)>(deliver), index, &carry_accepted<D>);
    } else {
        in.inbox.emplace_back(pending_pool_, std::forward<decltype(deliver)>(deliver), index, pending_signal::carry_fn{});
    }
    ++in.received;
}

template <class Name>
void engine::admit(instance_base& in, Name&& name) {
    if (!may_take(in)) [[unlikely]] {
        if (!in.running()) detail::raise(workflow_closed(in.id, to_string(in.status), "signal it"));
        detail::raise(signal_limit_exceeded(
            in.id, name(), "received signals per run (runtime_options::max_received_signals_per_run)",
            received_limit_, "continue-as-new starts a run with fresh counters"));
    }
    schedule(in);  // first: if posting fails, nothing was accepted (a spare activation is harmless)
}

inline void engine::signal_by_name(instance_base& in, std::string_view name, erased_args args) {
    check_no_replay_escape("signal");
    if (!in.running()) detail::raise(workflow_closed(in.id, to_string(in.status), "signal it"));
    std::uint32_t index = 0;
    const signal_info* s = in.type.find_signal(name, index);
    if (s) return s->accept(in, args, index);
    if (in.type.dynamic_signal) return in.type.dynamic_signal(in, name, args);
    detail::raise(unknown_signal(in.id, in.type.name, name, in.type.signal_names()));
}

template <class Make>
void engine::accept_dynamic(instance_base& in, std::string_view name, Make&& make) {
    admit(in, [name] { return name; });
    auto deliver = make();
    if (in.hist)
        record(in, event_kind::signal_accepted, std::string(name), deliver.args->text(),
               std::shared_ptr<arg_pack_base>(deliver.args->clone()), {}, self_sender_ == &in);
    const std::string* stable_name = deliver.name.get();
    in.inbox.emplace_back(pending_pool_, std::move(deliver), dynamic_index, stable_name);
    ++in.received;
}

}  // namespace coflow::detail
