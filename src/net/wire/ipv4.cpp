#include "net/wire/ipv4.h"

#include "net/wire/checksum.h"

namespace unikit::net::wire {

WireResult<Ipv4Packet> Ipv4Packet::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kIpv4HeaderLen) return wire_fail(WireError::Truncated);
    if ((bytes[0] >> 4) != 4) return wire_fail(WireError::Unsupported);
    size_t hl = size_t(bytes[0] & 0x0f) * 4;
    if (hl < kIpv4HeaderLen) return wire_fail(WireError::Malformed);
    if (bytes.size() < hl) return wire_fail(WireError::Truncated);
    size_t total = be::get16(bytes.data() + 2);
    if (total < hl) return wire_fail(WireError::Malformed);
    if (bytes.size() < total) return wire_fail(WireError::Truncated);
    return Ipv4Packet(bytes.first(total));
}

bool Ipv4Packet::verify_checksum() const { return checksum(header()) == 0; }

WireResult<Ipv4Repr> Ipv4Repr::parse(const Ipv4Packet& p, bool verify) {
    if (verify && !p.verify_checksum()) return wire_fail(WireError::BadChecksum);
    Ipv4Repr r;
    r.src = p.src();
    r.dst = p.dst();
    r.protocol = p.protocol();
    r.ttl = p.ttl();
    r.dscp_ecn = p.dscp_ecn();
    r.payload_len = uint16_t(p.total_len() - p.header_len());
    r.ident = p.ident();
    r.dont_frag = p.dont_frag();
    r.more_frags = p.more_frags();
    r.frag_offset = p.frag_offset();
    return r;
}

WireResult<size_t> Ipv4Repr::emit(std::span<uint8_t> out) const {
    if (payload_len > kIpv4MaxPacketLen - kIpv4HeaderLen || frag_offset % 8 != 0)
        return wire_fail(WireError::Malformed);
    if (out.size() < kIpv4HeaderLen) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    p[0] = 0x45;
    p[1] = dscp_ecn;
    be::put16(p + 2, uint16_t(total_len()));
    be::put16(p + 4, ident);
    uint16_t ff = uint16_t(frag_offset / 8);
    if (dont_frag) ff |= 0x4000;
    if (more_frags) ff |= 0x2000;
    be::put16(p + 6, ff);
    p[8] = ttl;
    p[9] = protocol;
    be::put16(p + 10, 0);
    src.write(p + 12);
    dst.write(p + 16);
    be::put16(p + 10, checksum(out.first(kIpv4HeaderLen)));
    return kIpv4HeaderLen;
}

}  // namespace unikit::net::wire
