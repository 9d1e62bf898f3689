// coflow/runtime.hpp: the runtime owns workflow runs by id; it starts workflows and hands out handles.
// It runs nothing by itself: all workflow code runs in work it posts to the executor it was given.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <coflow/definition.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/instance.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>
#include <coflow/handle.hpp>
#include <coflow/history.hpp>
#include <coflow/options.hpp>
#include <coflow/update.hpp>
#include <coflow/workflow.hpp>

namespace coflow {

/// Owns workflow runs, keyed by workflow id, and schedules them on an executor.
///
/// The executor must outlive the runtime. Destroying the runtime destroys every run, suspended or not
/// (their frames, objects and queued signals); work it had posted to the executor then does nothing.
/// Destructors that run meanwhile (of workflow objects, of locals in workflow code) and use a handle
/// get workflow_closed: no run is reachable once teardown begins.
/// Closed runs are kept (for result() and queries) until their id is reused or forget(id) is called.
class runtime {
public:
    explicit runtime(executor& ex, runtime_options options = {}) : eng_(ex, options) {}
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Starts a workflow: `rt.start_workflow(&T::run, args..., {.id = "x"})`. The body is queued and
    /// first runs when the executor runs; signals sent before that are handled before its first line.
    /// Arguments convert to the run method's parameter types. Throws workflow_already_started if the id
    /// has a running run (or a closed one that opts.id_reuse forbids to reuse). The options are taken by
    /// rvalue reference, and only a start that succeeds takes from them: after a throw (a signal-with-start
    /// refused by the running run, say) their id and start signal arguments are intact, and the same
    /// `start_workflow(..., std::move(opts))` may be made again.
    /// (Spelled out per arity so that the trailing `{.id = ...}` can be a braced list.)
    template <class T, class R>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(), start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts));
    }
    template <class T, class R, class P1>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1), std::type_identity_t<P1> a1,
                                      start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1));
    }
    template <class T, class R, class P1, class P2>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1, P2), std::type_identity_t<P1> a1,
                                      std::type_identity_t<P2> a2, start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1), std::move(a2));
    }
    template <class T, class R, class P1, class P2, class P3>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1, P2, P3), std::type_identity_t<P1> a1,
                                      std::type_identity_t<P2> a2, std::type_identity_t<P3> a3,
                                      start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1), std::move(a2), std::move(a3));
    }
    template <class T, class R, class P1, class P2, class P3, class P4>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1, P2, P3, P4), std::type_identity_t<P1> a1,
                                      std::type_identity_t<P2> a2, std::type_identity_t<P3> a3,
                                      std::type_identity_t<P4> a4, start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1), std::move(a2), std::move(a3), std::move(a4));
    }
    template <class T, class R, class P1, class P2, class P3, class P4, class P5>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1, P2, P3, P4, P5), std::type_identity_t<P1> a1,
                                      std::type_identity_t<P2> a2, std::type_identity_t<P3> a3,
                                      std::type_identity_t<P4> a4, std::type_identity_t<P5> a5,
                                      start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1), std::move(a2), std::move(a3), std::move(a4),
                             std::move(a5));
    }
    template <class T, class R, class P1, class P2, class P3, class P4, class P5, class P6>
    workflow_handle<T> start_workflow(workflow<R> (T::*run)(P1, P2, P3, P4, P5, P6), std::type_identity_t<P1> a1,
                                      std::type_identity_t<P2> a2, std::type_identity_t<P3> a3,
                                      std::type_identity_t<P4> a4, std::type_identity_t<P5> a5,
                                      std::type_identity_t<P6> a6, start_options&& opts = {}) {
        return start_impl<T>(run, std::move(opts), std::move(a1), std::move(a2), std::move(a3), std::move(a4),
                             std::move(a5), std::move(a6));
    }
    // More than six parameters: pass a struct.

    /// Update-with-start (Temporal's start-or-join with an update, in one call): if `opts.id` has a
    /// running run of T, `update` goes to it; otherwise a new run of T starts with `run_args` (a
    /// std::tuple converted to the run method's parameters; `std::tuple{}` for none) and `update` is
    /// delivered before its body's first line. T is the class whose member `update` is. Returns the
    /// run's handle and the update's. Throws as start_workflow (a closed id whose reuse policy forbids
    /// a new run) and start_update do; then nothing started and nothing was queued.
    template <class M, class... Rs, class... As>
        requires std::is_member_function_pointer_v<M>
    [[nodiscard]] auto update_with_start(start_options opts, std::tuple<Rs...> run_args, M update, As&&... args) {
        using T = typename detail::member_fn_traits<M>::class_type;
        using result = detail::update_result_of_t<M>;
        static_assert(detail::workflow_class<T>, "update_with_start needs an update handler of a workflow class");
        eng_.check_thread("runtime::update_with_start was called");
        using run_tuple = typename detail::member_fn_traits<detail::run_fn_t<T>>::args_tuple;
        static_assert(std::is_constructible_v<run_tuple, std::tuple<Rs...>&&>,
                      "update_with_start's run arguments do not convert to the run method's parameter types");
        eng_.check_no_replay_escape("start a workflow");
        if (detail::update_index_of<T>(update) == detail::npos32)
            detail::raise(unknown_update(opts.id, T::definition.name, "<member not registered as an update>",
                                         detail::update_names<T>()));
        if (detail::instance_base* existing = opts.id.empty() ? nullptr : eng_.find(opts.id);
            existing && existing->running()) {
            if (existing->type.self != detail::type_id_of<T>())
                detail::raise(workflow_type_mismatch(opts.id, T::definition.name, existing->type.name));
            auto u = detail::start_typed_update<T>(*existing, {}, update, std::forward<As>(args)...);
            return std::pair<workflow_handle<T>, update_handle<result>>(
                workflow_handle<T>(eng_, std::move(opts.id), *existing), std::move(u));
        }
        workflow_handle<T> h = std::apply(
            [&](auto&&... a) { return start_impl<T>(T::definition.run_fn, std::move(opts), std::move(a)...); },
            run_tuple(std::move(run_args)));
        auto u = detail::start_typed_update<T>(*eng_.find(h.id()), {}, update, std::forward<As>(args)...);
        return std::pair<workflow_handle<T>, update_handle<result>>(std::move(h), std::move(u));
    }

    /// An untyped handle on `id` (not checked until used).
    [[nodiscard]] workflow_handle<> get_workflow_handle(std::string id) { return workflow_handle<>(eng_, std::move(id)); }

    /// A handle on `id` typed for workflow class T; using it on another type throws workflow_type_mismatch.
    template <class T>
    [[nodiscard]] workflow_handle<T> get_workflow_handle_for(std::string id) {
        return workflow_handle<T>(eng_, std::move(id));
    }

    /// As get_workflow_handle_for<T>(id), naming T by its run method (like Temporal's Python SDK).
    template <class T, class R, class... Ps>
    [[nodiscard]] workflow_handle<T> get_workflow_handle_for(workflow<R> (T::*)(Ps...), std::string id) {
        return workflow_handle<T>(eng_, std::move(id));
    }

    /// Drops a closed run (its object and result). False if the id is unknown or still running.
    bool forget(std::string_view id) {
        eng_.check_thread("runtime::forget was called");
        eng_.check_no_replay_escape("forget a workflow");
        const bool forgotten = eng_.forget(id);
        eng_.input_returned();
        return forgotten;
    }

    /// Number of workflow ids known (running or closed and kept).
    [[nodiscard]] std::size_t size() const noexcept { return eng_.size(); }

    [[nodiscard]] executor& get_executor() const noexcept { return eng_.exec(); }

    /// Makes the calling thread the runtime's owner: the one thread that may start workflows, use its
    /// handles and run its work (through the executor). The thread that constructed the runtime owns it
    /// until then. Builds without NDEBUG check every such call and raise wrong_thread on any other
    /// thread; other threads hand their calls to the owner instead (realtime_executor::submit and call).
    /// Call it only while no other thread uses the runtime.
    void bind_to_current_thread() noexcept { eng_.bind_to_current_thread(); }

    /// Every run's history recorded so far, in start order (runtime_options::record_history). With a journal
    /// (journal.hpp), each compaction drops those of runs no longer kept (forgotten, or replaced).
    [[nodiscard]] const std::vector<std::shared_ptr<const history>>& histories() const noexcept {
        return eng_.histories();
    }

    /// All recorded runs as one Chrome trace-event JSON document (Perfetto, chrome://tracing).
    [[nodiscard]] std::string trace_json() const { return to_chrome_trace(eng_.histories()); }

    /// The engine behind this runtime; not part of the API (replay() uses it).
    [[nodiscard]] detail::engine& engine_internals() noexcept { return eng_; }
    [[nodiscard]] const runtime_options& options() const noexcept { return eng_.options(); }

