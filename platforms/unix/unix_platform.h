// The unix backend's own interface (not part of the platform ABI): how the start code (and the
// tests) attach host resources as devices before uk_main() runs. The ABI functions themselves
// (include/unikit/platform.h) are implemented in platform.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <unikit/platform.h>

namespace unikit::unix_platform {

using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kMtu = 1500;
inline constexpr uint32_t kBlockSize = 512;
// Largest frame uk_net_write accepts: MTU + Ethernet header + one VLAN tag.
inline constexpr size_t kMaxFrame = kMtu + 14 + 4;

// A stable, locally administered, unicast MAC derived from the device and interface names
// (same names, same MAC, run after run).
Mac default_mac(std::string_view device, std::string_view ifname);

// Open the TAP interface `ifname` (created if it does not exist; root or CAP_NET_ADMIN) as the
// network device `name`. Errors: one phrase ("cannot open /dev/net/tun: Permission denied").
std::expected<uk_handle, std::string> attach_tap(const std::string& name, const std::string& ifname,
                                                 std::optional<Mac> mac);

// Attach an already open descriptor that carries one Ethernet frame per read/write (a TAP fd, a
// datagram or seqpacket socket) as the network device `name`. Takes ownership of fd and makes it
// non-blocking. Used by attach_tap and by tests.
std::expected<uk_handle, std::string> attach_net_fd(const std::string& name, int fd, Mac mac);

// Open the regular file `path` read-write (read-only if it cannot be written: writes then fail
// with UK_EIO) as the block device `name`; capacity = file size rounded down to kBlockSize.
std::expected<uk_handle, std::string> attach_block(const std::string& name, const std::string& path);

// Close every device (tests).
void detach_all();

}  // namespace unikit::unix_platform
