// coflow/detail/permits.hpp: the FIFO queue of permits behind coflow::mutex and coflow::semaphore.
// Released permits go straight to the waiters at the front, in the order they asked: nobody barges in.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <coflow/detail/activation.hpp>
#include <coflow/detail/engine.hpp>
#include <coflow/detail/intrusive_list.hpp>
#include <coflow/detail/raise.hpp>
#include <coflow/errors.hpp>
#include <coflow/executor.hpp>

namespace coflow::detail {

class permit_pool;
struct handed_permits_tag {};

/// Permits of one pool that a guard holds: given back (and handed on) when it is destroyed or released.
class held_permits {
public:
    held_permits() noexcept = default;
    held_permits(permit_pool& pool, std::size_t count) noexcept : pool_(&pool), count_(count) {}
    held_permits(held_permits&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), count_(std::exchange(o.count_, 0)) {}
    held_permits& operator=(held_permits&& o) noexcept {
        if (this != &o) {
            release();
            pool_ = std::exchange(o.pool_, nullptr);
            count_ = std::exchange(o.count_, 0);
        }
        return *this;
    }
    held_permits(const held_permits&) = delete;
    held_permits& operator=(const held_permits&) = delete;
    ~held_permits() { release(); }

    inline void release() noexcept;
    [[nodiscard]] bool held() const noexcept { return pool_ != nullptr; }
    [[nodiscard]] std::size_t count() const noexcept { return count_; }

private:
    permit_pool* pool_ = nullptr;
    std::size_t count_ = 0;
};

/// A waiter for `need` permits. Once granted it sits in the pool's handed list until it resumes and takes
/// them; if its frame goes first (a run ending, a lost race), its destructor hands them on.
struct permit_waiter : waiter, list_hook<handed_permits_tag> {
    enum class state : unsigned char { asking, ready, queued, granted, taken };

    permit_waiter() = default;
    // Moved only before it suspends (see waiter's move).
    permit_waiter(permit_waiter&& o) noexcept
        : waiter(std::move(o)), list_hook<handed_permits_tag>(), pool(o.pool), need(o.need), st(o.st) {}

    permit_pool* pool = nullptr;  // null once the pool was destroyed
    std::size_t need = 1;
    state st = state::asking;
};

/// `available` permits and the waiters for more, in the order they asked. It belongs to the first run
/// that uses it: only that run may ask for its permits.
class permit_pool {
public:
    permit_pool(std::size_t permits, wait_kind kind, std::string name) noexcept
        : available_(permits), capacity_(permits), name_(std::move(name)), kind_(kind) {}
    permit_pool(const permit_pool&) = delete;
    permit_pool& operator=(const permit_pool&) = delete;
    // Waiters still queued are left waiting (for good); one granted and not resumed gets an error.
    ~permit_pool() {
        auto orphan = [](permit_waiter& w) {
            w.pool = nullptr;
            w.label = nullptr;  // describe() must not read the name that goes with the pool
        };
        waiting_.for_each(orphan);
        handed_.for_each(orphan);
    }

    /// Checks that the running code belongs to this pool's run (binding it on first use).
    void check_owner(const activation& a, std::string_view what) {
        const instance_base& in = *a.inst;
        if (!owner_) {
            owner_ = &in;
            owner_slot_ = in.slot;
            owner_gen_ = in.gen;
            owner_id_ = in.id;
        } else if (owner_ != &in || owner_slot_ != in.slot || owner_gen_ != in.gen) [[unlikely]] {
            raise_foreign(in, what);
        }
    }

    /// Takes `n` permits now if nobody waits ahead and enough are free.
    bool try_take(std::size_t n) noexcept {
        if (!waiting_.empty() || available_ < n) return false;
        available_ -= n;
        return true;
    }

    /// Queues `w` (already armed) behind the waiters there are.
    void enqueue(permit_waiter& w) noexcept {
        w.st = permit_waiter::state::queued;
        waiting_.push_back(w);
    }

    /// `n` permits come back: they go to the waiters at the front that they satisfy, in order.
    void give_back(std::size_t n) noexcept {
        available_ += n;
        dispatch();
    }

