// coflow/handle.hpp: workflow_handle<T>, the client's handle on a workflow by id.
// Untyped (workflow_handle<>) it addresses signals and queries by name; typed, by member pointer too.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/errors.hpp>
#include <coflow/status.hpp>
#include <coflow/update.hpp>

namespace coflow {

template <class T = void>
class workflow_handle;

/// An untyped handle: a workflow id and the runtime that knows it. It always addresses the id's latest
/// run. Cheap to copy; valid while its runtime lives. Nothing is checked when the handle is made: a
/// missing id throws workflow_not_found when the handle is used. Used while its runtime is being
/// destroyed (from a workflow object's destructor, say), it throws workflow_closed.
template <>
class workflow_handle<void> {
public:
    workflow_handle(detail::engine& eng, std::string id) : eng_(&eng), id_(std::move(id)) {}
    /// A handle on a run just started (runtime::start_workflow): it knows the run's slot already.
    workflow_handle(detail::engine& eng, std::string id, const detail::instance_base& run)
        : eng_(&eng), id_(std::move(id)), slot_(run.slot), gen_(run.gen) {}

    [[nodiscard]] const std::string& id() const noexcept { return id_; }

    /// Sends signal `name` with `args` (types must match the handler's parameters exactly, after decay;
    /// string literals count as std::string). Returns once the signal is accepted; its handler runs when
    /// the executor next runs the workflow. Throws workflow_not_found, workflow_closed, unknown_signal,
    /// argument_mismatch or signal_limit_exceeded, and then nothing was enqueued and nothing was taken
    /// from the arguments (passed with std::move, they are intact: send them again).
    template <class... As>
    void signal(std::string_view name, As&&... args) const {
        std::tuple<detail::by_name_hold_t<As>...> values(std::forward<As>(args)...);
        auto erased = detail::erase_args(values, std::index_sequence_for<As...>{});
        eng_->signal_by_name(instance(), name,
                             detail::erased_args{erased.data(), erased.size(), &detail::take_pack<detail::by_name_t<As>...>});
        eng_->input_returned();
    }

    /// Runs query `name` now and returns its answer as R (which must be the handler's return type).
    /// Works on running and closed runs, records nothing and runs no workflow code but the query.
    /// Throws unknown_query, argument_mismatch, or query_failed if the handler threw. A name no named
    /// query has goes to the type's dynamic query handler, if it has one.
    template <class R, class... As>
    [[nodiscard]] R query(std::string_view name, As&&... args) const {
        detail::instance_base& in = instance();
        const detail::query_info* q = in.type.find_query(name);
        const detail::dynamic_query_info* dq = q ? nullptr : in.type.dynamic_query;
        if (!q && !dq) detail::raise(unknown_query(in.id, in.type.name, name, in.type.query_names()));
        const detail::type_id result = q ? q->result : dq->result;
        if (result != detail::type_id_of<R>())
            detail::raise(argument_mismatch(in.id, q ? "query" : "dynamic query", name,
                                            "result type " + std::string(q ? q->result_name() : dq->result_name()),
                                            "result type " + std::string(detail::type_name<R>())));
        std::tuple<detail::query_arg_t<As>...> values(std::forward<As>(args)...);
        auto erased = detail::erase_args(values, std::index_sequence_for<As...>{});
        const detail::erased_args view{erased.data(), erased.size()};
        std::optional<R> answer;
        const detail::query_scope querying(in);
        if (q) q->call(in.query_target_object(), view, &answer, in.id);
        else dq->call(in.query_target_object(), name, view, &answer, in.id);  // no named query takes it
        return std::move(*answer);
    }

    /// Sends update `name`, whose handler returns R, with `args` (types must match its parameters
    /// exactly, after decay; string literals count as std::string), and returns its handle at once:
    /// the update runs when the executor next runs the workflow. A name no named update has goes to the
    /// type's dynamic update handler, if it has one. Throws workflow_not_found, workflow_closed,
    /// unknown_update, argument_mismatch or update_limit_exceeded; then nothing was queued.
    template <class R, class... As>
    [[nodiscard]] update_handle<R> start_update(std::string_view name, As&&... args) const {
        return start_update<R>(update_options{}, name, std::forward<As>(args)...);
    }
    /// As above, with an update id (a second update with the same id gets the first one's outcome).
    template <class R, class... As>
    [[nodiscard]] update_handle<R> start_update(update_options options, std::string_view name, As&&... args) const {
        std::tuple<detail::by_name_hold_t<As>...> values(std::forward<As>(args)...);
        auto erased = detail::erase_args(values, std::index_sequence_for<As...>{});
        return detail::start_erased_update<R>(
            instance(), std::move(options.id), name,
            detail::erased_args{erased.data(), erased.size(), &detail::take_pack<detail::by_name_t<As>...>});
    }

    /// The latest run's result as R (the run method's result type; void for workflow<void>).
    /// Throws result_not_ready while it runs, workflow_failed (cause kept), workflow_cancelled,
    /// workflow_terminated or workflow_timed_out when it did not complete, argument_mismatch if R is not
    /// its result type.
    template <class R = void>
    R result() const;

