// coflow/detail/instance.hpp: instance<T>, one run of a workflow of type T: its object and its result.
// The engine owns it; the object outlives the body so queries work on closed runs.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/errors.hpp>
#include <coflow/history.hpp>
#include <coflow/status.hpp>
#include <coflow/update.hpp>

namespace coflow::detail {

template <class T>
constexpr const workflow_type& workflow_type_of() noexcept;

template <class T>
using run_args_t = typename member_fn_traits<run_fn_t<T>>::args_tuple;

template <class T, class Tuple>
struct built_from_args : std::false_type {
    static constexpr bool only_from_mutable = false;
};
template <class T, class... Ps>
struct built_from_args<T, std::tuple<Ps...>>
    : std::bool_constant<(sizeof...(Ps) > 0) && std::is_constructible_v<T, const Ps&...>> {
    // A constructor that would take the arguments only as rvalues or mutable lvalues: not an init
    // constructor (it is refused rather than silently passed over for the default one).
    static constexpr bool only_from_mutable =
        (sizeof...(Ps) > 0) && !std::is_constructible_v<T, const Ps&...> &&
        (std::is_constructible_v<T, Ps&&...> || std::is_constructible_v<T, Ps&...>);
};

/// True when T has a constructor taking its run method's arguments (as const lvalues: by value or by
/// const reference), like Python's @workflow.init. Aggregates are left out: g++ would build one from
/// parenthesised arguments and clang++ 14 would not.
template <class T>
inline constexpr bool built_from_run_args_v = !std::is_aggregate_v<T> && built_from_args<T, run_args_t<T>>::value;

template <class T>
inline constexpr bool dependent_false_v = false;

template <class T>
class instance final : public instance_base {
public:
    using value_type = run_result_t<T>;

    // The object is built by build_object, from the run's arguments: query_object says whether it was.
    // The id is copied once, into the run: a start passes it down as a view, not moved through each layer.
    instance(engine& e, std::string_view workflow_id) : instance_base(e, workflow_type_of<T>(), workflow_id) {}
    ~instance() override {
        destroy_frames();  // frames hold pointers into the object: they go first
        if (query_object) object_.~T();  // set only once the object is built (see query_object)
    }

    /// Builds the workflow object from the run's arguments, or default-constructs it. It is not workflow
    /// code: the activation of whoever starts the run (a parent, say) is hidden from it.
    template <class... A>
    void build_object(const A&... args) {
        struct hide_activation {
            activation* outer = std::exchange(current_activation, nullptr);
            ~hide_activation() { current_activation = outer; }
        } hidden;
        static_assert(std::is_aggregate_v<T> || !built_from_args<T, run_args_t<T>>::only_from_mutable,
                      "a workflow class's init constructor gets the run arguments as const lvalues (the run method "
                      "gets the values): take them by value or by const reference, a move-only one by const "
                      "reference");
        if constexpr (built_from_run_args_v<T>) {
            ::new (static_cast<void*>(&object_)) T(args...);
        } else if constexpr (std::is_default_constructible_v<T>) {
            ::new (static_cast<void*>(&object_)) T{};
        } else {
            static_assert(dependent_false_v<T>,
                          "a workflow class must be default-constructible, or have a constructor taking its run "
                          "method's arguments (by value or by const reference): coflow builds the object when "
                          "the run starts, before any signal handler or query sees it");
        }
        query_object = &object_;
    }


    [[nodiscard]] std::string result_text() const override {
        std::string out;
        if constexpr (std::is_void_v<value_type>) out = "null";
        else if (result_) history_text<value_type>::write(out, *result_);
        return out;
    }

    [[nodiscard]] void* result_place() noexcept override { return &result_; }

    [[nodiscard]] const void* result_storage() const noexcept override { return &result_; }
    [[nodiscard]] type_id result_type() const noexcept override { return type_id_of<value_type>(); }
    [[nodiscard]] std::string_view result_type_name() const noexcept override { return type_name<value_type>(); }

    [[nodiscard]] std::shared_ptr<arg_pack_base> result_copy() const override {
        if constexpr (std::is_void_v<value_type>) return std::make_shared<arg_pack_impl<>>();
        else if constexpr (std::is_copy_constructible_v<value_type>)
            return result_ ? std::make_shared<arg_pack_impl<value_type>>(*result_) : nullptr;
        else return nullptr;
    }

    bool restore_result(arg_pack_base& pack) override {
        const erased_args a = pack.view();
        if constexpr (std::is_void_v<value_type>) {
            return a.size == 0;
        } else {
            if (a.size != 1 || a.data[0].type != type_id_of<value_type>()) return false;
            result_.emplace(std::move(*static_cast<value_type*>(a.data[0].value)));
            return true;
        }
    }

