// coflow/update.hpp: update_handle<R>, the caller's side of an update, and how an update reaches its run.
// An update waits in the run's inbox among its signals; delivered, it is validated, accepted, run and answered.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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
#include <coflow/detail/update_call.hpp>
#include <coflow/detail/update_dynamic.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/history_text.hpp>
#include <coflow/status.hpp>
#include <coflow/task.hpp>
#include <coflow/validation.hpp>

namespace coflow {

/// Options of one update (`h.start_update({.id = "..."}, ...)`).
struct update_options {
    /// The update id. A second update with the id of one the run took gets that one's outcome and runs
    /// nothing (Temporal deduplicates updates by id). Empty: the runtime makes one ("update-<n>").
    std::string id{};
};

/// The caller's side of one update: its id, and its outcome once the executor ran it.
///
/// Cheap to copy (copies share the outcome), and valid after its run and runtime are gone. Nothing
/// runs when it is made: the update waits in the run's inbox behind what was sent before it.
template <class R>
class [[nodiscard]] update_handle {
public:
    explicit update_handle(std::shared_ptr<detail::update_outcome<R>> o) noexcept : o_(std::move(o)) {}

    /// The update id (given in update_options, or made by the runtime).
    [[nodiscard]] const std::string& id() const noexcept { return o_->update_id; }
    [[nodiscard]] const std::string& name() const noexcept { return o_->name; }
    [[nodiscard]] const std::string& workflow_id() const noexcept { return o_->workflow_id; }
    /// True once the update completed, failed, was rejected or was left unfinished by its run.
    [[nodiscard]] bool is_done() const noexcept { return o_->finished(); }
    /// Where the update is: admitted (queued), accepted (running), or how it ended. Tells, without
    /// raising, what result() would do (the way to read an outcome in a build without exceptions).
    [[nodiscard]] update_stage stage() const noexcept { return o_->stage; }
    /// Why the validator rejected the update (the reason it returned, or the message of what it threw);
    /// empty unless stage() is rejected.
    [[nodiscard]] const std::string& rejection_reason() const noexcept { return o_->reason; }

