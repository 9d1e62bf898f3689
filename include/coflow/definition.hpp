// coflow/definition.hpp: define<T>(name).run(..).signal(..).query(..), the constexpr table of a workflow type.
// Typed calls find their entry by member pointer; by-name calls go through the type-erased table built here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/args.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/signal.hpp>
#include <coflow/task.hpp>
#include <coflow/validation.hpp>
#include <coflow/workflow.hpp>

namespace coflow {

namespace detail {

struct no_run {};
struct no_dynamic {};

template <class M>
struct signal_entry {
    std::string_view name;
    M target;
};

struct no_validator {};

template <class M, class V>
struct update_entry {
    std::string_view name;
    M fn;
    V validator;  // no_validator when there is none
};

template <class M>
struct query_entry {
    std::string_view name;
    M fn;
};

enum class signal_kind { invalid, sync_handler, async_handler, channel };

template <class T, class M>
constexpr signal_kind signal_kind_of() {
    if constexpr (member_fn_traits<M>::is_function) {
        using tr = member_fn_traits<M>;
        if constexpr (!std::is_same_v<typename tr::class_type, T> || tr::is_const) return signal_kind::invalid;
        else if constexpr (std::is_void_v<typename tr::result_type>) return signal_kind::sync_handler;
        else if constexpr (std::is_same_v<typename tr::result_type, task<void>>) return signal_kind::async_handler;
        else return signal_kind::invalid;
    } else if constexpr (member_data_traits<M>::is_data) {
        using tr = member_data_traits<M>;
        if constexpr (std::is_same_v<typename tr::class_type, T> && is_signal_channel<typename tr::member_type>::value)
            return signal_kind::channel;
        else return signal_kind::invalid;
    } else {
        return signal_kind::invalid;
    }
}

/// The decayed argument tuple a signal target takes.
template <class T, class M>
struct signal_args {
    using tuple = typename member_fn_traits<M>::args_tuple;
};
template <class T, class C, class... Ts>
struct signal_args<T, signal_channel<Ts...> C::*> {
    using tuple = std::tuple<Ts...>;
};

/// True when no element of Tuple only views characters owned elsewhere (std::string_view, const char*).
template <class Tuple>
struct owns_values;
template <class... Ts>
struct owns_values<std::tuple<Ts...>> : std::bool_constant<(!is_string_view_like_v<Ts> && ...)> {};

template <class Tuple>
struct tuple_names;
template <class... Ts>
struct tuple_names<std::tuple<Ts...>> {
    static std::string get() { return type_list_name<Ts...>(); }
};

}  // namespace detail

template <class T, class Run, class Signals, class Queries, class DynamicSignal = detail::no_dynamic,
          class DynamicQuery = detail::no_dynamic, class Updates = std::tuple<>, class DynamicUpdate = detail::no_dynamic>
class definition;

/// The table naming a workflow type's run method, signals and queries. Build it with define<T>(name)
/// as a `static constexpr auto definition` member of T, after the members it names. Every name is
/// explicit (as in Temporal's TypeScript SDK); a name used twice is a compile-time error.
template <class T, class Run, class... S, class... Q, class DS, class DQ, class... U, class DU>
class definition<T, Run, std::tuple<S...>, std::tuple<Q...>, DS, DQ, std::tuple<U...>, DU> {
public:
    using workflow_class = T;

    std::string_view name;
    Run run_fn;
    std::tuple<S...> signals;
    std::tuple<Q...> queries;
    DS dynamic_signal_fn;  // detail::no_dynamic when there is none
    DQ dynamic_query_fn;
    std::tuple<U...> updates;
    DU dynamic_update_fn;

