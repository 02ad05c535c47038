// FramePool: fixed-capacity frame buffers cut from caller storage. acquire()/release() are O(1)
// (an intrusive free list threaded through the free buffers); nothing is allocated per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "net/dev/device.h"

namespace unikit::net::dev {

class FramePool {
public:
    FramePool() = default;
    // frame_size is rounded up to a multiple of 8 (and at least 8).
    FramePool(std::span<std::uint8_t> storage, std::size_t frame_size) { reset(storage, frame_size); }

    void reset(std::span<std::uint8_t> storage, std::size_t frame_size) {
        frame_size_ = frame_size < 8 ? 8 : (frame_size + 7) & ~std::size_t{7};
        base_ = storage.data();
        count_ = frame_size_ ? storage.size() / frame_size_ : 0;
        free_ = count_;
        head_ = kNone;
        for (std::size_t i = count_; i-- > 0;) {
            set_next(i, head_);
            head_ = i;
        }
    }

    std::size_t capacity() const { return count_; }
    std::size_t available() const { return free_; }
    std::size_t frame_size() const { return frame_size_; }

    // A free buffer (len 0, cap frame_size()), or nullopt if all are in use.
    std::optional<Frame> acquire() {
        if (head_ == kNone) return std::nullopt;
        std::size_t i = head_;
        head_ = next(i);
        --free_;
        return Frame{base_ + i * frame_size_, frame_size_, 0};
    }
    // Returns a buffer obtained from acquire() (by its data pointer).
    void release(const std::uint8_t* data) {
        std::size_t i = std::size_t(data - base_) / frame_size_;
        set_next(i, head_);
        head_ = i;
        ++free_;
    }

private:
    static constexpr std::size_t kNone = ~std::size_t{0};
    std::size_t next(std::size_t i) const {
        std::size_t n;
        std::memcpy(&n, base_ + i * frame_size_, sizeof n);
        return n;
    }
    void set_next(std::size_t i, std::size_t n) { std::memcpy(base_ + i * frame_size_, &n, sizeof n); }

    std::uint8_t* base_ = nullptr;
    std::size_t frame_size_ = 0;
    std::size_t count_ = 0;
    std::size_t free_ = 0;
    std::size_t head_ = kNone;
};

}  // namespace unikit::net::dev