    union {
        T object_;  // alive once build_object ran (query_object set)
    };

private:
    struct none {};
    [[no_unique_address]] std::conditional_t<std::is_void_v<value_type>, none, std::optional<value_type>> result_{};
};

template <class T>
[[nodiscard]] T& object_of(instance_base& in) noexcept {
    return static_cast<instance<T>&>(in).object_;
}

// ---- the type-erased table of T (by-name calls and continue-as-new go through it) ----------------

template <class T>
std::unique_ptr<instance_base> make_instance(engine& e, std::string_view id) {
    return std::make_unique<instance<T>>(e, id);
}

/// Builds the object of `in` (an instance<T>) from `args`, then makes the body frame from them and
/// hands it to the instance. The constructor sees the arguments as const; the body gets the values.
template <class T, class... A>
void make_body(instance_base& in, A&&... args) {
    auto& inst = static_cast<instance<T>&>(in);
    inst.build_object(std::as_const(args)...);
    in.start_time = in.eng.exec().now();
    auto frame = (inst.object_.*T::definition.run_fn)(std::forward<A>(args)...).release();
    frame.promise().root = &inst;
    inst.body = frame;
}

template <class T>
void start_erased(instance_base& in, erased_args a) {
    using Tuple = run_args_t<T>;
    Tuple values = take_erased<Tuple>(a, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    std::apply([&](auto&... v) { make_body<T>(in, std::move(v)...); }, values);
}

template <class T>
bool run_matches(erased_args a) {
    using Tuple = run_args_t<T>;
    return erased_types_match<Tuple>(a, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class T>
std::string run_params() {
    return tuple_names<run_args_t<T>>::get();
}

/// Calls f(channel, index) for each signal_channel member of `obj` that the definition names.
template <class T, class F>
void for_each_channel(T& obj, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr auto target = std::get<I>(T::definition.signals).target;
                if constexpr (signal_kind_of<T, std::remove_const_t<decltype(target)>>() == signal_kind::channel)
                    f(obj.*target, static_cast<std::uint32_t>(I));
            }(),
            ...);
    }(std::make_index_sequence<signal_count_v<T>>{});
}

template <class T>
void reclaim_channels(instance_base& run) {
    for_each_channel(static_cast<instance<T>&>(run).object_, [](auto& ch, std::uint32_t) { ch.reclaim_handed(); });
}

template <class T>
void carried_channel_values(instance_base& from, instance_base& to,
                            void (*each)(instance_base&, std::uint32_t, std::vector<std::string>,
                                         std::shared_ptr<arg_pack_base>)) {
    for_each_channel(static_cast<instance<T>&>(from).object_, [&](auto& ch, std::uint32_t index) {
        using Ch = std::remove_cvref_t<decltype(ch)>;
        ch.for_each_queued([&](const typename Ch::value_type& v) {
            // A channel of one type holds the value itself, of several a tuple: as signal arguments, a tuple.
            if constexpr (std::tuple_size_v<typename Ch::argument_types> == 1) {
                const std::tuple<const typename Ch::value_type&> args(v);
                std::shared_ptr<arg_pack_base> copy;
                if constexpr (std::is_copy_constructible_v<typename Ch::value_type>)
                    copy = std::make_shared<arg_pack_impl<typename Ch::value_type>>(v);
                each(to, index, tuple_text(args), std::move(copy));
            } else {
                each(to, index, tuple_text(v), tuple_copy(v));
            }
        });
    });
}

template <class T>
void move_channels(instance_base& from, instance_base& to, void (*moved)(instance_base&, std::uint32_t)) {
    T& src = static_cast<instance<T>&>(from).object_;
    T& dst = static_cast<instance<T>&>(to).object_;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                constexpr auto target = std::get<I>(T::definition.signals).target;
                if constexpr (signal_kind_of<T, std::remove_const_t<decltype(target)>>() == signal_kind::channel) {
                    for (std::size_t n = (src.*target).size(); n != 0; --n) moved(to, static_cast<std::uint32_t>(I));
                    (dst.*target).take_queued_from(src.*target);
                }
            }(),
            ...);
    }(std::make_index_sequence<signal_count_v<T>>{});
}

