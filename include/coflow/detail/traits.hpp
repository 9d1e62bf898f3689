// coflow/detail/traits.hpp: what a member pointer is (class, return, parameters, const), and the
// argument normalisation used by by-name calls.
#pragma once

#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace coflow {
template <class R>
class task;
template <class R>
class workflow;
template <class... Ts>
class signal_channel;
}  // namespace coflow

namespace coflow::detail {

template <class... Ts>
struct type_list {};

template <class M>
struct member_fn_traits {
    static constexpr bool is_function = false;
};

#define COFLOW_MEMBER_FN_TRAITS(CONST, NOEXCEPT, IS_CONST)          \
    template <class C, class R, class... Ps>                        \
    struct member_fn_traits<R (C::*)(Ps...) CONST NOEXCEPT> {       \
        static constexpr bool is_function = true;                   \
        static constexpr bool is_const = IS_CONST;                  \
        using class_type = C;                                       \
        using result_type = R;                                      \
        using params = type_list<Ps...>;                            \
        using args_tuple = std::tuple<std::decay_t<Ps>...>;         \
        static constexpr std::size_t arity = sizeof...(Ps);         \
        static constexpr bool by_value = (!std::is_reference_v<Ps> && ...); \
    };
COFLOW_MEMBER_FN_TRAITS(, , false)
COFLOW_MEMBER_FN_TRAITS(const, , true)
COFLOW_MEMBER_FN_TRAITS(, noexcept, false)
COFLOW_MEMBER_FN_TRAITS(const, noexcept, true)
#undef COFLOW_MEMBER_FN_TRAITS

template <class M>
struct member_data_traits {
    static constexpr bool is_data = false;
};
template <class C, class D>
struct member_data_traits<D C::*> {
    static constexpr bool is_data = !std::is_function_v<D>;
    using class_type = C;
    using member_type = D;
};

template <class T>
struct is_task : std::false_type {};
template <class R>
struct is_task<task<R>> : std::true_type {};

template <class T>
struct is_workflow : std::false_type {};
template <class R>
struct is_workflow<workflow<R>> : std::true_type {};

template <class T>
struct channel_args;
template <class... Ts>
struct channel_args<signal_channel<Ts...>> {
    using params = type_list<Ts...>;
    using args_tuple = std::tuple<Ts...>;
};

/// True for string literals and C strings (after decay).
template <class A>
inline constexpr bool is_c_string_v =
    std::is_same_v<std::decay_t<A>, const char*> || std::is_same_v<std::decay_t<A>, char*>;

/// True for the types that only view characters owned elsewhere: a signal is delivered after its send
/// returns, so it must own what it carries.
template <class A>
inline constexpr bool is_string_view_like_v = is_c_string_v<A> || std::is_same_v<std::decay_t<A>, std::string_view>;

/// The type a by-name argument is sent as: decayed, with string literals, C strings and string views
/// as std::string (an owned copy: the value is read after the sender's string may be gone).
template <class A>
using by_name_t = std::conditional_t<is_string_view_like_v<A>, std::string, std::decay_t<A>>;

/// How a by-name signal argument is held until the signal is accepted: an rvalue already of the type
/// sent is left where the caller has it (a reference), to be moved from only once the signal is
/// accepted; anything else becomes a by_name_t value (an lvalue is copied, a string literal converted).
template <class A>
using by_name_hold_t = std::conditional_t<!std::is_reference_v<A> && std::is_same_v<A, by_name_t<A>>, A&&, by_name_t<A>>;

/// The type a by-name query argument is passed as: decayed, with string literals and C strings as
/// std::string. A std::string_view stays one: the query runs before its caller returns.
template <class A>
using query_arg_t = std::conditional_t<is_c_string_v<A>, std::string, std::decay_t<A>>;

}  // namespace coflow::detail
