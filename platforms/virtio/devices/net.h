// virtio-net driver (Virtio 1.2 section 5.1): one receive and one transmit queue, no offloads
// (the stack computes checksums), the virtio_net_hdr in front of every frame.
//
// Receive: every descriptor of the receive queue holds a buffer of header + MTU + 18 bytes;
// read() copies frames out and gives each buffer straight back to the device. Transmit: write()
// copies each frame behind a zeroed header into the buffer of its descriptor chain; finished
// chains are reclaimed by reclaim_tx() (from devices_poll and write()). Transmit interrupts are
// suppressed: nothing waits for them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <unikit/platform.h>

#include "platforms/virtio/devices/transport.h"
#include "platforms/virtio/devices/virtqueue.h"

namespace unikit::virtio {

class NetDriver {
public:
    static constexpr uint16_t kQueueWanted = 256;
    static constexpr uint16_t kMaxMtu = 9000;  // the stack's largest (net::Interface::kMaxMtu)

    // Negotiates (VERSION_1 on modern transports; MAC and MTU when offered), sets up the queues,
    // fills the receive queue and sets DRIVER_OK. `index` (0-based) makes the fallback MAC
    // 02:00:00:00:00:<index+1> when the device has none.
    void init(Transport& t, unsigned index);

    const uint8_t* mac() const { return mac_; }
    uint16_t mtu() const { return mtu_; }
    uint64_t features() const { return features_; }
    size_t header_len() const { return hdr_len_; }

    uk_result write(const uk_frame* frames, size_t n, size_t* sent);
    uk_result read(uk_frame* frames, size_t n, size_t* received);
    bool rx_ready() const { return rxq_.used_pending(); }
    void reclaim_tx();

    uint64_t rx_dropped_oversize = 0;
    uint64_t tx_frames = 0;
    uint64_t rx_frames = 0;

    // Test access.
    Virtqueue& rxq() { return rxq_; }
    Virtqueue& txq() { return txq_; }

private:
    Transport* t_ = nullptr;
    char what_[48] = {};
    uint64_t features_ = 0;
    uint8_t mac_[6] = {};
    uint16_t mtu_ = 1500;
    size_t hdr_len_ = 12;
    size_t buf_len_ = 0;  // header + MTU + 18
    Virtqueue rxq_;
    Virtqueue txq_;
    uint8_t* rx_bufs_ = nullptr;  // rxq size x buf_len_, indexed by descriptor id
    uint8_t* tx_bufs_ = nullptr;  // txq size x buf_len_, indexed by chain head id
    bool tx_split_ = false;       // legacy: the header in a descriptor of its own
    void post_rx(uint16_t count);
};

}  // namespace unikit::virtio
