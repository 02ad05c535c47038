// FaultInjector: wraps any NetDevice and, with given probabilities (parts per million), drops,
// duplicates, reorders or corrupts frames in each direction. Decisions come from a caller-seeded
// Rng, drawn in a fixed order per frame, so a seed and a frame sequence give the same faults
// every run.
//
// Semantics per frame (each direction independently, in this order):
//   drop      the frame disappears;
//   corrupt   one random bit of one random byte is flipped (on receive, the frame loses
//             kFrameCsumValid: the damage happened after the host checked it);
//   reorder   the frame is held back and delivered after the frames of the next call;
//   duplicate a copy is held back and delivered after the frames of the next call.
// Held frames live in caller storage; when it is full, the fault is skipped (the frame passes).
// On transmit, frames the wrapped device refuses are counted in tx.refused and lost (this is a
// lossy device by design): transmit always reports every frame as taken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/dev/device.h"
#include "net/stack/util/rng.h"
#include "net/stack/util/slot_ring.h"

namespace unikit::net::dev {

struct FaultConfig {
    std::uint32_t drop_ppm = 0;
    std::uint32_t duplicate_ppm = 0;
    std::uint32_t reorder_ppm = 0;
    std::uint32_t corrupt_ppm = 0;
};

struct FaultStats {
    std::uint64_t frames = 0;  // frames seen
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t reordered = 0;
    std::uint64_t corrupted = 0;
    std::uint64_t refused = 0;  // tx only: frames the wrapped device did not take
};

class FaultInjector final : public NetDevice {
public:
    // storage holds frames held back (reorder/duplicate) and tx scratch copies; it is split in
    // three (rx held, tx held, tx scratch), in slots of max_frame_len(inner.mtu()) + 32 bytes.
    FaultInjector(NetDevice& inner, util::Rng& rng, std::span<std::uint8_t> storage,
                  FaultConfig rx, FaultConfig tx);

    Result<std::size_t> receive(std::span<Frame> frames) override;
    Result<std::size_t> transmit(std::span<const FrameRef> frames) override;
    MacBytes mac() const override { return inner_.mac(); }
    std::uint16_t mtu() const override { return inner_.mtu(); }
    // Frames larger than a hold slot pass without reorder/duplicate faults.
    std::size_t max_rx_frame() const override { return inner_.max_rx_frame(); }

    // Frames held back in each direction (delivered by the next receive / transmit call).
    std::size_t rx_held() const { return rx_hold_.size(); }
    std::size_t tx_held() const { return tx_hold_.size(); }

    FaultStats rx_stats;
    FaultStats tx_stats;

private:
    struct Decision {
        bool drop, corrupt, reorder, duplicate;
        std::uint64_t corrupt_at;
    };
    Decision decide(const FaultConfig& c);
    struct Held {
        std::uint64_t release_call;  // deliver in the call with this number (or later)
        std::uint32_t flags = 0;     // rx: Frame::flags
    };

    NetDevice& inner_;
    util::Rng& rng_;
    FaultConfig rx_cfg_, tx_cfg_;
    util::SlotRing<Held> rx_hold_;
    util::SlotRing<Held> tx_hold_;
    util::SlotRing<Held> tx_scratch_;  // corrupted copies for the batch being sent
    std::uint64_t rx_call_ = 0, tx_call_ = 0;
};

}  // namespace unikit::net::dev
