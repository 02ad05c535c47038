#include "net/wire/arp.h"

namespace unikit::net::wire {

namespace {
constexpr uint16_t kHwEthernet = 1;
constexpr uint16_t kProtoIpv4 = 0x0800;
}  // namespace

WireResult<ArpPacket> ArpPacket::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < 8) return wire_fail(WireError::Truncated);
    size_t need = 8 + 2 * (size_t(bytes[4]) + bytes[5]);
    if (bytes.size() < need) return wire_fail(WireError::Truncated);
    return ArpPacket(bytes.first(need));
}

WireResult<ArpRepr> ArpRepr::parse(const ArpPacket& p) {
    if (p.hardware_type() != kHwEthernet || p.protocol_type() != kProtoIpv4 || p.hardware_len() != 6 ||
        p.protocol_len() != 4)
        return wire_fail(WireError::Unsupported);
    uint16_t op = p.operation();
    if (op != uint16_t(ArpOperation::Request) && op != uint16_t(ArpOperation::Reply))
        return wire_fail(WireError::Unsupported);
    return ArpRepr{ArpOperation(op), MacAddr::from_bytes(p.sender_hw().data()),
                   Ipv4Addr::from_bytes(p.sender_proto().data()), MacAddr::from_bytes(p.target_hw().data()),
                   Ipv4Addr::from_bytes(p.target_proto().data())};
}

WireResult<size_t> ArpRepr::emit(std::span<uint8_t> out) const {
    if (operation != ArpOperation::Request && operation != ArpOperation::Reply)
        return wire_fail(WireError::Malformed);
    if (out.size() < kArpEthIpv4Len) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    be::put16(p, kHwEthernet);
    be::put16(p + 2, kProtoIpv4);
    p[4] = 6;
    p[5] = 4;
    be::put16(p + 6, uint16_t(operation));
    source_hw.write(p + 8);
    source_ip.write(p + 14);
    target_hw.write(p + 18);
    target_ip.write(p + 24);
    return kArpEthIpv4Len;
}

}  // namespace unikit::net::wire
