// coflow/args.hpp: coflow::args(...), arguments packed for a by-name call that happens later.
// Signal-with-start carries its signal's arguments this way, like Python's start_signal_args; dynamic
// handlers receive theirs as raw_args (Python's Sequence[RawValue]).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/traits.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>

namespace coflow {

/// Owned, type-erased arguments. Made by coflow::args(...); checked against the receiving handler's
/// parameter types when used (exact types after decay; string literals become std::string). Single use:
/// the receiver moves the values out.
class arg_pack {
public:
    arg_pack() = default;
    explicit arg_pack(std::unique_ptr<detail::arg_pack_base> p) noexcept : p_(std::move(p)) {}

    [[nodiscard]] detail::erased_args view() const noexcept { return p_ ? p_->view() : detail::erased_args{}; }
    [[nodiscard]] std::unique_ptr<detail::arg_pack_base> release() noexcept { return std::move(p_); }

private:
    std::unique_ptr<detail::arg_pack_base> p_;
};

/// The arguments of a signal or query that reached a dynamic (catch-all) handler, as the sender gave
/// them: `args.get<std::string>(0)`. A dynamic signal handler owns them (it may move values out); a
/// dynamic query handler sees them for the duration of the call. Types are exact after decay, as for
/// every by-name call (string literals arrive as std::string).
class raw_args {
public:
    raw_args() = default;
    /// Owned arguments of dynamic signal `name` sent to workflow `id`.
    raw_args(std::unique_ptr<detail::arg_pack_base> pack, std::string_view id, std::string_view name)
        : pack_(std::move(pack)), view_(pack_ ? pack_->view() : detail::erased_args{}), id_(id), name_(name),
          kind_("dynamic signal") {}
    /// A view of the arguments of dynamic query `name` on workflow `id`, valid during the query.
    raw_args(detail::erased_args view, std::string_view id, std::string_view name)
        : view_(view), id_(id), name_(name), kind_("dynamic query") {}

    // A moved-from raw_args is empty: it must not keep viewing values its new owner has.
    raw_args(raw_args&& o) noexcept
        : pack_(std::move(o.pack_)), view_(std::exchange(o.view_, {})), id_(std::move(o.id_)),
          name_(std::move(o.name_)), kind_(o.kind_) {}
    raw_args& operator=(raw_args&& o) noexcept {
        if (this != &o) {
            pack_ = std::move(o.pack_);
            view_ = std::exchange(o.view_, {});
            id_ = std::move(o.id_);
            name_ = std::move(o.name_);
            kind_ = o.kind_;
        }
        return *this;
    }
    raw_args(const raw_args&) = delete;
    raw_args& operator=(const raw_args&) = delete;
    ~raw_args() = default;

    [[nodiscard]] std::size_t size() const noexcept { return view_.size; }
    [[nodiscard]] bool empty() const noexcept { return view_.size == 0; }
    /// "(std::string, int)": the argument types as given.
    [[nodiscard]] std::string type_names() const { return view_.type_names(); }

    /// True when argument `i` exists and is a U.
    template <class U>
    [[nodiscard]] bool holds(std::size_t i) const noexcept {
        return i < view_.size && view_.data[i].type == detail::type_id_of<U>();
    }

    /// Argument `i` as a U; throws argument_mismatch (naming the workflow, the name, the expected and
    /// the given types) if there is no such argument or it is of another type.
    template <class U>
    [[nodiscard]] U& get(std::size_t i) {
        check<U>(i);
        return *static_cast<U*>(view_.data[i].value);
    }
    template <class U>
    [[nodiscard]] const U& get(std::size_t i) const {
        check<U>(i);
        return *static_cast<const U*>(view_.data[i].value);
    }

private:
    template <class U>
    void check(std::size_t i) const {
        if (!holds<U>(i))
            detail::raise(argument_mismatch(
                id_, kind_, name_, "argument " + std::to_string(i) + " of type " + std::string(detail::type_name<U>()),
                type_names()));
    }

    std::unique_ptr<detail::arg_pack_base> pack_;
    detail::erased_args view_{};
    std::string id_, name_;
    std::string_view kind_ = "dynamic signal";
};

/// Packs `values` for a later by-name call: `.start_signal_args = coflow::args("Hello", 3)`.
template <class... As>
[[nodiscard]] arg_pack args(As&&... values) {
    return arg_pack(std::make_unique<detail::arg_pack_impl<detail::by_name_t<As>...>>(std::forward<As>(values)...));
}

}  // namespace coflow
