// coflow/detail/engine.hpp: the scheduler core: the engine, which owns the runs, schedules their activations
// and sends between them. Only the executor's run loop reaches here (through posted work); it alone resumes workflow code.
#pragma once

#include <algorithm>
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/clock.hpp>
#include <coflow/detail/id_map.hpp>
#include <coflow/detail/inbox.hpp>
#include <coflow/detail/instance_base.hpp>
#include <coflow/detail/inline_function.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/journal_sink.hpp>
#include <coflow/detail/promise.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/detail/random.hpp>
#include <coflow/detail/ready_queue.hpp>
#include <coflow/detail/replay_check.hpp>
#include <coflow/detail/ring.hpp>
#include <coflow/detail/slot_table.hpp>
#include <coflow/detail/thread_token.hpp>
#include <coflow/detail/timer_heap.hpp>
#include <coflow/detail/timers.hpp>
#include <coflow/detail/type_id.hpp>
#include <coflow/detail/update_book.hpp>
#include <coflow/detail/waiter.hpp>
#include <coflow/detail/workflow_type.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>
#include <coflow/history.hpp>
#include <coflow/options.hpp>
#include <coflow/status.hpp>

namespace coflow::detail {

/// Shared between the engine and the work it posts, so that work outliving the runtime does nothing.
/// Not atomic: everything runs on the executor's thread. On a deterministic executor it is also the
/// target of the engine's activations (ready_queue's compact calls), each holding a reference.
struct engine_link : ready_target {
    engine* eng;
    std::size_t refs;
};

class link_ref {
public:
    explicit link_ref(engine_link* l) noexcept : l_(l) { ++l_->refs; }
    /// Takes over a reference already counted (a compact call's).
    struct adopt_t {};
    link_ref(engine_link* l, adopt_t) noexcept : l_(l) {}
    link_ref(const link_ref& o) noexcept : l_(o.l_) { ++l_->refs; }
    link_ref(link_ref&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
    link_ref& operator=(const link_ref&) = delete;
    link_ref& operator=(link_ref&&) = delete;
    ~link_ref() {
        if (l_ && --l_->refs == 0) delete l_;
    }
    [[nodiscard]] engine* get() const noexcept { return l_->eng; }

private:
    engine_link* l_;
};

class engine {
public:
    engine(executor& ex, runtime_options opts)
        : ex_(&ex),
          opts_(opts),
          received_limit_(opts.max_received_signals_per_run == 0 ||
                                  opts.max_received_signals_per_run > max_received_count
                              ? max_received_count
                              : static_cast<std::uint32_t>(opts.max_received_signals_per_run)),
          link_(new engine_link{{&run_activation, &drop_activation}, this, 1}),
          rng_(opts.seed) {}
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    ~engine() {
        link_->eng = nullptr;
        if (--link_->refs == 0) delete link_;
        // Destructors of frame locals and workflow objects may still use handles: from here on they
        // find no run by slot, and by id they are refused (workflow_handle::lookup), never given one
        // that is already destroyed.
        tearing_down_ = true;
        const std::vector<instance_base*> slots = slots_.take_all();
        id_map<instance_base> runs;  // by id they find nothing either
        runs.swap(by_id_);
        // Frames first (their waiters may be linked into other instances), then the objects. Timeouts of open
        // runs leave the executor, which may outlive the runtime.
        runs.for_each_slot([&](std::uint32_t s) {
            cancel_timeout(*slots[s]);
            slots[s]->destroy_frames();
        });
        runs.for_each_slot([&](std::uint32_t s) { delete slots[s]; });
    }

    [[nodiscard]] executor& exec() const noexcept { return *ex_; }
    /// True while the engine is being destroyed (its runs with it).
    [[nodiscard]] bool tearing_down() const noexcept { return tearing_down_; }
    [[nodiscard]] const runtime_options& options() const noexcept { return opts_; }
    /// Where the runs' inboxes keep their pending signals.
    [[nodiscard]] inbox_pool<pending_signal>& pending_pool() noexcept { return pending_pool_; }

    // ---- the owner thread --------------------------------------------------------------------

    /// Builds without NDEBUG: raises wrong_thread unless the calling thread owns the runtime (the thread
    /// that made it, or the last to call bind_to_current_thread). `what` is "<what> on a thread ...".
    void check_thread([[maybe_unused]] const char* what, [[maybe_unused]] std::string_view id = {}) const {
#ifndef NDEBUG
        if (owner_.load(std::memory_order_relaxed) != this_thread_token()) [[unlikely]]
            raise_wrong_thread(what, id);
#endif
    }
    /// Makes the calling thread the runtime's owner.
    void bind_to_current_thread() noexcept { owner_.store(this_thread_token(), std::memory_order_relaxed); }

