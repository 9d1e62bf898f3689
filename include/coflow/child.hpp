// coflow/child.hpp: child workflows (start_child_workflow, execute_child_workflow) and continue_as_new.
// A child is a workflow run linked to its parent: the parent awaits its result, and the parent's end
// or cancellation reaches it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/external_handle.hpp>
#include <coflow/options.hpp>
#include <coflow/workflow.hpp>

namespace coflow {

/// What happens to an open child when its parent's run closes (Temporal's ParentClosePolicy).
enum class parent_close_policy {
    terminate,       ///< the child is terminated (Temporal's default)
    request_cancel,  ///< the child is asked to cancel
    abandon,         ///< the child runs on
};

/// A child's workflow id, held inline (up to 127 characters; longer throws invalid_operation).
///
/// Why not std::string: child options are written inside `co_await` expressions, and g++ 12 destroys an
/// aggregate temporary with a non-trivial destructor twice there. This type is trivially destructible
/// and owns its characters, so `{.id = "apply-" + std::to_string(k)}` is safe on every compiler.
class child_id {
public:
    static constexpr std::size_t max_size = 127;

    child_id() noexcept = default;
    child_id(const char* s) : child_id(std::string_view(s)) {}                // NOLINT: implicit on purpose
    child_id(const std::string& s) : child_id(std::string_view(s)) {}         // NOLINT
    child_id(std::string_view s) {                                            // NOLINT
        if (s.size() > max_size)
            detail::raise(invalid_operation("child workflow id '" + std::string(s) + "' is longer than " +
                                            std::to_string(max_size) + " characters"));
        std::char_traits<char>::copy(text_, s.data(), s.size());
        size_ = static_cast<unsigned char>(s.size());
    }

    [[nodiscard]] std::string_view view() const noexcept { return {text_, size_}; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    char text_[max_size]{};
    unsigned char size_ = 0;
};

/// Options of start_child_workflow / execute_child_workflow (trivially destructible: see child_id).
struct child_options {
    child_id id{};  ///< the child's workflow id; empty: generated ("<type>-<n>")
    parent_close_policy parent_close = parent_close_policy::terminate;
    id_reuse_policy id_reuse = id_reuse_policy::allow_duplicate;
    /// As start_options: the child's own timeouts (none is inherited from the parent). Zero: none.
    duration execution_timeout{};
    duration run_timeout{};
    /// Forget the child's closed run once the parent has read its result (keeps long entity workflows
    /// from accumulating closed children; the child can no longer be queried by id afterwards).
    bool forget_on_result = false;
};

namespace detail {

/// A closed run's outcome as a parent reads it: copied as the run closes (or at once, if it has), because
/// the parent may read it only after the run was forgotten or its id went to another run.
template <class R>
class run_outcome {
public:
    [[nodiscard]] bool taken() const noexcept { return taken_; }
    /// Where the run was when it closed (to forget it, if it is still there).
    [[nodiscard]] run_hint where() const noexcept { return {slot_, gen_}; }

    /// Copies what read() needs from the closed run `t`; raises nothing (read() makes the errors).
    void take(instance_base& t) noexcept {
        taken_ = true;
        slot_ = t.slot;
        gen_ = t.gen;
        status_ = t.status;
        type_matches_ = t.result_type() == type_id_of<R>();
        type_name_ = t.type.name;
        if (!type_matches_) result_name_ = t.result_type_name();  // only the mismatch's error reads it
        guarded(
            [&] {
                if (t.status == workflow_status::failed) error_ = t.failure;
                if (t.status == workflow_status::terminated) reason_ = std::string(t.terminate_reason());
                if (t.status == workflow_status::timed_out) {
                    timeout_by_ = t.x->timeout_by;
                    timeout_ = t.x->timeout_length();
                }
                if constexpr (!std::is_void_v<R>)
                    if (type_matches_ && t.status == workflow_status::completed) value_.emplace(closed_result<R>(t));
            },
            [&](std::exception_ptr e) {
                status_ = workflow_status::completed;  // reported by read() instead
                error_ = std::move(e);
            });
    }

