// Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
// secret), with M a 4-microsecond clock and F a keyed hash (SipHash-2-4). The secret and the
// time are supplied by the caller; nothing here reads a clock or draws randomness.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace unikit::net::tcp {

using IsnSecret = std::array<uint8_t, 16>;

// SipHash-2-4 of `data` under a 128-bit key.
uint64_t siphash24(const IsnSecret& key, std::span<const uint8_t> data);

// RFC 6528 ISN for a connection. Addresses are in network byte order as 4 raw bytes.
uint32_t make_isn(const IsnSecret& secret, std::span<const uint8_t, 4> local_ip, uint16_t local_port,
                  std::span<const uint8_t, 4> remote_ip, uint16_t remote_port, uint64_t now_ns);

}  // namespace unikit::net::tcp
