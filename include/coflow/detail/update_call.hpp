// coflow/detail/update_call.hpp: an update taken by a run, from its inbox entry to its outcome: the I-th update
// of a workflow class, its call (validator, handler, history events) and the run's update book.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <coflow/args.hpp>
#include <coflow/definition.hpp>
#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/update_book.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/history_text.hpp>
#include <coflow/task.hpp>
#include <coflow/validation.hpp>

namespace coflow::detail {

template <class R>
struct update_outcome final : update_outcome_base {
    using update_outcome_base::update_outcome_base;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
};

template <class X>
struct task_value {
    using type = X;
};
template <class R>
struct task_value<task<R>> {
    using type = R;
};

/// The I-th update of workflow class T.
template <class T, std::size_t I>
struct update_at {
    static constexpr auto fn = std::get<I>(T::definition.updates).fn;
    static constexpr auto validator = std::get<I>(T::definition.updates).validator;
    static constexpr std::string_view name = std::get<I>(T::definition.updates).name;
    using M = std::remove_const_t<decltype(fn)>;
    using tr = member_fn_traits<M>;
    static constexpr bool is_async = is_task<typename tr::result_type>::value;
    static constexpr bool has_validator = !std::is_same_v<std::remove_const_t<decltype(validator)>, no_validator>;
    // It returns coflow::validation rather than throwing to reject.
    static constexpr bool validator_returns = [] {
        if constexpr (has_validator)
            return std::is_same_v<typename member_fn_traits<std::remove_const_t<decltype(validator)>>::result_type,
                                  validation>;
        else
            return false;
    }();
    using result = typename task_value<typename tr::result_type>::type;
    using args = typename tr::args_tuple;
};

template <class T>
inline constexpr std::size_t update_count_v = std::tuple_size_v<decltype(definition_of<T>::updates)>;

template <class T>
std::string update_names() {
    std::string out;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((out += (I ? ", " : ""), out += update_at<T, I>::name), ...);
    }(std::make_index_sequence<update_count_v<T>>{});
    return out;
}

/// An update taken by a run: its arguments until delivery, then (async) its running handler's link to
/// the outcome. Dropped unfinished (its run closed or continued as new), it tells its caller so.
class update_call_base {
public:
    update_call_base(std::shared_ptr<update_outcome_base> o, std::shared_ptr<update_book> b) noexcept
        : outcome(std::move(o)), book(std::move(b)) {}
    update_call_base(const update_call_base&) = delete;
    update_call_base& operator=(const update_call_base&) = delete;
    virtual ~update_call_base() {
        if (!outcome->finished()) book->settle(*outcome, update_stage::unfinished);
    }
    virtual void deliver(instance_base& in, const std::shared_ptr<update_call_base>& self) = 0;

    std::shared_ptr<update_outcome_base> outcome;
    std::shared_ptr<update_book> book;
};

/// The inbox entry of an update (a pending_signal with index update_index).
struct update_delivery {
    std::shared_ptr<update_call_base> call;
    void operator()(instance_base& in) { call->deliver(in, call); }
};

/// Awaits a task without rethrowing what it threw: the update's outcome takes it instead.
template <class R>
struct settle_awaiter {
    using coflow_awaitable = void;
    typename task<R>::handle_type h;
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> caller) noexcept {
        h.promise().continuation = caller;
        current_activation->next = h;
    }
    void await_resume() noexcept {}
};

template <class R>
class update_finisher;

// Runs an async update's handler, its outcome going to the caller rather than failing the run.
template <class R>
task<void> run_async_update(task<R> t, std::shared_ptr<update_finisher<R>> call) {
    auto h = t.operator co_await().h;
    co_await settle_awaiter<R>{h};
    call->finish(h.promise());
}

/// The end of an update's call, shared by update_call (a declared handler) and dynamic_update_call (the
/// dynamic handler): the handler's value or exception settles the outcome, and history records it.
/// Typed by R only, so that the async wrapper's frame names no workflow class.
template <class R>
class update_finisher : public update_call_base {
public:
    using update_call_base::update_call_base;

    /// The async handler ended (called from its wrapper, inside the run's activation).
    void finish(value_promise<R>& p) {
        if (p.exception) {
            outcome->cause = p.exception;
        } else if constexpr (std::is_void_v<R>) {
            typed().value.emplace(true);
        } else {
            guarded([&] { typed().value.emplace(p.take()); }, [&](std::exception_ptr e) { outcome->cause = std::move(e); });
        }
        complete();
    }

protected:
    // A sync handler: `call()` runs it on the delivered arguments; what it returns or throws is the outcome.
    template <class Call>
    void finish_now(instance_base& in, Call&& call) {
        run_ = &in;
        guarded(
            [&] {
                if constexpr (std::is_void_v<R>) {
                    call();
                    typed().value.emplace(true);
                } else {
                    typed().value.emplace(call());
                }
            },
            [&](std::exception_ptr e) { outcome->cause = std::move(e); });
        complete();
    }