    /// The value (moved out when `move`, else copied), or workflow_failed (cause kept),
    /// workflow_cancelled, workflow_terminated, workflow_timed_out, argument_mismatch (another result
    /// type), or workflow_not_found if nothing was taken.
    R read(std::string_view id, bool move) {
        if (!taken_ || !type_matches_ || status_ != workflow_status::completed || error_) [[unlikely]]
            raise_error(id);
        if constexpr (!std::is_void_v<R>) {
            if (move) return std::move(*value_);
            return *value_;
        } else {
            (void)move;
        }
    }

private:
    [[noreturn]] [[gnu::noinline]] void raise_error(std::string_view id) const {
        if (!taken_) detail::raise(workflow_not_found(id));
        if (!type_matches_)
            detail::raise(argument_mismatch(id, "workflow", type_name_, "result type " + std::string(result_name_),
                                            "result type " + std::string(type_name<R>())));
        switch (status_) {
            case workflow_status::cancelled: detail::raise(workflow_cancelled(id));
            case workflow_status::terminated: detail::raise(workflow_terminated(id, reason_));
            case workflow_status::timed_out: detail::raise(workflow_timed_out(id, timeout_by_, timeout_));
            default: break;
        }
        rethrow_if_set(status_ == workflow_status::completed ? error_ : nullptr);  // the value could not be copied
        detail::raise(workflow_failed(id, error_));
    }

    struct no_value {};
    std::conditional_t<std::is_void_v<R>, no_value, std::optional<R>> value_{};
    std::exception_ptr error_;  // the failed run's cause, or what copying the value threw
    std::string reason_;        // the terminated run's reason
    duration timeout_{};        // the timed-out run's timeout
    timeout_kind timeout_by_ = timeout_kind::run;
    std::string_view type_name_, result_name_;  // static names of the run's type and result type
    std::uint32_t slot_ = 0, gen_ = 0;
    workflow_status status_ = workflow_status::completed;
    bool taken_ = false;
    bool type_matches_ = true;
};

/// What a child handle keeps of its child: the outcome, copied as the child's run (the last of its
/// continue-as-new chain) closes, so that result() gives the child's outcome even once that run was
/// forgotten or its id went to another run. It sits in the child's completion list but never
/// suspends anyone (close() finds no coroutine to wake). Shared by the handle's copies and awaiters.
template <class R>
class child_record : private completion_waiter {
public:
    explicit child_record(instance_base& child) {
        capture = &keep;
        child.more().completion.push_back(*this);  // continue-as-new moves it to the next run
    }
    child_record(const child_record&) = delete;
    child_record& operator=(const child_record&) = delete;
    // Never suspended, so ~waiter's detach() leaves the list alone: leave it here.
    ~child_record() { static_cast<list_hook<wait_tag>&>(*this).unlink(); }

    run_outcome<R> outcome;

private:
    static void keep(completion_waiter& w, instance_base& t) noexcept { static_cast<child_record&>(w).outcome.take(t); }
};

/// Awaits the result of workflow `id` (following continue-as-new to the last run). Returns its value
/// or throws workflow_failed (cause kept), workflow_cancelled, workflow_terminated, workflow_timed_out,
/// workflow_not_found.
/// The outcome is copied when the run closes (or at once, if it already has): the parent may resume
/// only after the id was forgotten or reused, and must still see the run it awaited. Made from a child
/// handle (`record` set), it reads the outcome its record kept once the child closed; while the child
/// is open the run under its id is the child's (an open run's id cannot be taken), so it waits on that.
template <class R>
class [[nodiscard]] result_awaiter : private completion_waiter {
public:
    using coflow_awaitable = void;

    result_awaiter(activation& a, std::string_view id, bool forget, std::shared_ptr<child_record<R>> record = nullptr,
                   run_hint started = {}, std::uint32_t id_tag = 0)
        : started_(started), id_(id), record_(std::move(record)), id_tag_(id_tag), forget_(forget) {
        inst = a.inst;
        label = &id_;
        eng_ = a.eng;
        capture = &take_outcome;
        precancelled_ = a.body && a.inst->cancel_pending;
    }

    // Moved only before it suspends (see waiter), so no outcome has been taken yet.
    result_awaiter(result_awaiter&& o) noexcept
        : completion_waiter(std::move(o)), eng_(o.eng_), started_(o.started_), id_(std::move(o.id_)),
          record_(std::move(o.record_)), id_tag_(o.id_tag_),
          forget_(o.forget_), precancelled_(o.precancelled_) {
        label = &id_;
        capture = &take_outcome;
    }
    result_awaiter& operator=(result_awaiter&&) = delete;

    bool await_ready() noexcept {
        if (precancelled_) return false;
        return !wait_for_close();
    }

    // Reached only when await_ready found the run open (or the body cancelled): nothing ran in between.
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        arm(*current_activation, h, wait_kind::child);
        open_run_->more().completion.push_back(*this);
        return true;
    }

