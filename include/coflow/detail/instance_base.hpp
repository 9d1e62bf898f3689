// coflow/detail/instance_base.hpp: one run as the engine keeps it (instance_base), with what waits in its
// inbox (pending_signal) and outbox (outgoing). Its members that need the engine are in engine_instance.hpp.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <coflow/detail/block_cache.hpp>
#include <coflow/detail/clock.hpp>
#include <coflow/detail/inbox.hpp>
#include <coflow/detail/inline_function.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/random.hpp>
#include <coflow/detail/ring.hpp>
#include <coflow/detail/update_book.hpp>
#include <coflow/detail/waiter.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/history.hpp>
#include <coflow/status.hpp>

namespace coflow::detail {

/// An accepted signal waiting to be delivered: a closure that calls the handler (or fills the channel)
/// with the arguments it owns, and the signal's index in the workflow type's table.
struct pending_signal {
    /// Records the signal's accepted event again, in the history of the run `to` that continue-as-new
    /// carries it into (from the arguments the closure owns: a journal may have let the first one go).
    using carry_fn = void (*)(const pending_signal&, instance_base& to);

    template <class D>
    pending_signal(D&& d, std::uint32_t i, const std::string* name = nullptr)
        : deliver(std::forward<D>(d)), index(i), dynamic_name(name) {}
    template <class D>
    pending_signal(D&& d, std::uint32_t i, carry_fn c) : deliver(std::forward<D>(d)), index(i), carry(c) {}

    inline_function<void(instance_base&), 48> deliver;
    std::uint32_t index;  // dynamic_index: a signal for the dynamic handler, named by dynamic_name
    union {
        const std::string* dynamic_name;  // index dynamic_index: owned (on the heap) by the delivery closure
        carry_fn carry;                   // a named signal's index (null for one queued without a history)
    };
};

inline constexpr std::uint32_t dynamic_index = 0xffffffffu;
inline constexpr std::uint32_t update_index = 0xfffffffeu;  // an update: it records its own events

/// Where the outcome of an outgoing signal (or cancel request) goes: its awaitable. With none, a
/// failure fails the sending run.
class outgoing_state {
public:
    void complete(std::exception_ptr e) noexcept {
        done = true;
        error = std::move(e);
        if (waiting) waiting->fire(wake_reason::fired);
    }
    bool done = false;
    waiter* waiting = nullptr;  // the suspended co_await, if any
    std::exception_ptr error;
};

/// Delivers an outgoing request to its target run; throws what the target refused.
using outgoing_send = inline_function<void(engine&, instance_base&), 48>;

/// A signal (or cancel request) sent from workflow code through an external handle, waiting to go out
/// when the sender's step ends.
struct outgoing {
    // Built in its outbox slot (no entry moved in); the id and the name are copied before `make()` takes
    // the caller's arguments, so a failed copy takes nothing.
    template <class Make>
    outgoing(std::string_view target_id, std::string_view signal, bool recorded, Make& make, outgoing_state* s,
             std::uint64_t n, std::uint32_t at_slot, std::uint32_t at_gen)
        : target(target_id), what(recorded ? std::make_unique<std::string>(signal) : nullptr),
          send(make()), state(s), seq(n), slot(at_slot), gen(at_gen) {}

    std::string target;                 // the target's workflow id
    std::unique_ptr<std::string> what;  // the signal's name, for the history (null when none is recorded)
    outgoing_send send;
    outgoing_state* state;  // the awaitable, or null once it is gone
    std::uint64_t seq;
    std::uint32_t slot, gen;  // where the target's run was when this was sent: a hint, checked
};

/// Where a run was seen: its slot and generation in the engine's slot table (no run: slot 0xffffffff).
struct run_hint {
    std::uint32_t slot = 0xffffffffu;
    std::uint32_t gen = 0;
    friend bool operator==(run_hint, run_hint) = default;
};

/// What a child's run does when its parent's run closes (Temporal's ParentClosePolicy).
enum class parent_close_policy_kind { terminate, request_cancel, abandon };

template <class T>
class instance;
/// The workflow object of `in`, a run of T (instance.hpp): at a fixed offset, no pointer kept for it.
template <class T>
[[nodiscard]] T& object_of(instance_base& in) noexcept;

/// One run of one workflow: its object (in the derived instance<T>), its body frame, inbox and waiters.
class instance_base : public coroutine_root {
public:
    instance_base(engine& e, const workflow_type& t, std::string_view workflow_id)
        : eng(e), id(workflow_id), type(t) {}
    instance_base(const instance_base&) = delete;
    instance_base& operator=(const instance_base&) = delete;
    // Destroys what waits in the inbox (engine_instance.hpp: the pool is the engine's).
    inline virtual ~instance_base();

