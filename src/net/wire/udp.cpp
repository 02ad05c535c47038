#include "net/wire/udp.h"

#include "net/wire/checksum.h"
#include "net/wire/ipv4.h"

namespace unikit::net::wire {

WireResult<UdpPacket> UdpPacket::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kUdpHeaderLen) return wire_fail(WireError::Truncated);
    size_t len = be::get16(bytes.data() + 4);
    if (len < kUdpHeaderLen) return wire_fail(WireError::Malformed);
    if (bytes.size() < len) return wire_fail(WireError::Truncated);
    return UdpPacket(bytes.first(len));
}

bool UdpPacket::verify_checksum(Ipv4Addr src, Ipv4Addr dst) const {
    if (checksum_field() == 0) return true;
    uint32_t s = pseudo_header_sum_v4(src, dst, uint8_t(IpProtocol::Udp), length());
    return fold(sum_partial(buf_, s)) == 0xffff;
}

WireResult<UdpRepr> UdpRepr::parse(const UdpPacket& p, Ipv4Addr src, Ipv4Addr dst, bool verify) {
    if (verify && !p.verify_checksum(src, dst)) return wire_fail(WireError::BadChecksum);
    return UdpRepr{p.src_port(), p.dst_port()};
}

WireResult<size_t> UdpRepr::emit(std::span<uint8_t> out, std::span<const uint8_t> payload, Ipv4Addr src,
                                 Ipv4Addr dst, bool with_checksum) const {
    size_t n = kUdpHeaderLen + payload.size();
    if (n > 0xffff) return wire_fail(WireError::Malformed);
    if (out.size() < n) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    place_payload(p + kUdpHeaderLen, payload);
    be::put16(p, src_port);
    be::put16(p + 2, dst_port);
    be::put16(p + 4, uint16_t(n));
    be::put16(p + 6, 0);
    if (with_checksum) {
        uint32_t s = pseudo_header_sum_v4(src, dst, uint8_t(IpProtocol::Udp), uint16_t(n));
        uint16_t ck = finish(sum_partial(out.first(n), s));
        be::put16(p + 6, ck == 0 ? 0xffff : ck);
    }
    return n;
}

}  // namespace unikit::net::wire