    R await_resume() {
        if (precancelled_) raise_cancelled();
        throw_if_cancelled();
        // The record's outcome is copied (the handle may be read again); an outcome of our own, moved.
        const bool kept = record_ && record_->outcome.taken() && !outcome_.taken();
        run_outcome<R>& out = kept ? record_->outcome : outcome_;
        // Forget the run that was awaited, whatever its outcome, if it is still the one under its id.
        if (forget_ && out.taken())
            if (const instance_base* run = eng_->by_slot(out.where().slot, out.where().gen)) {
                // The id's tag, known if this awaiter started the run's chain (its runs share the id).
                if (started_.slot != run_hint{}.slot) eng_->forget_run(*run, id_tag_);
                else eng_->forget(id_);
            }
        return out.read(id_, !kept);
    }

private:
    // True while the run to wait for is open (kept in open_run_); otherwise its outcome is at hand:
    // kept by the record, or taken now from the closed run under the id (if there is one).
    bool wait_for_close() noexcept {
        if (record_ && record_->outcome.taken()) return false;
        // Where the run was started, if it is still there: then it is the id's latest run (a newer one
        // would have retired it), found without hashing the id.
        instance_base* t = eng_->by_slot(started_.slot, started_.gen);
        if (!t) t = eng_->find(id_);
        if (t && t->running()) {
            open_run_ = t;
            return true;
        }
        if (t && !outcome_.taken()) outcome_.take(*t);
        return false;
    }

    static void take_outcome(completion_waiter& w, instance_base& t) noexcept {
        static_cast<result_awaiter&>(w).outcome_.take(t);
    }

    engine* eng_ = nullptr;
    instance_base* open_run_ = nullptr;  // the run await_ready found open, which await_suspend waits on
    run_hint started_{};                 // where execute_child_workflow's run was started (none otherwise)
    std::string id_;
    std::shared_ptr<child_record<R>> record_;  // a child handle's, or null
    run_outcome<R> outcome_;
    std::uint32_t id_tag_ = 0;  // with started_: the low half of the id's hash (engine::forget_run)
    bool forget_ = false;
    bool precancelled_ = false;
};

/// A child run just started, with the low half of its id's hash (engine::forget_run takes it).
struct started_child {
    instance_base& run;
    std::uint32_t id_tag;
};

/// Starts a child run of C under the current workflow's run and returns it (its id is the child's id).
template <class C, class M, class... A>
started_child start_child(M run, child_options& opts, A&&... args) {
    static_assert(workflow_class<C>, "a child workflow class needs a `definition` naming its run method");
    static_assert(std::is_same_v<M, run_fn_t<C>>,
                  "start_child_workflow takes the run method named in the child class's definition");
    activation& a = require_activation("coflow::start_child_workflow");
    if (C::definition.run_fn != run)
        detail::raise(invalid_operation("start_child_workflow: the member function given is not the run method of '" +
                                        std::string(C::definition.name) + "'"));
    engine& eng = *a.eng;
    engine::check_timeouts(opts.id.empty() ? std::string_view(C::definition.name) : opts.id.view(),
                           opts.execution_timeout, opts.run_timeout);
    // Replaying: a generated id, and a start that was refused, are as recorded (the runtime that recorded
    // the run held other runs under other ids).
    const history_event* recorded = eng.recorded_next(*a.inst, event_kind::child_started);
    // A given id is used where it is (copied once, into the run); only a generated one is made here.
    std::string generated;
    if (opts.id.empty()) generated = recorded ? recorded->name : eng.make_id(C::definition.name);
    const std::string_view id = opts.id.empty() ? std::string_view(generated) : opts.id.view();
    if (recorded && recorded->error) {
        eng.record(*a.inst, event_kind::child_started, std::string(id), recorded->args, {}, recorded->error);
        rethrow_if_set(recorded->error);
    }
    std::uint64_t id_hash = 0;
    guarded([&] { id_hash = eng.check_start(id, opts.id_reuse); },
            [&](std::exception_ptr refused) {  // recorded, so that replay refuses it too
                if (a.inst->hist)
                    eng.record(*a.inst, event_kind::child_started, std::string(id),
                               {engine::json(C::definition.name), engine::json(describe_exception(refused))}, {},
                               refused);
                rethrow_if_set(refused);
            });
    instance_base& child = start_run<C>(eng, id, id_hash, std::forward<A>(args)...);
    eng.adopt(*a.inst, child, static_cast<parent_close_policy_kind>(opts.parent_close));
    child.x->parent_id = a.inst->id;  // adopt made the child's extras
    eng.start_timeouts(child, opts.execution_timeout, opts.run_timeout);
    if (a.inst->hist)
        eng.record(*a.inst, event_kind::child_started, std::string(id), {engine::json(C::definition.name)});
    return {child, static_cast<std::uint32_t>(id_hash)};
}

}  // namespace detail

/// A parent's handle on its child, made by start_child_workflow: signal it and cancel it (as an
/// external handle), await its result.
///
/// It stays bound to the child it started, and to the runs that child continues as new into. result()
/// gives that child's outcome, even once its closed run was forgotten (forget_on_result,
/// runtime::forget) or its id went to another run: the handle keeps a copy of the outcome, taken as the
/// child closes, and may be read any number of times. Signals and cancel requests go, like Temporal's,
/// to the id's latest run only while it is a child of the run that started this one; to another
/// workflow that took the id they fail with workflow_not_found (to a closed child, workflow_closed).
template <class C>
class child_workflow_handle : public external_workflow_handle<C> {
public:
    using result_type = detail::run_result_t<C>;

