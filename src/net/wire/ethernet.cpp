#include "net/wire/ethernet.h"

namespace unikit::net::wire {

namespace {
constexpr uint16_t kMinEtherType = 0x0600;  // smaller values are 802.3 lengths
}

WireResult<EthernetFrame> EthernetFrame::check(std::span<const uint8_t> frame) {
    if (frame.size() < kEthernetHeaderLen) return wire_fail(WireError::Truncated);
    uint16_t type = be::get16(frame.data() + 12);
    size_t hl = kEthernetHeaderLen;
    if (type == uint16_t(EtherType::Vlan)) {
        if (frame.size() < kEthernetVlanHeaderLen) return wire_fail(WireError::Truncated);
        hl = kEthernetVlanHeaderLen;
        type = be::get16(frame.data() + 16);
        if (type == uint16_t(EtherType::Vlan) || type == 0x88a8) return wire_fail(WireError::Unsupported);
    }
    if (type < kMinEtherType) return wire_fail(WireError::Unsupported);
    return EthernetFrame(frame, hl);
}

WireResult<EthernetRepr> EthernetRepr::parse(const EthernetFrame& frame) {
    return EthernetRepr{frame.src(), frame.dst(), frame.ethertype(), frame.vlan_tci()};
}

WireResult<size_t> EthernetRepr::emit(std::span<uint8_t> out) const {
    if (ethertype == EtherType::Vlan || uint16_t(ethertype) < kMinEtherType)
        return wire_fail(WireError::Malformed);
    size_t hl = header_len();
    if (out.size() < hl) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    dst.write(p);
    src.write(p + 6);
    if (vlan_tci) {
        be::put16(p + 12, uint16_t(EtherType::Vlan));
        be::put16(p + 14, *vlan_tci);
    }
    be::put16(p + hl - 2, uint16_t(ethertype));
    return hl;
}

}  // namespace unikit::net::wire
