// coflow/detail/waiter.hpp: a suspended point of workflow code (waiter): what it waits on, how it wakes.
// Declarations only: its members need the engine and the run, and are defined in engine_waiter.hpp.
#pragma once

#include <coroutine>
#include <cstdint>
#include <cstring>
#include <string>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/clock.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/raise.hpp>

namespace coflow::detail {

class engine;
class instance_base;

/// Delivers the pending cancel request to the running body: throws coflow::cancelled. The request stays
/// made (cancel_requested): the body may catch it and go on, and no later request reaches it again.
[[noreturn]] inline void raise_cancelled(instance_base& in);

// A waiter is in at most one of the lists it waits in (a condition list, a channel's receivers, a run's
// completion list) and its instance's ready list: firing it moves it from the one to the other. So they
// share one hook (wait_tag), and a suspended workflow's waiter is 16 bytes smaller.
struct wait_tag {};
using ready_tag = wait_tag;
struct suspended_tag {};
struct child_tag {};  // a child run in its parent's list of open children

/// What a waiter waits on (for describe() and the history).
enum class wait_kind : unsigned char {
    condition, sleep, channel, child, signal_sent, when_any, when_all, join, spawn, mutex, semaphore
};

[[nodiscard]] constexpr const char* to_string(wait_kind k) noexcept {
    switch (k) {
        case wait_kind::condition: return "wait_condition";
        case wait_kind::sleep: return "sleep";
        case wait_kind::channel: return "signal_channel";
        case wait_kind::child: return "child_result";
        case wait_kind::signal_sent: return "signal_sent";
        case wait_kind::when_any: return "when_any";
        case wait_kind::when_all: return "when_all";
        case wait_kind::join: return "task_scope::join";
        case wait_kind::spawn: return "task_start";
        case wait_kind::mutex: return "mutex";
        case wait_kind::semaphore: return "semaphore";
    }
    return "unknown";
}

enum class wake_reason : unsigned char { none, fired, timed_out, cancelled };

inline constexpr std::uint32_t no_timer = 0xffffffffu;

/// What await_suspend does when the body awaits after its run was cancelled (`precancelled_` in each
/// awaiter). With exceptions: `false`, no suspension, and await_resume delivers `cancelled`. Without:
/// `true`, it suspends for good, and the run closes as cancelled when the current step ends (engine::cancel).
inline constexpr bool park_if_cancelled = !exceptions_enabled;

/// A suspended point of workflow code: one per co_await that suspends. It lives in the awaiting
/// coroutine's frame, links itself into what it waits on (a condition list, a channel) and, once woken,
/// into its instance's ready list. Its destructor unlinks everything, so destroying a frame is safe.
class waiter : public list_hook<wait_tag>, public list_hook<suspended_tag> {
public:
    waiter() = default;
    // Awaiters are moved only before they suspend (compilers may move one into the frame), so a move
    // takes the fields and leaves the links empty. A condition's tester is set only once armed, so
    // the shared room holds a label here, if anything.
    waiter(waiter&& o) noexcept
        : list_hook<wait_tag>(), list_hook<suspended_tag>(), inst(o.inst), handle(o.handle),
          tested_at(o.tested_at), timer(std::exchange(o.timer, no_timer)), body(o.body), task(o.task),
          kind(o.kind), reason(o.reason) {
        // The shared room as it is, whichever member it holds (both pointers, trivially copyable).
        static_assert(sizeof check == sizeof label);
        std::memcpy(static_cast<void*>(&check), static_cast<const void*>(&o.check), sizeof check);
    }
    waiter& operator=(const waiter&) = delete;
    ~waiter() { detach(); }

    /// Records who waits and on what; call from await_suspend.
    inline void arm(activation& a, std::coroutine_handle<> h, wait_kind k) noexcept;
    /// Wakes the waiter for `r`: unlinks it from what it waited on and queues it to resume.
    inline void fire(wake_reason r) noexcept;
    /// Unlinks from everything, cancels its timer.
    inline void detach() noexcept;
    /// Unlinks from what it waits in (or the ready list) and from its run's suspended list.
    inline void leave() noexcept;
    /// Starts a timer that wakes this waiter with timed_out after `delay` of executor time (a negative
    /// delay is a zero one). A delay that reaches past the end of the clock never ends: no timer is set.
    inline void arm_timer(duration delay);
    /// Starts a timer that wakes this waiter with timed_out at `due`, replacing the one it had.
    inline void arm_timer_at(time_point due);

    /// In await_resume: throws `cancelled` if the wait ended by cancellation (never without exceptions).
    inline void throw_if_cancelled() const;
    /// In await_resume of an await that found the body already cancelled: delivers that cancellation.
    /// Without exceptions it is never reached (see park_if_cancelled).
    [[noreturn]] inline void raise_cancelled() const;

    instance_base* inst = nullptr;
    std::coroutine_handle<> handle{};
    // A condition waiter has a predicate to re-test and no label, the others a label and no predicate:
    // they share room (a suspended workflow's frame holds a waiter). Read the label with label_of().
    union {
        bool (*check)(waiter&) = nullptr;  // condition waiters: re-evaluates the predicate (set once armed)
        const std::string* label;          // the child or target id, for describe() and the history
    };
    std::uint64_t tested_at = 0;       // the instance's step when the predicate last ran
    std::uint32_t timer = no_timer;
    bool body = false;
    bool task = false;  // waits in a task spawned by workflow code (describe() names it so)
    wait_kind kind = wait_kind::condition;
    wake_reason reason = wake_reason::none;

    /// The label of an armed wait (null for a condition, whose room holds its predicate's tester).
    [[nodiscard]] const std::string* label_of() const noexcept {
        return kind == wait_kind::condition ? nullptr : label;
    }
};

[[nodiscard]] constexpr const char* to_string(wake_reason r) noexcept {
    switch (r) {
        case wake_reason::none: return "none";
        case wake_reason::fired: return "fired";
        case wake_reason::timed_out: return "timed_out";
        case wake_reason::cancelled: return "cancelled";
    }
    return "unknown";
}

/// A waiter in a run's completion list (another workflow awaiting this run's result, or a child
/// handle's record of its child, which never suspends). The run calls `capture` as it closes, before
/// waking it: the awaiter copies the outcome then, because by the time it resumes the closed run may
/// have been forgotten or replaced under its id.
class completion_waiter : public waiter {
public:
    void (*capture)(completion_waiter&, instance_base&) noexcept = nullptr;
};

}  // namespace coflow::detail

// The members need the run and the engine (engine_waiter.hpp, reached through instance_base.hpp's
// include of engine.hpp): included last, so that whichever of the three comes first, each is complete
// before the next one needs it.
#include <coflow/detail/instance_base.hpp>
