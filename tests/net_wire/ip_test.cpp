#include <gtest/gtest.h>

#include <random>

#include "net/wire/checksum.h"
#include "net/wire/icmpv4.h"
#include "net/wire/ipv4.h"
#include "net/wire/udp.h"
#include "wire_test_util.h"

using namespace unikit::net::wire;
using wire_test::hex;
using wire_test::ref_checksum;

namespace {

// IPv4 (20) + UDP (8) + "hello" from 10.0.2.15:40000 to 10.0.2.3:53, checksums filled by the
// naive reference implementation.
std::vector<uint8_t> udp_packet() {
    auto p = hex(
        "45 00 00 21 12 34 40 00 40 11 00 00 0a 00 02 0f 0a 00 02 03"
        "9c 40 00 35 00 0d 00 00 68 65 6c 6c 6f");
    wire_test::put16(p, 10, ref_checksum({std::span(p).first(20)}));
    auto pseudo = hex("0a 00 02 0f 0a 00 02 03 00 11 00 0d");
    wire_test::put16(p, 26, ref_checksum({pseudo, std::span(p).subspan(20)}));
    return p;
}

const Ipv4Addr kSrc{10, 0, 2, 15};
const Ipv4Addr kDst{10, 0, 2, 3};

}  // namespace

TEST(Ipv4, ParsesKnownPacket) {
    auto b = udp_packet();
    auto pkt = Ipv4Packet::check(b);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(pkt->verify_checksum());
    auto ip = Ipv4Repr::parse(*pkt);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->src, kSrc);
    EXPECT_EQ(ip->dst, kDst);
    EXPECT_EQ(ip->protocol, uint8_t(IpProtocol::Udp));
    EXPECT_EQ(ip->ttl, 64);
    EXPECT_EQ(ip->payload_len, 13);
    EXPECT_EQ(ip->ident, 0x1234);
    EXPECT_TRUE(ip->dont_frag);
    EXPECT_FALSE(ip->more_frags);
    EXPECT_EQ(ip->frag_offset, 0);
    EXPECT_EQ(pkt->payload().size(), 13u);

    std::vector<uint8_t> out(20);
    ASSERT_EQ(ip->emit(out), 20u);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), b.begin()));
}

TEST(Ipv4, TrailingPaddingIgnored) {
    auto b = udp_packet();
    b.resize(46, 0xee);  // Ethernet minimum payload
    auto pkt = Ipv4Packet::check(b);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(pkt->bytes().size(), 33u);
    EXPECT_EQ(pkt->payload().size(), 13u);
    auto udp = UdpPacket::check(pkt->payload());
    ASSERT_TRUE(udp);
    EXPECT_TRUE(UdpRepr::parse(*udp, kSrc, kDst));
}

TEST(Ipv4, OptionsAreSkipped) {
    // IHL 7: a record-route-ish option (7, len 7, ptr 4, one empty slot) plus EOL padding.
    auto b = hex(
        "47 00 00 20 00 01 00 00 01 01 00 00 c0 a8 01 01 c0 a8 01 02"
        "07 07 04 00 00 00 00 00"
        "08 00 00 00 00 00 00 00");
    wire_test::put16(b, 10, ref_checksum({std::span(b).first(28)}));
    auto pkt = Ipv4Packet::check(b);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(pkt->header_len(), 28u);
    EXPECT_EQ(pkt->options().size(), 8u);
    EXPECT_EQ(pkt->options()[0], 7);
    EXPECT_EQ(pkt->payload().size(), 4u);
    EXPECT_EQ(pkt->payload()[0], 8);
    auto ip = Ipv4Repr::parse(*pkt);
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->payload_len, 4);
    EXPECT_EQ(ip->protocol, 1);
    EXPECT_FALSE(ip->dont_frag);
}

TEST(Ipv4, HeaderValidation) {
    auto b = udp_packet();
    auto with = [&](size_t off, uint8_t v) {
        auto c = b;
        c[off] = v;
        auto r = Ipv4Packet::check(c);
        return r ? WireError{} : r.error();  // the view would outlive c: keep only the error
    };
    EXPECT_EQ(with(0, 0x65), WireError::Unsupported);  // IPv6-ish version
    EXPECT_EQ(with(0, 0x44), WireError::Malformed);    // IHL 4
    EXPECT_EQ(with(0, 0x4f), WireError::Truncated);    // IHL 15 = 60 > 33 bytes
    EXPECT_EQ(with(3, 0x13), WireError::Malformed);    // total 19 < 20
    EXPECT_EQ(with(3, 0x22), WireError::Truncated);    // total 34 > 33
    auto b20 = b;
    b20[3] = 0x14;  // total 20: empty payload
    auto ok = Ipv4Packet::check(b20);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->payload().empty());
    auto c = b;
    c[0] = 0x46;  // IHL 6 = 24 > total? no: total 33; header 24 fits, checksum now wrong
    auto p6 = Ipv4Packet::check(c);
    ASSERT_TRUE(p6);
    EXPECT_EQ(Ipv4Repr::parse(*p6).error(), WireError::BadChecksum);
    EXPECT_TRUE(Ipv4Repr::parse(*p6, false));
}

