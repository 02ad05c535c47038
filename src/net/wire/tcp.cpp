#include "net/wire/tcp.h"

#include <algorithm>

#include "net/wire/checksum.h"

namespace unikit::net::wire {

namespace {

constexpr uint8_t kProtoTcp = 6;

void put16(std::span<uint8_t> b, std::size_t o, uint16_t v) {
    b[o] = uint8_t(v >> 8);
    b[o + 1] = uint8_t(v);
}
void put32(std::span<uint8_t> b, std::size_t o, uint32_t v) {
    b[o] = uint8_t(v >> 24);
    b[o + 1] = uint8_t(v >> 16);
    b[o + 2] = uint8_t(v >> 8);
    b[o + 3] = uint8_t(v);
}
uint16_t get16(std::span<const uint8_t> b, std::size_t o) { return uint16_t(uint16_t(b[o]) << 8 | b[o + 1]); }
uint32_t get32(std::span<const uint8_t> b, std::size_t o) {
    return uint32_t(b[o]) << 24 | uint32_t(b[o + 1]) << 16 | uint32_t(b[o + 2]) << 8 | uint32_t(b[o + 3]);
}

// One's-complement sum of the pseudo-header and the segment, folded to 16 bits (not inverted).
uint16_t segment_sum(std::span<const uint8_t> segment, Ipv4Addr src, Ipv4Addr dst) {
    uint32_t acc = pseudo_header_sum_v4(src, dst, kProtoTcp, uint16_t(segment.size()));
    return fold(sum_partial(segment, acc));
}

}  // namespace

std::size_t TcpOptions::emitted_len() const {
    std::size_t n = 0;
    if (mss) n += 4;
    if (window_scale) n += 3;
    if (sack_permitted) n += 2;
    if (timestamps) n += 10;
    if (sack_count) n += 2 + 8 * std::size_t(std::min<uint8_t>(sack_count, kTcpMaxSackBlocks));
    return (n + 3) & ~std::size_t(3);
}

WireResult<TcpOptions> parse_tcp_options(std::span<const uint8_t> b) {
    TcpOptions o;
    std::size_t i = 0;
    while (i < b.size()) {
        const uint8_t kind = b[i];
        if (kind == tcp_opt::eol) break;
        if (kind == tcp_opt::nop) {
            ++i;
            continue;
        }
        if (i + 1 >= b.size()) return wire_fail(WireError::Malformed);
        const uint8_t len = b[i + 1];
        if (len < 2 || i + len > b.size()) return wire_fail(WireError::Malformed);
        auto body = b.subspan(i + 2, len - 2u);
        switch (kind) {
            case tcp_opt::mss:
                if (len != 4) return wire_fail(WireError::Malformed);
                o.mss = get16(body, 0);
                break;
            case tcp_opt::window_scale:
                if (len != 3) return wire_fail(WireError::Malformed);
                o.window_scale = body[0];
                break;
            case tcp_opt::sack_permitted:
                if (len != 2) return wire_fail(WireError::Malformed);
                o.sack_permitted = true;
                break;
            case tcp_opt::sack: {
                if ((len - 2u) % 8 != 0 || len == 2) return wire_fail(WireError::Malformed);
                const std::size_t n = (len - 2u) / 8;
                if (n > kTcpMaxSackBlocks) return wire_fail(WireError::Malformed);
                o.sack = {};  // a repeated SACK option replaces the earlier one
                o.sack_count = uint8_t(n);
                for (std::size_t k = 0; k < n; ++k) o.sack[k] = {get32(body, 8 * k), get32(body, 8 * k + 4)};
                break;
            }
            case tcp_opt::timestamps:
                if (len != 10) return wire_fail(WireError::Malformed);
                o.timestamps = TcpTimestamps{get32(body, 0), get32(body, 4)};
                break;
            default:
                break;  // unknown: skipped by its length
        }
        i += len;
    }
    return o;
}

WireResult<TcpPacket> TcpPacket::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kTcpHeaderMin) return wire_fail(WireError::Truncated);
    const std::size_t hl = std::size_t(bytes[12] >> 4) * 4;
    if (hl < kTcpHeaderMin) return wire_fail(WireError::Malformed);
    if (hl > bytes.size()) return wire_fail(WireError::Truncated);
    return TcpPacket(bytes);
}