    // Runs are made and dropped at a high rate (a child per op): their memory is recycled per thread.
    static void* operator new(std::size_t n) { return block_cache::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { block_cache::deallocate(p, n); }

    /// The stored result as JSON text (history).
    [[nodiscard]] virtual std::string result_text() const = 0;
    /// The stored result: a `const std::optional<R>*` for the run's result type R (unused for void).
    [[nodiscard]] virtual const void* result_storage() const noexcept = 0;
    [[nodiscard]] virtual type_id result_type() const noexcept = 0;
    [[nodiscard]] virtual std::string_view result_type_name() const noexcept = 0;
    /// A copy of the stored result as a one-value pack (a parent's history keeps it for replay), or null
    /// when it cannot be copied. An empty pack for void.
    [[nodiscard]] virtual std::shared_ptr<arg_pack_base> result_copy() const = 0;
    /// Stores a result taken from such a pack (replay closes a stand-in child with it); false if the
    /// pack holds another type.
    virtual bool restore_result(arg_pack_base& pack) = 0;

    inline void on_root_done(std::coroutine_handle<> frame, promise_base& p) noexcept override;
    inline void on_body_done(std::coroutine_handle<> frame) noexcept override;
    inline void on_body_threw(std::exception_ptr e) noexcept override;

    /// Destroys the body and handler frames (their waiters unlink themselves).
    inline void destroy_frames() noexcept;
    /// Starts an async signal handler: it runs to its first suspension now, then on its own.
    inline void spawn_handler(std::coroutine_handle<> frame, task_promise_base& p);

    [[nodiscard]] bool running() const noexcept { return status == workflow_status::running; }
    [[nodiscard]] std::string run_id() const;

    // The fields are ordered by use: what accepting a signal reads and writes comes first (with the
    // vtable pointer, the first cache line), then what an activation reads, then what waits and closing
    // use. A signal to a cold run then misses on one or two lines rather than on five. What a handle
    // checks on every use (slot, generation, type) comes last, beside query_object and the object.
    workflow_status status = workflow_status::running;
    // How the run closes once its body finished (completed or cancelled). `status` stays running until
    // the step ends, so that what the run still handles and sends in that step is taken as usual.
    workflow_status finished_as = workflow_status::completed;
    // Channel signals delivered as they were accepted (see engine::accept) since the run last ran: to
    // anyone outside the run they are still pending, as if they waited in the inbox.
    std::uint32_t delivered_ahead = 0;
    bool scheduled = false;         // an activation is posted to the executor
    bool active = false;            // its code is on the stack right now
    bool cancel_requested = false;  // a state: set by the first request, never cleared while the run is open
    bool cancel_pending = false;    // requested and not yet delivered to the body (its current or next await)
    bool body_finished = false;
    bool needs_start = true;  // the body has not run yet: the first activation starts it
    bool continuing = false;  // the body asked to continue as new
    // Replay: a child that is not re-run. It runs no code; replay closes it with its recorded outcome.
    bool stand_in = false;
    std::uint32_t received = 0;  // signals accepted in this run
    // Signals (and updates) accepted and not yet delivered, in the engine's pool (engine::pending_pool).
    inbox_queue<pending_signal> inbox;

    std::uint64_t steps = 0;  // handler deliveries and resumptions so far: conditions are re-tested per step
    history* hist = nullptr;  // set when the runtime records histories
    struct extras;
    std::unique_ptr<extras> x;   // what only some runs need (defined below)
    std::exception_ptr failure;  // set: the run fails at the end of this step
    engine& eng;
    intrusive_list<waiter, ready_tag> ready;

    // Headed by one pointer each (8 bytes, not 16): a waiter leaves them through its run (waiter::leave).
    compact_list<waiter, wait_tag> conditions;
    // Every wait in progress, for describe(). The body's own (at most one: the wait with `body` set) is
    // the one that cancel() wakes: found there, as cancelling is rare and waits are few.
    compact_list<waiter, suspended_tag> suspended;
    std::coroutine_handle<> body{};

    splitmix64 rng;
    std::uint64_t run_key = 0;  // the run id is the next two numbers of splitmix64(run_key)
    time_point start_time{};    // executor time when the run was made (coflow::info)
    std::string id;

    /// What only some runs need (external signals, children, parents, continue-as-new, histories), kept
    /// apart so that a plain suspended workflow stays small. Its hook links an open child run into its
    /// parent's list, so that a closing child leaves it in constant time.
    struct extras : list_hook<child_tag> {
        explicit extras(instance_base& r) noexcept : run(&r) {}
        extras(const extras&) = delete;
        extras& operator=(const extras&) = delete;
        ~extras() { unlink(); }
        static void* operator new(std::size_t n) { return block_cache::allocate(n); }
        static void operator delete(void* p, std::size_t n) noexcept { block_cache::deallocate(p, n); }

        instance_base* run;         // whose these are
        ring<outgoing> outbox;      // external signals sent in the current step, delivered when it ends
        std::uint64_t out_seq = 0;  // sequence number of the next outgoing entry
        intrusive_list<waiter, wait_tag> completion;  // completion_waiters: workflows awaiting this one's result
        intrusive_list<extras, child_tag> children;   // child runs started by this run, still open, in start order
        std::uint32_t parent_slot = 0xffffffffu, parent_gen = 0;
        parent_close_policy_kind on_parent_close = parent_close_policy_kind::terminate;
        std::unique_ptr<arg_pack_base> continue_args;
        // The run this one continued from, kept until this run's first activation so that queries in
        // between see the last state rather than a freshly made object.
        std::unique_ptr<instance_base> predecessor;
        void* own_object = nullptr;  // this run's object, which queries read once the predecessor is gone
        std::string terminate_reason;
        std::vector<std::pair<std::string, bool>> patches;  // coflow::patched: each id's answer in this run
        std::shared_ptr<history> hist_owner;
        std::size_t handled = 0;  // signals delivered in this run, numbered in the history
        std::vector<std::pair<const waiter*, std::size_t>> open_waits;  // recorded, not ended: where each began
        // coflow::info(): the parent's id (a child's, kept: the parent's run may be gone) and, for a run
        // that continued from another, the run keys of its chain's first run and of that run.
        std::string parent_id;
        std::uint64_t first_run_key = 0, continued_run_key = 0;
        bool continued = false;
        // Timeouts (start options; zero: none). The chain's execution deadline is carried by continue-as-new;
        // the timer closes this run at `timeout_due`, the earlier deadline, and any other close cancels it.
        duration execution_timeout{}, run_timeout{};
        time_point execution_deadline = time_point::max();
        time_point timeout_due = time_point::max();
        timer_id timeout_timer = 0;
        std::uint64_t timeout_seq = 0;  // the order it was armed in, among timers (timer_table::seq)
        bool timeout_armed = false;
        std::shared_ptr<update_book> updates;  // made by the run's first update (update.hpp)
        // Async signal handlers started and not finished (a run that never starts one has no extras for them).
        intrusive_list<task_promise_base, handler_tag> handlers;
        std::uint32_t handlers_running = 0;
        // With histories: where the run is in engine::histories(), and its place in the ready queue (the order
        // its activation was posted in), which a load or a journal's recovery posts again in the same order.
        std::uint64_t ready_seq = 0;
        std::uint32_t hist_index = 0;
        std::uint32_t journal_ordinal = 0;  // 1 + the run's ordinal in the journal's file; 0: not in it yet
        bool journal_dirty = false;  // changed since the journal's last commit (journal.hpp)
        timeout_kind timeout_by = timeout_kind::run;  // the timeout due first; once timed out, the one that passed

        [[nodiscard]] duration timeout_length() const noexcept {
            return timeout_by == timeout_kind::execution ? execution_timeout : run_timeout;
        }
    };

    [[nodiscard]] extras& more() {
        if (!x) x = std::make_unique<extras>(*this);
        return *x;
    }
    /// Signals accepted and not yet delivered, as seen from outside the run (the inbox holds updates too).
    [[nodiscard]] std::size_t pending_signals() const noexcept {
        return inbox.size() + delivered_ahead - pending_updates();
    }
    /// Updates taken and not yet delivered.
    [[nodiscard]] std::size_t pending_updates() const noexcept { return x && x->updates ? x->updates->queued : 0; }
    [[nodiscard]] std::size_t pending_outgoing() const noexcept { return x ? x->outbox.size() : 0; }
    /// The body's current suspension, if it is suspended (cancel() wakes it).
    [[nodiscard]] waiter* body_wait() noexcept {
        waiter* found = nullptr;
        suspended.for_each([&](waiter& w) {
            if (w.body) found = &w;
        });
        return found;
    }
    /// Async signal handlers started and not finished.
    [[nodiscard]] std::uint32_t handlers_running() const noexcept { return x ? x->handlers_running : 0; }
    [[nodiscard]] std::string_view terminate_reason() const noexcept {
        return x ? std::string_view(x->terminate_reason) : std::string_view();
    }
    [[nodiscard]] std::shared_ptr<const history> history_ptr() const { return x ? x->hist_owner : nullptr; }

    /// Whose object a query reads: the predecessor's until this run has run once.
    [[nodiscard]] void* query_target_object() const noexcept { return query_object; }

    // A handle finds the run by slot and checks its generation, then (typed) its type: beside what a query
    // reads next, so that a typed query on a cold run misses on the object's line and at most one more.
    std::uint32_t slot = 0, gen = 0;
    const workflow_type& type;

    // What queries read: the run's object, or the predecessor's object until this run first runs (one load
    // on the query path instead of following extras). Last, so that it shares a cache line with the
    // start of the object that instance<T> puts right after it: a query on a cold run misses once.
    // Null until the run's own object is built (instance<T>'s destructor destroys it only then): a
    // continued run gets its predecessor's object here only once its own is built.
    void* query_object = nullptr;
};

}  // namespace coflow::detail

// The members that need the engine (engine_instance.hpp, reached through engine.hpp).
#include <coflow/detail/engine.hpp>
