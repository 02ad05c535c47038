// TxQueue: a FrameSink that keeps frames in caller storage until flush() hands them to a device
// in batches. Frames the device does not take stay queued (in order) for the next flush.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/dev/device.h"
#include "net/stack/util/slot_ring.h"

namespace unikit::net::dev {

class TxQueue final : public FrameSink {
public:
    // Bytes of bookkeeping in each slot, next to the frame.
    static constexpr std::size_t kSlotOverhead = util::SlotRing<>::kHeader;
    // storage is cut into slots of slot_size bytes (>= max frame + kSlotOverhead).
    TxQueue(std::span<std::uint8_t> storage, std::size_t slot_size) : ring_(storage, slot_size) {}

    bool send_frame(std::span<const std::uint8_t> frame) override {
        if (ring_.push(util::NoMeta{}, frame)) return true;
        ++dropped;
        return false;
    }
    std::size_t size() const { return ring_.size(); }
    bool empty() const { return ring_.empty(); }

    // Transmits queued frames; returns how many the device took, or its error.
    Result<std::size_t> flush(NetDevice& dev) {
        std::size_t total = 0;
        while (!ring_.empty()) {
            FrameRef batch[kBatch];
            std::size_t n = 0;
            for (; n < kBatch && n < ring_.size(); ++n) batch[n] = FrameRef(ring_.at(n).data);
            auto r = dev.transmit({batch, n});
            if (!r) {
                if (r.error() == Error::invalid) {  // a frame the device can never take: drop it
                    ring_.pop();
                    ++dropped;
                    continue;
                }
                return r;
            }
            for (std::size_t i = 0; i < *r; ++i) ring_.pop();
            total += *r;
            if (*r < n) break;
        }
        return total;
    }

    std::uint64_t dropped = 0;  // frames refused because the queue was full or invalid

private:
    static constexpr std::size_t kBatch = 32;
    util::SlotRing<> ring_;
};

}  // namespace unikit::net::dev
