// A virtio device simulated in memory for the hosted driver tests: it implements the Transport
// the drivers talk through and processes the split rings per the Virtio 1.2 specification
// (reading the available ring, walking descriptor chains, writing used entries), as a device
// would. Net: frames the driver transmits are collected by process_tx(); inject_rx() delivers
// a frame into the next receive buffer. Blk: requests are served from an in-memory disk at once
// on notify. Tests can also write raw (lying) used entries.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

#include "platforms/virtio/devices/transport.h"
#include "platforms/virtio/devices/virtio_spec.h"

namespace unikit::virtio::test {

class FakeDevice : public Transport {
public:
    struct Queue {
        uint16_t max = 256;
        uint16_t size = 0;
        VirtqDesc* desc = nullptr;
        volatile uint16_t* avail = nullptr;  // flags, idx, ring[]
        volatile uint16_t* used = nullptr;   // flags, idx, then elems at +4 bytes
        uint16_t last_avail = 0;
        uint64_t notifies = 0;
        uint64_t interrupts = 0;  // interrupts the device would have raised
        bool enabled = false;
    };
    struct Seg {
        uint8_t* p;
        uint32_t len;
        bool write;
    };

    explicit FakeDevice(uint32_t type, std::string where = "fake 0") : type_(type), where_(std::move(where)) {
        queues_[0];
        if (type == kDeviceNet) queues_[1];
    }

    // --- configuration of the fake
    uint64_t offered = bit(kFVersion1);
    bool is_legacy = false;
    bool accept_features = true;  // false: FEATURES_OK does not stick
    uint8_t config[64] = {};
    bool auto_blk = true;         // serve block requests on notify
    std::vector<uint8_t> disk;
    uint8_t blk_status = kBlkSOk; // status for the next requests
    bool no_notify = false;       // set VIRTQ_USED_F_NO_NOTIFY

    // --- what the driver did
    std::vector<uint8_t> status_log;
    uint64_t driver_features = 0;
    uint8_t status_ = 0;
    bool interrupts_attached = false;
    std::vector<std::vector<uint8_t>> tx;  // frames (without the net header)
    std::vector<std::vector<uint8_t>> tx_headers;
    std::vector<BlkReqHdr> blk_requests;

    Queue& queue(uint16_t q) { return queues_.at(q); }

    // --- Transport
    const char* where() const override { return where_.c_str(); }
    bool legacy() const override { return is_legacy; }
    void reset() override {
        status_ = 0;
        status_log.push_back(0);
        for (auto& [i, q] : queues_) q = Queue{q.max};
    }
    uint8_t status() override { return status_; }
    void set_status(uint8_t s) override {
        if ((s & kStatusFeaturesOk) && !accept_features) s &= uint8_t(~kStatusFeaturesOk);
        status_ = s;
        status_log.push_back(s);
    }
    uint64_t device_features() override { return is_legacy ? offered & 0xffffffffu : offered; }
    void set_driver_features(uint64_t f) override { driver_features = f; }
    uint16_t queue_max(uint16_t q) override {
        auto it = queues_.find(q);
        return it == queues_.end() || it->second.enabled ? 0 : it->second.max;
    }
    bool queue_setup(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used) override {
        auto& Q = queues_.at(q);
        if (size == 0 || size > Q.max) return false;
        if (is_legacy && (desc % 4096 || used % 4096)) return false;
        Q.size = size;
        Q.desc = reinterpret_cast<VirtqDesc*>(desc);
        Q.avail = reinterpret_cast<volatile uint16_t*>(avail);
        Q.used = reinterpret_cast<volatile uint16_t*>(used);
        Q.enabled = true;
        if (no_notify) Q.used[0] = kUsedFNoNotify;
        return true;
    }
    void notify(uint16_t q) override {
        auto& Q = queues_.at(q);
        ++Q.notifies;
        if (type_ == kDeviceBlock && auto_blk) serve_blk();
    }
    void config_read(size_t off, void* dst, size_t len) override { std::memcpy(dst, config + off, len); }
    void attach_interrupts() override { interrupts_attached = true; }