    /// Names the run method: `coflow::workflow<R> T::run(Args...)`, parameters by value.
    template <class M>
    [[nodiscard]] constexpr auto run(M fn) const {
        static_assert(std::is_same_v<Run, detail::no_run>, "a definition names its run method only once");
        using tr = detail::member_fn_traits<M>;
        if constexpr (!tr::is_function) {
            static_assert(tr::is_function, "run(...) takes a pointer to the member function that is the workflow body");
            return *this;
        } else {
            static_assert(std::is_same_v<typename tr::class_type, T>,
                          "the run method must be a member of the workflow type given to define<T>");
            static_assert(!tr::is_const && detail::is_workflow<typename tr::result_type>::value,
                          "the run method must be a non-const member function returning coflow::workflow<R>");
            static_assert(tr::by_value,
                          "workflow run parameters must be taken by value: the body outlives the call that starts it");
            static_assert(detail::owns_values<typename tr::args_tuple>::value,
                          "workflow run parameters must own their text: take std::string, not std::string_view or "
                          "const char* (the body outlives the caller's string)");
            return definition<T, M, std::tuple<S...>, std::tuple<Q...>, DS, DQ, std::tuple<U...>, DU>{
                name, fn, signals, queries, dynamic_signal_fn, dynamic_query_fn, updates, dynamic_update_fn};
        }
    }

    /// Names a signal: a handler `void T::f(Args...)`, an async handler `coflow::task<void> T::f(Args...)`
    /// (parameters by value), or a `coflow::signal_channel<Args...>` data member.
    template <class M>
    [[nodiscard]] constexpr auto signal(std::string_view signal_name, M target) const {
        constexpr detail::signal_kind kind = detail::signal_kind_of<T, M>();
        static_assert(kind != detail::signal_kind::invalid,
                      "a signal target must be a non-const member function of the workflow type returning void "
                      "or coflow::task<void>, or a coflow::signal_channel<...> data member of it");
        if constexpr (kind == detail::signal_kind::async_handler)
            static_assert(detail::member_fn_traits<M>::by_value,
                          "an async signal handler (returning task<void>) must take its parameters by value: "
                          "it runs after the delivery that called it");
        if constexpr (kind != detail::signal_kind::invalid)
            static_assert(detail::owns_values<typename detail::signal_args<T, M>::tuple>::value,
                          "signal parameters (and channel values) must own their text: take std::string, not "
                          "std::string_view or const char* (a signal is delivered after its sender returned)");
        if (signal_name.empty()) detail::raise(std::logic_error("coflow::define: a signal name must not be empty"));
        if (has_signal(signal_name)) detail::raise(std::logic_error("coflow::define: two signals have the same name"));
        using E = detail::signal_entry<M>;
        return definition<T, Run, std::tuple<S..., E>, std::tuple<Q...>, DS, DQ, std::tuple<U...>, DU>{
            name,    run_fn, std::tuple_cat(signals, std::tuple<E>{E{signal_name, target}}), queries,
            dynamic_signal_fn, dynamic_query_fn, updates, dynamic_update_fn};
    }

    /// Names a query: a const member function returning a value, `R T::f(Args...) const`.
    template <class M>
    [[nodiscard]] constexpr auto query(std::string_view query_name, M fn) const {
        using tr = detail::member_fn_traits<M>;
        if constexpr (!tr::is_function) {
            static_assert(tr::is_function,
                          "a query handler must be a const member function returning a value (queries are "
                          "read-only and cannot suspend)");
            return *this;
        } else {
            static_assert(std::is_same_v<typename tr::class_type, T>,
                          "a query handler must be a member of the workflow type given to define<T>");
            static_assert(tr::is_const && !std::is_void_v<typename tr::result_type> &&
                              !detail::is_task<typename tr::result_type>::value &&
                              !detail::is_workflow<typename tr::result_type>::value,
                          "a query handler must be a const member function returning a value (queries are "
                          "read-only and cannot suspend)");
            if (query_name.empty()) detail::raise(std::logic_error("coflow::define: a query name must not be empty"));
            if (has_query(query_name))
                detail::raise(std::logic_error("coflow::define: two queries have the same name"));
            using E = detail::query_entry<M>;
            return definition<T, Run, std::tuple<S...>, std::tuple<Q..., E>, DS, DQ, std::tuple<U...>, DU>{
                name,          run_fn, signals, std::tuple_cat(queries, std::tuple<E>{E{query_name, fn}}),
                dynamic_signal_fn, dynamic_query_fn, updates, dynamic_update_fn};
        }
    }