TEST(Ipv4, EveryTruncationIsTruncated) {
    auto b = udp_packet();
    for (size_t cut = 0; cut < b.size(); ++cut) {
        auto r = Ipv4Packet::check(std::span(b).first(cut));
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error(), WireError::Truncated) << cut;
    }
}

TEST(Ipv4, BadChecksumDetectedForEveryBitFlip) {
    auto b = udp_packet();
    for (size_t bit = 0; bit < 20 * 8; ++bit) {
        auto c = b;
        c[bit / 8] ^= uint8_t(1u << (bit % 8));
        auto p = Ipv4Packet::check(c);
        if (!p) continue;  // the flip broke the structure instead
        ASSERT_EQ(Ipv4Repr::parse(*p).error(), WireError::BadChecksum) << bit;
    }
}

TEST(Ipv4, FragmentsAndRoundTrip) {
    Ipv4Repr r{kSrc, kDst, 17, 3, 0xb8, 1480, 0xbeef, false, true, 2960};
    std::vector<uint8_t> out(20 + 1480);
    ASSERT_EQ(r.emit(out), 20u);
    EXPECT_EQ(out[6], 0x21);  // MF + offset 370 = 0x172
    EXPECT_EQ(out[7], 0x72);
    auto p = Ipv4Packet::check(out);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->is_fragment());
    EXPECT_EQ(Ipv4Repr::parse(*p), r);
    r.frag_offset = 3;
    EXPECT_EQ(r.emit(out).error(), WireError::Malformed);
    r.frag_offset = 0;
    r.payload_len = 65535 - 19;
    EXPECT_EQ(r.emit(out).error(), WireError::Malformed);
    r.payload_len = 0;
    EXPECT_EQ(r.emit(std::span(out).first(19)).error(), WireError::BufferTooSmall);
}

TEST(Ipv4, TtlDecrementIncrementalChecksum) {
    auto b = udp_packet();
    uint16_t old_word = uint16_t(b[8] << 8 | b[9]);
    b[8]--;
    uint16_t ck = checksum_update16(uint16_t(b[10] << 8 | b[11]), old_word, uint16_t(b[8] << 8 | b[9]));
    wire_test::put16(b, 10, ck);
    auto p = Ipv4Packet::check(b);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->verify_checksum());
    EXPECT_EQ(Ipv4Repr::parse(*p)->ttl, 63);
}

TEST(Udp, ParsesKnownDatagram) {
    auto b = udp_packet();
    auto udp = UdpPacket::check(std::span(b).subspan(20));
    ASSERT_TRUE(udp);
    EXPECT_EQ(udp->src_port(), 40000);
    EXPECT_EQ(udp->dst_port(), 53);
    EXPECT_EQ(udp->length(), 13);
    auto r = UdpRepr::parse(*udp, kSrc, kDst);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->src_port, 40000);
    EXPECT_EQ(r->dst_port, 53);
    std::string_view payload(reinterpret_cast<const char*>(udp->payload().data()), udp->payload().size());
    EXPECT_EQ(payload, "hello");
    // Wrong addresses in the pseudo-header: checksum fails.
    EXPECT_EQ(UdpRepr::parse(*udp, kSrc, Ipv4Addr{10, 0, 2, 4}).error(), WireError::BadChecksum);
}

TEST(Udp, EmitMatchesKnownAndInPlace) {
    auto b = udp_packet();
    const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
    std::vector<uint8_t> out(13);
    UdpRepr r{40000, 53};
    ASSERT_EQ(r.emit(out, hello, kSrc, kDst), 13u);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), b.begin() + 20));
    // Payload already in place: no copy, same bytes.
    std::vector<uint8_t> inplace(13, 0);
    std::copy(std::begin(hello), std::end(hello), inplace.begin() + 8);
    ASSERT_EQ(r.emit(inplace, std::span(inplace).subspan(8), kSrc, kDst), 13u);
    EXPECT_EQ(inplace, out);
    EXPECT_EQ(r.emit(std::span(out).first(12), hello, kSrc, kDst).error(), WireError::BufferTooSmall);
}

