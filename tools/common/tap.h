// Attaching a TAP interface from a host program (the spt tender, the hvt monitor): open
// /dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI, non-blocking and close-on-exec. Errors are
// one phrase saying what to do (devargs::tap_error), without a "device 'NAME': " prefix.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace unikit::tap {

// A descriptor attached to TAP interface `ifname`, or why not. With `offload` (the spt tender),
// the TAP is opened with IFF_VNET_HDR, a 12-byte struct virtio_net_hdr_v1 before every frame
// (TUNSETVNETHDRSZ), and TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6: the host may then
// hand over GSO frames up to 64 KiB with a partial checksum. The hvt monitor and unix keep
// plain frames.
std::expected<int, std::string> open(const std::string& ifname, bool offload = false);

// The size of the header before each frame on a descriptor opened with offload.
inline constexpr int kVnetHdrLen = 12;

// The interface's MTU (SIOCGIFMTU), or 1500 when it cannot be read or is outside [68, 65535].
uint16_t mtu(const std::string& ifname);

}  // namespace unikit::tap
