// coflow/detail/ring.hpp: a growable FIFO ring buffer that starts with no allocation.
// Channels and outboxes use it: O(1) push and pop, amortised growth, memory released on demand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

#include <coflow/detail/raise.hpp>

namespace coflow::detail {

template <class T>
class ring {
public:
    ring() noexcept = default;
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;
    ring(ring&& o) noexcept : buf_(o.buf_), cap_(o.cap_), head_(o.head_), size_(o.size_) {
        o.buf_ = nullptr;
        o.cap_ = o.head_ = o.size_ = 0;
    }
    ring& operator=(ring&& o) noexcept {
        if (this != &o) {
            release();
            buf_ = std::exchange(o.buf_, nullptr);
            cap_ = std::exchange(o.cap_, 0);
            head_ = std::exchange(o.head_, 0);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ~ring() { release(); }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

    template <class... A>
    T& emplace_back(A&&... a) {
        if (size_ == cap_) [[unlikely]]
            grow();
        T* slot = buf_ + ((head_ + size_) & (cap_ - 1u));
        ::new (static_cast<void*>(slot)) T(std::forward<A>(a)...);
        ++size_;
        return *slot;
    }
    void push_back(T&& v) { emplace_back(std::move(v)); }
    /// emplace_back, always inlined: for the one hot push of a caller (a channel's signal).
    template <class... A>
    [[gnu::always_inline]] inline void emplace_back_inline(A&&... a) {
        if (size_ == cap_) [[unlikely]]
            grow();
        ::new (static_cast<void*>(buf_ + ((head_ + size_) & (cap_ - 1u)))) T(std::forward<A>(a)...);
        ++size_;
    }
    /// Makes room for one more item, so that the next emplace_back cannot throw.
    void reserve_one() {
        if (size_ == cap_) [[unlikely]]
            grow();
    }

    [[nodiscard]] T& front() noexcept { return buf_[head_]; }
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return buf_[(head_ + i) & (cap_ - 1u)]; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return buf_[(head_ + i) & (cap_ - 1u)]; }

    void pop_front() noexcept {
        std::destroy_at(buf_ + head_);
        head_ = (head_ + 1u) & (cap_ - 1u);
        --size_;
    }

    void clear() noexcept {
        while (size_) pop_front();
        head_ = 0;
    }

    /// Destroys the elements and gives the buffer back.
    void release() noexcept {
        clear();
        if (buf_) std::allocator<T>{}.deallocate(buf_, cap_);
        buf_ = nullptr;
        cap_ = 0;
    }

private:
    [[gnu::noinline]] void grow() {  // out of line, so that emplace_back inlines where it is hot
        if (cap_ >= (std::uint32_t{1} << 31)) detail::raise(std::length_error("coflow: queue longer than 2^31 items"));
        const std::uint32_t cap = cap_ ? cap_ * 2 : first_capacity;  // a power of two, so wrapping is a mask
        T* nb = std::allocator<T>{}.allocate(cap);
        // Strong guarantee, as std::vector gives: a type whose move may throw is copied, and if a copy
        // throws, the new buffer is undone and the ring is as it was.
        std::uint32_t built = 0;
        guarded(
            [&] {
                for (; built < size_; ++built)
                    ::new (static_cast<void*>(nb + built)) T(std::move_if_noexcept(buf_[(head_ + built) & (cap_ - 1u)]));
            },
            [&](std::exception_ptr e) {
                std::destroy(nb, nb + built);
                std::allocator<T>{}.deallocate(nb, cap);
                std::rethrow_exception(std::move(e));
            });
        for (std::uint32_t i = 0; i < size_; ++i) std::destroy_at(buf_ + ((head_ + i) & (cap_ - 1u)));
        if (buf_) std::allocator<T>{}.deallocate(buf_, cap_);
        buf_ = nb;
        cap_ = cap;
        head_ = 0;
    }

    // Small items start four to a buffer; big ones (an outbox's signals) one, because a workflow that
    // sends one at a time, the usual case, never needs more.
    static constexpr std::uint32_t first_capacity = sizeof(T) >= 64 ? 1 : 4;

    // 32-bit counts keep an idle ring at 24 bytes: a suspended workflow is mostly such small parts.
    T* buf_ = nullptr;
    std::uint32_t cap_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
};

}  // namespace coflow::detail