TEST(Udp, ZeroChecksumMeansNone) {
    auto b = udp_packet();
    wire_test::put16(b, 26, 0);
    auto udp = UdpPacket::check(std::span(b).subspan(20));
    ASSERT_TRUE(udp);
    EXPECT_TRUE(UdpRepr::parse(*udp, kSrc, Ipv4Addr{1, 2, 3, 4}));
    std::vector<uint8_t> out(13);
    ASSERT_TRUE((UdpRepr{1, 2}.emit(out, std::span(b).subspan(28), kSrc, kDst, false)));
    EXPECT_EQ(out[6], 0);
    EXPECT_EQ(out[7], 0);
}

TEST(Udp, ComputedZeroIsSentAsFfff) {
    // Search payloads until the computed checksum is 0: it must go out as ffff and verify.
    std::mt19937 rng(768);
    for (int i = 0; i < 1000000; ++i) {
        uint8_t payload[2] = {uint8_t(rng()), uint8_t(rng())};
        uint8_t out[10];
        ASSERT_TRUE((UdpRepr{1000, 2000}.emit(out, payload, kSrc, kDst)));
        if (out[6] == 0xff && out[7] == 0xff) {
            auto udp = UdpPacket::check(out);
            ASSERT_TRUE(udp);
            EXPECT_TRUE(UdpRepr::parse(*udp, kSrc, kDst));
            return;
        }
        ASSERT_FALSE(out[6] == 0 && out[7] == 0);
    }
    FAIL() << "no payload produced a zero checksum";
}

TEST(Udp, LengthValidationAndTruncation) {
    auto b = udp_packet();
    std::span<const uint8_t> d = std::span(b).subspan(20);
    for (size_t cut = 0; cut < d.size(); ++cut) {
        auto r = UdpPacket::check(d.first(cut));
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error(), WireError::Truncated) << cut;
    }
    auto c = b;
    c[25] = 7;  // length 7 < 8
    EXPECT_EQ(UdpPacket::check(std::span(c).subspan(20)).error(), WireError::Malformed);
    c[25] = 9;  // shorter than the buffer: payload trimmed to 1 byte
    auto u = UdpPacket::check(std::span(c).subspan(20));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->payload().size(), 1u);
}

TEST(Udp, RandomRoundTrips) {
    std::mt19937 rng(42);
    std::vector<uint8_t> payload(1500), out(1600);
    for (int i = 0; i < 500; ++i) {
        size_t n = rng() % payload.size();
        for (size_t k = 0; k < n; ++k) payload[k] = uint8_t(rng());
        UdpRepr r{uint16_t(rng()), uint16_t(rng())};
        Ipv4Addr s = Ipv4Addr::from_u32(rng()), d = Ipv4Addr::from_u32(rng());
        auto len = r.emit(out, std::span(payload).first(n), s, d);
        ASSERT_EQ(len, 8 + n);
        auto u = UdpPacket::check(std::span(out).first(*len));
        ASSERT_TRUE(u);
        ASSERT_EQ(UdpRepr::parse(*u, s, d), r);
        ASSERT_TRUE(std::equal(u->payload().begin(), u->payload().end(), payload.begin()));
    }
}

namespace {
std::vector<uint8_t> echo_request() {
    // type 8, code 0, checksum, id 0x1c46, seq 1, 8 bytes data.
    auto m = hex("08 00 00 00 1c 46 00 01 61 62 63 64 65 66 67 68");
    wire_test::put16(m, 2, ref_checksum({m}));
    return m;
}
}  // namespace

TEST(Icmpv4, EchoRequestParseAndReply) {
    auto m = echo_request();
    auto p = Icmpv4Packet::check(m);
    ASSERT_TRUE(p);
    auto r = Icmpv4Repr::parse(*p);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, Icmpv4Type::EchoRequest);
    EXPECT_EQ(r->echo_ident, 0x1c46);
    EXPECT_EQ(r->echo_seq, 1);
    EXPECT_EQ(r->data.size(), 8u);
    // Re-emit gives the same bytes.
    std::vector<uint8_t> out(m.size());
    ASSERT_EQ(r->emit(out), m.size());
    EXPECT_EQ(out, m);
    // The reply: type 0, checksum adjusted by exactly 0x0800.
    auto reply = Icmpv4Repr::echo_reply(*r);
    ASSERT_EQ(reply.emit(out), m.size());
    EXPECT_EQ(out[0], 0);
    EXPECT_EQ(uint16_t(out[2] << 8 | out[3]), checksum_update16(uint16_t(m[2] << 8 | m[3]), 0x0800, 0x0000));
    auto rp = Icmpv4Packet::check(out);
    ASSERT_TRUE(rp);
    EXPECT_EQ(Icmpv4Repr::parse(*rp), reply);
}