    /// Grants the front waiters, as long as the first one's request fits. A waiter whose run is closing
    /// (its frames are being destroyed) is not woken: nothing of that run will run again.
    void dispatch() noexcept {
        while (permit_waiter* w = waiting_.front()) {
            if (w->need > available_ || !w->inst->running() || w->inst->eng.tearing_down()) return;
            available_ -= w->need;
            w->st = permit_waiter::state::granted;
            w->fire(wake_reason::fired);  // out of waiting_, into the run's ready list
            handed_.push_back(*w);
        }
    }

    [[nodiscard]] std::size_t available() const noexcept { return available_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] std::size_t waiting() const noexcept { return waiting_.size(); }
    [[nodiscard]] wait_kind kind() const noexcept { return kind_; }
    [[nodiscard]] const std::string* label() const noexcept { return name_.empty() ? nullptr : &name_; }

private:
    [[noreturn]] [[gnu::noinline]] void raise_foreign(const instance_base& in, std::string_view what) const {
        detail::raise(invalid_operation("workflow '" + in.id + "': " + std::string(what) + " on a " +
                                        to_string(kind_) + " of workflow '" + owner_id_ +
                                        "' (another run): a " + to_string(kind_) +
                                        " belongs to the run that first used it; keep it in the workflow "
                                        "object or in a frame of that run"));
    }

    std::size_t available_;
    std::size_t capacity_;
    intrusive_list<permit_waiter, wait_tag> waiting_;
    intrusive_list<permit_waiter, handed_permits_tag> handed_;
    const instance_base* owner_ = nullptr;  // never read through: the run may be gone
    std::uint32_t owner_slot_ = 0, owner_gen_ = 0;
    std::string owner_id_;
    std::string name_;
    wait_kind kind_;
};

inline void held_permits::release() noexcept {
    if (permit_pool* p = std::exchange(pool_, nullptr)) p->give_back(std::exchange(count_, 0));
}

[[noreturn]] [[gnu::noinline]] inline void raise_pool_gone(const instance_base& in, wait_kind k) {
    detail::raise(invalid_operation("workflow '" + in.id + "': the " + std::string(to_string(k)) +
                                    " it was granted was destroyed before it resumed; a " + to_string(k) +
                                    " must outlive its waiters and guards"));
}

/// co_await of acquire/lock: yields Guard, holding the permits (an empty Guard when a Timed wait runs out).
/// Throws coflow::cancelled when the body's run is cancelled while it waits.
template <class Guard, bool Timed>
class [[nodiscard]] acquire_awaiter : private permit_waiter {
public:
    using coflow_awaitable = void;

    acquire_awaiter(activation& a, permit_pool& p, std::size_t n, duration timeout) noexcept : timeout_(timeout) {
        inst = a.inst;
        pool = &p;
        need = n;
        precancelled_ = a.body && a.inst->cancel_pending;
    }
    acquire_awaiter(acquire_awaiter&&) noexcept = default;
    acquire_awaiter& operator=(acquire_awaiter&&) = delete;

    ~acquire_awaiter() {
        static_cast<list_hook<handed_permits_tag>&>(*this).unlink();
        if (!pool) return;
        if (st == state::granted) {  // handed the permits, never resumed to take them: they pass on
            detach();
            pool->give_back(need);
        } else if (st == state::queued) {  // left the queue (timed out, cancelled, destroyed): those
            detach();                       // behind it may fit now
            pool->dispatch();
        }
    }

    bool await_ready() noexcept {
        if (precancelled_ || !pool->try_take(need)) return false;
        st = state::ready;
        return true;
    }

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        if (precancelled_) return park_if_cancelled;
        label = pool->label();  // before arm(), which records it
        arm(*current_activation, h, pool->kind());
        pool->enqueue(*this);
        if constexpr (Timed) arm_timer(timeout_);
        return true;
    }

    Guard await_resume() {
        if (precancelled_) raise_cancelled();
        if (st == state::ready || st == state::granted) {
            static_cast<list_hook<handed_permits_tag>&>(*this).unlink();
            if (!pool) raise_pool_gone(*inst, kind);
            st = state::taken;
            return Guard(held_permits(*pool, need));
        }
        throw_if_cancelled();  // else it timed out (only a Timed wait can)
        return Guard();
    }

private:
    duration timeout_;
    bool precancelled_ = false;
};

}  // namespace coflow::detail
