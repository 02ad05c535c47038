// LoopbackPair: two in-memory NetDevice ends joined back to back. A frame transmitted on one end
// is received on the other, in order. Each direction is a bounded queue in caller storage;
// transmit takes only what fits (like a full ring), so senders see back-pressure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/dev/device.h"
#include "net/stack/util/slot_ring.h"

namespace unikit::net::dev {

class LoopbackPair {
public:
    // storage is split in two halves, one queue per direction, slots sized for the MTU.
    LoopbackPair(std::span<std::uint8_t> storage, MacBytes mac_a, MacBytes mac_b,
                 std::uint16_t mtu = 1500);
    // Bytes of storage needed for `frames` queued frames per direction.
    static constexpr std::size_t storage_for(std::size_t frames, std::uint16_t mtu = 1500) {
        return 2 * frames * slot_size(mtu);
    }

    NetDevice& a() { return a_; }
    NetDevice& b() { return b_; }

private:
    static constexpr std::size_t slot_size(std::uint16_t mtu) { return max_frame_len(mtu) + 16; }

    class End final : public NetDevice {
    public:
        End(MacBytes m, std::uint16_t mtu) : mac_(m), mtu_(mtu) {}
        Result<std::size_t> receive(std::span<Frame> frames) override;
        Result<std::size_t> transmit(std::span<const FrameRef> frames) override;
        MacBytes mac() const override { return mac_; }
        std::uint16_t mtu() const override { return mtu_; }

        util::SlotRing<> inbox;  // frames waiting to be received on this end
        End* peer = nullptr;

    private:
        MacBytes mac_;
        std::uint16_t mtu_;
    };

    End a_, b_;
};

}  // namespace unikit::net::dev