    // --- ring processing, as a device does it
    // Takes the next available chain of queue q: its head and segments. False when none.
    bool take(uint16_t q, uint16_t* head, std::vector<Seg>* segs) {
        auto& Q = queues_.at(q);
        uint16_t idx = Q.avail[1];
        if (idx == Q.last_avail) return false;
        *head = Q.avail[2 + (Q.last_avail % Q.size)];
        ++Q.last_avail;
        // As a device that wants to hear about every new entry (VIRTIO_F_EVENT_IDX).
        if (driver_features & bit(kFEventIdx)) set_avail_event(q, Q.last_avail);
        segs->clear();
        uint16_t d = *head;
        for (unsigned n = 0; n <= Q.size; ++n) {
            const VirtqDesc& x = Q.desc[d];
            segs->push_back({reinterpret_cast<uint8_t*>(x.addr), x.len, (x.flags & kDescFWrite) != 0});
            if (!(x.flags & kDescFNext)) return true;
            d = x.next;
        }
        throw std::runtime_error("descriptor loop");
    }
    uint16_t available(uint16_t q) {
        auto& Q = queues_.at(q);
        return uint16_t(Q.avail[1] - Q.last_avail);
    }
    void push_used(uint16_t q, uint32_t id, uint32_t len) {
        auto& Q = queues_.at(q);
        uint16_t idx = Q.used[1];
        auto* elems = reinterpret_cast<volatile VirtqUsedElem*>(reinterpret_cast<volatile uint8_t*>(Q.used) + 4);
        elems[idx % Q.size].id = id;
        elems[idx % Q.size].len = len;
        Q.used[1] = uint16_t(idx + 1);
        // Would a device interrupt now? (2.7.7.2 / 2.7.10)
        bool irq;
        if (driver_features & bit(kFEventIdx)) {
            uint16_t used_event = Q.avail[2 + Q.size];
            irq = uint16_t(uint16_t(idx + 1) - used_event - 1) < 1;
        } else {
            irq = !(Q.avail[0] & kAvailFNoInterrupt);
        }
        if (irq) ++Q.interrupts;
    }
    // VIRTIO_F_EVENT_IDX: "notify me when you publish avail index v".
    void set_avail_event(uint16_t q, uint16_t v) {
        auto& Q = queues_.at(q);
        reinterpret_cast<volatile uint16_t*>(reinterpret_cast<volatile uint8_t*>(Q.used) + 4 + 8 * Q.size)[0] = v;
    }
    void set_used_idx(uint16_t q, uint16_t idx) { queues_.at(q).used[1] = idx; }

    size_t net_hdr_len() const { return is_legacy ? 10 : 12; }

    // Net: consume every available transmit chain (up to max), recording the frames.
    size_t process_tx(size_t max = SIZE_MAX) {
        size_t n = 0;
        uint16_t head;
        std::vector<Seg> segs;
        while (n < max && take(1, &head, &segs)) {
            std::vector<uint8_t> bytes;
            for (auto& s : segs) {
                if (s.write) throw std::runtime_error("device-writable descriptor in a TX chain");
                bytes.insert(bytes.end(), s.p, s.p + s.len);
            }
            if (bytes.size() < net_hdr_len()) throw std::runtime_error("TX chain shorter than the header");
            tx_headers.emplace_back(bytes.begin(), bytes.begin() + net_hdr_len());
            tx.emplace_back(bytes.begin() + net_hdr_len(), bytes.end());
            push_used(1, head, 0);
            ++n;
        }
        return n;
    }
    // Net: write one frame into the next receive buffer. False when the driver gave none.
    bool inject_rx(const std::vector<uint8_t>& frame) {
        uint16_t head;
        std::vector<Seg> segs;
        if (!take(0, &head, &segs)) return false;
        std::vector<uint8_t> bytes(net_hdr_len(), 0);
        bytes.insert(bytes.end(), frame.begin(), frame.end());
        size_t off = 0;
        for (auto& s : segs) {
            if (!s.write) throw std::runtime_error("device-readable descriptor in an RX chain");
            size_t k = std::min<size_t>(s.len, bytes.size() - off);
            std::memcpy(s.p, bytes.data() + off, k);
            off += k;
        }
        if (off < bytes.size()) throw std::runtime_error("RX buffer too small for the frame");
        push_used(0, head, uint32_t(bytes.size()));
        return true;
    }

    // Blk: serve every available request from the disk.
    void serve_blk() {
        uint16_t head;
        std::vector<Seg> segs;
        while (take(0, &head, &segs)) {
            if (segs.size() < 3 || segs[0].write || segs[0].len != sizeof(BlkReqHdr) || !segs.back().write ||
                segs.back().len != 1)
                throw std::runtime_error("malformed block request chain");
            BlkReqHdr h;
            std::memcpy(&h, segs[0].p, sizeof h);
            blk_requests.push_back(h);
            uint32_t written = 1;
            uint64_t off = h.sector * 512;
            uint8_t st = blk_status;
            for (size_t i = 1; i + 1 < segs.size(); ++i) {
                auto& s = segs[i];
                if (off + s.len > disk.size()) {
                    st = kBlkSIoErr;
                    break;
                }
                if (h.type == kBlkTIn) {
                    if (!s.write) throw std::runtime_error("read request with a readable data buffer");
                    if (st == kBlkSOk) std::memcpy(s.p, disk.data() + off, s.len);
                    written += s.len;
                } else if (h.type == kBlkTOut) {
                    if (s.write) throw std::runtime_error("write request with a writable data buffer");
                    if (st == kBlkSOk) std::memcpy(disk.data() + off, s.p, s.len);
                }
                off += s.len;
            }
            *segs.back().p = st;
            push_used(0, head, written);
        }
    }

private:
    uint32_t type_;
    std::string where_;
    std::map<uint16_t, Queue> queues_;
};

}  // namespace unikit::virtio::test
