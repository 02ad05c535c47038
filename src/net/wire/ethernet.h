// unikit::net::wire - Ethernet II frames, with one optional 802.1Q VLAN tag.
//
// A tagged frame is reported as its inner EtherType; vlan_tci() gives the tag. The frame check
// sequence is not part of the buffer (devices strip it). Ethernet cannot tell padding from
// payload: payload() runs to the end of the buffer and the layer above trims it (IPv4 by its
// total length, ARP by its fixed size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

enum class EtherType : uint16_t {
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,  // 802.1Q tag (never reported by EthernetFrame::ethertype())
    Ipv6 = 0x86dd,
};

inline constexpr size_t kEthernetHeaderLen = 14;
inline constexpr size_t kEthernetVlanHeaderLen = 18;
inline constexpr size_t kEthernetMinFrameLen = 60;  // without FCS; shorter frames are padded

// A checked view of an Ethernet II frame: check() validates that the header (and the VLAN tag,
// when present) fits, so the accessors cannot read out of bounds.
class EthernetFrame {
public:
    // Truncated: shorter than the header. Unsupported: an 802.3 length field (< 0x0600) instead
    // of an EtherType, or stacked VLAN tags (QinQ).
    static WireResult<EthernetFrame> check(std::span<const uint8_t> frame);

    MacAddr dst() const { return MacAddr::from_bytes(buf_.data()); }
    MacAddr src() const { return MacAddr::from_bytes(buf_.data() + 6); }
    // The EtherType of the payload (the inner one for a tagged frame).
    EtherType ethertype() const { return EtherType(be::get16(buf_.data() + header_len_ - 2)); }
    // The 802.1Q tag control information (PCP, DEI, VID), if the frame was tagged.
    std::optional<uint16_t> vlan_tci() const {
        if (header_len_ == kEthernetHeaderLen) return std::nullopt;
        return be::get16(buf_.data() + 14);
    }
    size_t header_len() const { return header_len_; }
    std::span<const uint8_t> payload() const { return buf_.subspan(header_len_); }
    std::span<const uint8_t> bytes() const { return buf_; }

private:
    EthernetFrame(std::span<const uint8_t> b, size_t hl) : buf_(b), header_len_(hl) {}
    std::span<const uint8_t> buf_;
    size_t header_len_;
};

// The header of an Ethernet II frame. An EthernetRepr always describes an emittable header.
struct EthernetRepr {
    MacAddr src;
    MacAddr dst;
    EtherType ethertype = EtherType::Ipv4;  // never Vlan: use vlan_tci to tag
    std::optional<uint16_t> vlan_tci;

    static WireResult<EthernetRepr> parse(const EthernetFrame& frame);
    size_t header_len() const { return vlan_tci ? kEthernetVlanHeaderLen : kEthernetHeaderLen; }
    // Writes the header into out[0, header_len()); the caller puts the payload after it.
    // Malformed: ethertype is Vlan or below 0x0600. BufferTooSmall: out is too short.
    WireResult<size_t> emit(std::span<uint8_t> out) const;

    friend bool operator==(const EthernetRepr&, const EthernetRepr&) = default;
};

}  // namespace unikit::net::wire
