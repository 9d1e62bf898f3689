// coflow/detail/block_cache.hpp: a small per-thread cache of freed memory blocks, for the blocks the runtime
// makes and drops at a high rate: runs (instance<T>), their extras, and coroutine frames. An entity that
// starts a child per op frees and allocates three such blocks each time, and a malloc/free pair costs
// about 140 instructions; a cached block is taken back in a few.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace coflow::detail {

// Define COFLOW_BLOCK_CACHE as 0 before including coflow to allocate every block with plain new. It is off
// under AddressSanitizer and ThreadSanitizer, which must see each block freed and made again.
#ifndef COFLOW_BLOCK_CACHE
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COFLOW_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define COFLOW_BLOCK_CACHE 0
#endif
#endif
#endif
#ifndef COFLOW_BLOCK_CACHE
#define COFLOW_BLOCK_CACHE 1
#endif

/// Blocks of up to max_block bytes, in classes 16 bytes apart. A block of class k is allocated with the
/// largest size of its class (16k + 8: what glibc's malloc gives a chunk of 16k + 16 bytes for), so that
/// blocks of one class are interchangeable and take no more memory than plain new would. At most
/// `keep` free blocks are kept per class; the rest go back to operator delete. The cache is per thread
/// (no locks): a block freed on another thread than it was made on joins that thread's cache. A thread's
/// cached blocks are released when it exits; one that is gone (or going) no longer caches anything.
class block_cache {
public:
    static constexpr bool enabled = COFLOW_BLOCK_CACHE != 0;
    static constexpr std::size_t max_block = 1024;
    static constexpr std::uint32_t keep = 32;

    [[nodiscard]] static void* allocate(std::size_t n) {
        if constexpr (enabled) {
            const std::size_t k = class_of(n);
            if (k < classes) {
                bin& b = state.bins[k];
                if (node* p = b.head) {
                    b.head = p->next;
                    --b.count;
                    return p;
                }
                return ::operator new(block_size(k));
            }
        }
        return ::operator new(n);
    }

    static void deallocate(void* p, std::size_t n) noexcept {
        if constexpr (enabled) {
            const std::size_t k = class_of(n);
            if (k < classes && !state.gone) {
                bin& b = state.bins[k];
                if (b.count < keep) {
                    if (!state.armed) arm();
                    b.head = ::new (p) node{b.head};
                    ++b.count;
                    return;
                }
            }
        }
        ::operator delete(p);
    }

    /// Gives this thread's free blocks back to operator delete.
    static void release() noexcept {
        for (bin& b : state.bins) {
            while (node* p = b.head) {
                b.head = p->next;
                ::operator delete(p);
            }
            b.count = 0;
        }
    }

    /// Free blocks kept on this thread for a block of `n` bytes (tests).
    [[nodiscard]] static std::uint32_t cached(std::size_t n) noexcept {
        const std::size_t k = class_of(n);
        return enabled && k < classes ? state.bins[k].count : 0;
    }

private:
    static constexpr std::size_t classes = max_block / 16 + 1;
    static constexpr std::size_t class_of(std::size_t n) noexcept { return (n + 7) / 16; }
    static constexpr std::size_t block_size(std::size_t k) noexcept { return k == 0 ? 8 : 16 * k + 8; }

    struct node {
        node* next;
    };
    struct bin {
        node* head;
        std::uint32_t count;
    };
    // Trivially destructible, so that reaching it costs no guard; the reaper below empties it at thread exit.
    struct thread_state {
        bin bins[classes];
        bool armed;  // the reaper exists
        bool gone;   // the reaper ran: blocks freed from now on go straight back
    };
    static inline thread_local constinit thread_state state{};

    struct reaper {
        ~reaper() {
            release();
            state.gone = true;
        }
    };
    [[gnu::noinline]] static void arm() noexcept {
        state.armed = true;
        thread_local reaper r;  // destroyed when the thread exits, before objects made earlier on it
        (void)r;
    }
};

}  // namespace coflow::detail
