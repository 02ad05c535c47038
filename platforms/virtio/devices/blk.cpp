#include "platforms/virtio/devices/blk.h"

#include "platforms/virtio/devices/negotiate.h"
#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

void BlkDriver::init(Transport& t) {
    t_ = &t;
    Msg w;
    w << "virtio-blk at " << t.where();
    __builtin_memcpy(what_, w.c_str(), sizeof what_ - 1);

    features_ = negotiate(t, what_, 0, bit(kBlkFRo) | bit(kBlkFBlkSize) | bit(kBlkFSizeMax) | bit(kFEventIdx));
    read_only_ = features_ & bit(kBlkFRo);
    uint64_t sectors = 0;
    t.config_read(kBlkCfgCapacity, &sectors, 8);
    block_size_ = 512;
    if (features_ & bit(kBlkFBlkSize)) {
        uint32_t bs = 0;
        t.config_read(kBlkCfgBlkSize, &bs, 4);
        if (bs < 512 || bs > 65536 || (bs & (bs - 1))) {
            t.set_status(uint8_t(t.status() | kStatusFailed));
            Msg m;
            m << what_ << ": device reports block size " << bs << " (not a power of two in 512..65536)";
            m.panic();
        }
        block_size_ = bs;
    }
    if (sectors > (UINT64_MAX >> 9)) sectors = UINT64_MAX >> 9;
    capacity_ = (sectors * 512) / block_size_ * block_size_;
    max_request_ = kMaxRequest;
    if (features_ & bit(kBlkFSizeMax)) {
        uint32_t sm = 0;
        t.config_read(kBlkCfgSizeMax, &sm, 4);
        if (sm < max_request_) max_request_ = sm;
    }
    max_request_ = max_request_ / block_size_ * block_size_;
    if (max_request_ == 0) max_request_ = block_size_;  // a size_max below one block: one block

    t.attach_interrupts();
    q_.init(t, 0, kQueueWanted, what_, features_ & bit(kFEventIdx));
    q_.suppress_interrupts(true);  // requests are synchronous: completions are polled
    slot_ = static_cast<Slot*>(dma_alloc(sizeof(Slot), 16));
    driver_ok(t);
}

uk_result BlkDriver::check(uint64_t offset, const void* buf, size_t len) const {
    if (len > 0 && !buf) return UK_EINVAL;
    if (offset % block_size_ || len % block_size_) return UK_EINVAL;
    if (offset > capacity_ || len > capacity_ - offset) return UK_EINVAL;
    return UK_OK;
}

uk_result BlkDriver::request(uint32_t type, uint64_t offset, uint8_t* data, uint32_t len) {
    slot_->hdr.type = type;
    slot_->hdr.reserved = 0;
    slot_->hdr.sector = offset / 512;
    slot_->status = 0xff;  // a device that never writes the status has not succeeded
    Virtqueue::Buf b[3] = {{phys_addr(&slot_->hdr), sizeof(BlkReqHdr), false},
                           {phys_addr(data), len, type == kBlkTIn},
                           {phys_addr(&slot_->status), 1, true}};
    int head = q_.add(b, 3);
    if (head < 0) {
        Msg m;
        m << what_ << ": no free descriptors for a request";
        m.panic();
    }
    q_.kick();
    Virtqueue::Used u;
    while (!q_.pop(&u)) t_->relax();
    if (u.id != uint16_t(head)) {
        Msg m;
        m << what_ << ": queue 0: device completed id " << unsigned(u.id) << " while only " << head
          << " was in flight";
        m.panic();
    }
    barrier();
    volatile uint8_t* st = &slot_->status;
    return *st == kBlkSOk ? UK_OK : UK_EIO;
}

uk_result BlkDriver::transfer(uint32_t type, uint64_t offset, uint8_t* p, size_t len) {
    while (len) {
        uint32_t n = len < max_request_ ? uint32_t(len) : max_request_;
        if (uk_result r = request(type, offset, p, n); r != UK_OK) return r;
        p += n;
        offset += n;
        len -= n;
    }
    return UK_OK;
}

uk_result BlkDriver::read(uint64_t offset, void* buf, size_t len) {
    if (uk_result r = check(offset, buf, len); r != UK_OK) return r;
    return transfer(kBlkTIn, offset, static_cast<uint8_t*>(buf), len);
}

uk_result BlkDriver::write(uint64_t offset, const void* buf, size_t len) {
    if (uk_result r = check(offset, buf, len); r != UK_OK) return r;
    if (read_only_) return UK_EIO;
    // The device only reads the buffer of an OUT request.
    return transfer(kBlkTOut, offset, static_cast<uint8_t*>(const_cast<void*>(buf)), len);
}

}  // namespace unikit::virtio
