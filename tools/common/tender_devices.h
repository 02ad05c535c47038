// The host side of an image's devices, for the spt tender and the hvt monitor: a network device
// is a TAP interface (tap:IFNAME) or a frame socket inherited from `unikit run` (user,fd=N); a
// block device is a regular file, seen as whole 512-byte blocks. Errors are one phrase without
// the "device 'NAME': " prefix, e.g. "'/tmp/x' is smaller than one block (512 bytes)".
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "common/devargs.h"

namespace unikit::tender_devices {

inline constexpr uint32_t kBlockSize = 512;

struct Opened {
    int fd = -1;
    // net
    uint16_t mtu = 0;
    std::array<uint8_t, 6> mac{};
    bool vnet_hdr = false;  // a TAP opened with offload (tap::open): a virtio_net_hdr before each frame
    // block
    uint32_t block_size = 0;
    uint64_t capacity = 0;  // bytes, a multiple of block_size
};

// Opens the attachment for manifest device `want` (the one in `attached` with its name, as
// devargs::match leaves them). Without a mac= option the MAC is `random_mac` made unicast and
// locally administered. `target` names the program's target in the refusal "only tap: and user
// network devices are supported by spt".
// `tap_offload` (the spt tender): TAP devices are opened with receive offload (tap::open).
std::expected<Opened, std::string> open(const ManifestDevice& want, std::span<const devargs::Attachment> attached,
                                        std::span<const uint8_t, 6> random_mac, std::string_view target,
                                        bool tap_offload = false);

}  // namespace unikit::tender_devices
