// coflow/validation.hpp: coflow::validation, what an update validator may return instead of throwing.
// coflow::accept() lets the update in; coflow::reject("why") turns it away, and its caller reads why.
#pragma once

#include <string>
#include <utility>

namespace coflow {

class validation;
[[nodiscard]] inline validation accept() noexcept;
[[nodiscard]] inline validation reject(std::string reason);

/// An update validator's verdict, for a validator that rejects without throwing (the only way to
/// reject in a build without exceptions): `return coflow::reject("why");` or `return coflow::accept();`.
/// A rejected update is not accepted, recorded or counted; its caller's update_handle has stage
/// `rejected` and rejection_reason() `"why"`, and its result() raises update_rejected.
class [[nodiscard]] validation {
public:
    [[nodiscard]] bool accepted() const noexcept { return !rejected_; }
    /// Why the update was rejected; empty when it was accepted.
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

private:
    friend validation accept() noexcept;
    friend validation reject(std::string reason);
    validation() noexcept = default;
    explicit validation(std::string reason) noexcept : reason_(std::move(reason)), rejected_(true) {}

    std::string reason_;
    bool rejected_ = false;
};

/// The update may go on.
inline validation accept() noexcept { return validation(); }
/// The update is turned away; `reason` tells its caller why.
inline validation reject(std::string reason) { return validation(std::move(reason)); }

}  // namespace coflow
