#include <gtest/gtest.h>

#include "net/wire/arp.h"
#include "net/wire/ethernet.h"
#include "wire_test_util.h"

using namespace unikit::net::wire;
using wire_test::hex;

namespace {

const MacAddr kMacA{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const MacAddr kMacB{{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02}};

// An ARP request "who has 10.0.2.2? tell 10.0.2.15", broadcast, padded to the 60-byte minimum.
std::vector<uint8_t> arp_request_frame() {
    auto f = hex(
        "ff ff ff ff ff ff  52 54 00 12 34 56  08 06"  // Ethernet
        "00 01 08 00 06 04 00 01"                      // htype, ptype, hlen, plen, op=request
        "52 54 00 12 34 56  0a 00 02 0f"               // sender
        "00 00 00 00 00 00  0a 00 02 02");             // target
    f.resize(60, 0);                                   // padding
    return f;
}

}  // namespace

TEST(Ethernet, ParsesArpFrameWithPadding) {
    auto f = arp_request_frame();
    auto frame = EthernetFrame::check(f);
    ASSERT_TRUE(frame);
    auto eth = EthernetRepr::parse(*frame);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->dst, MacAddr::broadcast());
    EXPECT_EQ(eth->src, kMacA);
    EXPECT_EQ(eth->ethertype, EtherType::Arp);
    EXPECT_FALSE(eth->vlan_tci);
    EXPECT_EQ(frame->header_len(), 14u);
    EXPECT_EQ(frame->payload().size(), 46u);  // ARP + padding: the ARP layer trims

    auto pkt = ArpPacket::check(frame->payload());
    ASSERT_TRUE(pkt);
    EXPECT_EQ(pkt->bytes().size(), 28u);
    auto arp = ArpRepr::parse(*pkt);
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->operation, ArpOperation::Request);
    EXPECT_EQ(arp->source_hw, kMacA);
    EXPECT_EQ(arp->source_ip, (Ipv4Addr{10, 0, 2, 15}));
    EXPECT_EQ(arp->target_hw, MacAddr::zero());
    EXPECT_EQ(arp->target_ip, (Ipv4Addr{10, 0, 2, 2}));
}

TEST(Ethernet, EmitMatchesKnownBytes) {
    auto f = arp_request_frame();
    std::vector<uint8_t> out(60, 0);
    EthernetRepr eth{kMacA, MacAddr::broadcast(), EtherType::Arp, std::nullopt};
    ArpRepr arp{ArpOperation::Request, kMacA, Ipv4Addr{10, 0, 2, 15}, MacAddr::zero(), Ipv4Addr{10, 0, 2, 2}};
    auto n = eth.emit(out);
    ASSERT_EQ(n, 14u);
    ASSERT_EQ(arp.emit(std::span(out).subspan(*n)), 28u);
    EXPECT_EQ(out, f);
}

TEST(Ethernet, VlanTagIsSkipped) {
    auto f = hex(
        "52 54 00 12 34 56  52 55 0a 00 02 02  81 00  a0 64  08 00"
        "45 00 00 14 00 00 40 00 40 01 00 00 0a 00 02 02 0a 00 02 0f");
    auto frame = EthernetFrame::check(f);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->ethertype(), EtherType::Ipv4);
    EXPECT_EQ(frame->vlan_tci(), 0xa064);  // PCP 5, VID 100
    EXPECT_EQ(frame->header_len(), 18u);
    EXPECT_EQ(frame->payload().size(), 20u);
    EXPECT_EQ(frame->payload()[0], 0x45);
    auto eth = EthernetRepr::parse(*frame);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->vlan_tci, 0xa064);
    std::vector<uint8_t> out(18);
    ASSERT_EQ(eth->emit(out), 18u);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), f.begin()));
}

TEST(Ethernet, RejectsBadFrames) {
    auto f = hex("52 54 00 12 34 56  52 55 0a 00 02 02  81 00  a0 64  08 00");
    for (size_t cut = 0; cut < f.size(); ++cut) {
        auto r = EthernetFrame::check(std::span(f).first(cut));
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error(), WireError::Truncated) << cut;
    }
    auto llc = hex("01 80 c2 00 00 00  52 54 00 12 34 56  00 26  42 42 03");  // 802.3 length
    EXPECT_EQ(EthernetFrame::check(llc).error(), WireError::Unsupported);
    auto qinq = hex("52 54 00 12 34 56  52 55 0a 00 02 02  81 00 00 01 81 00 00 02 08 00");
    EXPECT_EQ(EthernetFrame::check(qinq).error(), WireError::Unsupported);
    std::vector<uint8_t> out(13);
    EthernetRepr eth{kMacA, kMacB, EtherType::Ipv4, std::nullopt};
    EXPECT_EQ(eth.emit(out).error(), WireError::BufferTooSmall);
    out.resize(14);
    eth.ethertype = EtherType::Vlan;
    EXPECT_EQ(eth.emit(out).error(), WireError::Malformed);
}

TEST(Arp, ReplyRoundTrip) {
    ArpRepr reply{ArpOperation::Reply, kMacB, Ipv4Addr{10, 0, 2, 2}, kMacA, Ipv4Addr{10, 0, 2, 15}};
    uint8_t buf[28];
    ASSERT_EQ(reply.emit(buf), 28u);
    auto expected = hex("00 01 08 00 06 04 00 02 52 55 0a 00 02 02 0a 00 02 02 52 54 00 12 34 56 0a 00 02 0f");
    EXPECT_TRUE(std::equal(std::begin(buf), std::end(buf), expected.begin(), expected.end()));
    auto pkt = ArpPacket::check(buf);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ArpRepr::parse(*pkt), reply);
}

TEST(Arp, EveryTruncationIsTruncated) {
    auto f = arp_request_frame();
    std::span<const uint8_t> arp = std::span<const uint8_t>(f).subspan(14, 28);
    for (size_t cut = 0; cut < arp.size(); ++cut) {
        auto r = ArpPacket::check(arp.first(cut));
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error(), WireError::Truncated) << cut;
    }
    EXPECT_TRUE(ArpPacket::check(arp));
}

TEST(Arp, OtherTypesAreUnsupported) {
    auto base = hex("00 01 08 00 06 04 00 01 52 54 00 12 34 56 0a 00 02 0f 00 00 00 00 00 00 0a 00 02 02");
    auto with = [&](size_t off, uint8_t v) {
        auto b = base;
        b[off] = v;
        auto p = ArpPacket::check(b);
        return p ? ArpRepr::parse(*p) : WireResult<ArpRepr>(wire_fail(p.error()));
    };
    EXPECT_EQ(with(1, 6).error(), WireError::Unsupported);   // IEEE 802 hardware
    EXPECT_EQ(with(2, 0x86).error(), WireError::Unsupported);  // protocol 0x8600
    EXPECT_EQ(with(7, 3).error(), WireError::Unsupported);   // RARP request
    EXPECT_EQ(with(7, 0).error(), WireError::Unsupported);
    // Different address lengths: the view checks the sizes they imply, the Repr refuses.
    EXPECT_EQ(with(4, 8).error(), WireError::Truncated);     // 8+2*(8+4) = 32 > 28
    auto b = base;
    b[4] = 4;  // hlen 4 -> 24 bytes needed: fits
    auto p = ArpPacket::check(b);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->bytes().size(), 24u);
    EXPECT_EQ(ArpRepr::parse(*p).error(), WireError::Unsupported);
}
