// virtio-blk driver (Virtio 1.2 section 5.2): one request queue, synchronous requests
// (header, data, status: three descriptors), completion found by polling the used ring.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <unikit/platform.h>

#include "platforms/virtio/devices/transport.h"
#include "platforms/virtio/devices/virtqueue.h"

namespace unikit::virtio {

class BlkDriver {
public:
    static constexpr uint16_t kQueueWanted = 16;
    static constexpr uint32_t kMaxRequest = 256 * 1024;  // bytes per request (larger I/O is split)

    // Negotiates (VERSION_1 on modern transports; RO, BLK_SIZE, SIZE_MAX when offered), reads
    // the geometry, sets up the queue and sets DRIVER_OK.
    void init(Transport& t);

    uint64_t capacity() const { return capacity_; }  // bytes, a multiple of block_size()
    uint32_t block_size() const { return block_size_; }
    bool read_only() const { return read_only_; }
    uint64_t features() const { return features_; }

    uk_result read(uint64_t offset, void* buf, size_t len);
    uk_result write(uint64_t offset, const void* buf, size_t len);

    Virtqueue& queue() { return q_; }

private:
    uk_result check(uint64_t offset, const void* buf, size_t len) const;
    uk_result request(uint32_t type, uint64_t offset, uint8_t* data, uint32_t len);
    // A read or write split into requests of at most max_request_ bytes.
    uk_result transfer(uint32_t type, uint64_t offset, uint8_t* data, size_t len);

    Transport* t_ = nullptr;
    char what_[48] = {};
    uint64_t features_ = 0;
    uint64_t capacity_ = 0;
    uint32_t block_size_ = 512;
    uint32_t max_request_ = kMaxRequest;
    bool read_only_ = false;
    Virtqueue q_;
    struct Slot {
        BlkReqHdr hdr;
        uint8_t status;
    };
    Slot* slot_ = nullptr;  // dma memory for the header and the status byte
};

}  // namespace unikit::virtio
