// unikit::net::wire - UDP (RFC 768) over IPv4.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

inline constexpr size_t kUdpHeaderLen = 8;

// A checked view of a UDP datagram (the IPv4 payload): >= 8 bytes and 8 <= length field <=
// buffer; the view is trimmed to the length field.
class UdpPacket {
public:
    // Truncated: shorter than 8 bytes or than the length field. Malformed: length field < 8.
    static WireResult<UdpPacket> check(std::span<const uint8_t> bytes);

    uint16_t src_port() const { return be::get16(buf_.data()); }
    uint16_t dst_port() const { return be::get16(buf_.data() + 2); }
    uint16_t length() const { return be::get16(buf_.data() + 4); }
    uint16_t checksum_field() const { return be::get16(buf_.data() + 6); }
    std::span<const uint8_t> payload() const { return buf_.subspan(kUdpHeaderLen); }
    std::span<const uint8_t> bytes() const { return buf_; }
    // True when the checksum verifies over the pseudo-header, or is 0 (none sent).
    bool verify_checksum(Ipv4Addr src, Ipv4Addr dst) const;

private:
    explicit UdpPacket(std::span<const uint8_t> b) : buf_(b) {}
    std::span<const uint8_t> buf_;
};

struct UdpRepr {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;

    // BadChecksum: verify_checksum, a nonzero checksum, and it does not verify.
    static WireResult<UdpRepr> parse(const UdpPacket& packet, Ipv4Addr src, Ipv4Addr dst,
                                     bool verify_checksum = true);
    static constexpr size_t header_len() { return kUdpHeaderLen; }
    // Writes header + payload (copied unless already in place at out[8..]) and the checksum
    // over the IPv4 pseudo-header (a computed 0 is sent as 0xffff; with_checksum=false sends
    // 0, "none"). Returns 8 + payload size. Malformed: the datagram would exceed 65535 bytes.
    WireResult<size_t> emit(std::span<uint8_t> out, std::span<const uint8_t> payload, Ipv4Addr src,
                            Ipv4Addr dst, bool with_checksum = true) const;

    friend bool operator==(const UdpRepr&, const UdpRepr&) = default;
};

}  // namespace unikit::net::wire