    // An async handler: its task runs as one of the run's handlers and ends in finish().
    void start_async(instance_base& in, task<R> t, const std::shared_ptr<update_call_base>& self) {
        run_ = &in;
        auto h = run_async_update<R>(std::move(t), std::static_pointer_cast<update_finisher<R>>(self)).release();
        in.spawn_handler(h, h.promise());
    }

private:
    update_outcome<R>& typed() noexcept { return static_cast<update_outcome<R>&>(*outcome); }

    void complete() {
        const bool failed = static_cast<bool>(outcome->cause);
        book->settle(*outcome, failed ? update_stage::failed : update_stage::completed);
        if (run_->hist) [[unlikely]]
            record_completed(failed);
    }

    [[gnu::noinline]] void record_completed(bool failed) {
        std::vector<std::string> text{engine::json(outcome->update_id)};
        if (failed) text.push_back(engine::json(describe_exception(outcome->cause)));
        else if constexpr (!std::is_void_v<R>) text.push_back(tuple_text(std::tie(*typed().value)).front());
        run_->eng.record(*run_, event_kind::update_completed, outcome->name, std::move(text), {},
                         failed ? outcome->cause : nullptr);
    }

    instance_base* run_ = nullptr;  // set when the handler is called: async frames die with their run
};

template <class T, std::size_t I>
class update_call final : public update_finisher<typename update_at<T, I>::result> {
    using update_call_base::book;
    using update_call_base::outcome;
    using A = update_at<T, I>;
    using R = typename A::result;

public:
    update_call(std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b, typename A::args a,
                bool validate = true)
        : update_finisher<R>(std::move(o), std::move(b)), args_(std::move(a)), validate_(validate) {}

    void deliver(instance_base& in, const std::shared_ptr<update_call_base>& self) override {
        T& obj = object_of<T>(in);
        if constexpr (A::has_validator) {
            // Replay skips it: the history says it was accepted.
            if (validate_ && !passes_validator(obj)) return book->settle(*outcome, update_stage::rejected);
        }
        book->accept(*outcome);
        if (in.hist) [[unlikely]]
            record_accepted(in);
        if constexpr (A::is_async)
            this->start_async(in, call_handler(obj), self);
        else
            this->finish_now(in, [&] { return call_handler(obj); });
    }

private:
    // The handler on the taken arguments (moved out: it is called once).
    auto call_handler(T& obj) {
        return std::apply([&](auto&... a) { return (obj.*A::fn)(std::move(a)...); }, args_);
    }

    // Runs the validator, read-only; what it returns as coflow::reject, or throws, is the rejection
    // (nothing is recorded).
    bool passes_validator(const T& obj) {
        return guarded(
            [&] {
                if constexpr (A::validator_returns) {
                    validation v = std::apply([&](const auto&... a) { return (obj.*A::validator)(a...); }, args_);
                    if (!v.accepted()) outcome->reason = v.reason();
                    return v.accepted();
                } else {
                    std::apply([&](const auto&... a) { (obj.*A::validator)(a...); }, args_);
                    return true;
                }
            },
            [&](std::exception_ptr e) {
                outcome->reason = describe_exception(e);
                outcome->cause = std::move(e);
                return false;
            });
    }

    [[gnu::noinline]] void record_accepted(instance_base& in) {
        std::vector<std::string> text{engine::json(outcome->update_id)};
        for (auto& s : tuple_text(args_)) text.push_back(std::move(s));
        // The input replay feeds: the update id, then the arguments.
        const std::string& uid = outcome->update_id;
        std::shared_ptr<arg_pack_base> input = std::apply(
            [&](const auto&... a) -> std::shared_ptr<arg_pack_base> {
                if constexpr ((std::is_copy_constructible_v<std::decay_t<decltype(a)>> && ...))
                    return std::make_shared<arg_pack_impl<std::string, std::decay_t<decltype(a)>...>>(uid, a...);
                else
                    return nullptr;
            },
            args_);
        in.eng.record(in, event_kind::update_accepted, outcome->name, std::move(text), std::move(input));
    }

    typename A::args args_;
    bool validate_;
};

/// The run's update book, made on first use.
inline update_book& book_of(instance_base& in) {
    auto& b = in.more().updates;
    if (!b) b = std::make_shared<update_book>();
    return *b;
}

/// The outcome of an update the run already took under `id`, or null.
inline std::shared_ptr<update_outcome_base> taken_update(const instance_base& in, const std::string& id) {
    if (id.empty() || !in.x || !in.x->updates) return nullptr;
    auto it = in.x->updates->by_id.find(id);
    return it == in.x->updates->by_id.end() ? nullptr : it->second;
}

}  // namespace coflow::detail
