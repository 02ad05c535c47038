// unikit::net::wire - the Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Vocabulary:
//   a *sum* (uint32_t) is a partial one's-complement sum of big-endian 16-bit words, not yet
//   folded to 16 bits; sums combine with combine() in any order, provided every piece but the
//   last has even length (an odd piece ends with a zero pad byte);
//   fold(sum)   -> the 16-bit one's-complement sum;
//   finish(sum) -> the checksum to put on the wire: ~fold(sum).
// A received packet verifies when fold(sum over all covered bytes, checksum field included)
// == 0xffff, i.e. finish(...) == 0.
//
// Typical use (UDP/TCP over IPv4):
//   uint32_t s = pseudo_header_sum_v4(src, dst, IPPROTO, segment.size());
//   uint16_t ck = finish(sum_partial(segment, s));       // with the checksum field zeroed
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/wire/addr.h"

namespace unikit::net::wire {

// Adds two partial sums with end-around carry.
constexpr uint32_t combine(uint32_t a, uint32_t b) {
    uint64_t s = uint64_t(a) + b;
    s = (s & 0xffffffffu) + (s >> 32);
    return uint32_t(s);
}

// Folds a partial sum to 16 bits (the one's-complement sum, not complemented).
constexpr uint16_t fold(uint32_t sum) {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}

// The checksum to store: the complement of the folded sum.
constexpr uint16_t finish(uint32_t sum) { return uint16_t(~fold(sum)); }

// Partial sum of data (big-endian 16-bit words; an odd last byte is padded with zero), added to
// `initial`. Processes 8 bytes per step.
uint32_t sum_partial(std::span<const uint8_t> data, uint32_t initial = 0);

// The checksum of data: finish(sum_partial(data)). Over a header whose checksum field holds
// the right value, this returns 0.
uint16_t checksum(std::span<const uint8_t> data);

// Partial sum of the IPv4 pseudo-header for TCP/UDP (RFC 793/768): source, destination,
// zero, protocol, and the transport length (header + payload).
constexpr uint32_t pseudo_header_sum_v4(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol, uint16_t length) {
    uint32_t s = 0;
    s += uint32_t(src.octets[0]) << 8 | src.octets[1];
    s += uint32_t(src.octets[2]) << 8 | src.octets[3];
    s += uint32_t(dst.octets[0]) << 8 | dst.octets[1];
    s += uint32_t(dst.octets[2]) << 8 | dst.octets[3];
    s += protocol;
    s += length;
    return s;
}

// RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
// old_word to new_word: HC' = ~(~HC + ~m + m').
constexpr uint16_t checksum_update16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word) {
    uint32_t s = uint32_t(uint16_t(~old_checksum)) + uint16_t(~old_word) + new_word;
    return finish(s);
}

// The same for a 32-bit field at an even offset (e.g. an IPv4 address rewritten by NAT).
constexpr uint16_t checksum_update32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value) {
    uint32_t s = uint32_t(uint16_t(~old_checksum));
    s += uint16_t(~uint16_t(old_value >> 16));
    s += uint16_t(~uint16_t(old_value));
    s += uint16_t(new_value >> 16);
    s += uint16_t(new_value);
    return finish(s);
}

}  // namespace unikit::net::wire
