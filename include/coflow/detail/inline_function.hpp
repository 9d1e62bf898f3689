// coflow/detail/inline_function.hpp: a move-only type-erased callable with inline storage.
// Posted work and pending signals live in these, so small closures never touch the heap.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace coflow::detail {

template <class Sig, std::size_t Size>
class inline_function;

template <class R, class... Args, std::size_t Size>
class inline_function<R(Args...), Size> {
    struct ops {
        R (*invoke)(void*, Args&&...);
        void (*move_to)(void* from, void* to) noexcept;
        void (*destroy)(void*) noexcept;
    };

    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= Size && alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    // A trivially copyable closure (the common case: a few numbers) is moved with memcpy and needs no
    // destructor call: null entries say so, saving two indirect calls per queued signal.
    template <class F>
    static constexpr bool trivial = std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F>;
    // A closure may also say that memcpy moves it (`using trivially_relocatable = void;`): a handle
    // with a destructor but no pointer into itself. It is then destroyed once, where it ends up.
    template <class F>
    static constexpr bool relocatable = trivial<F> || requires { typename F::trivially_relocatable; };

    template <class F>
    static constexpr ops inline_ops{
        [](void* p, Args&&... a) -> R { return (*static_cast<F*>(p))(std::forward<Args>(a)...); },
        relocatable<F> ? nullptr
                       : +[](void* from, void* to) noexcept {
                             ::new (to) F(std::move(*static_cast<F*>(from)));
                             static_cast<F*>(from)->~F();
                         },
        trivial<F> ? nullptr : +[](void* p) noexcept { static_cast<F*>(p)->~F(); }};

    // Too big to fit: the storage holds a pointer to a heap copy.
    template <class F>
    static constexpr ops heap_ops{
        [](void* p, Args&&... a) -> R { return (**static_cast<F**>(p))(std::forward<Args>(a)...); },
        nullptr,  // the pointer is copied like bytes
        [](void* p) noexcept { delete *static_cast<F**>(p); }};

public:
    inline_function() noexcept = default;

    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, inline_function> &&
                 std::is_invocable_r_v<R, std::remove_cvref_t<F>&, Args...>)
    inline_function(F&& f) {  // NOLINT: implicit like std::function
        using D = std::remove_cvref_t<F>;
        if constexpr (fits_inline<D>) {
            ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
            ops_ = &inline_ops<D>;
        } else {
            ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
            ops_ = &heap_ops<D>;
        }
    }

    inline_function(inline_function&& o) noexcept : ops_(o.ops_) {
        if (ops_) {
            relocate(o.storage_, storage_);
            o.ops_ = nullptr;
        }
    }

    inline_function& operator=(inline_function&& o) noexcept {
        if (this != &o) {
            reset();
            if (o.ops_) {
                ops_ = std::exchange(o.ops_, nullptr);
                relocate(o.storage_, storage_);
            }
        }
        return *this;
    }

    inline_function(const inline_function&) = delete;
    inline_function& operator=(const inline_function&) = delete;
    ~inline_function() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... a) { return ops_->invoke(storage_, std::forward<Args>(a)...); }

    /// The closure, which must be an F (the caller knows: it made it).
    template <class F>
    [[nodiscard]] const F& target() const noexcept {
        if constexpr (fits_inline<F>) return *std::launder(reinterpret_cast<const F*>(storage_));
        else return **std::launder(reinterpret_cast<F* const*>(storage_));
    }

    void reset() noexcept {
        if (ops_) {
            if (ops_->destroy) ops_->destroy(storage_);
            ops_ = nullptr;
        }
    }

private:
    void relocate(void* from, void* to) noexcept {
        if (ops_->move_to) ops_->move_to(from, to);
        else std::memcpy(to, from, Size);
    }

    const ops* ops_ = nullptr;
    alignas(std::max_align_t) unsigned char storage_[Size];
};

}  // namespace coflow::detail
