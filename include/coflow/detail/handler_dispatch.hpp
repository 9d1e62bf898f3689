// coflow/detail/handler_dispatch.hpp: how signals and queries reach the handlers a definition names: by
// member pointer (typed), by name (type-erased, with type checks) and through the dynamic handlers.
#pragma once

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

#include <coflow/args.hpp>
#include <coflow/detail/definition_entries.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/signal.hpp>

namespace coflow::detail {

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

/// Calls `(obj.*m)(as...)`, where `m` is the member of entry `index` of `Entries()` (member_index's
/// answer): through that entry's member pointer, a constant, so that the compiler sees the function it
/// calls and can inline it (a call through `m` itself stayed an out-of-line call in g++ 12).
template <auto Entries, std::size_t I = 0, class M, class Obj, class... As>
decltype(auto) invoke_member(std::uint32_t index, M m, Obj& obj, As&&... as) {
    constexpr auto& entries = Entries();
    if constexpr (I == std::tuple_size_v<std::remove_cvref_t<decltype(entries)>>) {
        return (obj.*m)(std::forward<As>(as)...);
    } else {
        constexpr auto member = member_of(std::get<I>(entries));
        if constexpr (std::is_same_v<std::remove_const_t<decltype(member)>, M>)
            if (index == I) return (obj.*member)(std::forward<As>(as)...);
        return invoke_member<Entries, I + 1>(index, m, obj, std::forward<As>(as)...);
    }
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

}  // namespace coflow::detail