    /// What the handler returned (a copy: result() may be asked again). Throws result_not_ready until
    /// the executor ran the update to its end, update_rejected if its validator rejected it, update_failed
    /// if its handler threw (the run goes on), update_unfinished if its run closed first.
    R result() const {
        const detail::update_outcome<R>& o = *o_;
        switch (o.stage) {
            case detail::update_stage::admitted:
            case detail::update_stage::accepted:
                detail::raise(result_not_ready(o.workflow_id, o.name, o.update_id));
            case detail::update_stage::rejected:
                detail::raise(update_rejected(o.workflow_id, o.name, o.update_id, o.reason, o.cause));
            case detail::update_stage::failed: detail::raise(update_failed(o.workflow_id, o.name, o.update_id, o.cause));
            case detail::update_stage::unfinished: detail::raise(update_unfinished(o.workflow_id, o.name, o.update_id));
            case detail::update_stage::completed: break;
        }
        if constexpr (!std::is_void_v<R>) return *o.value;
    }

private:
    std::shared_ptr<detail::update_outcome<R>> o_;
};

namespace detail {

/// Takes an update named `name` whose handler returns R for `in`: checks the id, the run and the
/// limits, then queues the call `make(outcome, book)` gives. Throws workflow_closed, argument_mismatch or
/// update_limit_exceeded; then nothing was queued (and `make` was not called).
template <class R, class Make>
std::shared_ptr<update_outcome<R>> admit_outcome(instance_base& in, update_options opts, std::string_view name,
                                                 Make&& make) {
    in.eng.check_no_replay_escape("update");
    if (auto seen = taken_update(in, opts.id)) {
        if (seen->result != type_id_of<R>() || seen->name != name)
            detail::raise(argument_mismatch(in.id, "update id " + opts.id, seen->name, "the update it was used for",
                                            "update '" + std::string(name) + "'"));
        return std::static_pointer_cast<update_outcome<R>>(std::move(seen));
    }
    if (!in.running())
        detail::raise(workflow_closed(in.id, to_string(in.status), "take update '" + std::string(name) + "'"));
    update_book& book = book_of(in);
    const runtime_options& limits = in.eng.options();
    if (limits.max_updates_in_flight_per_run != 0 && book.in_flight >= limits.max_updates_in_flight_per_run)
        detail::raise(update_limit_exceeded(in.id, name, "updates in flight (runtime_options::max_updates_in_flight_per_run)",
                                            limits.max_updates_in_flight_per_run,
                                            "wait for results before sending more"));
    if (limits.max_updates_per_run != 0 && book.total >= limits.max_updates_per_run)
        detail::raise(update_limit_exceeded(in.id, name, "updates per run (runtime_options::max_updates_per_run)",
                                            limits.max_updates_per_run,
                                            "continue-as-new starts a run with fresh counters"));
    if (opts.id.empty()) {
        do opts.id = "update-" + std::to_string(++book.made_ids);
        while (book.by_id.count(opts.id) != 0);
    }
    auto outcome = std::make_shared<update_outcome<R>>(in.id, std::string(name), opts.id, type_id_of<R>());
    in.eng.schedule(in);  // first: if posting fails, nothing was taken (a spare activation is harmless)
    std::shared_ptr<update_call_base> call = make(outcome, in.x->updates);
    in.inbox.emplace_back(in.eng.pending_pool(), update_delivery{std::move(call)}, update_index);
    book.take(outcome);
    return outcome;
}

template <class R, class Make>
update_handle<R> admit_update(instance_base& in, update_options opts, std::string_view name, Make&& make) {
    return update_handle<R>(admit_outcome<R>(in, std::move(opts), name, std::forward<Make>(make)));
}

/// Takes the I-th update of T for `in` with arguments `as` (converted to its parameter types).
template <class T, std::size_t I, class... As>
update_handle<typename update_at<T, I>::result> take_update(instance_base& in, update_options opts, As&&... as) {
    using A = update_at<T, I>;
    using R = typename A::result;
    static_assert(std::is_constructible_v<typename A::args, As&&...>,
                  "the update's arguments do not convert to the handler's parameter types");
    return admit_update<R>(in, std::move(opts), A::name,
                           [&](std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b) {
                               return std::make_shared<update_call<T, I>>(std::move(o), std::move(b),
                                                                          typename A::args(std::forward<As>(as)...));
                           });
}

/// Replay: delivers the update a history recorded as accepted (`e`), now, without its validator.
/// Returns why it cannot (the code no longer has that update or takes other types), else empty.
template <class T>
std::string replay_update(instance_base& in, const history_event& e) {
    std::unique_ptr<arg_pack_base> pack = e.input ? e.input->clone() : nullptr;
    if (!pack) return "history of workflow '" + in.id + "': the arguments of update '" + e.name + "' were not kept";
    const erased_args a = pack->view();
    std::string why = "history of workflow '" + in.id + "': the current code has no update '" + e.name + "'";
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using A = update_at<T, I>;
                if (A::name != e.name) return;
                using Tuple = decltype(std::tuple_cat(std::tuple<std::string>{}, std::declval<typename A::args>()));
                constexpr auto seq = std::make_index_sequence<std::tuple_size_v<Tuple>>{};
                if (!erased_types_match<Tuple>(a, seq)) {
                    why = "history of workflow '" + in.id + "': update '" + e.name + "' now takes " +
                          tuple_names<typename A::args>::get() + ", the history has it with " + a.type_names() +
                          " (the update id first)";
                    return;
                }
                why.clear();
                Tuple values = take_erased<Tuple>(a, seq);
                std::apply(
                    [&](std::string& id, auto&... rest) {
                        update_book& book = book_of(in);
                        auto outcome = std::make_shared<update_outcome<typename A::result>>(
                            in.id, std::string(A::name), std::move(id), type_id_of<typename A::result>());
                        std::shared_ptr<update_call_base> call = std::make_shared<update_call<T, I>>(
                            outcome, in.x->updates, typename A::args(std::move(rest)...), false);
                        book.take(std::move(outcome));
                        call->deliver(in, call);
                    },
                    values);
            }(),
            ...);
    }(std::make_index_sequence<update_count_v<T>>{});
    if constexpr (has_dynamic_update_v<T>) {
        if (!why.empty() && !(T::definition.has_update(e.name))) {  // the dynamic handler takes it
            if (a.size == 0 || a.data[0].type != type_id_of<std::string>())
                return "history of workflow '" + in.id + "': update '" + e.name + "' was recorded without its id";
            using R = dynamic_update_result_t<T>;
            update_book& book = book_of(in);
            std::string id = *static_cast<const std::string*>(a.data[0].value);
            auto outcome = std::make_shared<update_outcome<R>>(in.id, e.name, std::move(id), type_id_of<R>());
            std::shared_ptr<update_call_base> call = std::make_shared<dynamic_update_call<T>>(
                outcome, in.x->updates, std::make_unique<after_update_id>(std::move(pack)));
            book.take(std::move(outcome));
            call->deliver(in, call);
            why.clear();
        }
    }
    return why;
}

