// coflow/detail/intrusive_list.hpp: a doubly linked list threaded through its elements.
// Waiters link themselves into condition, channel and ready lists without allocating, and unlink on destruction.
#pragma once

#include <cstddef>

namespace coflow::detail {

/// A hook an element inherits once per list it can be in; Tag tells the hooks apart.
template <class Tag>
struct list_hook {
    list_hook* prev = nullptr;
    list_hook* next = nullptr;

    list_hook() = default;
    list_hook(const list_hook&) = delete;
    list_hook& operator=(const list_hook&) = delete;

    [[nodiscard]] bool linked() const noexcept { return next != nullptr; }

    void unlink() noexcept {
        if (!next) return;
        prev->next = next;
        next->prev = prev;
        prev = next = nullptr;
    }

    /// Puts `other` (not linked) where this hook is in its list, and unlinks this one.
    void replace_with(list_hook& other) noexcept {
        if (!next) return;
        other.prev = prev;
        other.next = next;
        prev->next = &other;
        next->prev = &other;
        prev = next = nullptr;
    }
};

/// A FIFO list of T (which derives from list_hook<Tag>). It never owns its elements.
template <class T, class Tag>
class intrusive_list {
public:
    using hook = list_hook<Tag>;

    intrusive_list() noexcept { head_.prev = head_.next = &head_; }
    intrusive_list(const intrusive_list&) = delete;
    intrusive_list& operator=(const intrusive_list&) = delete;
    ~intrusive_list() { clear(); }

    [[nodiscard]] bool empty() const noexcept { return head_.next == &head_; }

    void push_back(T& item) noexcept {
        hook& h = item;
        h.unlink();
        h.prev = head_.prev;
        h.next = &head_;
        head_.prev->next = &h;
        head_.prev = &h;
    }

    [[nodiscard]] T* front() noexcept { return empty() ? nullptr : static_cast<T*>(head_.next); }

    T* pop_front() noexcept {
        T* item = front();
        if (item) static_cast<hook&>(*item).unlink();
        return item;
    }

    /// Unlinks every element (the elements stay alive).
    void clear() noexcept {
        while (!empty()) head_.next->unlink();
    }

    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const hook* h = head_.next; h != &head_; h = h->next) ++n;
        return n;
    }

    /// Calls f(T&) for each element, in order; f may unlink the element it is given.
    template <class F>
    void for_each(F&& f) {
        hook* h = head_.next;
        while (h != &head_) {
            hook* next = h->next;
            f(*static_cast<T*>(h));
            h = next;
        }
    }

private:
    hook head_;
};

/// A FIFO list of T headed by one pointer (to its first element; the elements form a ring), where
/// intrusive_list's head is a whole hook: 8 bytes instead of 16 in every run record that holds one. An
/// element leaves it by remove() on this list, never by its hook's unlink(): only the list can move its
/// head.
template <class T, class Tag>
class compact_list {
public:
    using hook = list_hook<Tag>;

    compact_list() noexcept = default;
    compact_list(const compact_list&) = delete;
    compact_list& operator=(const compact_list&) = delete;
    ~compact_list() { clear(); }

    [[nodiscard]] bool empty() const noexcept { return first_ == nullptr; }

    /// `item` must not be in a list.
    void push_back(T& item) noexcept {
        hook& h = item;
        if (!first_) {
            h.prev = h.next = &h;
            first_ = &h;
            return;
        }
        hook* last = first_->prev;
        h.prev = last;
        h.next = first_;
        last->next = &h;
        first_->prev = &h;
    }

    /// Takes `item` out if it is linked (then it is in this list).
    void remove(T& item) noexcept {
        hook& h = item;
        if (!h.next) return;
        if (h.next == &h) {
            first_ = nullptr;
        } else {
            if (first_ == &h) first_ = h.next;
            h.prev->next = h.next;
            h.next->prev = h.prev;
        }
        h.prev = h.next = nullptr;
    }

    /// Takes every element out (the elements stay alive).
    void clear() noexcept {
        while (first_) remove(*static_cast<T*>(first_));
    }

    /// Calls f(T&) for each element, in order; f may remove the element it is given (and no other).
    template <class F>
    void for_each(F&& f) {
        hook* h = first_;
        if (!h) return;
        const hook* const last = h->prev;
        for (;;) {
            hook* next = h->next;
            const bool at_last = h == last;
            f(*static_cast<T*>(h));
            if (at_last) return;
            h = next;
        }
    }
    template <class F>
    void for_each(F&& f) const {
        const_cast<compact_list*>(this)->for_each([&](T& item) { f(static_cast<const T&>(item)); });
    }

private:
    hook* first_ = nullptr;
};

}  // namespace coflow::detail
