// coflow/args.hpp: coflow::args(...), arguments packed for a by-name call that happens later.
// Signal-with-start carries its signal's arguments this way, like Python's start_signal_args.
#pragma once

#include <memory>
#include <utility>

#include <coflow/detail/traits.hpp>
#include <coflow/detail/workflow_type.hpp>

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

/// Packs `values` for a later by-name call: `.start_signal_args = coflow::args("Hello", 3)`.
template <class... As>
[[nodiscard]] arg_pack args(As&&... values) {
    return arg_pack(std::make_unique<detail::arg_pack_impl<detail::by_name_t<As>...>>(std::forward<As>(values)...));
}

}  // namespace coflow