// ---- by name, type-erased (the workflow type's table, for untyped handles) ----------------------

template <class T, std::size_t I>
std::string update_params() {
    return tuple_names<typename update_at<T, I>::args>::get();
}
template <class T, std::size_t I>
std::string_view update_result_name() noexcept {
    return type_name<typename update_at<T, I>::result>();
}
template <class T, std::size_t I>
bool erased_update_matches(erased_args a) {
    using Tuple = typename update_at<T, I>::args;
    return erased_types_match<Tuple>(a, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}
template <class T, std::size_t I>
std::shared_ptr<update_outcome_base> take_erased_update(instance_base& in, std::string update_id, erased_args a) {
    using A = update_at<T, I>;
    using R = typename A::result;
    using Tuple = typename A::args;
    return admit_outcome<R>(in, update_options{std::move(update_id)}, A::name,
                            [&](std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b) {
                                return std::make_shared<update_call<T, I>>(
                                    std::move(o), std::move(b),
                                    take_erased<Tuple>(a, std::make_index_sequence<std::tuple_size_v<Tuple>>{}));
                            });
}

template <class T>
std::string_view dynamic_update_result_name() noexcept {
    return type_name<dynamic_update_result_t<T>>();
}
template <class T>
std::shared_ptr<update_outcome_base> take_dynamic_update(instance_base& in, std::string update_id,
                                                         std::string_view name, erased_args a) {
    using R = dynamic_update_result_t<T>;
    return admit_outcome<R>(in, update_options{std::move(update_id)}, name,
                            [&](std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b) {
                                return std::make_shared<dynamic_update_call<T>>(
                                    std::move(o), std::move(b), a.take ? a.take(a) : std::make_unique<arg_pack_impl<>>());
                            });
}

/// T's updates as the workflow type's table lists them.
template <class T>
struct update_table {
    template <std::size_t... I>
    static constexpr std::array<update_info, sizeof...(I)> make(std::index_sequence<I...>) {
        return {{update_info{update_at<T, I>::name, &update_params<T, I>, &update_result_name<T, I>,
                             type_id_of<typename update_at<T, I>::result>(), &erased_update_matches<T, I>,
                             &take_erased_update<T, I>}...}};
    }
    static constexpr auto entries = make(std::make_index_sequence<update_count_v<T>>{});
    static constexpr const dynamic_update_info* dynamic() {
        if constexpr (has_dynamic_update_v<T>) return &dynamic_value;
        else return nullptr;
    }
    static constexpr dynamic_update_info make_dynamic() {
        if constexpr (has_dynamic_update_v<T>)
            return {&dynamic_update_result_name<T>, type_id_of<dynamic_update_result_t<T>>(), &take_dynamic_update<T>};
        else
            return {nullptr, type_id{}, nullptr};
    }
    static constexpr dynamic_update_info dynamic_value = make_dynamic();
};

/// Sends update `name` through the workflow type's table (untyped handles).
template <class R>
update_handle<R> start_erased_update(instance_base& in, std::string update_id, std::string_view name, erased_args a) {
    if (const update_info* u = in.type.find_update(name)) {
        if (u->result != type_id_of<R>())
            detail::raise(argument_mismatch(in.id, "update", name, "result type " + std::string(u->result_name()),
                                            "result type " + std::string(type_name<R>())));
        if (!u->matches(a)) detail::raise(argument_mismatch(in.id, "update", name, u->params(), a.type_names()));
        return update_handle<R>(std::static_pointer_cast<update_outcome<R>>(u->take(in, std::move(update_id), a)));
    }
    if (const dynamic_update_info* d = in.type.dynamic_update) {
        if (d->result != type_id_of<R>())
            detail::raise(argument_mismatch(in.id, "dynamic update", name, "result type " + std::string(d->result_name()),
                                            "result type " + std::string(type_name<R>())));
        return update_handle<R>(std::static_pointer_cast<update_outcome<R>>(d->take(in, std::move(update_id), name, a)));
    }
    detail::raise(unknown_update(in.id, in.type.name, name, in.type.update_names()));
}

/// The index of T's update whose handler is `m`, or npos32.
template <class T, class M>
std::uint32_t update_index_of(M m) {
    std::uint32_t found = npos32;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                if constexpr (std::is_same_v<typename update_at<T, I>::M, M>)
                    if (found == npos32 && update_at<T, I>::fn == m) found = static_cast<std::uint32_t>(I);
            }(),
            ...);
    }(std::make_index_sequence<update_count_v<T>>{});
    return found;
}

