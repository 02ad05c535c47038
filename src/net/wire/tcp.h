// TCP header (RFC 9293 §3.1) and options (RFC 9293, 7323, 2018): pure, zero-copy parse and emit.
//
// TcpPacket is a checked view over a segment's bytes: once check() has succeeded, every accessor
// is in bounds. TcpRepr is the parsed, validated meaning of a header (options decoded) that can
// be emitted back to bytes. No state, no allocation, no I/O; freestanding-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

// Errors (WireError, from common.h):
//   Truncated      fewer than 20 bytes, or the data offset points past the segment
//   Malformed      data offset < 5 words; an option whose length is < 2, runs past the options
//                  area, or is wrong for its kind; more than 4 SACK blocks; emit: options > 40 B
//   BadChecksum    the checksum over the IPv4 pseudo-header and the segment does not verify
//   BufferTooSmall emit: the output cannot hold header (+ payload)

// Control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR).
namespace tcp_flags {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;
inline constexpr uint8_t urg = 0x20;
inline constexpr uint8_t ece = 0x40;
inline constexpr uint8_t cwr = 0x80;
}  // namespace tcp_flags

inline constexpr std::size_t kTcpHeaderMin = 20;
inline constexpr std::size_t kTcpHeaderMax = 60;
inline constexpr std::size_t kTcpMaxSackBlocks = 4;

// Option kinds.
namespace tcp_opt {
inline constexpr uint8_t eol = 0;
inline constexpr uint8_t nop = 1;
inline constexpr uint8_t mss = 2;
inline constexpr uint8_t window_scale = 3;
inline constexpr uint8_t sack_permitted = 4;
inline constexpr uint8_t sack = 5;
inline constexpr uint8_t timestamps = 8;
}  // namespace tcp_opt

struct TcpSackBlock {
    uint32_t left = 0;   // first sequence number of the block
    uint32_t right = 0;  // sequence number just past the block
    friend constexpr bool operator==(const TcpSackBlock&, const TcpSackBlock&) = default;
};

struct TcpTimestamps {
    uint32_t value = 0;  // TSval
    uint32_t echo = 0;   // TSecr
    friend constexpr bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

// Decoded options. Unknown options are skipped on parse and never emitted.
struct TcpOptions {
    std::optional<uint16_t> mss;
    std::optional<uint8_t> window_scale;  // shift count as received (callers clamp to 14)
    bool sack_permitted = false;
    uint8_t sack_count = 0;  // valid entries in sack[]
    std::array<TcpSackBlock, kTcpMaxSackBlocks> sack{};
    std::optional<TcpTimestamps> timestamps;

    std::span<const TcpSackBlock> sack_blocks() const { return {sack.data(), sack_count}; }
    // Bytes these options take when emitted, padded to a multiple of 4.
    std::size_t emitted_len() const;
    friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

// Parse an options area (the bytes between the fixed header and the data offset).
WireResult<TcpOptions> parse_tcp_options(std::span<const uint8_t> bytes);

// Zero-copy view over a TCP segment (header + payload).
class TcpPacket {
public:
    // Checks length and data offset: >= 20 bytes, 5 <= data offset words, header within bytes.
    static WireResult<TcpPacket> check(std::span<const uint8_t> bytes);

    uint16_t src_port() const { return be16(0); }
    uint16_t dst_port() const { return be16(2); }
    uint32_t seq() const { return be32(4); }
    uint32_t ack() const { return be32(8); }
    std::size_t header_len() const { return std::size_t(b_[12] >> 4) * 4; }
    uint8_t flags() const { return b_[13]; }
    uint16_t window() const { return be16(14); }
    uint16_t checksum() const { return be16(16); }
    uint16_t urgent() const { return be16(18); }
    std::span<const uint8_t> options_bytes() const {
        return b_.subspan(kTcpHeaderMin, header_len() - kTcpHeaderMin);
    }
    std::span<const uint8_t> payload() const { return b_.subspan(header_len()); }
    std::span<const uint8_t> bytes() const { return b_; }

    // True when the checksum over the IPv4 pseudo-header (src, dst, proto 6, length) and the
    // whole segment verifies.
    bool verify_checksum(Ipv4Addr src, Ipv4Addr dst) const;

private:
    explicit TcpPacket(std::span<const uint8_t> b) : b_(b) {}
    uint16_t be16(std::size_t o) const { return uint16_t(uint16_t(b_[o]) << 8 | b_[o + 1]); }
    uint32_t be32(std::size_t o) const {
        return uint32_t(b_[o]) << 24 | uint32_t(b_[o + 1]) << 16 | uint32_t(b_[o + 2]) << 8 |
               uint32_t(b_[o + 3]);
    }
    std::span<const uint8_t> b_;
};

// The meaning of a TCP header. Payload is carried beside it, not inside it.
struct TcpRepr {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;
    uint16_t window = 0;
    uint16_t urgent = 0;
    TcpOptions options;

    bool has(uint8_t f) const { return (flags & f) != 0; }
    std::size_t header_len() const { return kTcpHeaderMin + options.emitted_len(); }

    // Decode a checked packet's header (options included).
    static WireResult<TcpRepr> parse(const TcpPacket& p);

    // Write the header (checksum field zero) into out[0, header_len()). Returns header_len().
    WireResult<std::size_t> emit_header(std::span<uint8_t> out) const;

    // Write header + payload into out, compute the checksum with the IPv4 pseudo-header, and
    // return the segment length.
    WireResult<std::size_t> emit(std::span<uint8_t> out, std::span<const uint8_t> payload,
                                              Ipv4Addr src, Ipv4Addr dst) const;
    friend bool operator==(const TcpRepr&, const TcpRepr&) = default;
};

// Compute and store the checksum of a complete segment in place (header already emitted).
void fill_tcp_checksum(std::span<uint8_t> segment, Ipv4Addr src, Ipv4Addr dst);

// check + verify checksum + parse, in one call. payload_out (optional) receives the payload.
// verify_checksum false: the device vouched for it (receive offload); it is not looked at.
WireResult<TcpRepr> parse_tcp(std::span<const uint8_t> bytes, Ipv4Addr src, Ipv4Addr dst,
                                           std::span<const uint8_t>* payload_out = nullptr,
                                           bool verify_checksum = true);

}  // namespace unikit::net::wire
