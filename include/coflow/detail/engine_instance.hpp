// coflow/detail/engine_instance.hpp: a run's members that reach the engine: its run id, its body's and
// handlers' ends, destroying its frames. Members of detail::instance_base (instance_base.hpp).
#pragma once

#include <coflow/detail/engine.hpp>

namespace coflow::detail {

/// The run id of the run whose run_key is `run_key`.
inline std::string run_id_of(std::uint64_t run_key) {
    // Formatted like a UUID, from the runtime's seeded generator: deterministic across runs.
    static constexpr char hex[] = "0123456789abcdef";
    splitmix64 key(run_key);
    const std::uint64_t run_hi = key();
    const std::uint64_t run_lo = key();
    // 8-4-4-4-12, written from the last digit of each word back, into a buffer made a string once (a load
    // makes one id per run, a recording runtime one per start).
    char out[36];
    const auto put = [&out](int last, int count, std::uint64_t& word) {
        for (int i = 0; i < count; ++i, word >>= 4) out[last - i] = hex[word & 0xf];
    };
    std::uint64_t lo = run_lo, hi = run_hi;
    put(35, 12, lo);
    out[23] = '-';
    put(22, 4, lo);
    out[18] = '-';
    put(17, 4, hi);
    out[13] = '-';
    put(12, 4, hi);
    out[8] = '-';
    put(7, 8, hi);
    return std::string(out, sizeof out);
}

inline std::string instance_base::run_id() const { return run_id_of(run_key); }

inline instance_base::~instance_base() {
    if (!inbox.empty()) [[unlikely]]  // a run closes with an empty inbox: only a runtime torn down holds more
        inbox.clear(eng.pending_pool());
}

// An async signal handler (a task) finished.
inline void instance_base::on_root_done(std::coroutine_handle<> frame, promise_base& p) noexcept {
    static_cast<list_hook<handler_tag>&>(static_cast<task_promise_base&>(p)).unlink();
    --x->handlers_running;  // a handler ran: spawn_handler made the extras
    if (p.exception && !failure) failure = p.exception;  // a throwing signal handler fails the run
    frame.destroy();
}

// The body threw (told just before on_body_done, in the same resumption): the run closes as cancelled
// if it was `cancelled`, else as failed by it (replacing a handler's failure of this step).
inline void instance_base::on_body_threw(std::exception_ptr e) noexcept {
    if (continuing) [[unlikely]]
        return;  // it asked to continue as new first (on_body_done decides)
    const bool was_cancelled = catch_as<cancelled>(e, [](const cancelled&) { return true; }, [] { return false; });
    if (was_cancelled) finished_as = workflow_status::cancelled;
    else failure = std::move(e);
}

// The body finished. Unless it threw, finished_as is still completed (nothing else sets it while the body
// runs), and its value is in place already (result_place).
inline void instance_base::on_body_done(std::coroutine_handle<> frame) noexcept {
    body = {};
    body_finished = true;
    if (continuing) [[unlikely]] {
        // It returned coflow::continue_as_new(...): run() starts the new run, and signals not delivered
        // move to it (no closing steps here). A cancel request that came first wins, as at an await.
        if (cancel_requested) {
            continuing = false;
            finished_as = workflow_status::cancelled;
        } else {
            body_finished = false;
        }
    }
    frame.destroy();
}

inline void instance_base::destroy_frames() noexcept {
    if (x) {
        while (task_promise_base* p = x->handlers.pop_front()) {
            --x->handlers_running;
            p->self.destroy();
        }
    }
    if (body) std::exchange(body, {}).destroy();
}

inline void instance_base::spawn_handler(std::coroutine_handle<> frame, task_promise_base& p) {
    // The handler list lives in the extras: if making them fails, the frame (already ours) goes too.
    struct owned {
        std::coroutine_handle<> frame;
        ~owned() {
            if (frame) frame.destroy();
        }
    } guard{frame};
    extras& e = more();
    guard.frame = {};
    p.root = this;
    p.self = frame;
    e.handlers.push_back(p);
    ++e.handlers_running;
    resume_chain(*current_activation, frame);  // runs to its first suspension, inside this activation
}

}  // namespace coflow::detail
