// unikit::net::dev - network devices that move Ethernet frames in batches.
//
// A NetDevice receives into and transmits from caller-owned buffers, many frames per call
// (DESIGN rule 9). Devices compose (rule 8): PcapWriter, FaultInjector and others wrap any
// NetDevice and are NetDevices themselves; LoopbackPair gives two connected in-memory ends.
// Nothing here reads a clock, draws randomness or allocates: buffers, time and Rngs are passed in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <unikit/error.h>

namespace unikit::net::dev {

using MacBytes = std::array<std::uint8_t, 6>;

inline constexpr std::size_t kEthHeaderLen = 14;
inline constexpr std::size_t kVlanTagLen = 4;
// The largest frame a device with this MTU carries (header + MTU + a VLAN tag, no FCS).
constexpr std::size_t max_frame_len(std::uint16_t mtu) { return kEthHeaderLen + kVlanTagLen + mtu; }

// Frame::flags, set by the device on receive (0 when it knows nothing).
// kFrameCsumValid: the host verified the frame's L4 (TCP/UDP) checksum or the frame never
// crossed a wire (its checksum field may hold only the pseudo-header sum): do not verify it.
inline constexpr std::uint32_t kFrameCsumValid = 0x1;

// A receive buffer: `cap` writable bytes at `data`; the device sets `len` and `flags`.
struct Frame {
    std::uint8_t* data = nullptr;
    std::size_t cap = 0;
    std::size_t len = 0;
    std::uint32_t flags = 0;  // kFrame*
    std::span<std::uint8_t> bytes() const { return {data, len}; }
};

// A frame to transmit: `len` bytes at `data`.
struct FrameRef {
    const std::uint8_t* data = nullptr;
    std::size_t len = 0;
    FrameRef() = default;
    FrameRef(const std::uint8_t* d, std::size_t l) : data(d), len(l) {}
    FrameRef(std::span<const std::uint8_t> s) : data(s.data()), len(s.size()) {}
    std::span<const std::uint8_t> bytes() const { return {data, len}; }
};

class NetDevice {
public:
    // Fills up to frames.size() buffers with received frames, in arrival order, and returns how
    // many (0 when nothing is waiting). A frame longer than its buffer is dropped, never
    // truncated. Errors: Error::io (device failure).
    virtual Result<std::size_t> receive(std::span<Frame> frames) = 0;
    // Sends frames in order; returns how many were taken (0..n). Frames after those were not
    // sent and may be retried later. Errors: Error::invalid (a frame longer than
    // max_frame_len(mtu())), Error::io.
    virtual Result<std::size_t> transmit(std::span<const FrameRef> frames) = 0;
    virtual MacBytes mac() const = 0;
    // Largest IP packet (frame payload), e.g. 1500.
    virtual std::uint16_t mtu() const = 0;
    // The largest frame receive() may deliver: max_frame_len(mtu()), or more when the host hands
    // over receive-offload frames (an IPv4/TCP packet longer than the MTU, never a fragment).
    virtual std::size_t max_rx_frame() const { return max_frame_len(mtu()); }

protected:
    ~NetDevice() = default;
};

// Where a protocol stack writes the frames it wants sent. The stack builds each frame in its own
// scratch space and hands it over; the sink copies it (into a TxQueue, a test's list, ...).
// Returns false if the frame was not taken (queue full): the stack counts it as a drop.
class FrameSink {
public:
    virtual bool send_frame(std::span<const std::uint8_t> frame) = 0;

protected:
    ~FrameSink() = default;
};

}  // namespace unikit::net::dev