    /// Names the dynamic signal handler, which takes every by-name signal whose name no named signal
    /// has (instead of unknown_signal): `void T::f(std::string name, coflow::raw_args args)`, or
    /// `coflow::task<void>` for an async one. Signals sent by member pointer never reach it.
    template <class M>
    [[nodiscard]] constexpr auto dynamic_signal(M fn) const {
        static_assert(std::is_same_v<DS, detail::no_dynamic>, "a definition names one dynamic signal handler");
        constexpr detail::signal_kind kind = detail::signal_kind_of<T, M>();
        static_assert(kind == detail::signal_kind::sync_handler || kind == detail::signal_kind::async_handler,
                      "a dynamic signal handler is a non-const member function of the workflow type returning "
                      "void or coflow::task<void>");
        if constexpr (kind == detail::signal_kind::sync_handler || kind == detail::signal_kind::async_handler) {
            static_assert(std::is_same_v<typename detail::member_fn_traits<M>::params,
                                         detail::type_list<std::string, raw_args>>,
                          "a dynamic signal handler takes (std::string name, coflow::raw_args args), by value");
        }
        return definition<T, Run, std::tuple<S...>, std::tuple<Q...>, M, DQ, std::tuple<U...>, DU>{
            name, run_fn, signals, queries, fn, dynamic_query_fn, updates, dynamic_update_fn};
    }

    /// Names the dynamic query handler, which answers every by-name query whose name no named query has
    /// (instead of unknown_query): `R T::f(std::string_view name, const coflow::raw_args& args) const`.
    /// A by-name query must ask for R, as for a named one.
    template <class M>
    [[nodiscard]] constexpr auto dynamic_query(M fn) const {
        static_assert(std::is_same_v<DQ, detail::no_dynamic>, "a definition names one dynamic query handler");
        using tr = detail::member_fn_traits<M>;
        if constexpr (!tr::is_function) {
            static_assert(tr::is_function, "a dynamic query handler is a const member function returning a value");
            return *this;
        } else {
            static_assert(std::is_same_v<typename tr::class_type, T> && tr::is_const &&
                              !std::is_void_v<typename tr::result_type> &&
                              !detail::is_task<typename tr::result_type>::value &&
                              !detail::is_workflow<typename tr::result_type>::value,
                          "a dynamic query handler is a const member function of the workflow type returning a "
                          "value (queries are read-only and cannot suspend)");
            static_assert(std::is_same_v<typename tr::params, detail::type_list<std::string_view, const raw_args&>>,
                          "a dynamic query handler takes (std::string_view name, const coflow::raw_args& args)");
            return definition<T, Run, std::tuple<S...>, std::tuple<Q...>, DS, M, std::tuple<U...>, DU>{
                name, run_fn, signals, queries, dynamic_signal_fn, fn, updates, dynamic_update_fn};
        }
    }

