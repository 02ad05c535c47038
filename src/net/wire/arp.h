// unikit::net::wire - ARP (RFC 826) for Ethernet + IPv4, requests and replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

inline constexpr size_t kArpEthIpv4Len = 28;

enum class ArpOperation : uint16_t { Request = 1, Reply = 2 };

// A checked view of an ARP packet of any hardware/protocol type: check() validates that the
// fixed part and the four addresses (sized by hlen/plen) fit. Bytes past the packet (Ethernet
// padding) are ignored.
class ArpPacket {
public:
    static WireResult<ArpPacket> check(std::span<const uint8_t> bytes);

    uint16_t hardware_type() const { return be::get16(buf_.data()); }
    uint16_t protocol_type() const { return be::get16(buf_.data() + 2); }
    uint8_t hardware_len() const { return buf_[4]; }
    uint8_t protocol_len() const { return buf_[5]; }
    uint16_t operation() const { return be::get16(buf_.data() + 6); }
    std::span<const uint8_t> sender_hw() const { return buf_.subspan(8, hardware_len()); }
    std::span<const uint8_t> sender_proto() const { return buf_.subspan(8 + hardware_len(), protocol_len()); }
    std::span<const uint8_t> target_hw() const {
        return buf_.subspan(8 + hardware_len() + protocol_len(), hardware_len());
    }
    std::span<const uint8_t> target_proto() const {
        return buf_.subspan(8 + 2 * size_t(hardware_len()) + protocol_len(), protocol_len());
    }
    // The packet without trailing padding.
    std::span<const uint8_t> bytes() const { return buf_; }

private:
    explicit ArpPacket(std::span<const uint8_t> b) : buf_(b) {}
    std::span<const uint8_t> buf_;
};

// An Ethernet/IPv4 ARP request or reply.
struct ArpRepr {
    ArpOperation operation = ArpOperation::Request;
    MacAddr source_hw;
    Ipv4Addr source_ip;
    MacAddr target_hw;  // zero in requests
    Ipv4Addr target_ip;

    // Unsupported: not Ethernet (1) / IPv4 (0x0800) with lengths 6/4, or an operation other
    // than request/reply (RARP, InARP, ...).
    static WireResult<ArpRepr> parse(const ArpPacket& packet);
    static constexpr size_t len() { return kArpEthIpv4Len; }
    // Writes the 28-byte packet. BufferTooSmall when out is shorter; Malformed for an
    // operation other than request/reply.
    WireResult<size_t> emit(std::span<uint8_t> out) const;

    friend bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace unikit::net::wire
