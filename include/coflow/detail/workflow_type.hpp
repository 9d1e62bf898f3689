// coflow/detail/workflow_type.hpp: the type-erased table of one workflow type's signals and queries.
// By-name calls look names up here and check argument types with coflow's own type ids.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/codec.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/update_book.hpp>
#include <coflow/history_text.hpp>

namespace coflow {
struct history_event;
}  // namespace coflow

namespace coflow::detail {

class engine;
class instance_base;

/// One argument of a by-name call: its type and where the sender keeps its value (moved from on accept).
struct erased_arg {
    type_id type;
    void* value;
    std::string_view (*name)() noexcept;
};

class arg_pack_base;

struct erased_args {
    const erased_arg* data = nullptr;
    std::size_t size = 0;
    // Moves the values into an owned pack (a dynamic signal handler keeps them); set where they were
    // erased, since only there are their types known. Null for no arguments.
    std::unique_ptr<arg_pack_base> (*take)(erased_args) = nullptr;

    [[nodiscard]] std::string type_names() const {
        std::string out = "(";
        for (std::size_t i = 0; i < size; ++i) {
            if (i) out += ", ";
            out += data[i].name();
        }
        return out + ")";
    }
};

/// Type-erased views of the values in a tuple (moved from by whoever accepts them). An element may be
/// an rvalue reference: the view is then of the object it refers to.
template <class Tuple, std::size_t... I>
std::array<erased_arg, sizeof...(I)> erase_args(Tuple& values, std::index_sequence<I...>) {
    return {{erased_arg{type_id_of<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>(), &std::get<I>(values),
                        &type_name<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>}...}};
}

/// Arguments owned on the heap for later use by name (signal-with-start, continue-as-new, external signals).
class arg_pack_base {
public:
    virtual ~arg_pack_base() = default;
    [[nodiscard]] virtual erased_args view() noexcept = 0;
    /// The values as JSON text (see history_text).
    [[nodiscard]] virtual std::vector<std::string> text() const = 0;
    /// A copy (replay feeds a recorded input again), or null when a type cannot be copied.
    [[nodiscard]] virtual std::unique_ptr<arg_pack_base> clone() const = 0;
    /// Saving: writes the values with their codecs (codec.hpp); or, when a type has none, writes nothing
    /// and returns that type's name.
    [[nodiscard]] virtual std::string_view encode(writer& w) const = 0;
};

/// Loading: reads the values of one pack back into an owned pack (shared, as a history event holds it).
using pack_decoder = std::shared_ptr<arg_pack_base> (*)(reader&);

/// What a saved pack holds, which tells a load the types to read it as (workflow_type::decoder_for).
enum class input_role {
    run,     ///< a run's arguments
    signal,  ///< signal `name`'s arguments
    update,  ///< update `name`'s id, then its arguments
    result,  ///< a run's result (none for void)
};

template <class... Ts>
std::unique_ptr<arg_pack_base> take_pack(erased_args a);

template <class... Ts>
class arg_pack_impl final : public arg_pack_base {
public:
    template <class... As>
    explicit arg_pack_impl(As&&... args)
        : values_(std::forward<As>(args)...), erased_(erase_args(values_, std::index_sequence_for<Ts...>{})) {}
    [[nodiscard]] erased_args view() noexcept override { return {erased_.data(), erased_.size(), &take_pack<Ts...>}; }
    [[nodiscard]] std::vector<std::string> text() const override { return tuple_text(values_); }
    [[nodiscard]] std::unique_ptr<arg_pack_base> clone() const override {
        if constexpr ((std::is_copy_constructible_v<Ts> && ...))
            return std::apply([](const auto&... v) { return std::make_unique<arg_pack_impl>(v...); }, values_);
        else
            return nullptr;
    }
    [[nodiscard]] std::string_view encode(writer& w) const override {
        if constexpr ((has_codec<Ts> && ...)) {
            std::apply([&](const auto&... v) { w.write(v...); }, values_);
            return {};
        } else {
            std::string_view missing;
            ((missing = missing.empty() && !has_codec<Ts> ? type_name<Ts>() : missing), ...);
            return missing;
        }
    }

private:
    std::tuple<Ts...> values_;
    std::array<erased_arg, sizeof...(Ts)> erased_;
};

/// Moves erased values of types Ts... into an owned pack.
template <class... Ts>
std::unique_ptr<arg_pack_base> take_pack(erased_args a) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> std::unique_ptr<arg_pack_base> {
        return std::make_unique<arg_pack_impl<Ts...>>(std::move(*static_cast<Ts*>(a.data[I].value))...);
    }(std::index_sequence_for<Ts...>{});
}

/// Reads a pack of Ts... (a pack_decoder).
template <class... Ts>
std::shared_ptr<arg_pack_base> decode_pack(reader& r) {
    if constexpr ((has_codec<Ts> && ...)) {
        // Braces: the values are read in order. One allocation for the pack and its count.
        std::tuple<Ts...> values{r.template read<Ts>()...};
        return std::apply([](Ts&... v) { return std::make_shared<arg_pack_impl<Ts...>>(std::move(v)...); }, values);
    } else {
        (void)r;
        return nullptr;
    }
}

/// The decoder of packs of the tuple's (decayed) types, or null when one has no codec.
template <class Tuple>
struct decoder_of;
template <class... Ts>
struct decoder_of<std::tuple<Ts...>> {
    static constexpr pack_decoder get() noexcept {
        if constexpr ((has_codec<std::decay_t<Ts>> && ...)) return &decode_pack<std::decay_t<Ts>...>;
        else return nullptr;
    }
};