    [[noreturn]] [[gnu::noinline]] static void raise_wrong_thread(const char* what, std::string_view id) {
        detail::raise(wrong_thread(id.empty() ? std::string(what) : "workflow '" + std::string(id) + "': " + what));
    }

    // ---- instances -------------------------------------------------------------------------

    /// The run in a slot that by_id_ names (always a run: the id's slot is freed only once it left by_id_).
    [[nodiscard]] auto run_at() const noexcept {
        return [this](std::uint32_t s) noexcept { return slots_[s]; };
    }

    // Out of line: inlined into a client's loop of signals, it changed how g++ 12 allocates that loop's
    // registers (S1: 10 instructions more a signal, none of them a lookup).
    [[nodiscard, gnu::noinline]] instance_base* find(std::string_view id) const {
        return by_id_.find(id, run_at());
    }

    [[nodiscard, gnu::always_inline]] inline instance_base* by_slot(std::uint32_t slot,
                                                                    std::uint32_t gen) const noexcept {
        return slots_.find(slot, gen);
    }

    /// Tests only: sets the generation of slot `slot` if it is free (to reach the end of its generations).
    void set_free_slot_generation(std::uint32_t slot, std::uint32_t gen) noexcept {
        slots_.set_free_generation(slot, gen);
    }

    /// A fresh id for a start that gave none: "<type>-<n>", skipping ids in use.
    [[nodiscard]] std::string make_id(std::string_view type) {
        for (;;) {
            std::string id = std::string(type) + "-" + std::to_string(++generated_ids_);
            if (!find(id)) return id;
        }
    }

    /// Throws workflow_already_started when `id` may not get a new run now.
    /// Returns the id's hash, which add() then takes instead of hashing the id again.
    std::uint64_t check_start(std::string_view id, id_reuse_policy policy) const {
        const std::uint64_t h = id_map<instance_base>::hash_of(id);
        instance_base* old = by_id_.find(id, h, run_at());
        if (!old) return h;
        if (old->running())
            detail::raise(workflow_already_started(id, "its run " + old->run_id() + " is still running"));
        if (policy == id_reuse_policy::reject_duplicate)
            detail::raise(workflow_already_started(id, "a run closed and the id reuse policy is reject_duplicate"));
        if (policy == id_reuse_policy::allow_duplicate_failed_only && old->status == workflow_status::completed)
            detail::raise(workflow_already_started(id, "its last run completed and the id reuse policy is "
                                                       "allow_duplicate_failed_only"));
        return h;
    }

    /// Takes a new run (with its body frame set) under its id, replacing a closed run, and schedules it.
    /// All or nothing: if anything throws (the executor's post included), no run was added and a closed
    /// run under the id is still there.
    /// Replay and load give the recorded seed (and a load the recorded run key) instead of drawing them.
    /// `id_hash_known`: the id's hash, if the caller has it (check_start returns it).
    instance_base& add(std::unique_ptr<instance_base> inst, const std::uint64_t* forced_seed = nullptr,
                       const std::uint64_t* forced_run_key = nullptr, const std::uint64_t* id_hash_known = nullptr) {
        instance_base& in = *inst;
        const std::uint64_t id_hash = id_hash_known ? *id_hash_known : id_map<instance_base>::hash_of(in.id);
        by_id_.reserve_one();  // may grow the table: before anything else changes
        in.run_key = rng_.state();  // run_id() draws the two numbers again from here: 8 bytes, not 16
        if (forced_run_key) in.run_key = *forced_run_key;
        rng_();
        rng_();
        const std::uint64_t seed = rng_();
        in.rng = splitmix64(forced_seed ? *forced_seed : seed);
        std::shared_ptr<history> h;
        in.stand_in = check_ && check_->target_added;  // replaying: runs other than the replayed one
        if (recording() && !in.stand_in) {
            h = std::make_shared<history>();
            h->workflow_id = in.id;
            h->run_id = in.run_id();
            h->workflow_type = std::string(in.type.name);
            h->seed = forced_seed ? *forced_seed : seed;
            reserve_for(histories_, histories_.size() + 1);
            (void)in.more();  // allocated now, so that nothing after the commit below can throw
        }
        slots_.prepare(in);  // from here, giving the slot back cannot throw
        // One lookup: the id's entry (a closed run to replace) or the empty one it will take.
        id_map<instance_base>::entry& entry = by_id_.probe(in.id, id_hash, run_at());
        schedule(in);  // if posting throws, nothing was taken: the slot stays free
        slots_.occupy(in);
        (void)inst.release();  // owned through by_id_ (by its slot) from here
        if (entry.empty()) {
            by_id_.occupy(entry, id_hash, in.slot);
        } else {
            std::unique_ptr<instance_base> old(slots_[entry.slot()]);
            id_map<instance_base>::replace(entry, in.slot);
            if (sink_ && old->hist) mark_dirty(*old);  // the journal drops the run it replaces
            retire(*old);
        }
        if (h) {
            histories_.push_back(h);
            in.hist = h.get();
            in.x->hist_owner = std::move(h);
            in.x->hist_index = static_cast<std::uint32_t>(histories_.size() - 1);
            if (in.scheduled) {
                in.x->ready_seq = ++ready_counter_;  // posted above, before it had a history
                if (sink_) mark_dirty(in);
            }
        }
        return in;
    }

