// unikit::net::wire - IPv4 headers (RFC 791).
//
// Options are skipped (exposed raw by the view, never emitted). The view trims the buffer to
// the header's total length, so link-layer padding (Ethernet's 60-byte minimum) never reaches
// the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

inline constexpr size_t kIpv4HeaderLen = 20;  // without options
inline constexpr size_t kIpv4MaxPacketLen = 65535;

// IP protocol numbers used by the stack.
enum class IpProtocol : uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

// A checked view of an IPv4 packet. check() validates: buffer >= 20 bytes, version 4,
// 5 <= IHL, IHL*4 <= total length <= buffer. Accessors cannot read out of bounds.
class Ipv4Packet {
public:
    // Truncated: the buffer ends before the header or before total length.
    // Malformed: IHL < 5 or total length < IHL*4. Unsupported: version is not 4.
    static WireResult<Ipv4Packet> check(std::span<const uint8_t> bytes);

    uint8_t version() const { return buf_[0] >> 4; }
    size_t header_len() const { return size_t(buf_[0] & 0x0f) * 4; }
    uint8_t dscp_ecn() const { return buf_[1]; }  // the old TOS byte
    uint16_t total_len() const { return be::get16(buf_.data() + 2); }
    uint16_t ident() const { return be::get16(buf_.data() + 4); }
    bool dont_frag() const { return (buf_[6] & 0x40) != 0; }
    bool more_frags() const { return (buf_[6] & 0x20) != 0; }
    // Fragment offset in bytes (the field counts 8-byte units).
    uint16_t frag_offset() const { return uint16_t((be::get16(buf_.data() + 6) & 0x1fff) * 8); }
    bool is_fragment() const { return more_frags() || frag_offset() != 0; }
    uint8_t ttl() const { return buf_[8]; }
    uint8_t protocol() const { return buf_[9]; }
    uint16_t checksum_field() const { return be::get16(buf_.data() + 10); }
    Ipv4Addr src() const { return Ipv4Addr::from_bytes(buf_.data() + 12); }
    Ipv4Addr dst() const { return Ipv4Addr::from_bytes(buf_.data() + 16); }
    bool verify_checksum() const;

    std::span<const uint8_t> header() const { return buf_.first(header_len()); }
    std::span<const uint8_t> options() const { return buf_.subspan(kIpv4HeaderLen, header_len() - kIpv4HeaderLen); }
    // header_len() .. total_len(): trailing bytes of the buffer (padding) are excluded.
    std::span<const uint8_t> payload() const { return buf_.subspan(header_len()); }
    // The packet, total_len() bytes.
    std::span<const uint8_t> bytes() const { return buf_; }

private:
    explicit Ipv4Packet(std::span<const uint8_t> b) : buf_(b) {}
    std::span<const uint8_t> buf_;  // trimmed to total_len()
};

// An IPv4 header without options. Fragmentation fields are kept so the stack can tell
// fragments apart (and drop or reassemble them).
struct Ipv4Repr {
    Ipv4Addr src;
    Ipv4Addr dst;
    uint8_t protocol = 0;
    uint8_t ttl = 64;
    uint8_t dscp_ecn = 0;
    uint16_t payload_len = 0;  // emit: at most 65535 - 20
    uint16_t ident = 0;
    bool dont_frag = true;
    bool more_frags = false;
    uint16_t frag_offset = 0;  // bytes; a multiple of 8

    // BadChecksum when verify_checksum and the header checksum does not verify. payload_len
    // is total length minus header length (options are skipped).
    static WireResult<Ipv4Repr> parse(const Ipv4Packet& packet, bool verify_checksum = true);
    static constexpr size_t header_len() { return kIpv4HeaderLen; }
    size_t total_len() const { return kIpv4HeaderLen + payload_len; }
    // Writes the 20-byte header with its checksum into out; the payload (payload_len bytes)
    // goes after it, written by the caller. Malformed: payload too long or frag_offset not a
    // multiple of 8. BufferTooSmall: out shorter than 20 bytes.
    WireResult<size_t> emit(std::span<uint8_t> out) const;

    friend bool operator==(const Ipv4Repr&, const Ipv4Repr&) = default;
};

}  // namespace unikit::net::wire