    /// Names an update: a handler `R T::f(Args...)` or `coflow::task<R> T::f(Args...)` (async: it may
    /// await; parameters by value), R possibly void. An update is a signal that answers: its caller gets
    /// R, or the exception the handler threw, through an update_handle (update.hpp). The optional
    /// validator, a const member function taking the handler's parameters, runs first, read-only like a
    /// query. `void T::v(Args...) const` rejects the update by throwing (Temporal's validator shape);
    /// `coflow::validation T::v(Args...) const` returns coflow::accept() or coflow::reject("why"), the
    /// form that also works without exceptions. A rejected update is not accepted, recorded or counted.
    template <class M, class V = detail::no_validator>
    [[nodiscard]] constexpr auto update(std::string_view update_name, M fn, V validator = {}) const {
        using tr = detail::member_fn_traits<M>;
        if constexpr (!tr::is_function) {
            static_assert(tr::is_function, "an update handler must be a non-const member function of the workflow "
                                           "type returning a value, void or coflow::task<R>");
            return *this;
        } else {
            static_assert(std::is_same_v<typename tr::class_type, T> && !tr::is_const &&
                              !detail::is_workflow<typename tr::result_type>::value,
                          "an update handler must be a non-const member function of the workflow type returning a "
                          "value, void or coflow::task<R>");
            if constexpr (detail::is_task<typename tr::result_type>::value)
                static_assert(tr::by_value, "an async update handler (returning task<R>) must take its parameters "
                                            "by value: it runs after the delivery that called it");
            static_assert(detail::owns_values<typename tr::args_tuple>::value,
                          "update parameters must own their text: take std::string, not std::string_view or "
                          "const char* (an update is delivered after its sender returned)");
            if constexpr (!std::is_same_v<V, detail::no_validator>) {
                using vt = detail::member_fn_traits<V>;
                static_assert(vt::is_function && std::is_same_v<typename vt::class_type, T> && vt::is_const &&
                                  (std::is_void_v<typename vt::result_type> ||
                                   std::is_same_v<typename vt::result_type, validation>) &&
                                  std::is_same_v<typename vt::args_tuple, typename tr::args_tuple>,
                              "an update validator must be a const member function of the workflow type taking the "
                              "update's parameters and returning void (it rejects by throwing) or coflow::validation "
                              "(coflow::accept() or coflow::reject(reason))");
            }
            if (update_name.empty()) detail::raise(std::logic_error("coflow::define: an update name must not be empty"));
            if (has_update(update_name))
                detail::raise(std::logic_error("coflow::define: two updates have the same name"));
            using E = detail::update_entry<M, V>;
            return definition<T, Run, std::tuple<S...>, std::tuple<Q...>, DS, DQ, std::tuple<U..., E>, DU>{
                name,    run_fn, signals, queries, dynamic_signal_fn, dynamic_query_fn,
                std::tuple_cat(updates, std::tuple<E>{E{update_name, fn, validator}}), dynamic_update_fn};
        }
    }

    /// Names the dynamic update handler, which takes every by-name update whose name no named update
    /// has (instead of unknown_update): `R T::f(std::string name, coflow::raw_args args)`, or
    /// `coflow::task<R>` for an async one. A by-name update must ask for R, as for a named one. It has
    /// no validator: it may throw to fail the update. Updates sent by member pointer never reach it.
    template <class M>
    [[nodiscard]] constexpr auto dynamic_update(M fn) const {
        static_assert(std::is_same_v<DU, detail::no_dynamic>, "a definition names one dynamic update handler");
        using tr = detail::member_fn_traits<M>;
        if constexpr (!tr::is_function) {
            static_assert(tr::is_function, "a dynamic update handler is a non-const member function");
            return *this;
        } else {
            static_assert(std::is_same_v<typename tr::class_type, T> && !tr::is_const &&
                              !detail::is_workflow<typename tr::result_type>::value,
                          "a dynamic update handler is a non-const member function of the workflow type returning a "
                          "value, void or coflow::task<R>");
            static_assert(std::is_same_v<typename tr::params, detail::type_list<std::string, raw_args>>,
                          "a dynamic update handler takes (std::string name, coflow::raw_args args), by value");
            return definition<T, Run, std::tuple<S...>, std::tuple<Q...>, DS, DQ, std::tuple<U...>, M>{
                name, run_fn, signals, queries, dynamic_signal_fn, dynamic_query_fn, updates, fn};
        }
    }

