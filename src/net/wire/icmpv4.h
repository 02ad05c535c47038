// unikit::net::wire - ICMPv4 (RFC 792): echo request/reply, destination unreachable, time
// exceeded. Other types parse as Unsupported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

inline constexpr size_t kIcmpv4HeaderLen = 8;

enum class Icmpv4Type : uint8_t {
    EchoReply = 0,
    DestUnreachable = 3,
    EchoRequest = 8,
    TimeExceeded = 11,
};

// Destination unreachable codes used by the stack.
namespace icmpv4_code {
inline constexpr uint8_t kNetUnreachable = 0;
inline constexpr uint8_t kHostUnreachable = 1;
inline constexpr uint8_t kProtoUnreachable = 2;
inline constexpr uint8_t kPortUnreachable = 3;
inline constexpr uint8_t kFragNeeded = 4;  // carries the next-hop MTU (RFC 1191)
inline constexpr uint8_t kTtlExceeded = 0;       // time exceeded in transit
inline constexpr uint8_t kReassemblyExceeded = 1;
}  // namespace icmpv4_code

// A checked view of an ICMPv4 message (the whole IPv4 payload): at least 8 bytes.
class Icmpv4Packet {
public:
    static WireResult<Icmpv4Packet> check(std::span<const uint8_t> bytes);

    uint8_t type() const { return buf_[0]; }
    uint8_t code() const { return buf_[1]; }
    uint16_t checksum_field() const { return be::get16(buf_.data() + 2); }
    // Bytes 4..8, whose meaning depends on the type.
    uint16_t echo_ident() const { return be::get16(buf_.data() + 4); }
    uint16_t echo_seq() const { return be::get16(buf_.data() + 6); }
    uint16_t next_hop_mtu() const { return be::get16(buf_.data() + 6); }
    std::span<const uint8_t> data() const { return buf_.subspan(kIcmpv4HeaderLen); }
    std::span<const uint8_t> bytes() const { return buf_; }
    bool verify_checksum() const;

private:
    explicit Icmpv4Packet(std::span<const uint8_t> b) : buf_(b) {}
    std::span<const uint8_t> buf_;
};

// The part of an offending datagram quoted by an ICMP error: its IPv4 header (whose total
// length describes the original datagram, not the quote) and at least 8 bytes after it.
struct Icmpv4Quote {
    Ipv4Addr src;
    Ipv4Addr dst;
    uint8_t protocol = 0;
    std::span<const uint8_t> transport;  // >= 8 bytes: the ports of UDP/TCP are in the first 4
};

// Validates quoted bytes: version 4, IHL >= 5, IHL*4 + 8 bytes present. Truncated or Malformed.
WireResult<Icmpv4Quote> parse_icmpv4_quote(std::span<const uint8_t> quoted);

// What to quote of a received IPv4 datagram in an error about it: its header and the first 8
// bytes of its payload (fewer if it has fewer). `ip_packet` must be a checked packet's bytes().
std::span<const uint8_t> icmpv4_quote_of(std::span<const uint8_t> ip_packet);

struct Icmpv4Repr {
    Icmpv4Type type = Icmpv4Type::EchoRequest;
    uint8_t code = 0;
    uint16_t echo_ident = 0;    // echo request/reply
    uint16_t echo_seq = 0;      // echo request/reply
    uint16_t next_hop_mtu = 0;  // destination unreachable, code kFragNeeded; 0 otherwise
    // Echo: the payload, echoed verbatim. Errors: the quoted datagram (see Icmpv4Quote).
    // After parse it views into the parsed buffer.
    std::span<const uint8_t> data;

    // Unsupported: another type. BadChecksum: verify_checksum and the checksum fails.
    // Malformed: an error message whose quote is not an IPv4 header + 8 bytes.
    static WireResult<Icmpv4Repr> parse(const Icmpv4Packet& packet, bool verify_checksum = true);
    size_t len() const { return kIcmpv4HeaderLen + data.size(); }
    // Writes the message (header, data copied unless already in place at out[8..]) with its
    // checksum. Malformed: invalid type, error without a valid quote, or too long for IPv4.
    WireResult<size_t> emit(std::span<uint8_t> out) const;

    // The reply to an echo request (same ident, seq, data).
    static Icmpv4Repr echo_reply(const Icmpv4Repr& request) {
        Icmpv4Repr r = request;
        r.type = Icmpv4Type::EchoReply;
        r.code = 0;
        return r;
    }

    // Field-wise, data compared by content.
    friend bool operator==(const Icmpv4Repr& a, const Icmpv4Repr& b);
};

}  // namespace unikit::net::wire