    /// A handle on `child`, a run just started (under `id`) by start_child_workflow.
    child_workflow_handle(detail::instance_base& child, std::string id, bool forget_on_result)
        : external_workflow_handle<C>(std::move(id)), forget_(forget_on_result),
          record_(std::make_shared<detail::child_record<result_type>>(child)) {
        this->hint_ = detail::run_hint{child.slot, child.gen};
        this->parent_ = detail::run_hint{child.more().parent_slot, child.more().parent_gen};
    }

    /// `co_await h.result()`: the child's value, or workflow_failed (cause kept), workflow_cancelled,
    /// workflow_terminated, workflow_timed_out.
    [[nodiscard]] detail::result_awaiter<result_type> result() const {
        return detail::result_awaiter<result_type>(detail::require_activation("child_workflow_handle::result"),
                                                   this->id_, forget_, record_);
    }

private:
    bool forget_;
    std::shared_ptr<detail::child_record<result_type>> record_;
};

/// Starts a child workflow from workflow code and returns its handle at once:
/// `auto child = coflow::start_child_workflow(&C::run, args..., {.id = "c-1"});`. Throws
/// workflow_already_started like runtime::start_workflow. (Spelled out per arity for the braced options.)
template <class C, class R>
[[nodiscard]] child_workflow_handle<C> start_child_workflow(workflow<R> (C::*run)(), child_options opts = {}) {
    detail::instance_base& child = detail::start_child<C>(run, opts).run;
    return child_workflow_handle<C>(child, child.id, opts.forget_on_result);
}
template <class C, class R, class P1>
[[nodiscard]] child_workflow_handle<C> start_child_workflow(workflow<R> (C::*run)(P1), std::type_identity_t<P1> a1,
                                                            child_options opts = {}) {
    detail::instance_base& child = detail::start_child<C>(run, opts, std::move(a1)).run;
    return child_workflow_handle<C>(child, child.id, opts.forget_on_result);
}
template <class C, class R, class P1, class P2>
[[nodiscard]] child_workflow_handle<C> start_child_workflow(workflow<R> (C::*run)(P1, P2), std::type_identity_t<P1> a1,
                                                            std::type_identity_t<P2> a2, child_options opts = {}) {
    detail::instance_base& child = detail::start_child<C>(run, opts, std::move(a1), std::move(a2)).run;
    return child_workflow_handle<C>(child, child.id, opts.forget_on_result);
}
template <class C, class R, class P1, class P2, class P3>
[[nodiscard]] child_workflow_handle<C> start_child_workflow(workflow<R> (C::*run)(P1, P2, P3),
                                                            std::type_identity_t<P1> a1, std::type_identity_t<P2> a2,
                                                            std::type_identity_t<P3> a3, child_options opts = {}) {
    detail::instance_base& child = detail::start_child<C>(run, opts, std::move(a1), std::move(a2), std::move(a3)).run;
    return child_workflow_handle<C>(child, child.id, opts.forget_on_result);
}

template <class C, class R, class P1, class P2, class P3, class P4>
[[nodiscard]] child_workflow_handle<C> start_child_workflow(workflow<R> (C::*run)(P1, P2, P3, P4),
                                                            std::type_identity_t<P1> a1, std::type_identity_t<P2> a2,
                                                            std::type_identity_t<P3> a3, std::type_identity_t<P4> a4,
                                                            child_options opts = {}) {
    detail::instance_base& child =
        detail::start_child<C>(run, opts, std::move(a1), std::move(a2), std::move(a3), std::move(a4)).run;
    return child_workflow_handle<C>(child, child.id, opts.forget_on_result);
}
// More than four parameters: pass a struct.

namespace detail {

/// A child's run argument, converted (implicitly, as in a call) before anything is started.
template <class P, class A>
P child_arg(A&& a) {
    static_assert(std::is_convertible_v<A&&, P>,
                  "execute_child_workflow's arguments do not convert to the child's run parameter types");
    return std::forward<A>(a);
}

template <class R, class... As>
using child_result_t = maybe_fragile_t<(fragile_temporary_v<As&&> || ...), result_awaiter<R>>;

/// Starts child C and returns the awaiter of its result (marked if an argument was a fragile temporary).
template <class C, class R, class... As, class M, class... Ps>
child_result_t<R, As...> execute_child(M run, child_options& opts, Ps&&... values) {
    const bool forget = opts.forget_on_result;
    const started_child started = start_child<C>(run, opts, std::forward<Ps>(values)...);
    instance_base& child = started.run;
    return child_result_t<R, As...>(result_awaiter<R>(*current_activation, child.id, forget, nullptr,
                                                      run_hint{child.slot, child.gen}, started.id_tag));
}

}  // namespace detail

/// Starts a child workflow and awaits its result: `R r = co_await coflow::execute_child_workflow(&C::run, args...);`
/// The child starts when this is called; co_await returns its value or throws workflow_failed (the
/// child's exception as cause), workflow_cancelled, workflow_terminated or workflow_timed_out (its own
/// child_options timeouts). Arguments convert to the run
/// method's parameters as in a call (written as expressions, not braced lists: see README, compiler notes).
/// (Spelled out per arity for the braced options.)
template <class C, class R>
[[nodiscard]] detail::result_awaiter<R> execute_child_workflow(workflow<R> (C::*run)(), child_options opts = {}) {
    return detail::execute_child<C, R>(run, opts);
}
template <class C, class R, class P1, class A1>
[[nodiscard]] detail::child_result_t<R, A1> execute_child_workflow(workflow<R> (C::*run)(P1), A1&& a1,
                                                                   child_options opts = {}) {
    return detail::execute_child<C, R, A1>(run, opts, detail::child_arg<P1>(std::forward<A1>(a1)));
}
template <class C, class R, class P1, class P2, class A1, class A2>
[[nodiscard]] detail::child_result_t<R, A1, A2> execute_child_workflow(workflow<R> (C::*run)(P1, P2), A1&& a1,
                                                                       A2&& a2, child_options opts = {}) {
    return detail::execute_child<C, R, A1, A2>(run, opts, detail::child_arg<P1>(std::forward<A1>(a1)),
                                               detail::child_arg<P2>(std::forward<A2>(a2)));
}
template <class C, class R, class P1, class P2, class P3, class A1, class A2, class A3>
[[nodiscard]] detail::child_result_t<R, A1, A2, A3> execute_child_workflow(workflow<R> (C::*run)(P1, P2, P3), A1&& a1,
                                                                           A2&& a2, A3&& a3, child_options opts = {}) {
    return detail::execute_child<C, R, A1, A2, A3>(run, opts, detail::child_arg<P1>(std::forward<A1>(a1)),
                                                   detail::child_arg<P2>(std::forward<A2>(a2)),
                                                   detail::child_arg<P3>(std::forward<A3>(a3)));
}
template <class C, class R, class P1, class P2, class P3, class P4, class A1, class A2, class A3, class A4>
[[nodiscard]] detail::child_result_t<R, A1, A2, A3, A4> execute_child_workflow(workflow<R> (C::*run)(P1, P2, P3, P4),
                                                                               A1&& a1, A2&& a2, A3&& a3, A4&& a4,
                                                                               child_options opts = {}) {
    return detail::execute_child<C, R, A1, A2, A3, A4>(run, opts, detail::child_arg<P1>(std::forward<A1>(a1)),
                                                       detail::child_arg<P2>(std::forward<A2>(a2)),
                                                       detail::child_arg<P3>(std::forward<A3>(a3)),
                                                       detail::child_arg<P4>(std::forward<A4>(a4)));
}

namespace detail {

/// What coflow::continue_as_new returns: the run's request to end and start again as new. A workflow<R>
/// body returns it (`co_return`: no co_await, so no argument is made inside one); workflow code may also
/// co_await it (a workflow<void> body, or code the body awaits), which never returns.
class [[nodiscard]] continue_as_new_request {
public:
    using coflow_awaitable = void;