    [[nodiscard]] constexpr bool has_update(std::string_view n) const {
        return std::apply([&](const auto&... e) { return ((e.name == n) || ...); }, updates);
    }
    [[nodiscard]] constexpr bool has_signal(std::string_view n) const {
        return std::apply([&](const auto&... e) { return ((e.name == n) || ...); }, signals);
    }
    [[nodiscard]] constexpr bool has_query(std::string_view n) const {
        return std::apply([&](const auto&... e) { return ((e.name == n) || ...); }, queries);
    }
};

/// Starts a workflow type's definition: `static constexpr auto definition = coflow::define<T>("name")...`.
template <class T>
[[nodiscard]] constexpr definition<T, detail::no_run, std::tuple<>, std::tuple<>> define(std::string_view name) {
    if (name.empty()) detail::raise(std::logic_error("coflow::define: a workflow type name must not be empty"));
    return {name, {}, {}, {}, {}, {}, {}, {}};
}

namespace detail {

/// A workflow class: it has a `definition` made by define<T> with a run method.
template <class T>
concept workflow_class = requires { T::definition; } &&
                         !std::is_same_v<decltype(std::remove_cvref_t<decltype(T::definition)>::run_fn), no_run>;

template <class T>
using definition_of = std::remove_cvref_t<decltype(T::definition)>;

template <class T>
using run_fn_t = decltype(definition_of<T>::run_fn);

template <class T>
using run_result_t = typename member_fn_traits<run_fn_t<T>>::result_type::result_type;

template <class T>
inline constexpr std::size_t signal_count_v = std::tuple_size_v<decltype(definition_of<T>::signals)>;
template <class T>
inline constexpr std::size_t query_count_v = std::tuple_size_v<decltype(definition_of<T>::queries)>;

inline constexpr std::uint32_t npos32 = 0xffffffffu;

// ---- signals ----------------------------------------------------------------------------------

/// The closure stored in the inbox: it owns the arguments and calls the target named by the I-th entry.
template <class T, std::size_t I>
struct delivery {
    static constexpr auto target = std::get<I>(T::definition.signals).target;
    using M = std::remove_const_t<decltype(target)>;
    static constexpr signal_kind kind = signal_kind_of<T, M>();
    // Filling a channel runs no workflow code, so the engine may do it as the signal is accepted (when
    // the value moves without throwing: a failing delivery fails the run, not the sender).
    static constexpr bool fills_channel = [] {
        if constexpr (kind == signal_kind::channel)
            return std::is_nothrow_move_constructible_v<typename member_data_traits<M>::member_type::value_type>;
        else
            return false;
    }();
    typename signal_args<T, M>::tuple args;