bool TcpPacket::verify_checksum(Ipv4Addr src, Ipv4Addr dst) const {
    if (b_.size() > 0xffff) return false;
    return segment_sum(b_, src, dst) == 0xffff;
}

WireResult<TcpRepr> TcpRepr::parse(const TcpPacket& p) {
    auto opts = parse_tcp_options(p.options_bytes());
    if (!opts) return std::unexpected(opts.error());
    TcpRepr r;
    r.src_port = p.src_port();
    r.dst_port = p.dst_port();
    r.seq = p.seq();
    r.ack = p.ack();
    r.flags = p.flags();
    r.window = p.window();
    r.urgent = p.urgent();
    r.options = *opts;
    return r;
}

WireResult<std::size_t> TcpRepr::emit_header(std::span<uint8_t> out) const {
    if (options.sack_count > kTcpMaxSackBlocks) return wire_fail(WireError::Malformed);
    const std::size_t hl = header_len();
    if (hl > kTcpHeaderMax) return wire_fail(WireError::Malformed);
    if (out.size() < hl) return wire_fail(WireError::BufferTooSmall);
    put16(out, 0, src_port);
    put16(out, 2, dst_port);
    put32(out, 4, seq);
    put32(out, 8, ack);
    out[12] = uint8_t((hl / 4) << 4);
    out[13] = flags;
    put16(out, 14, window);
    put16(out, 16, 0);
    put16(out, 18, urgent);
    std::size_t i = kTcpHeaderMin;
    if (options.mss) {
        out[i] = tcp_opt::mss;
        out[i + 1] = 4;
        put16(out, i + 2, *options.mss);
        i += 4;
    }
    if (options.sack_permitted) {
        out[i] = tcp_opt::sack_permitted;
        out[i + 1] = 2;
        i += 2;
    }
    if (options.timestamps) {
        out[i] = tcp_opt::timestamps;
        out[i + 1] = 10;
        put32(out, i + 2, options.timestamps->value);
        put32(out, i + 6, options.timestamps->echo);
        i += 10;
    }
    if (options.window_scale) {
        out[i] = tcp_opt::window_scale;
        out[i + 1] = 3;
        out[i + 2] = *options.window_scale;
        i += 3;
    }
    if (options.sack_count) {
        out[i] = tcp_opt::sack;
        out[i + 1] = uint8_t(2 + 8 * options.sack_count);
        i += 2;
        for (std::size_t k = 0; k < options.sack_count; ++k) {
            put32(out, i, options.sack[k].left);
            put32(out, i + 4, options.sack[k].right);
            i += 8;
        }
    }
    // Pad to the data offset with EOL (end of option list).
    while (i < hl) out[i++] = tcp_opt::eol;
    return hl;
}

void fill_tcp_checksum(std::span<uint8_t> segment, Ipv4Addr src, Ipv4Addr dst) {
    put16(segment, 16, 0);
    const uint16_t sum = segment_sum(segment, src, dst);
    put16(segment, 16, uint16_t(~sum));
}

WireResult<std::size_t> TcpRepr::emit(std::span<uint8_t> out, std::span<const uint8_t> payload,
                                                   Ipv4Addr src, Ipv4Addr dst) const {
    auto hl = emit_header(out);
    if (!hl) return hl;
    const std::size_t total = *hl + payload.size();
    if (out.size() < total || total > 0xffff) return wire_fail(WireError::BufferTooSmall);
    place_payload(out.data() + *hl, payload);
    fill_tcp_checksum(out.first(total), src, dst);
    return total;
}

WireResult<TcpRepr> parse_tcp(std::span<const uint8_t> bytes, Ipv4Addr src, Ipv4Addr dst,
                                           std::span<const uint8_t>* payload_out, bool verify_checksum) {
    auto p = TcpPacket::check(bytes);
    if (!p) return std::unexpected(p.error());
    if (verify_checksum && !p->verify_checksum(src, dst)) return wire_fail(WireError::BadChecksum);
    auto r = TcpRepr::parse(*p);
    if (r && payload_out) *payload_out = p->payload();
    return r;
}

}  // namespace unikit::net::wire
