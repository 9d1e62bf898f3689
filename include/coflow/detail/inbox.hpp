// coflow/detail/inbox.hpp: a run's inbox, a FIFO of pending signals whose items live in a pool that all
// of an engine's runs share. A run that takes its signals one at a time, the usual case, then costs 12 bytes
// and no allocation of its own: a signal to a run that never had one reuses an item another run gave back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include <coflow/detail/raise.hpp>

namespace coflow::detail {

/// Items of type T for the inboxes of one engine, addressed by 32-bit index. Items live in chunks that
/// never move, so an item stays where it is while others come and go; a freed item is reused before the
/// pool grows. The memory is kept until the pool is destroyed (with its engine): at most what the most
/// signals pending at once ever needed.
template <class T>
class inbox_pool {
public:
    static constexpr std::uint32_t none = 0xffffffffu;

    inbox_pool() noexcept = default;
    inbox_pool(const inbox_pool&) = delete;
    inbox_pool& operator=(const inbox_pool&) = delete;
    ~inbox_pool() = default;  // every item was destroyed by its inbox (runs go before their engine)

    /// Builds an item from `a`. If it throws, the pool is as it was.
    template <class... A>
    [[nodiscard]] std::uint32_t make(A&&... a) {
        if (free_.empty()) [[unlikely]]
            grow();
        const std::uint32_t i = free_.back();
        node& n = at(i);
        ::new (static_cast<void*>(n.storage)) T(std::forward<A>(a)...);
        n.next = none;  // the last of its inbox until another comes
        free_.pop_back();
        return i;
    }
    /// Destroys item `i` and keeps its place for the next make().
    void destroy(std::uint32_t i) noexcept {
        std::destroy_at(std::launder(reinterpret_cast<T*>(at(i).storage)));
        free_.push_back(i);  // room reserved by grow()
    }

    [[nodiscard]] T& item(std::uint32_t i) noexcept { return *std::launder(reinterpret_cast<T*>(at(i).storage)); }
    [[nodiscard]] std::uint32_t next(std::uint32_t i) const noexcept { return at(i).next; }
    void set_next(std::uint32_t i, std::uint32_t n) noexcept { at(i).next = n; }

private:
    struct node {
        alignas(T) unsigned char storage[sizeof(T)];
        std::uint32_t next;  // the next item of its inbox
    };
    // 64 items a chunk: a few kilobytes, so that a small program does not pay for a big one.
    static constexpr std::uint32_t chunk_bits = 6;
    static constexpr std::uint32_t chunk_size = std::uint32_t{1} << chunk_bits;

    [[nodiscard]] node& at(std::uint32_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1u)]; }

    [[gnu::noinline]] void grow() {
        if (chunks_.size() >= (std::size_t{none} >> chunk_bits))
            detail::raise(std::length_error("coflow: more than 2^32 pending signals"));
        // Room first, so that nothing below throws once the chunk is made, and destroy() never allocates.
        if (chunks_.size() == chunks_.capacity()) chunks_.reserve(2 * chunks_.size() + 1);
        free_.reserve(chunks_.capacity() << chunk_bits);
        std::unique_ptr<node[]> chunk(new node[chunk_size]);
        const auto base = static_cast<std::uint32_t>(chunks_.size() << chunk_bits);
        chunks_.push_back(std::move(chunk));
        for (std::uint32_t k = chunk_size; k-- > 0;) free_.push_back(base + k);  // the lowest is taken first
    }

    std::vector<std::unique_ptr<node[]>> chunks_;
    // The free items, the last freed on top: a stack apart from the items, so that taking one reads no item
    // (a list threaded through them would make each signal wait for the previous one's cache miss).
    std::vector<std::uint32_t> free_;
};

/// A run's pending signals, oldest first, as a list threaded through its engine's pool (12 bytes). Every
/// call names the pool (the run's engine's): the inbox keeps no pointer to it. Destroy its items with
/// clear() before the inbox goes.
template <class T>
class inbox_queue {
public:
    using pool = inbox_pool<T>;

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    template <class... A>
    void emplace_back(pool& p, A&&... a) {
        const std::uint32_t i = p.make(std::forward<A>(a)...);
        if (size_ == 0) head_ = i;
        else p.set_next(tail_, i);
        tail_ = i;
        ++size_;
    }

    /// Unlinks the oldest item without destroying it: its place is the caller's until it calls
    /// `p.destroy(index)` (the item stays where it is meanwhile, whatever else the inbox takes).
    [[nodiscard]] std::uint32_t take_front(pool& p) noexcept {
        const std::uint32_t i = head_;
        head_ = p.next(i);
        --size_;
        return i;
    }
    void pop_front(pool& p) noexcept { p.destroy(take_front(p)); }

    /// Calls f(item) for every item, oldest first.
    template <class F>
    void for_each(pool& p, F&& f) const {
        std::uint32_t i = head_;
        for (std::uint32_t k = 0; k < size_; ++k, i = p.next(i)) f(p.item(i));
    }

    /// Moves every item of `from` to the end of this inbox, in order (no item is moved in memory).
    void splice_back(pool& p, inbox_queue& from) noexcept {
        if (from.size_ == 0) return;
        if (size_ == 0) head_ = from.head_;
        else p.set_next(tail_, from.head_);
        tail_ = from.tail_;
        size_ += from.size_;
        from.size_ = 0;
    }

    void clear(pool& p) noexcept {
        while (size_) pop_front(p);
    }

private:
    std::uint32_t head_ = pool::none, tail_ = pool::none;
    std::uint32_t size_ = 0;
};

}  // namespace coflow::detail
