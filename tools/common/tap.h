// Attaching a TAP interface from a host program (the spt tender, the hvt monitor): open
// /dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI, non-blocking and close-on-exec. Errors are
// one phrase saying what to do (devargs::tap_error), without a "device 'NAME': " prefix.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace unikit::tap {

// A descriptor attached to TAP interface `ifname`, or why not.
std::expected<int, std::string> open(const std::string& ifname);

// The interface's MTU (SIOCGIFMTU), or 1500 when it cannot be read or is outside [68, 65535].
uint16_t mtu(const std::string& ifname);

}  // namespace unikit::tap