    /// Forgets a closed run (its object and result). Returns false if the id is unknown or running.
    bool forget(std::string_view id) {
        if (by_id_.size() == 0) return false;
        return forget_entry(by_id_.probe(id, id_map<instance_base>::hash_of(id), run_at()));
    }
    /// forget() for `run`, the id's current run (found by its slot), given the low half of its id's hash
    /// (detail::started_child::id_tag): without hashing the id or comparing it.
    bool forget_run(const instance_base& run, std::uint32_t id_tag) {
        if (by_id_.size() == 0) return false;
        return forget_entry(by_id_.entry_of(id_tag, run.slot));
    }

private:
    bool forget_entry(id_map<instance_base>::entry& entry) {
        if (entry.empty()) return false;
        instance_base* const found = slots_[entry.slot()];
        if (found->running()) return false;
        if (current_query == found) [[unlikely]]
            detail::raise(invalid_operation("workflow '" + found->id + "' cannot be forgotten from its own query"));
        std::unique_ptr<instance_base> run(found);
        if (sink_ && run->hist) mark_dirty(*run);  // the journal drops it
        retire(*run);
        by_id_.erase(entry);
        return true;
    }

public:
    [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

    // ---- scheduling ------------------------------------------------------------------------

    /// Makes sure an activation of `in` will run: posts one unless one is posted or running.
    void schedule(instance_base& in) {
        if (in.scheduled || in.active) return;  // inlined: most signals find their run scheduled already
        post_activation(in);
    }
    [[gnu::noinline]] void post_activation(instance_base& in) {
        // A deterministic executor takes it as an 8-byte entry, no `work` (unless it holds another
        // runtime's now).
        if (ready_queue* q = ex_->ready_calls_; q && q->post_call(*link_, std::uint64_t{in.gen} << 32 | in.slot)) {
            ++link_->refs;  // the entry's, given back when it runs or is dropped
        } else {
            ex_->post(activate_work{link_ref(link_), in.slot, in.gen});
        }
        in.scheduled = true;
        if (in.hist) [[unlikely]] {
            in.x->ready_seq = ++ready_counter_;
            if (sink_) mark_dirty(in);
        }
    }

    // ---- accepting signals (engine_accept.hpp) ------------------------------------------------

    /// Accepts a signal for `in`: checks it may take one, then queues it in order and schedules its
    /// delivery, or (a channel's, with nothing queued ahead) fills the channel at once.
    /// `make()` gives its delivery<T, I> (detail/handler_dispatch.hpp), which owns the typed arguments in `args`, by
    /// value or as an rvalue reference. It is called only once the signal is admitted: a refused signal
    /// takes nothing from its sender, who may send the same arguments again.
    template <class Make>
    [[gnu::always_inline]] inline void accept(instance_base& in, std::uint32_t index, Make&& make);

    /// The queued half of accept(): admits the signal, then puts its delivery at the end of the inbox.
    template <class Make>
    void enqueue(instance_base& in, std::uint32_t index, Make& make);

    /// What every accepted signal passes first: the run is open and under its received limit (else
    /// raises, naming the signal `name()`: only made for the message), and an activation is posted.
    template <class Name>
    void admit(instance_base& in, Name&& name);

    /// The run is open and under its received-signal limit.
    [[nodiscard]] bool may_take(const instance_base& in) const noexcept {
        return in.running() && in.received < received_limit_;
    }

    template <class Tuple>
    void record_accepted(instance_base& in, std::uint32_t index, const Tuple& args);
    template <class D>
    static void carry_accepted(const pending_signal& p, instance_base& to);

    // A journal's stream (journal_stream.hpp): `in`'s events go into it as they are recorded; a named
    // signal's accepted (false: record it) and handled events as short records, with no history_event.
    [[nodiscard]] bool streams(const instance_base& in) const noexcept {
        return sink_ && sink_->streaming && in.x->journal_ordinal != 0 && !(check_ && check_->actual == in.hist);
    }
    template <class Tuple>
    bool stream_accepted(instance_base& in, std::uint32_t index, const Tuple& args);
    void stream_handled(instance_base& in, std::uint32_t index, std::uint64_t count);
    void streamed(instance_base& in, std::size_t at);  // the stream gained `in`'s event from `at` on
    static void keep_last_event(history& h) noexcept;  // after an event was streamed: keep only the last

    // ---- history -----------------------------------------------------------------------------

    [[nodiscard]] bool recording() const noexcept { return opts_.record_history; }

    /// Appends an event to `in`'s history (if it records one). A closed run's history ends with its
    /// closing event: what happens to the run afterwards (an abandoned child closing, say) is not added.
    void record(instance_base& in, event_kind k, std::string name = {}, std::vector<std::string> args = {},
                std::shared_ptr<arg_pack_base> input = {}, std::exception_ptr error = {}, bool self_sent = false,
                bool in_handler = false, std::size_t start_index = 0);

    static std::string json(std::string_view s) {
        std::string out;
        append_json_string(out, s);
        return out;
    }

    /// Records that `w` began to wait (from waiter::arm), and where, for the wait_ended that will name it.
    void record_wait_started(waiter& w);

    /// A journal that keeps no histories in memory lets go of `in`'s events once its file holds them: all
    /// but the last (a closed history is known by it) and the accepted events of the signals still queued
    /// (continue-as-new carries them into the next run's history).
    void release_history(instance_base& in);

    [[nodiscard]] const std::vector<std::shared_ptr<const history>>& histories() const noexcept { return histories_; }

    replay_check* check_ = nullptr;  // set by replay() and load (replay_check.hpp)
    const instance_base* self_sender_ = nullptr;  // a run whose outgoing request to itself is being taken

    // ---- saving and loading (engine_load.hpp) --------------------------------------------------

    using journal_sink = detail::journal_sink;  // a journal (journal_sink.hpp), set only while recording histories
    journal_sink* sink_ = nullptr;
    /// Runs whose history or place in the ready queue changed since the journal's last commit, by hist_index.
    std::vector<std::uint32_t> dirty_;
    void mark_dirty(instance_base& in) {
        if (in.x->journal_dirty) return;
        in.x->journal_dirty = true;
        dirty_.push_back(in.x->hist_index);
    }
    /// A client call accepted an input (a start, signal, cancel, terminate or forget) and returns next.
    void input_returned() {
        if (sink_) [[unlikely]]
            sink_->input_returned();
    }
    [[nodiscard]] std::uint64_t ready_counter() const noexcept { return ready_counter_; }
    /// Keeps only the histories of the runs still kept (what for_each_recorded_run visits): a journal
    /// does so as it compacts, so that a long-running process does not grow with forgotten runs.
    void drop_gone_histories();

    /// Loading: replays on `ex` until finish_load().
    void begin_load(executor& ex) noexcept { ex_ = &ex; }
    /// Loading: `fresh` (not yet added) takes the place of the stand-in its parent's replay made: the
    /// parent's link, the waiters on its result.
    void take_stand_in_place(instance_base& stand_in, instance_base& fresh);
    /// Loading is done: every open run's pending work (activations, timers, timeouts) is posted to `live`,
    /// timers by due time, then in the order they were armed (timer_table::seq, as the save recorded it).
    /// The engine's draws, generated ids and timer order go on from `rng`, `generated_ids`, `timer_seq`.
    void finish_load(executor& live, std::uint64_t rng, std::uint64_t generated_ids, std::uint64_t timer_seq,
                     std::uint64_t ready_counter);
    [[nodiscard]] std::uint64_t rng_state() const noexcept { return rng_.state(); }
    [[nodiscard]] timer_table& timers() noexcept { return timers_; }
    [[nodiscard]] std::uint64_t generated_ids() const noexcept { return generated_ids_; }
    /// Calls f(run) for each run, in start order (the order of histories()), those of forgotten and
    /// replaced runs left out. Needs histories.
    template <class F>
    void for_each_recorded_run(F&& f) const {
        for (const auto& h : histories_)
            if (instance_base* in = find(h->workflow_id); in && in->hist == h.get()) f(*in);
    }

    template <class F>
    void for_each_stand_in(F&& f) const {
        by_id_.for_each_slot([&](std::uint32_t s) {
            if (slots_[s]->stand_in) f(*slots_[s]);
        });
    }

    /// Replaying `in`, with recorded events still to match (patch.hpp asks).
    [[nodiscard]] bool replaying(const instance_base& in) const noexcept;

    /// Replaying `in`: the recorded event it is about to match, if it is of kind `k`; else null.
    [[nodiscard]] const history_event* recorded_next(const instance_base& in, event_kind k) const noexcept;

    /// Replayed code (its runtime is a replay's) must not act on this runtime: replay does not redo
    /// effects on other runs, it feeds their recorded outcomes. Client calls check this first.
    void check_no_replay_escape(std::string_view what) const {
        const activation* a = current_activation;
        if (a && a->eng != this && a->eng->check_) [[unlikely]]
            raise_replay_escape(*a, what);
    }
    [[noreturn]] [[gnu::noinline]] static void raise_replay_escape(const activation& a, std::string_view what) {
        detail::raise(invalid_operation(
            "replay of workflow '" + a.inst->id + "': its code tried to " + std::string(what) +
            " through a runtime outside the replay. Replay does not redo effects on other runs: use "
            "start_child_workflow and external handles, whose recorded outcomes replay feeds back"));
    }

    /// Accepts signal `name` with by-name arguments for `in` (see workflow_handle<>::signal). A name no
    /// named signal has goes to the type's dynamic signal handler, if it has one.
    void signal_by_name(instance_base& in, std::string_view name, erased_args args);

    /// As accept(), for a signal that goes to the dynamic handler. `make()`, called once it is admitted,
    /// takes the arguments from the sender and gives its dynamic_delivery<T> (detail/handler_dispatch.hpp), which owns
    /// its name (`name`, on the heap) and its arguments (`args`, read here for the history).
    template <class Make>
    void accept_dynamic(instance_base& in, std::string_view name, Make&& make);

    /// The latest run of `id` (running or closed), or workflow_not_found.
    [[nodiscard]] instance_base& require(std::string_view id) const {
        instance_base* in = find(id);
        if (!in) detail::raise(workflow_not_found(id));
        return *in;
    }

    /// Queues an outgoing signal of `sender` (sent when its current step ends) and returns its sequence
    /// number. `hint` is where the caller last saw the target's run. `make()` gives what sends it (an
    /// outgoing_send), taking the arguments from the caller: it is called only once the signal may be
    /// queued. Throws signal_limit_exceeded when too many are pending; then nothing was queued or taken.
    template <class Make>
    std::uint64_t send_later(instance_base& sender, std::string_view target, run_hint hint, std::string_view signal,
                             Make&& make, outgoing_state* state) {
        const std::size_t limit = opts_.max_pending_outgoing_signals;
        if (limit != 0 && sender.pending_outgoing() >= limit)
            detail::raise(signal_limit_exceeded(
                sender.id, std::string(signal) + "' to '" + std::string(target),
                "pending outgoing signals (runtime_options::max_pending_outgoing_signals)", limit,
                "await the signals already sent before sending more"));
        auto& x = sender.more();
        x.outbox.emplace_back(target, signal, sender.hist != nullptr, make, state, x.out_seq, hint.slot, hint.gen);
        return x.out_seq++;
    }

    // The body's co_await of the one signal its step queued, when the loop would send it next anyway:
    // nothing else of the run is queued, nothing is recorded or replayed, the target is another run
    // (signals only: a cancel request waits for the loop). Sends it now and returns true: the body goes
    // on without suspending, its step counted as the loop's resumption would have (engine_outbox.hpp).
    bool send_at_suspension(instance_base& in, const activation& a);

    /// Where the latest run of `id` is now (found by `hint` if it still holds, else by id; `hint` is
    /// updated), or {} if there is none.
    [[nodiscard, gnu::always_inline]] inline run_hint locate(std::string_view id, run_hint& hint) const {
        if (by_slot(hint.slot, hint.gen)) [[likely]]
            return hint;
        return locate_by_id(id, hint);
    }
    [[gnu::noinline]] run_hint locate_by_id(std::string_view id, run_hint& hint) const {
        if (const instance_base* in = find(id)) hint = run_hint{in->slot, in->gen};
        return hint;
    }

    /// Finds the pending outgoing entry with sequence number `seq` (its awaitable is going away).
    static outgoing* find_outgoing(instance_base& sender, std::uint64_t seq) noexcept {
        if (!sender.x || sender.x->outbox.empty()) return nullptr;
        auto& outbox = sender.x->outbox;
        const std::uint64_t first = outbox.front().seq;
        if (seq < first || seq - first >= outbox.size()) return nullptr;
        return &outbox[static_cast<std::size_t>(seq - first)];
    }

    /// Requests cancellation: the body's current (or next) co_await throws coflow::cancelled.
    /// Open child runs are asked to cancel too.
    ///
    /// Without exceptions nothing can be thrown into the body, so the request closes the run as
    /// cancelled instead, like terminate() with another status: at once, or, if the run's own code is
    /// running (it cancelled itself), when its current step ends; its body's next co_await in that step
    /// suspends for good (park_if_cancelled). None of its code runs after that.
    void cancel(instance_base& in) {
        check_no_replay_escape("cancel");
        if (!in.running()) detail::raise(workflow_closed(in.id, to_string(in.status), "cancel it"));
        if (in.cancel_requested) return;  // a state, not an event: only the first request counts
        // The request reaches the open children, theirs and so on, each run's children before the run,
        // so their activations run first: a parent that ends once it sees the cancellation then finds
        // them cancelled, not still open (and terminated). Walked with a stack, not by recursion, so
        // that a chain of children of any depth is cancelled on a flat stack.
        struct level {
            instance_base* run;
            std::vector<run_hint> children;  // as they were when the request reached the run
            std::size_t next = 0;
        };
        std::vector<level> path;
        auto request = [&](instance_base& r) {
            r.cancel_requested = true;
            r.cancel_pending = true;
            record(r, event_kind::cancel_requested, {}, {}, {}, {}, self_sender_ == &r);
            path.push_back(level{&r, open_children(r)});
        };
        request(in);
        while (!path.empty()) {
            if (level& top = path.back(); top.next < top.children.size()) {
                instance_base* child = child_of(*top.run, top.children[top.next++]);
                if (child && !child->cancel_requested) request(*child);
                continue;
            }
            instance_base& r = *path.back().run;
            path.pop_back();
            if constexpr (exceptions_enabled) {
                if (waiter* w = r.body_wait()) w->fire(wake_reason::cancelled);
                schedule(r);
            } else if (!r.active) {
                close(r, workflow_status::cancelled);
            }  // else run() closes it when the current step ends
        }
    }

    /// Makes `child` a child of `parent` (the parent's close policy and cancellation reach it).
    void adopt(instance_base& parent, instance_base& child, parent_close_policy_kind policy) {
        auto& cx = child.more();
        parent.more().children.push_back(cx);
        cx.parent_slot = parent.slot;
        cx.parent_gen = parent.gen;
        cx.on_parent_close = policy;
    }

    /// Replay: closes a stand-in child with the outcome its parent's history recorded (replay.hpp).
    void settle(instance_base& stand_in, workflow_status status) { close(stand_in, status); }

    /// Ends the run at once; none of its code runs again.
    void terminate(instance_base& in, std::string reason) {
        check_no_replay_escape("terminate");
        if (!in.running()) detail::raise(workflow_closed(in.id, to_string(in.status), "terminate it"));
        if (in.active)
            detail::raise(invalid_operation("workflow '" + in.id + "' cannot be terminated from its own code"));
        if (current_query == &in)
            detail::raise(invalid_operation("workflow '" + in.id + "' cannot be terminated from its own query"));
        in.more().terminate_reason = std::move(reason);
        close(in, workflow_status::terminated);
    }

    // ---- timeouts ----------------------------------------------------------------------------

    /// Refuses negative timeouts (invalid_operation), before anything starts.
    static void check_timeouts(std::string_view id, duration execution, duration run);

    /// Gives a run just started its timeouts, its execution deadline counted from now.
    void start_timeouts(instance_base& in, duration execution, duration run);

    /// Gives `in` its timeouts and its chain's execution deadline, and arms the timer that closes it at the
    /// earlier of that and its own deadline; unless `arm` is false, or `in` is a replay's stand-in: then
    /// replay closes it when its history says.
    void set_timeouts(instance_base& in, duration execution, duration run, time_point execution_deadline,
                      bool arm = true);

    /// Closes the run as timed out by `which` (of `length`): like terminate(), none of its code runs again.
    /// Replay feeds a recorded timeout through here; a live run's timer calls it when it fires.
    void time_out(instance_base& in, timeout_kind which, duration length);

    // ---- timers (engine_timers.hpp) ----------------------------------------------------------

    /// Arms a timer for waiter `w`, due at `due`; returns its slot.
    std::uint32_t add_timer(waiter& w, time_point due);

    /// Posts armed timer `s`'s work: a deterministic executor takes it as a call (see run_activation).
    timer_id post_timer(time_point due, std::uint32_t s);

    /// When armed timer `s` fires (describe() shows it).
    [[nodiscard]] time_point timer_due(std::uint32_t s) const noexcept { return timers_.due(s); }

    /// The wait ended: its timer's work leaves the executor (if it is still there).
    void release_timer(std::uint32_t s) noexcept;

private:
    // Work posted for a slot's run or timer (as a `work` to an executor other than the deterministic one):
    // calls Member(slot, gen), unless the runtime is gone. The members are declared below: activate_work,
    // timer_work and timeout_work name them there.
    template <void (engine::*Member)(std::uint32_t, std::uint32_t)>
    struct slot_work {
        using trivially_relocatable = void;  // a pointer and two numbers: the executor moves it with memcpy
        link_ref link;
        std::uint32_t slot, gen;
        void operator()() {
            if (engine* e = link.get()) (e->*Member)(slot, gen);
        }
    };
    // The same as activate_work, queued as a ready_queue call: `arg` is the generation and the slot. Or,
    // with timer_call set in it, the same as timer_work: a deterministic executor's timer (post_timer).
    static void run_activation(ready_target& t, std::uint64_t arg) {
        const link_ref link(static_cast<engine_link*>(&t), link_ref::adopt_t{});
        engine* e = link.get();
        if (!e) return;
        const auto slot = static_cast<std::uint32_t>(arg), gen = static_cast<std::uint32_t>(arg >> 32);
        if (slot & timer_call) e->fire_timer(slot & ~timer_call, gen);
        else e->activate(slot, gen);
    }
    // Marks a call's slot as a timer's: run and timer slots stay below it (slot_table and timer_table::take).
    static constexpr std::uint32_t timer_call = std::uint32_t{1} << 31;
    static_assert(slot_table<instance_base>::max_slots < timer_call);
    static void drop_activation(ready_target& t) noexcept {
        const link_ref link(static_cast<engine_link*>(&t), link_ref::adopt_t{});
    }

    // The run's timeout timer came due: a run that closed another way cancelled it (a slot's next run has
    // another generation).
    void fire_timeout(std::uint32_t slot, std::uint32_t gen);
    // A run's timeout timer's work.
    using timeout_work = slot_work<&engine::fire_timeout>;

    void cancel_timeout(instance_base& in) noexcept;

    // A timed-out run's close in a history: which timeout and its length, as text and as replay's input.
    static void timeout_outcome(const instance_base& in, std::vector<std::string>& args,
                                std::shared_ptr<arg_pack_base>& input);

    // Where the open children of `r` are now, in start order.
    static std::vector<run_hint> open_children(instance_base& r) {
        std::vector<run_hint> out;
        if (r.x)
            r.x->children.for_each([&](instance_base::extras& c) { out.push_back(run_hint{c.run->slot, c.run->gen}); });
        return out;
    }

    [[nodiscard]] instance_base* child_of(instance_base& parent, run_hint h) const {
        instance_base* c = by_slot(h.slot, h.gen);
        return c && c->running() && c->x && c->x->parent_slot == parent.slot && c->x->parent_gen == parent.gen ? c
                                                                                                             : nullptr;
    }

    // Timer `s` of generation `g` came due: wakes its wait, unless that ended already.
    void fire_timer(std::uint32_t s, std::uint32_t g);
    // A timer's work for an executor other than the deterministic one.
    using timer_work = slot_work<&engine::fire_timer>;

    void activate(std::uint32_t slot, std::uint32_t gen) {
        instance_base* in = by_slot(slot, gen);
        if (!in) return;
        check_thread("the executor ran the workflow's work", in->id);
        in->scheduled = false;
        if (sink_ && in->hist) [[unlikely]]
            mark_dirty(*in);
        if (in->running() && !in->stand_in) run(*in);
        if (sink_) [[unlikely]]
            sink_->work_done();  // `in` may be gone (continued as new): only the engine is touched here
    }
    using activate_work = slot_work<&engine::activate>;

    // One activation: deliver every accepted signal in order, then resume whatever is ready, then
    // re-test the conditions of this workflow (only after something of it ran); repeat until quiet.
    void run(instance_base& in);

    // The steps of one activation, until the run ends or nothing is left to do.
    void run_steps(instance_base& in, activation& act);

    // Without exceptions a cancel request cannot reach the body as `cancelled`: it closes the run, at
    // once if the run is not running code, else when its current step ends (see cancel()).
    static bool cancel_closes_run(const instance_base& in) noexcept {
        return !exceptions_enabled && in.cancel_requested;
    }

    // Delivers the outgoing entries of `in` in order; tells each awaitable how it went.
    void flush(instance_base& in) {
        if (in.x && !in.x->outbox.empty()) send_outbox(in);  // inlined: most steps send nothing
    }
    void send_outbox(instance_base& in);  // out of line (engine_outbox.hpp): most steps send nothing

    // Replaying: a signal (or cancel request) the run sent itself is sent again when the history shows
    // it taken (the run is here); one that was refused gets the recorded refusal, like any other.
    bool resend_in_replay(instance_base& in, const outgoing& o) const;

    // Ends `old` and starts a fresh run under the same id with the arguments it gave. Signals accepted
    // and not yet handled (in the inbox and in signal channels) move to the new run in order.
    void continue_as_new(instance_base& old);

    // The signals a new run got from the run it continued: inputs of its own, recorded as accepted
    // after its start (replay feeds them), channel values first (the new run's first activation moves
    // them: see run()), then the undelivered signals, which are the old run's last accepted ones.
    void record_carried(instance_base& old, instance_base& fresh, std::size_t carried_inbox);

    // A continued run's first activation: the channel values wait in the old run's object (queries read
    // it until now); they move in, each delivered as its signal (the history's accepted records them).
    void take_over(instance_base& in);

    // Replay: an update recorded as accepted here, at the start of a step, is delivered now (it had
    // no event when it arrived: the history shows it only where it was delivered).
    bool feed_recorded_update(instance_base& in, activation& act);

    // Takes the oldest pending signal out of the inbox and runs its handler (or fills its channel).
    // It is delivered where it waits (the pool never moves an item) and given back after, even if it throws.
    void deliver_next(instance_base& in, activation& act) {
        struct give_back {
            inbox_pool<pending_signal>& pool;
            std::uint32_t index;
            ~give_back() { pool.destroy(index); }
        } const taken{pending_pool_, in.inbox.take_front(pending_pool_)};
        act.body = false;
        act.task = false;
        pending_signal& p = pending_pool_.item(taken.index);
        if (in.hist) [[unlikely]]
            record_handled(in, p);
        p.deliver(in);
    }
    // A wait's end names its start (history_event::start_index): the body's and the handlers' waits overlap.
    void record_wait_ended(instance_base& in, const waiter& w);

    // Out of line so that the hot loop above stays small when no history is recorded.
    void record_handled(instance_base& in, const pending_signal& p);
    void record_handled(instance_base& in, std::uint32_t index, std::string_view name);

    // The body finished while signals it sent to itself were still queued: they were accepted, so they
    // are handled (sync handlers run, channels fill) before the run is sealed.
    void deliver_leftovers(instance_base& in, activation& act);

    static bool test_conditions(instance_base& in) {
        bool any = false;
        in.conditions.for_each([&](waiter& w) {
            // A waiter registered in the step that just ended tested its predicate then: skip it.
            if (w.tested_at == in.steps) return;
            w.tested_at = in.steps;
            if (w.check(w)) {
                w.fire(wake_reason::fired);
                any = true;
            }
        });
        return any;
    }

    void close(instance_base& in, workflow_status status);

    // The first half of close(): records the end and frees what the run no longer needs.
    void seal(instance_base& in, workflow_status status);

    // The second half of close(), after its children: wakes the runs awaiting its result and tells its
    // parent, whose list of open children it leaves.
    void announce_close(instance_base& in);

    // A child's outcome in its parent's history: the status, and what replay needs to give the parent the
    // same outcome without re-running the child (a copy of the result, the failure, the reason).
    void record_child_closed(instance_base& parent, instance_base& child);

    // Makes room for `n` elements, growing geometrically: vector::reserve(size() + 1) on each call would
    // reallocate every time, making a long series of starts quadratic.
    template <class V>
    static void reserve_for(V& v, std::size_t n) {
        if (v.capacity() < n) v.reserve(std::max(n, 2 * v.capacity()));
    }

    void retire(instance_base& in) noexcept {
        in.destroy_frames();
        slots_.release(in);
    }

    executor* ex_;  // a load replays on its own executor for a while (engine_load.hpp)
    runtime_options opts_;
    // The run record counts its received signals in 32 bits: "no limit" (0) and any larger limit stop
    // there, with the same clear error as a limit, rather than wrap.
    static constexpr std::uint32_t max_received_count = 0xffffffffu;
    std::uint32_t received_limit_;
    engine_link* link_;
    splitmix64 rng_;
    std::uint64_t generated_ids_ = 0;
    std::uint64_t ready_counter_ = 0;  // activations posted for runs with histories (extras::ready_seq)
    // 8 bytes a run (16-byte entries {run, generation} were 16 a workflow in S3).
    slot_table<instance_base> slots_;
    timer_table timers_;
    id_map<instance_base> by_id_;  // owns the runs, by slot (deleted on replace, forget and destruction)
    std::vector<std::shared_ptr<const history>> histories_;
    // Shared by the runs' inboxes: a signal to a run allocates nothing once some run has given an item back.
    inbox_pool<pending_signal> pending_pool_;
    bool tearing_down_ = false;
    // Atomic so that the check, made on any thread, reads it without a data race (a relaxed load: a plain
    // one on x86 and ARM).
    std::atomic<const void*> owner_{this_thread_token()};
};

}  // namespace coflow::detail

// The engine's other rooms: members defined apart so that this header stays the scheduler.
#include <coflow/detail/engine_accept.hpp>
#include <coflow/detail/engine_waiter.hpp>
#include <coflow/detail/engine_timers.hpp>
#include <coflow/detail/engine_instance.hpp>
#include <coflow/detail/engine_close.hpp>
#include <coflow/detail/engine_continue_as_new.hpp>
#include <coflow/detail/engine_history.hpp>
#include <coflow/detail/journal_stream.hpp>
#include <coflow/detail/engine_activation.hpp>
#include <coflow/detail/engine_outbox.hpp>
#include <coflow/detail/engine_load.hpp>
#include <coflow/detail/engine_timeouts.hpp>