/// A copy of a tuple's values as an arg pack (for replay), or null when a type cannot be copied.
template <class... Ts>
std::shared_ptr<arg_pack_base> tuple_copy(const std::tuple<Ts...>& values) {
    if constexpr ((std::is_copy_constructible_v<Ts> && ...))
        return std::apply([](const auto&... v) { return std::make_shared<arg_pack_impl<Ts...>>(v...); }, values);
    else
        return nullptr;
}

struct signal_info {
    std::string_view name;
    std::string (*params)();  // "(std::string, int)"
    // Checks the arguments' types and enqueues the signal; throws argument_mismatch / limit errors.
    void (*accept)(instance_base&, erased_args, std::uint32_t index);
    bool (*matches)(erased_args);
};

struct query_info {
    std::string_view name;
    std::string (*params)();
    std::string_view (*result_name)() noexcept;
    type_id result;
    // Runs the query on `object` and stores the answer in *out (a std::optional<R>).
    void (*call)(const void* object, erased_args, void* out, std::string_view id);
};

/// A dynamic query handler: answers a query of any name no named handler takes.
struct dynamic_query_info {
    std::string_view (*result_name)() noexcept;
    type_id result;
    void (*call)(const void* object, std::string_view name, erased_args, void* out, std::string_view id);
};

struct update_info {
    std::string_view name;
    std::string (*params)();
    std::string_view (*result_name)() noexcept;
    type_id result;
    bool (*matches)(erased_args);
    // Takes the update (its arguments checked with `matches`) and returns its outcome, an update_outcome<R>.
    std::shared_ptr<update_outcome_base> (*take)(instance_base&, std::string update_id, erased_args);
};

/// A dynamic update handler: takes an update of any name no named handler takes.
struct dynamic_update_info {
    std::string_view (*result_name)() noexcept;
    type_id result;
    std::shared_ptr<update_outcome_base> (*take)(instance_base&, std::string update_id, std::string_view name,
                                                 erased_args);
};

struct workflow_type {
    std::string_view name;
    type_id self;
    const signal_info* signals;
    std::size_t signal_count;
    const query_info* queries;
    std::size_t query_count;
    // Continue-as-new: a fresh instance of the same type, its body made from by-name arguments.
    std::unique_ptr<instance_base> (*make)(engine&, std::string_view id);
    void (*start)(instance_base&, erased_args);  // arguments already checked with run_matches
    bool (*run_matches)(erased_args);
    std::string (*run_params)();
    // Continue-as-new, in three parts. Before the old run's frames go: puts values handed to receivers
    // that never resumed back into their channels. Then: calls `each` with each value waiting in the
    // old run's channels (for the new run's history: signal index, text, copy), channel by channel in
    // definition order. When the new run first runs: moves them into its channels, calling `moved`
    // for each, in the same order.
    void (*reclaim_channels)(instance_base& run);
    void (*carried_channel_values)(instance_base& from, instance_base& to,
                                   void (*each)(instance_base& to, std::uint32_t index, std::vector<std::string> text,
                                                std::shared_ptr<arg_pack_base> copy));
    void (*move_channels)(instance_base& from, instance_base& to, void (*moved)(instance_base& to, std::uint32_t index));
    // The dynamic (catch-all) handlers, or null: they take by-name signals and queries no named one takes.
    void (*dynamic_signal)(instance_base&, std::string_view name, erased_args) = nullptr;
    const dynamic_query_info* dynamic_query = nullptr;
    // Replay: delivers an update the history recorded as accepted; returns why it cannot, else empty.
    std::string (*replay_update)(instance_base&, const history_event&) = nullptr;
    const update_info* updates = nullptr;
    std::size_t update_count = 0;
    const dynamic_update_info* dynamic_update = nullptr;
    // Loading: the decoder of the values of an input its runs record (see input_role); null for a name
    // it does not know or values without codecs.
    pack_decoder (*decoder_for)(input_role, std::string_view name) = nullptr;

    [[nodiscard]] const signal_info* find_signal(std::string_view n, std::uint32_t& index) const noexcept {
        for (std::size_t i = 0; i < signal_count; ++i)
            if (signals[i].name == n) {
                index = static_cast<std::uint32_t>(i);
                return &signals[i];
            }
        return nullptr;
    }
    [[nodiscard]] const query_info* find_query(std::string_view n) const noexcept {
        for (std::size_t i = 0; i < query_count; ++i)
            if (queries[i].name == n) return &queries[i];
        return nullptr;
    }
    [[nodiscard]] const update_info* find_update(std::string_view n) const noexcept {
        for (std::size_t i = 0; i < update_count; ++i)
            if (updates[i].name == n) return &updates[i];
        return nullptr;
    }
    [[nodiscard]] std::string update_names() const {
        std::string out;
        for (std::size_t i = 0; i < update_count; ++i) (out += i ? ", " : "") += updates[i].name;
        return out;
    }
    [[nodiscard]] std::string signal_names() const {
        std::string out;
        for (std::size_t i = 0; i < signal_count; ++i) (out += i ? ", " : "") += signals[i].name;
        return out;
    }
    [[nodiscard]] std::string query_names() const {
        std::string out;
        for (std::size_t i = 0; i < query_count; ++i) (out += i ? ", " : "") += queries[i].name;
        return out;
    }
};

}  // namespace coflow::detail