    continue_as_new_request(instance_base& in, std::unique_ptr<arg_pack_base> args) noexcept
        : inst_(&in), args_(std::move(args)) {}

    bool await_ready() const noexcept { return false; }
    // Never resumed when it continues: the run closes when this step ends, destroying this frame. A
    // pending cancel request wins, as at every other await: the body resumes and gets `cancelled`.
    bool await_suspend(std::coroutine_handle<>) noexcept {
        if (inst_->cancel_pending) return park_if_cancelled;
        end_body_with(*this);
        return true;
    }
    // Only reached when cancelled (never without exceptions); so the compiler knows the body ends here.
    [[noreturn]] void await_resume() const { raise_cancelled(*inst_); }

private:
    friend void end_body_with(continue_as_new_request& r) noexcept;

    instance_base* inst_;
    std::unique_ptr<arg_pack_base> args_;
};

// The run's extras were made by continue_as_new(), so nothing here allocates.
inline void end_body_with(continue_as_new_request& r) noexcept {
    r.inst_->x->continue_args = std::move(r.args_);
    r.inst_->continuing = true;
}

inline activation& require_body(const char* what) {
    activation& a = require_activation(what);
    if (!a.body)
        detail::raise(invalid_operation(std::string(what) + " may only be awaited by the workflow body of '" +
                                        a.inst->id + "', not by a signal handler"));
    return a;
}

}  // namespace detail

/// Ends this run and starts a fresh run of the same workflow under the same id (new run id, fresh signal
/// counters), its run method called with `args` (checked at run time: argument_mismatch names expected
/// and given types). In a workflow<R> body: `co_return coflow::continue_as_new(args...);`. In a
/// workflow<void> body (which cannot co_return a value): `co_await coflow::continue_as_new(args...);`,
/// which never returns. Signals accepted but not handled yet, including values waiting in
/// signal_channels, move to the new run in order. Handles by id follow the new run. (Temporal moves
/// nothing; see README.) Only the body and what it awaits may call it (else invalid_operation).
template <class... As>
[[nodiscard]] detail::maybe_fragile_t<(detail::fragile_temporary_v<As&&> || ...), detail::continue_as_new_request>
continue_as_new(As&&... args) {
    detail::activation& a = detail::require_body("coflow::continue_as_new");
    auto pack = std::make_unique<detail::arg_pack_impl<detail::by_name_t<As>...>>(std::forward<As>(args)...);
    const detail::workflow_type& type = a.inst->type;
    if (!type.run_matches(pack->view()))
        detail::raise(argument_mismatch(a.inst->id, "continue_as_new of workflow type", type.name, type.run_params(),
                                        pack->view().type_names()));
    (void)a.inst->more();
    using result = detail::maybe_fragile_t<(detail::fragile_temporary_v<As&&> || ...), detail::continue_as_new_request>;
    return result(detail::continue_as_new_request(*a.inst, std::move(pack)));
}

/// Typed form: `co_return coflow::continue_as_new(&T::run, args...)`, arguments converted at compile time.
template <class T, class R, class... Ps, class... As>
[[nodiscard]] detail::maybe_fragile_t<(detail::fragile_temporary_v<As&&> || ...), detail::continue_as_new_request>
continue_as_new(workflow<R> (T::*run)(Ps...), As&&... args) {
    static_assert(std::is_constructible_v<std::tuple<std::decay_t<Ps>...>, As&&...>,
                  "continue_as_new's arguments do not convert to the run method's parameter types");
    detail::activation& a = detail::require_body("coflow::continue_as_new");
    if (a.inst->type.self != detail::type_id_of<T>() || T::definition.run_fn != run)
        detail::raise(invalid_operation("continue_as_new: workflow '" + a.inst->id + "' is of type '" +
                                        std::string(a.inst->type.name) + "', not the one whose run method was given"));
    auto pack = std::make_unique<detail::arg_pack_impl<std::decay_t<Ps>...>>(std::forward<As>(args)...);
    (void)a.inst->more();
    using result = detail::maybe_fragile_t<(detail::fragile_temporary_v<As&&> || ...), detail::continue_as_new_request>;
    return result(detail::continue_as_new_request(*a.inst, std::move(pack)));
}

}  // namespace coflow
