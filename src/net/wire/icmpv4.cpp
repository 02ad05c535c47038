#include "net/wire/icmpv4.h"

#include <algorithm>

#include "net/wire/checksum.h"
#include "net/wire/ipv4.h"

namespace unikit::net::wire {

WireResult<Icmpv4Packet> Icmpv4Packet::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kIcmpv4HeaderLen) return wire_fail(WireError::Truncated);
    return Icmpv4Packet(bytes);
}

bool Icmpv4Packet::verify_checksum() const { return checksum(buf_) == 0; }

WireResult<Icmpv4Quote> parse_icmpv4_quote(std::span<const uint8_t> q) {
    if (q.size() < kIpv4HeaderLen) return wire_fail(WireError::Truncated);
    if ((q[0] >> 4) != 4) return wire_fail(WireError::Malformed);
    size_t hl = size_t(q[0] & 0x0f) * 4;
    if (hl < kIpv4HeaderLen) return wire_fail(WireError::Malformed);
    if (q.size() < hl + 8) return wire_fail(WireError::Truncated);
    return Icmpv4Quote{Ipv4Addr::from_bytes(q.data() + 12), Ipv4Addr::from_bytes(q.data() + 16), q[9],
                       q.subspan(hl)};
}

std::span<const uint8_t> icmpv4_quote_of(std::span<const uint8_t> ip) {
    if (ip.empty()) return ip;
    size_t hl = size_t(ip[0] & 0x0f) * 4;
    return ip.first(std::min(ip.size(), hl + 8));
}

namespace {
bool is_error(Icmpv4Type t) { return t == Icmpv4Type::DestUnreachable || t == Icmpv4Type::TimeExceeded; }
}  // namespace

WireResult<Icmpv4Repr> Icmpv4Repr::parse(const Icmpv4Packet& p, bool verify) {
    Icmpv4Repr r;
    r.code = p.code();
    r.data = p.data();
    switch (p.type()) {
        case uint8_t(Icmpv4Type::EchoRequest):
        case uint8_t(Icmpv4Type::EchoReply):
            r.type = Icmpv4Type(p.type());
            r.echo_ident = p.echo_ident();
            r.echo_seq = p.echo_seq();
            break;
        case uint8_t(Icmpv4Type::DestUnreachable):
            r.type = Icmpv4Type::DestUnreachable;
            if (r.code == icmpv4_code::kFragNeeded) r.next_hop_mtu = p.next_hop_mtu();
            break;
        case uint8_t(Icmpv4Type::TimeExceeded):
            r.type = Icmpv4Type::TimeExceeded;
            break;
        default:
            return wire_fail(WireError::Unsupported);
    }
    if (verify && !p.verify_checksum()) return wire_fail(WireError::BadChecksum);
    if (is_error(r.type)) {
        auto q = parse_icmpv4_quote(r.data);
        if (!q) return wire_fail(q.error() == WireError::Truncated ? WireError::Truncated : WireError::Malformed);
    }
    return r;
}

WireResult<size_t> Icmpv4Repr::emit(std::span<uint8_t> out) const {
    switch (type) {
        case Icmpv4Type::EchoRequest:
        case Icmpv4Type::EchoReply:
        case Icmpv4Type::DestUnreachable:
        case Icmpv4Type::TimeExceeded:
            break;
        default:
            return wire_fail(WireError::Malformed);
    }
    if (is_error(type) && !parse_icmpv4_quote(data)) return wire_fail(WireError::Malformed);
    size_t n = len();
    if (n > kIpv4MaxPacketLen - kIpv4HeaderLen) return wire_fail(WireError::Malformed);
    if (out.size() < n) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    place_payload(p + kIcmpv4HeaderLen, data);
    p[0] = uint8_t(type);
    p[1] = code;
    be::put16(p + 2, 0);
    if (is_error(type)) {
        be::put16(p + 4, 0);
        be::put16(p + 6, type == Icmpv4Type::DestUnreachable && code == icmpv4_code::kFragNeeded ? next_hop_mtu : 0);
    } else {
        be::put16(p + 4, echo_ident);
        be::put16(p + 6, echo_seq);
    }
    be::put16(p + 2, checksum(out.first(n)));
    return n;
}

bool operator==(const Icmpv4Repr& a, const Icmpv4Repr& b) {
    return a.type == b.type && a.code == b.code && a.echo_ident == b.echo_ident && a.echo_seq == b.echo_seq &&
           a.next_hop_mtu == b.next_hop_mtu && std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
}

}  // namespace unikit::net::wire