    void operator()(instance_base& in) {
        T& obj = object_of<T>(in);
        if constexpr (kind == signal_kind::sync_handler) {
            std::apply([&](auto&... a) { (obj.*target)(std::move(a)...); }, args);
        } else if constexpr (kind == signal_kind::async_handler) {
            auto h = std::apply([&](auto&... a) { return (obj.*target)(std::move(a)...); }, args).release();
            in.spawn_handler(h, h.promise());
        } else {
            std::apply([&](auto&... a) { (obj.*target).push(std::move(a)...); }, args);
        }
    }
};

template <class T, std::size_t I>
std::string signal_params() {
    using M = std::remove_const_t<decltype(std::get<I>(T::definition.signals).target)>;
    return tuple_names<typename signal_args<T, M>::tuple>::get();
}

template <class Tuple, std::size_t... J>
bool erased_types_match(erased_args a, std::index_sequence<J...>) {
    return a.size == sizeof...(J) &&
           ((a.data[J].type == type_id_of<std::tuple_element_t<J, Tuple>>()) && ...);
}

template <class Tuple, std::size_t... J>
Tuple take_erased(erased_args a, std::index_sequence<J...>) {
    return Tuple(std::move(*static_cast<std::tuple_element_t<J, Tuple>*>(a.data[J].value))...);
}

template <class T, std::size_t I>
bool erased_signal_matches(erased_args a) {
    using Tuple = decltype(delivery<T, I>::args);
    return erased_types_match<Tuple>(a, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class T, std::size_t I>
void accept_erased_signal(instance_base& in, erased_args a, std::uint32_t index) {
    using D = delivery<T, I>;
    using Tuple = decltype(D::args);
    constexpr auto seq = std::make_index_sequence<std::tuple_size_v<Tuple>>{};
    if (!erased_types_match<Tuple>(a, seq))
        detail::raise(argument_mismatch(in.id, "signal", std::get<I>(T::definition.signals).name, signal_params<T, I>(),
                                        a.type_names()));
    in.eng.accept(in, index, [&] { return D{take_erased<Tuple>(a, seq)}; });
}

// Typed send: the entry whose target equals `m` takes the arguments, converted to its parameter types.
template <class T, std::size_t I, class M, class... As>
void send_if_match(instance_base& in, M m, bool& sent, As&&... as) {
    constexpr auto target = std::get<I>(T::definition.signals).target;
    if constexpr (std::is_same_v<std::remove_const_t<decltype(target)>, M>) {
        if (!sent && target == m) {
            using D = delivery<T, I>;
            using Tuple = decltype(D::args);
            static_assert(std::is_constructible_v<Tuple, As&&...>,
                          "the signal's arguments do not convert to the handler's parameter types");
            sent = true;
            in.eng.accept(in, static_cast<std::uint32_t>(I), [&] { return D{Tuple(std::forward<As>(as)...)}; });
        }
    }
}

template <class T, class M, class... As>
bool send_typed_signal(instance_base& in, M m, As&&... as) {
    bool sent = false;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (send_if_match<T, I>(in, m, sent, std::forward<As>(as)...), ...);
    }(std::make_index_sequence<signal_count_v<T>>{});
    return sent;
}

// ---- queries ----------------------------------------------------------------------------------

template <class T, std::size_t I>
struct query_at {
    static constexpr auto fn = std::get<I>(T::definition.queries).fn;
    using M = std::remove_const_t<decltype(fn)>;
    using tr = member_fn_traits<M>;
    using result = std::decay_t<typename tr::result_type>;
    using args = typename tr::args_tuple;
};

template <class T, std::size_t I>
std::string query_params() {
    return tuple_names<typename query_at<T, I>::args>::get();
}

template <class T, std::size_t I>
std::string_view query_result_name() noexcept {
    return type_name<typename query_at<T, I>::result>();
}

template <class T, std::size_t I>
void call_erased_query(const void* object, erased_args a, void* out, std::string_view id) {
    using Q = query_at<T, I>;
    using Tuple = typename Q::args;
    constexpr auto seq = std::make_index_sequence<std::tuple_size_v<Tuple>>{};
    const auto name = std::get<I>(T::definition.queries).name;
    if (!erased_types_match<Tuple>(a, seq))
        detail::raise(argument_mismatch(id, "query", name, query_params<T, I>(), a.type_names()));
    const T& obj = *static_cast<const T*>(object);
    auto& answer = *static_cast<std::optional<typename Q::result>*>(out);
    guarded(
        [&] {
            [&]<std::size_t... J>(std::index_sequence<J...>) {
                answer.emplace((obj.*Q::fn)(*static_cast<const std::tuple_element_t<J, Tuple>*>(a.data[J].value)...));
            }(seq);
        },
        [&](std::exception_ptr e) { detail::raise(query_failed(id, name, std::move(e))); });
}

// ---- dynamic handlers -------------------------------------------------------------------------

template <class T>
inline constexpr bool has_dynamic_signal_v =
    !std::is_same_v<std::remove_const_t<decltype(definition_of<T>::dynamic_signal_fn)>, no_dynamic>;
template <class T>
inline constexpr bool has_dynamic_query_v =
    !std::is_same_v<std::remove_const_t<decltype(definition_of<T>::dynamic_query_fn)>, no_dynamic>;

/// A signal for the dynamic handler, waiting in the inbox: its name (on the heap, where the inbox entry
/// points for the history) and its arguments.
template <class T>
struct dynamic_delivery {
    std::unique_ptr<std::string> name;
    std::unique_ptr<arg_pack_base> args;

    void operator()(instance_base& in) {
        static constexpr auto fn = T::definition.dynamic_signal_fn;
        T& obj = object_of<T>(in);
        raw_args raw(std::move(args), in.id, *name);
        if constexpr (signal_kind_of<T, std::remove_const_t<decltype(fn)>>() == signal_kind::sync_handler) {
            (obj.*fn)(std::move(*name), std::move(raw));
        } else {
            auto h = (obj.*fn)(std::move(*name), std::move(raw)).release();
            in.spawn_handler(h, h.promise());
        }
    }
};

template <class T>
void accept_dynamic_signal(instance_base& in, std::string_view name, erased_args a) {
    in.eng.accept_dynamic(in, name, [&] {
        return dynamic_delivery<T>{std::make_unique<std::string>(name),
                                   a.take ? a.take(a) : std::make_unique<arg_pack_impl<>>()};
    });
}

/// What T's dynamic query handler returns.
template <class T>
using dynamic_query_result_t = std::decay_t<
    typename member_fn_traits<std::remove_const_t<decltype(definition_of<T>::dynamic_query_fn)>>::result_type>;

template <class T>
std::string_view dynamic_query_result_name() noexcept {
    return type_name<dynamic_query_result_t<T>>();
}

template <class T>
void call_dynamic_query(const void* object, std::string_view name, erased_args a, void* out, std::string_view id) {
    static constexpr auto fn = T::definition.dynamic_query_fn;
    using R = dynamic_query_result_t<T>;
    const T& obj = *static_cast<const T*>(object);
    const raw_args raw(a, id, name);
    auto& answer = *static_cast<std::optional<R>*>(out);
    guarded([&] { answer.emplace((obj.*fn)(name, raw)); },
            [&](std::exception_ptr e) {
                // A raw_args type error is the caller's (it gave other types): it passes as it is.
                catch_as<argument_mismatch>(
                    e, [&](const argument_mismatch&) { std::rethrow_exception(e); },
                    [&] { detail::raise(query_failed(id, name, e)); });
            });
}

template <class T>
constexpr dynamic_query_info make_dynamic_query_info() {
    if constexpr (has_dynamic_query_v<T>) {
        return {&dynamic_query_result_name<T>, type_id_of<dynamic_query_result_t<T>>(), &call_dynamic_query<T>};
    } else {
        return {nullptr, type_id{}, nullptr};
    }
}

/// The dynamic handlers' entries of T's type table (null when T names none).
template <class T>
struct dynamic_table {
    static constexpr dynamic_query_info query_value = make_dynamic_query_info<T>();

    static constexpr auto signal() {
        if constexpr (has_dynamic_signal_v<T>) return &accept_dynamic_signal<T>;
        else return static_cast<void (*)(instance_base&, std::string_view, erased_args)>(nullptr);
    }
    static constexpr const dynamic_query_info* query() {
        if constexpr (has_dynamic_query_v<T>) return &query_value;
        else return nullptr;
    }
};

// ---- typed calls: the entry a member pointer names ----------------------------------------------

template <class M>
constexpr M member_of(const signal_entry<M>& e) noexcept {
    return e.target;
}
template <class M>
constexpr M member_of(const query_entry<M>& e) noexcept {
    return e.fn;
}

/// The index of the entry of `Entries()` (T's signals or queries) whose member pointer is `m`, or npos32.
/// Only entries whose member has M's type are compared, so any mix of types compiles.
template <auto Entries, class M>
std::uint32_t member_index(M m) {
    constexpr auto& entries = Entries();
    std::uint32_t found = npos32;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr auto member = member_of(std::get<I>(entries));
                if constexpr (std::is_same_v<std::remove_const_t<decltype(member)>, M>)
                    if (found == npos32 && member == m) found = static_cast<std::uint32_t>(I);
            }(),
            ...);
    }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(entries)>>>{});
    return found;
}

template <class T>
constexpr const auto& signals_of() noexcept {
    return T::definition.signals;
}
template <class T>
constexpr const auto& queries_of() noexcept {
    return T::definition.queries;
}

/// The index of T's signal whose target is `m`, or npos32.
template <class T, class M>
std::uint32_t signal_index(M m) {
    return member_index<&signals_of<T>>(m);
}

/// The index of T's query whose handler is `m`, or npos32.
template <class T, class M>
std::uint32_t query_index(M m) {
    return member_index<&queries_of<T>>(m);
}

}  // namespace detail

}  // namespace coflow
