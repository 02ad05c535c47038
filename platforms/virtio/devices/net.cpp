#include "platforms/virtio/devices/net.h"

#include "platforms/virtio/devices/negotiate.h"
#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

void NetDriver::init(Transport& t, unsigned index) {
    t_ = &t;
    Msg w;
    w << "virtio-net at " << t.where();
    __builtin_memcpy(what_, w.c_str(), sizeof what_ - 1);

    features_ = negotiate(t, what_, 0, bit(kNetFMac) | bit(kNetFMtu) | bit(kFEventIdx));
    const bool event_idx = features_ & bit(kFEventIdx);
    hdr_len_ = t.legacy() ? 10 : 12;  // 12 with VIRTIO_F_VERSION_1 (5.1.6.1); no MRG_RXBUF
    tx_split_ = t.legacy();           // without ANY_LAYOUT the header goes alone (legacy)

    if (features_ & bit(kNetFMac)) {
        t.config_read(kNetCfgMac, mac_, 6);
    } else {
        mac_[0] = 0x02;
        mac_[5] = uint8_t(index + 1);
    }
    mtu_ = 1500;
    if (features_ & bit(kNetFMtu)) {
        uint16_t m = 0;
        t.config_read(kNetCfgMtu, &m, 2);
        if (m < 68) {
            t.set_status(uint8_t(t.status() | kStatusFailed));
            Msg e;
            e << what_ << ": device reports MTU " << unsigned(m) << " (below 68)";
            e.panic();
        }
        mtu_ = m > kMaxMtu ? kMaxMtu : m;
    }
    buf_len_ = hdr_len_ + mtu_ + 18;

    t.attach_interrupts();
    rxq_.init(t, 0, kQueueWanted, what_, event_idx);
    txq_.init(t, 1, kQueueWanted, what_, event_idx);
    txq_.suppress_interrupts(true);
    rx_bufs_ = static_cast<uint8_t*>(dma_alloc(size_t(rxq_.size()) * buf_len_, 64));
    tx_bufs_ = static_cast<uint8_t*>(dma_alloc(size_t(txq_.size()) * buf_len_, 64));
    post_rx(rxq_.size());
    driver_ok(t);
    rxq_.kick();
}

void NetDriver::post_rx(uint16_t count) {
    for (uint16_t i = 0; i < count && rxq_.num_free() > 0; ++i) {
        uint16_t id = rxq_.next_head();
        Virtqueue::Buf b{phys_addr(rx_bufs_ + size_t(id) * buf_len_), uint32_t(buf_len_), true};
        rxq_.add(&b, 1);
    }
}

void NetDriver::reclaim_tx() {
    Virtqueue::Used u;
    while (txq_.pop(&u)) {
    }
}

uk_result NetDriver::write(const uk_frame* frames, size_t n, size_t* sent) {
    if (!sent || (n > 0 && !frames)) return UK_EINVAL;
    *sent = 0;
    const size_t max = size_t(mtu_) + 14 + 4;
    for (size_t i = 0; i < n; ++i)
        if (frames[i].len > max || (frames[i].len > 0 && !frames[i].data)) return UK_EINVAL;
    if (n == 0) return UK_OK;
    reclaim_tx();
    const size_t per_frame = tx_split_ ? 2 : 1;
    size_t done = 0;
    while (done < n && txq_.num_free() >= per_frame) {
        const uint16_t id = txq_.next_head();
        uint8_t* buf = tx_bufs_ + size_t(id) * buf_len_;
        __builtin_memset(buf, 0, hdr_len_);
        if (frames[done].len) __builtin_memcpy(buf + hdr_len_, frames[done].data, frames[done].len);
        const uint32_t flen = uint32_t(frames[done].len);
        if (tx_split_) {
            Virtqueue::Buf b[2] = {{phys_addr(buf), uint32_t(hdr_len_), false},
                                   {phys_addr(buf + hdr_len_), flen, false}};
            txq_.add(b, 2);
        } else {
            Virtqueue::Buf b{phys_addr(buf), uint32_t(hdr_len_ + flen), false};
            txq_.add(&b, 1);
        }
        ++done;
    }
    if (done == 0) return UK_AGAIN;
    txq_.kick();
    tx_frames += done;
    *sent = done;
    return UK_OK;
}

uk_result NetDriver::read(uk_frame* frames, size_t n, size_t* received) {
    if (!received || (n > 0 && !frames)) return UK_EINVAL;
    *received = 0;
    size_t got = 0;
    uint16_t returned = 0;
    Virtqueue::Used u;
    while (got < n && rxq_.pop(&u)) {
        ++returned;
        if (u.len < hdr_len_) {
            Msg m;
            m << what_ << ": queue 0: device returned used length " << u.len << " for id " << unsigned(u.id)
              << ", shorter than the " << uint64_t(hdr_len_) << "-byte header";
            m.panic();
        }
        const uint8_t* buf = rx_bufs_ + size_t(u.id) * buf_len_;
        const size_t flen = u.len - hdr_len_;
        if (flen > frames[got].cap || !frames[got].data) {
            ++rx_dropped_oversize;
        } else {
            __builtin_memcpy(frames[got].data, buf + hdr_len_, flen);
            frames[got].len = flen;
            frames[got].flags = 0;
            ++got;
        }
        // The buffer goes straight back to the device (as the next free descriptor).
        post_rx(1);
    }
    if (returned) rxq_.kick();
    rx_frames += got;
    *received = got;
    return got ? UK_OK : UK_AGAIN;
}

}  // namespace unikit::virtio