TEST(Icmpv4, BadChecksumAndTruncation) {
    auto m = echo_request();
    for (size_t cut = 0; cut < 8; ++cut) EXPECT_EQ(Icmpv4Packet::check(std::span(m).first(cut)).error(), WireError::Truncated);
    for (size_t cut = 8; cut < m.size(); ++cut) {
        // No length field: a cut in the data is caught by the checksum.
        auto p = Icmpv4Packet::check(std::span(m).first(cut));
        ASSERT_TRUE(p);
        EXPECT_FALSE(Icmpv4Repr::parse(*p)) << cut;
    }
    m[9] ^= 0x10;
    EXPECT_EQ(Icmpv4Repr::parse(*Icmpv4Packet::check(m)).error(), WireError::BadChecksum);
    EXPECT_TRUE(Icmpv4Repr::parse(*Icmpv4Packet::check(m), false));
    auto ts = hex("0d 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");  // timestamp
    EXPECT_EQ(Icmpv4Repr::parse(*Icmpv4Packet::check(ts)).error(), WireError::Unsupported);
}

TEST(Icmpv4, PortUnreachableQuotesDatagram) {
    auto original = udp_packet();
    auto orig = Ipv4Packet::check(original);
    ASSERT_TRUE(orig);
    Icmpv4Repr err;
    err.type = Icmpv4Type::DestUnreachable;
    err.code = icmpv4_code::kPortUnreachable;
    err.data = icmpv4_quote_of(orig->bytes());
    EXPECT_EQ(err.data.size(), 28u);
    std::vector<uint8_t> out(err.len());
    ASSERT_EQ(err.emit(out), 36u);
    auto p = Icmpv4Packet::check(out);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->verify_checksum());
    auto r = Icmpv4Repr::parse(*p);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, err);
    auto q = parse_icmpv4_quote(r->data);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->src, kSrc);
    EXPECT_EQ(q->dst, kDst);
    EXPECT_EQ(q->protocol, 17);
    EXPECT_EQ(q->transport[0], 0x9c);  // source port 40000
    EXPECT_EQ(q->transport[3], 53);
}

TEST(Icmpv4, FragNeededCarriesMtuAndQuoteValidated) {
    auto original = udp_packet();
    Icmpv4Repr err;
    err.type = Icmpv4Type::DestUnreachable;
    err.code = icmpv4_code::kFragNeeded;
    err.next_hop_mtu = 1400;
    err.data = std::span<const uint8_t>(original).first(28);
    std::vector<uint8_t> out(64);
    auto n = err.emit(out);
    ASSERT_EQ(n, 36u);
    EXPECT_EQ(Icmpv4Repr::parse(*Icmpv4Packet::check(std::span(out).first(*n)))->next_hop_mtu, 1400);
    // A quote shorter than header + 8 bytes: emit refuses, parse reports it.
    err.data = std::span<const uint8_t>(original).first(27);
    EXPECT_EQ(err.emit(out).error(), WireError::Malformed);
    Icmpv4Repr te;
    te.type = Icmpv4Type::TimeExceeded;
    te.data = std::span<const uint8_t>(original).first(28);
    ASSERT_EQ(te.emit(out), 36u);
    out[8] = 0x55;  // quoted version 5
    wire_test::put16(out, 2, 0);
    wire_test::put16(out, 2, ref_checksum({std::span(out).first(36)}));
    EXPECT_EQ(Icmpv4Repr::parse(*Icmpv4Packet::check(std::span(out).first(36))).error(), WireError::Malformed);
    // Short quote inside a well-formed (checksummed) message: Truncated.
    std::vector<uint8_t> shortq(8 + 20, 0);
    shortq[0] = 11;
    std::copy(original.begin(), original.begin() + 20, shortq.begin() + 8);
    wire_test::put16(shortq, 2, ref_checksum({shortq}));
    EXPECT_EQ(Icmpv4Repr::parse(*Icmpv4Packet::check(shortq)).error(), WireError::Truncated);
}
