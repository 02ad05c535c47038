// Constants and layouts from the OASIS Virtio 1.2 specification that the drivers use
// (written from the specification text; section numbers in the comments).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace unikit::virtio {

// 2.1 Device status field.
constexpr uint8_t kStatusAcknowledge = 1;
constexpr uint8_t kStatusDriver = 2;
constexpr uint8_t kStatusDriverOk = 4;
constexpr uint8_t kStatusFeaturesOk = 8;
constexpr uint8_t kStatusNeedsReset = 64;
constexpr uint8_t kStatusFailed = 128;

// 6 Reserved feature bits.
constexpr unsigned kFIndirectDesc = 28;
constexpr unsigned kFEventIdx = 29;
constexpr unsigned kFVersion1 = 32;
constexpr unsigned kFAccessPlatform = 33;
constexpr unsigned kFRingPacked = 34;

// 5.1.3 virtio-net feature bits.
constexpr unsigned kNetFCsum = 0;
constexpr unsigned kNetFMtu = 3;
constexpr unsigned kNetFMac = 5;
constexpr unsigned kNetFMrgRxbuf = 15;
constexpr unsigned kNetFStatus = 16;

// 5.2.3 virtio-blk feature bits.
constexpr unsigned kBlkFSizeMax = 1;
constexpr unsigned kBlkFSegMax = 2;
constexpr unsigned kBlkFRo = 5;
constexpr unsigned kBlkFBlkSize = 6;
constexpr unsigned kBlkFFlush = 9;

constexpr uint64_t bit(unsigned b) { return uint64_t(1) << b; }

// 5 Device types.
constexpr uint32_t kDeviceNet = 1;
constexpr uint32_t kDeviceBlock = 2;

// 2.7.5 The virtqueue descriptor table.
struct VirtqDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);
constexpr uint16_t kDescFNext = 1;
constexpr uint16_t kDescFWrite = 2;
constexpr uint16_t kDescFIndirect = 4;

// 2.7.6 The available ring: flags, idx, ring[size], used_event.
constexpr uint16_t kAvailFNoInterrupt = 1;
// 2.7.8 The used ring: flags, idx, ring[size] of {id, len}, avail_event.
struct VirtqUsedElem {
    uint32_t id;
    uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8);
constexpr uint16_t kUsedFNoNotify = 1;

// 5.1.6 virtio_net_hdr (12 bytes with VIRTIO_F_VERSION_1 or MRG_RXBUF, 10 before).
struct NetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
static_assert(sizeof(NetHdr) == 12);

// 5.1.4 virtio-net config layout (offsets).
constexpr size_t kNetCfgMac = 0;
constexpr size_t kNetCfgStatus = 6;
constexpr size_t kNetCfgMtu = 10;

// 5.2.4 virtio-blk config layout (offsets).
constexpr size_t kBlkCfgCapacity = 0;
constexpr size_t kBlkCfgSizeMax = 8;
constexpr size_t kBlkCfgSegMax = 12;
constexpr size_t kBlkCfgBlkSize = 20;

// 5.2.6 virtio-blk requests.
struct BlkReqHdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
static_assert(sizeof(BlkReqHdr) == 16);
constexpr uint32_t kBlkTIn = 0;
constexpr uint32_t kBlkTOut = 1;
constexpr uint8_t kBlkSOk = 0;
constexpr uint8_t kBlkSIoErr = 1;
constexpr uint8_t kBlkSUnsupp = 2;

}  // namespace unikit::virtio