private:
    template <class T, class M, class... A>
    workflow_handle<T> start_impl(M run, start_options&& opts, A&&... args) {
        static_assert(detail::workflow_class<T>,
                      "a workflow class needs `static constexpr auto definition = "
                      "coflow::define<T>(\"name\").run(&T::run)...` naming its run method, declared after "
                      "every member it names");
        static_assert(std::is_same_v<M, detail::run_fn_t<T>>,
                      "start_workflow takes the run method named in the workflow class's definition");
        eng_.check_thread("runtime::start_workflow was called");
        eng_.check_no_replay_escape("start a workflow");
        if (T::definition.run_fn != run)
            detail::raise(invalid_operation("start_workflow: the member function given is not the run method named "
                                            "in the definition of '" + std::string(T::definition.name) + "'"));
        detail::engine::check_timeouts(opts.id.empty() ? std::string_view(T::definition.name) : opts.id,
                                       opts.execution_timeout, opts.run_timeout);
        std::string generated = opts.id.empty() ? eng_.make_id(T::definition.name) : std::string();
        const std::string& id = opts.id.empty() ? generated : opts.id;
        // Whatever throws up to a run's start leaves `opts` as it was; the id is taken after it.
        const auto take_id = [&] { return std::move(opts.id.empty() ? generated : opts.id); };
        if (!opts.start_signal.empty()) {
            // Signal-with-start: a running id only gets the signal; otherwise a new run starts with it
            // queued, so its handler runs before the body's first line. Checked before anything starts.
            detail::instance_base* existing = eng_.find(id);
            if (existing && existing->running()) {
                if (existing->type.self != detail::type_id_of<T>())
                    detail::raise(workflow_type_mismatch(id, T::definition.name, existing->type.name));
                eng_.signal_by_name(*existing, opts.start_signal, opts.start_signal_args.view());
                eng_.input_returned();
                return workflow_handle<T>(eng_, take_id(), *existing);
            }
            const detail::workflow_type& type = detail::workflow_type_of<T>();
            std::uint32_t index = 0;
            const detail::signal_info* s = type.find_signal(opts.start_signal, index);
            if (!s && !detail::has_dynamic_signal_v<T>)
                detail::raise(unknown_signal(id, type.name, opts.start_signal, type.signal_names()));
            if (s && !s->matches(opts.start_signal_args.view()))
                detail::raise(argument_mismatch(id, "signal", s->name, s->params(),
                                                opts.start_signal_args.view().type_names()));
            const std::uint64_t id_hash = eng_.check_start(id, opts.id_reuse);
            detail::instance_base& in = detail::start_run<T>(eng_, id, id_hash, std::forward<A>(args)...);
            eng_.start_timeouts(in, opts.execution_timeout, opts.run_timeout);
            eng_.signal_by_name(in, opts.start_signal, opts.start_signal_args.view());
            eng_.input_returned();
            return workflow_handle<T>(eng_, take_id(), in);
        }
        const std::uint64_t id_hash = eng_.check_start(id, opts.id_reuse);
        detail::instance_base& in = detail::start_run<T>(eng_, id, id_hash, std::forward<A>(args)...);
        eng_.start_timeouts(in, opts.execution_timeout, opts.run_timeout);
        eng_.input_returned();
        return workflow_handle<T>(eng_, take_id(), in);
    }

    detail::engine eng_;
};

}  // namespace coflow