/// The result type of T's update handler `M`.
template <class M>
using update_result_of_t = typename task_value<typename member_fn_traits<M>::result_type>::type;

template <class T, class M, class... As>
update_handle<update_result_of_t<M>> start_typed_update(instance_base& in, update_options opts, M m, As&&... as) {
    using R = update_result_of_t<M>;
    std::optional<update_handle<R>> out;
    const std::uint32_t index = update_index_of<T>(m);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                if constexpr (std::is_same_v<typename update_at<T, I>::M, M>)
                    if (index == I) out.emplace(take_update<T, I>(in, std::move(opts), std::forward<As>(as)...));
            }(),
            ...);
    }(std::make_index_sequence<update_count_v<T>>{});
    if (!out) detail::raise(unknown_update(in.id, in.type.name, "<member not registered as an update>", update_names<T>()));
    return std::move(*out);
}

template <class T, class R, class... As>
update_handle<R> start_named_update(instance_base& in, update_options opts, std::string_view name, As&&... as) {
    std::optional<update_handle<R>> out;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using A = update_at<T, I>;
                if (out || A::name != name) return;
                if constexpr (!std::is_same_v<typename A::result, R>) {
                    detail::raise(argument_mismatch(in.id, "update", name,
                                                    "result type " + std::string(type_name<typename A::result>()),
                                                    "result type " + std::string(type_name<R>())));
                } else if constexpr (!std::is_same_v<typename A::args, std::tuple<by_name_t<As>...>>) {
                    detail::raise(argument_mismatch(in.id, "update", name, tuple_names<typename A::args>::get(),
                                                    type_list_name<by_name_t<As>...>()));
                } else {
                    out.emplace(take_update<T, I>(in, std::move(opts), std::forward<As>(as)...));
                }
            }(),
            ...);
    }(std::make_index_sequence<update_count_v<T>>{});
    if (out) return std::move(*out);
    if constexpr (has_dynamic_update_v<T>) {  // no named update has the name
        if constexpr (!std::is_same_v<dynamic_update_result_t<T>, R>) {
            detail::raise(argument_mismatch(in.id, "dynamic update", name,
                                            "result type " + std::string(type_name<dynamic_update_result_t<T>>()),
                                            "result type " + std::string(type_name<R>())));
        } else {
            return admit_update<R>(in, std::move(opts), name,
                                   [&](std::shared_ptr<update_outcome<R>> o, std::shared_ptr<update_book> b) {
                                       return std::make_shared<dynamic_update_call<T>>(
                                           std::move(o), std::move(b),
                                           std::make_unique<arg_pack_impl<by_name_t<As>...>>(std::forward<As>(as)...));
                                   });
        }
    }
    detail::raise(unknown_update(in.id, in.type.name, name, update_names<T>()));
}

}  // namespace detail

}  // namespace coflow
