// coflow/detail/byte_buffer.hpp: a growable run of bytes written by pointer (a journal's stream): unlike
// std::string, making room for a record neither fills it nor calls out of line.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace coflow::detail {

class byte_buffer {
public:
    /// Room for `n` more bytes: write them from the pointer returned, then commit(end of what was written).
    [[nodiscard]] char* room(std::size_t n) {
        if (cap_ - size_ < n) [[unlikely]]
            grow(n);
        return data_.get() + size_;
    }
    void commit(const char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }

    void append(std::string_view s) {
        char* p = room(s.size());
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        size_ += s.size();
    }
    void resize(std::size_t n) noexcept { size_ = n < size_ ? n : size_; }  // shrink only
    void clear() noexcept { size_ = 0; }

    [[nodiscard]] const char* data() const noexcept { return data_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    void grow(std::size_t n) {
        std::size_t cap = cap_ ? cap_ * 2 : 1 << 16;
        while (cap - size_ < n) cap *= 2;
        std::unique_ptr<char[]> bigger(new char[cap]);
        if (size_) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        cap_ = cap;
    }

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0, cap_ = 0;
};

}  // namespace coflow::detail
