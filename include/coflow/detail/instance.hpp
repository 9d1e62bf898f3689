// coflow/detail/instance.hpp: instance<T>, one run of a workflow of type T: its object and its result.
// The engine owns it; the object outlives the body so queries work on closed runs.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/type_id.hpp>

namespace coflow::detail {

template <class T>
class instance final : public instance_base {
public:
    using value_type = run_result_t<T>;

    instance(engine& e, std::string workflow_id) : instance_base(e, workflow_type_of<T>(), std::move(workflow_id)) {}
    ~instance() override { destroy_frames(); }  // frames hold pointers into the object: they go first

    [[nodiscard]] void* object() noexcept override { return &object_; }

    void store_result(promise_base& p) override {
        if constexpr (!std::is_void_v<value_type>) result_.emplace(static_cast<value_promise<value_type>&>(p).take());
    }

    [[nodiscard]] const void* result_storage() const noexcept override { return &result_; }
    [[nodiscard]] type_id result_type() const noexcept override { return type_id_of<value_type>(); }
    [[nodiscard]] std::string_view result_type_name() const noexcept override { return type_name<value_type>(); }

    T object_{};

private:
    struct none {};
    [[no_unique_address]] std::conditional_t<std::is_void_v<value_type>, none, std::optional<value_type>> result_{};
};

}  // namespace coflow::detail
