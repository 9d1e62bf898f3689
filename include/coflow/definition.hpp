// coflow/definition.hpp: define<T>(name).run(..).signal(..).query(..), the constexpr table of a workflow type.
// Typed calls find their entry by member pointer; by-name calls go through the type-erased table built from it
// (detail/handler_dispatch.hpp).
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
#include <coflow/detail/definition_entries.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/handler_dispatch.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/signal.hpp>
#include <coflow/task.hpp>
#include <coflow/validation.hpp>
#include <coflow/workflow.hpp>

namespace coflow {

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

}  // namespace coflow