/// The result of a closed run as R, or the error that says why there is none.
template <class R>
R closed_result(instance_base& in) {
    switch (in.status) {
        case workflow_status::running: detail::raise(result_not_ready(in.id));
        case workflow_status::failed: detail::raise(workflow_failed(in.id, in.failure));
        case workflow_status::cancelled: detail::raise(workflow_cancelled(in.id));
        case workflow_status::terminated: detail::raise(workflow_terminated(in.id, in.terminate_reason()));
        case workflow_status::timed_out:  // a timed-out run always has its extras (engine::time_out)
            detail::raise(workflow_timed_out(in.id, in.x->timeout_by, in.x->timeout_length()));
        default: break;
    }
    if constexpr (!std::is_void_v<R>) return **static_cast<const std::optional<R>*>(in.result_storage());
}

/// Creates a run of T under `id` with its body frame and hands it to the engine (which schedules it).
template <class T, class... A>
instance_base& start_run(engine& eng, std::string_view id, std::uint64_t id_hash, A&&... args) {
    auto inst = std::make_unique<instance<T>>(eng, id);
    std::vector<std::string> text;
    std::shared_ptr<arg_pack_base> input;
    if (eng.recording()) {  // before the arguments move into the frame
        text = tuple_text(std::forward_as_tuple(args...));
        if constexpr ((std::is_copy_constructible_v<std::decay_t<A>> && ...))
            input = std::make_shared<arg_pack_impl<std::decay_t<A>...>>(args...);
    }
    make_body<T>(*inst, std::forward<A>(args)...);
    instance_base& in = eng.add(std::move(inst), nullptr, nullptr, &id_hash);
    if (in.hist) eng.record(in, event_kind::workflow_started, std::string(in.type.name), std::move(text), std::move(input));
    return in;
}

/// The decoder of the values of an input a run of T records, by what they are (workflow_type::decoder_for).
/// The types come from T's definition, not from the save, which names no C++ type: a save made by one
/// compiler loads in a build by another.
template <class T>
pack_decoder decoder_for(input_role role, std::string_view name) {
    pack_decoder d = nullptr;
    switch (role) {
        case input_role::run: d = decoder_of<run_args_t<T>>::get(); break;
        case input_role::signal:
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((name == std::get<I>(T::definition.signals).name
                      ? void(d = decoder_of<typename signal_args<
                                 T, std::remove_const_t<decltype(std::get<I>(T::definition.signals).target)>>::tuple>::get())
                      : void()),
                 ...);
            }(std::make_index_sequence<signal_count_v<T>>{});
            break;
        case input_role::update:
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((name == update_at<T, I>::name
                      ? void(d = decoder_of<decltype(std::tuple_cat(
                                 std::declval<std::tuple<std::string>>(),
                                 std::declval<typename update_at<T, I>::args>()))>::get())
                      : void()),
                 ...);
            }(std::make_index_sequence<update_count_v<T>>{});
            break;
        case input_role::result:
            if constexpr (std::is_void_v<run_result_t<T>>) d = decoder_of<std::tuple<>>::get();
            else d = decoder_of<std::tuple<run_result_t<T>>>::get();
            break;
    }
    return d;
}

// ---- the type-erased table --------------------------------------------------------------------

template <class T>
struct type_table {
    template <std::size_t... I>
    static constexpr std::array<signal_info, sizeof...(I)> make_signals(std::index_sequence<I...>) {
        return {{signal_info{std::get<I>(T::definition.signals).name, &signal_params<T, I>,
                             &accept_erased_signal<T, I>, &erased_signal_matches<T, I>}...}};
    }
    template <std::size_t... I>
    static constexpr std::array<query_info, sizeof...(I)> make_queries(std::index_sequence<I...>) {
        return {{query_info{std::get<I>(T::definition.queries).name, &query_params<T, I>, &query_result_name<T, I>,
                            type_id_of<typename query_at<T, I>::result>(), &call_erased_query<T, I>}...}};
    }

    static constexpr auto signals = make_signals(std::make_index_sequence<signal_count_v<T>>{});
    static constexpr auto queries = make_queries(std::make_index_sequence<query_count_v<T>>{});
    static constexpr workflow_type value{T::definition.name, type_id_of<T>(), signals.data(), signals.size(),
                                        queries.data(), queries.size(), &make_instance<T>, &start_erased<T>,
                                        &run_matches<T>, &run_params<T>, &reclaim_channels<T>,
                                        &carried_channel_values<T>, &move_channels<T>,
                                        dynamic_table<T>::signal(), dynamic_table<T>::query(),
                                        &replay_update<T>, update_table<T>::entries.data(),
                                        update_table<T>::entries.size(), update_table<T>::dynamic(),
                                        &decoder_for<T>};
};

template <class T>
[[nodiscard]] constexpr const workflow_type& workflow_type_of() noexcept {
    return type_table<T>::value;
}

}  // namespace coflow::detail
