// coflow/detail/definition_entries.hpp: the entries of a definition's table (signals, queries, updates), the
// checks on the members they name, and what the library reads of a workflow class's table (definition.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/signal.hpp>
#include <coflow/task.hpp>
#include <coflow/workflow.hpp>

namespace coflow::detail {

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

}  // namespace coflow::detail