    /// Status, run id, signal and update counts of the latest run.
    [[nodiscard]] workflow_description describe() const {
        detail::instance_base& in = instance();
        workflow_description d;
        d.id = in.id;
        d.run_id = in.run_id();
        d.type = std::string(in.type.name);
        d.status = in.status;
        d.pending_signals = in.pending_signals();
        d.received_signals = in.received;
        d.pending_outgoing_signals = in.pending_outgoing();
        d.pending_updates = in.pending_updates();
        d.running_handlers = in.handlers_running();
        d.cancel_requested = in.cancel_requested;
        in.suspended.for_each([&](detail::waiter& w) {
            std::string s = w.body ? "body: " : w.task ? "task: " : "handler: ";
            s += detail::to_string(w.kind);
            if (const std::string* label = w.label_of()) (s += " '") += *label + "'";
            if (w.timer != detail::no_timer)
                s += " until " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    eng_->timer_due(w.timer).time_since_epoch()).count()) + "ms";
            d.waiting_on.push_back(std::move(s));
        });
        return d;
    }

    /// The latest run's event history (like Temporal's fetch_history), or null if the runtime does not record
    /// histories (runtime_options::record_history).
    [[nodiscard]] std::shared_ptr<const coflow::history> fetch_history() const { return instance().history_ptr(); }

    [[nodiscard]] workflow_status status() const { return instance().status; }
    [[nodiscard]] bool is_closed() const { return !instance().running(); }

    /// Requests cancellation: the body's current (or next) co_await throws coflow::cancelled, and the
    /// body may catch it to clean up. Only the first request counts. Throws workflow_closed if closed.
    /// Built without exceptions, the run (its open children first) closes as cancelled instead: at once,
    /// or when its current step ends if its own code asked.
    void cancel() const {
        eng_->cancel(instance());
        eng_->input_returned();
    }

    /// Ends the run now: none of its code runs again; result() throws workflow_terminated(reason).
    void terminate(std::string reason = "terminated by client") const {
        eng_->terminate(instance(), std::move(reason));
        eng_->input_returned();
    }

protected:
    /// The latest run of the id: cached by slot (the fast path, always inlined: g++ called it out of
    /// line from each typed use), looked up by id when stale.
    [[nodiscard, gnu::always_inline]] inline detail::instance_base& instance() const {
        eng_->check_thread("a handle was used", id_);  // builds without NDEBUG only
        if (detail::instance_base* in = eng_->by_slot(slot_ & ~type_unchecked, gen_)) [[likely]]
            return *in;
        return lookup();
    }

    // Marks a cached slot that a lookup by id found: a typed handle has not checked that run's type yet.
    // Marked, the slot is out of the slot table's range (it holds fewer than 2^31 runs), so a typed
    // handle's fast path misses and checks the type before it clears the mark; a slot cached from a
    // run just started for the handle's own type carries no mark.
    static constexpr std::uint32_t type_unchecked = std::uint32_t{1} << 31;

    [[nodiscard, gnu::noinline]] detail::instance_base& lookup() const {
        if (eng_->tearing_down()) [[unlikely]]
            detail::raise(workflow_closed(id_, "its runtime is being destroyed", "reach it"));
        detail::instance_base* in = eng_->find(id_);
        if (!in) detail::raise(workflow_not_found(id_));
        slot_ = in->slot | type_unchecked;
        gen_ = in->gen;
        return *in;
    }

    detail::engine* eng_;
    std::string id_;
    mutable std::uint32_t slot_ = 0xffffffffu;
    mutable std::uint32_t gen_ = 0;
};

template <class R>
R workflow_handle<void>::result() const {
    detail::instance_base& in = instance();
    if (in.result_type() != detail::type_id_of<R>())
        detail::raise(argument_mismatch(in.id, "workflow", in.type.name,
                                        "result type " + std::string(in.result_type_name()),
                                        "result type " + std::string(detail::type_name<R>())));
    return detail::closed_result<R>(in);
}

/// A handle typed for workflow class T: adds signals and queries by member pointer (checked at compile
/// time), queries by const callable, and result() returning T's result type.
template <class T>
class workflow_handle : public workflow_handle<void> {
    static_assert(detail::workflow_class<T>,
                  "workflow_handle<T> needs T to be a workflow class: `static constexpr auto definition = "
                  "coflow::define<T>(\"name\").run(&T::run)...`, declared after every member it names");

public:
    using workflow_handle<void>::workflow_handle;
    using workflow_handle<void>::signal;
    using workflow_handle<void>::query;
    using result_type = detail::run_result_t<T>;

    /// Sends the signal whose target (handler or channel) is `target`, converting `args` to its
    /// parameter types. No lookup by name. Throws as the by-name form does.
    template <class M, class... As>
        requires std::is_member_pointer_v<M>
    void signal(M target, As&&... args) const {
        eng_->check_no_replay_escape("signal");
        detail::instance_base& in = typed_instance();
        if (!detail::send_typed_signal<T>(in, target, std::forward<As>(args)...))
            detail::raise(
                unknown_signal(in.id, in.type.name, "<member not registered as a signal>", in.type.signal_names()));
        eng_->input_returned();
    }

