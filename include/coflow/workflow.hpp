// coflow/workflow.hpp: workflow<R>, the coroutine type of a workflow's run body.
// The runtime owns the frame: it starts the body, resumes it from the executor, and keeps its result.
#pragma once

#include <coroutine>
#include <optional>
#include <type_traits>
#include <utility>

#include <coflow/detail/promise.hpp>

namespace coflow {

namespace detail {

class continue_as_new_request;
/// Hands the request to its run (child.hpp): the body ends, and the run continues as new.
inline void end_body_with(continue_as_new_request& r) noexcept;

/// A body's promise: a value_promise that also takes `co_return coflow::continue_as_new(...)`. Not for
/// workflow<void>: C++ lets a coroutine have return_void or return_value, not both (it co_awaits it).
// The value goes straight into the run (its root, set before the body first runs): a suspended
// workflow's frame keeps no room for its result.
template <class R>
struct workflow_promise : body_promise_base {
    static_assert(!std::is_reference_v<R>, "task<R> and workflow<R> return values, not references");

    void return_value(R v) noexcept(std::is_nothrow_move_constructible_v<R>) {
        static_cast<std::optional<R>*>(root->result_place())->emplace(std::move(v));
    }
    // A template, so that `co_return {}` and plain values never consider it (a braced list deduces nothing).
    template <class Q>
        requires std::is_base_of_v<continue_as_new_request, std::remove_cvref_t<Q>>
    void return_value(Q&& request) noexcept {
        end_body_with(request);
    }
};
template <>
struct workflow_promise<void> : body_promise_base {
    void return_void() noexcept {}
};

}  // namespace detail

/// The return type of a workflow's run method: `coflow::workflow<R> run(Args...)`.
///
/// Calling the run method only makes the frame (lazy); `runtime::start_workflow` takes it over, and the
/// executor resumes it from then on. The frame is always on the heap: it outlives the call that made it.
/// When the body returns, the runtime keeps the value (or the exception) for `result()` and frees the
/// frame. A workflow<R> cannot be awaited: start another workflow as a child instead.
///
/// A body ends by returning its value, or by continuing as new: `co_return coflow::continue_as_new(...)`
/// in a workflow<R>, `co_await coflow::continue_as_new(...)` in a workflow<void> (see child.hpp).
template <class R = void>
class [[nodiscard]] workflow {
public:
    struct promise_type : detail::workflow_promise<R> {
        workflow get_return_object() noexcept {
            return workflow{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
    };
    using handle_type = std::coroutine_handle<promise_type>;
    using result_type = R;

    workflow(workflow&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    workflow& operator=(workflow&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    workflow(const workflow&) = delete;
    workflow& operator=(const workflow&) = delete;
    ~workflow() {
        if (h_) h_.destroy();
    }

    /// Gives up ownership of the frame (the runtime takes it).
    [[nodiscard]] handle_type release() noexcept { return std::exchange(h_, {}); }

private:
    explicit workflow(handle_type h) noexcept : h_(h) {}
    handle_type h_{};
};

}  // namespace coflow
