// coflow/detail/engine_history.hpp: recording a run's history: events, waits, handled and carried signals, closed children.
// Members of detail::engine (engine.hpp), defined here to keep that header to the scheduler itself.
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

inline void engine::record(instance_base& in, event_kind k, std::string name, std::vector<std::string> args,
                           std::shared_ptr<arg_pack_base> input, std::exception_ptr error, bool self_sent,
                           bool in_handler, std::size_t start_index) {
    if (!in.hist || history_closed(*in.hist)) return;
    history_event e{k,           ex_->now().time_since_epoch().count(), std::move(name), std::move(args),
                    std::move(input), std::move(error), self_sent, in_handler, start_index};
    if (check_ && check_->actual == in.hist) [[unlikely]] {
        check_->feed_inputs_before(e, in);
        if (!in.hist || history_closed(*in.hist)) return;
        check_->compare(e, in.hist->events.size());
    }
    in.hist->events.push_back(std::move(e));
    if (sink_) [[unlikely]] {
        mark_dirty(in);
        if (streams(in)) {
            sink_->stream_event(in);
            if (sink_->streaming) keep_last_event(*in.hist);  // else it failed: the journal is stuck
        }
    }
}

[[nodiscard]] inline std::size_t length_of(const history& h) noexcept { return h.first_event + h.events.size(); }

[[gnu::noinline]] inline void engine::record_wait_started(waiter& w) {
    instance_base& in = *w.inst;
    std::vector<std::string> args;
    if (const std::string* label = w.label_of()) args.push_back(json(*label));
    const std::size_t start = length_of(*in.hist);  // the index this event takes
    record(in, event_kind::wait_started, to_string(w.kind), std::move(args), {}, {}, false, !w.body);
    if (length_of(*in.hist) == start) return;  // the history is closed
    auto& open = in.more().open_waits;
    for (auto& o : open)
        if (o.first == &w) {  // left by a waiter destroyed unended at this address
            o.second = start;
            return;
        }
    open.emplace_back(&w, start);
}

[[nodiscard]] inline bool engine::replaying(const instance_base& in) const noexcept {
    return check_ && in.hist && check_->actual == in.hist && in.hist->events.size() < check_->expected->events.size();
}

[[nodiscard]] inline const history_event* engine::recorded_next(const instance_base& in, event_kind k) const noexcept {
    if (!check_ || !in.hist || check_->actual != in.hist) return nullptr;
    const std::size_t i = in.hist->events.size();
    const auto& expected = check_->expected->events;
    return i < expected.size() && expected[i].kind == k ? &expected[i] : nullptr;
}

template <class Tuple>
[[gnu::noinline]] inline void engine::record_accepted(instance_base& in, std::uint32_t index, const Tuple& args) {
    if (streams(in) && stream_accepted(in, index, args)) return;
    record(in, event_kind::signal_accepted, std::string(in.type.signals[index].name), tuple_text(args),
           tuple_copy(args), {}, self_sender_ == &in);
}

template <class D>
void engine::carry_accepted(const pending_signal& p, instance_base& to) {
    const D& d = p.deliver.template target<D>();
    to.eng.record(to, event_kind::signal_accepted, std::string(to.type.signals[p.index].name), tuple_text(d.args),
                  tuple_copy(d.args));
}

[[gnu::noinline]] inline void engine::record_carried(instance_base& old, instance_base& fresh, std::size_t carried_inbox) {
    old.type.carried_channel_values(old, fresh, [](instance_base& to, std::uint32_t index,
                                                   std::vector<std::string> text,
                                                   std::shared_ptr<arg_pack_base> copy) {
        to.eng.record(to, event_kind::signal_accepted, std::string(to.type.signals[index].name), std::move(text),
                      std::move(copy));
    });
    if (carried_inbox == 0 || !old.hist) return;
    // The carried signals are the first of the new run's inbox (updates aside). A named signal's closure
    // holds its arguments, which record its accepted event again; a dynamic handler's comes from the old
    // run's history (a journal that streams cannot hold one: it cannot write it).
    std::vector<const history_event*> accepted;  // the old run's last carried_inbox accepted events
    for (auto it = old.hist->events.rbegin(); it != old.hist->events.rend() && accepted.size() < carried_inbox;
         ++it)
        if (it->kind == event_kind::signal_accepted) accepted.push_back(&*it);
    std::reverse(accepted.begin(), accepted.end());
    const std::size_t missing = carried_inbox - accepted.size();  // released by a journal: named signals only
    std::size_t j = 0;
    fresh.inbox.for_each(pending_pool_, [&](const pending_signal& p) {
        if (j >= carried_inbox || p.index == update_index) return;
        if (p.index != dynamic_index && p.carry) p.carry(p, fresh);
        else if (j >= missing) record(fresh, event_kind::signal_accepted, accepted[j - missing]->name,
                                      accepted[j - missing]->args, accepted[j - missing]->input);
        ++j;
    });
}

[[gnu::noinline]] inline void engine::record_wait_ended(instance_base& in, const waiter& w) {
    auto& open = in.more().open_waits;
    std::size_t start = 0;
    for (const auto& o : open)
        if (o.first == &w) start = o.second;
    const std::size_t before = length_of(*in.hist);
    record(in, event_kind::wait_ended, to_string(w.kind), {json(to_string(w.reason))}, {}, {}, false, !w.body, start);
    if (length_of(*in.hist) == before) return;  // the history is closed
    for (auto it = open.begin(); it != open.end(); ++it)
        if (it->first == &w) {
            open.erase(it);
            break;
        }
}

[[gnu::noinline]] inline void engine::record_handled(instance_base& in, const pending_signal& p) {
    if (p.index == update_index) return;
    record_handled(in, p.index,
                   p.index == dynamic_index ? std::string_view(*p.dynamic_name) : in.type.signals[p.index].name);
}

inline void engine::record_handled(instance_base& in, std::uint32_t index, std::string_view name) {
    const std::uint64_t count = ++in.more().handled;
    if (index != dynamic_index && streams(in) && !history_closed(*in.hist)) {
        stream_handled(in, index, count);
        return;
    }
    record(in, event_kind::signal_handled, std::string(name), {std::to_string(count)});
}

[[gnu::noinline]] inline void engine::record_child_closed(instance_base& parent, instance_base& child) {
    std::vector<std::string> args{json(to_string(child.status))};
    std::shared_ptr<arg_pack_base> outcome;
    if (child.status == workflow_status::completed) {
        guarded([&] { outcome = child.result_copy(); }, [](std::exception_ptr) {});  // replay says so if null
    } else if (child.status == workflow_status::terminated) {
        args.push_back(json(child.terminate_reason()));
        outcome = std::make_shared<arg_pack_impl<std::string>>(std::string(child.terminate_reason()));
    } else if (child.status == workflow_status::timed_out) {
        timeout_outcome(child, args, outcome);
    }
    record(parent, event_kind::child_closed, child.id, std::move(args), std::move(outcome),
           child.status == workflow_status::failed ? child.failure : nullptr);
}

inline void engine::release_history(instance_base& in) {
    std::vector<history_event>& events = in.hist->events;
    if (events.size() < 2) return;
    std::size_t keep = events.size() - 1;
    std::size_t queued = 0;  // as continue_as_new counts what it carries
    in.inbox.for_each(pending_pool_, [&](const pending_signal& p) { queued += p.index != update_index; });
    for (std::size_t k = events.size(); k-- > 0 && queued > 0;)
        if (events[k].kind == event_kind::signal_accepted) {
            keep = k;
            --queued;
        }
    events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(keep));
    in.hist->first_event += keep;
}

}  // namespace coflow::detail