    /// Runs the registered query `fn` (a const member function) with `args` and returns its answer.
    template <class M, class... As>
        requires std::is_member_function_pointer_v<M>
    [[nodiscard]] auto query(M fn, As&&... args) const {
        static_assert(detail::member_fn_traits<M>::is_const,
                      "a query handler must be a const member function returning a value (queries are read-only)");
        detail::instance_base& in = typed_instance();
        const std::uint32_t index = detail::query_index<T>(fn);
        if (index == detail::npos32)
            detail::raise(
                unknown_query(in.id, in.type.name, "<member not registered as a query>", in.type.query_names()));
        const T& obj = *static_cast<const T*>(in.query_target_object());
        using answer = std::decay_t<decltype((obj.*fn)(std::forward<As>(args)...))>;
        const detail::query_scope querying(in);
        return detail::guarded(
            [&]() -> answer {
                return detail::invoke_member<&detail::queries_of<T>>(index, fn, obj, std::forward<As>(args)...);
            },
                               [&](std::exception_ptr e) -> answer {
                                   detail::raise(query_failed(in.id, in.type.queries[index].name, std::move(e)));
                               });
    }

    /// Runs `f(const T&)` on the workflow object and returns its answer: an ad-hoc read-only query.
    template <class F>
        requires(!std::is_member_pointer_v<std::remove_cvref_t<F>> &&
                 !std::is_convertible_v<F, std::string_view>)
    [[nodiscard]] auto query(F&& f) const {
        static_assert(std::is_invocable_v<F&, const T&>,
                      "a query callable takes the workflow object as `const T&` (queries are read-only)");
        detail::instance_base& in = typed_instance();
        const T& obj = *static_cast<const T*>(in.query_target_object());
        using answer = std::decay_t<std::invoke_result_t<F&, const T&>>;
        const detail::query_scope querying(in);
        return detail::guarded([&]() -> answer { return f(obj); }, [&](std::exception_ptr e) -> answer {
            detail::raise(query_failed(in.id, "<callable>", std::move(e)));
        });
    }

    /// Sends the update whose handler is `fn`, converting `args` to its parameter types, and returns its
    /// handle at once: the update waits in the run's inbox behind what was sent before it, and its
    /// validator, handler and answer run when the executor next runs the workflow. Throws
    /// workflow_closed, unknown_update or update_limit_exceeded; then nothing was queued.
    template <class M, class... As>
        requires std::is_member_function_pointer_v<M>
    [[nodiscard]] auto start_update(M fn, As&&... args) const {
        return detail::start_typed_update<T>(typed_instance(), {}, fn, std::forward<As>(args)...);
    }
    /// As above, with an update id (a second update with the same id gets the first one's outcome).
    template <class M, class... As>
        requires std::is_member_function_pointer_v<M>
    [[nodiscard]] auto start_update(update_options options, M fn, As&&... args) const {
        return detail::start_typed_update<T>(typed_instance(), std::move(options), fn, std::forward<As>(args)...);
    }
    /// Sends update `name`, whose handler returns R; the argument types must match its parameters
    /// exactly, after decay (string literals count as std::string). Throws as above, and
    /// argument_mismatch.
    template <class R, class... As>
    [[nodiscard]] update_handle<R> start_update(std::string_view name, As&&... args) const {
        return detail::start_named_update<T, R>(typed_instance(), {}, name, std::forward<As>(args)...);
    }
    template <class R, class... As>
    [[nodiscard]] update_handle<R> start_update(update_options options, std::string_view name, As&&... args) const {
        return detail::start_named_update<T, R>(typed_instance(), std::move(options), name, std::forward<As>(args)...);
    }

    /// The result of T's run method; throws as workflow_handle<>::result does.
    result_type result() const { return detail::closed_result<result_type>(typed_instance()); }

private:
    // Before the run's object is read as a T: whatever run the handle reaches (its id's latest, which
    // may be of another type), it never reads one as a T that is not. A run of T found once stays one
    // while its slot and generation match (a slot's next run has another generation), so the check is
    // made when the slot is cached: the fast path is the slot lookup alone.
    [[nodiscard, gnu::always_inline]] inline detail::instance_base& typed_instance() const {
        eng_->check_thread("a handle was used", id_);  // builds without NDEBUG only
        if (detail::instance_base* in = eng_->by_slot(slot_, gen_)) [[likely]]  // misses a marked slot
            return *in;
        return typed_lookup();
    }

    [[nodiscard, gnu::noinline]] detail::instance_base& typed_lookup() const {
        detail::instance_base& in = instance();
        if (in.type.self != detail::type_id_of<T>()) [[unlikely]]
            detail::raise(workflow_type_mismatch(in.id, T::definition.name, in.type.name));
        slot_ &= ~type_unchecked;
        return in;
    }
};

}  // namespace coflow
