#include <gtest/gtest.h>

#include "net/wire/dhcp.h"
#include "wire_test_util.h"

using namespace unikit::net::wire;
using wire_test::hex;

namespace {

const MacAddr kMac{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

// A DHCPOFFER built by hand: fixed part, cookie, then `options` verbatim.
std::vector<uint8_t> offer_with(std::string_view options_hex) {
    std::vector<uint8_t> m(236, 0);
    m[0] = 2;  // BOOTREPLY
    m[1] = 1;
    m[2] = 6;
    m[4] = 0xde, m[5] = 0xad, m[6] = 0xbe, m[7] = 0xef;  // xid
    m[10] = 0x80;                                       // broadcast flag
    m[16] = 10, m[17] = 0, m[18] = 2, m[19] = 15;       // yiaddr
    m[20] = 10, m[21] = 0, m[22] = 2, m[23] = 2;        // siaddr
    std::copy(kMac.octets.begin(), kMac.octets.end(), m.begin() + 28);
    for (uint8_t b : {0x63, 0x82, 0x53, 0x63}) m.push_back(b);
    for (uint8_t b : hex(options_hex)) m.push_back(b);
    return m;
}

constexpr std::string_view kOfferOptions =
    "35 01 02"                    // message type OFFER
    "36 04 0a 00 02 02"           // server id 10.0.2.2
    "00 00"                       // pad
    "33 04 00 01 51 80"           // lease 86400
    "3a 04 00 00 a8 c0"           // T1 43200
    "3b 04 00 01 27 50"           // T2 75600
    "01 04 ff ff ff 00"           // mask
    "03 08 0a 00 02 02 0a 00 02 01"  // two routers: first wins
    "06 10 0a 00 02 03 08 08 08 08 01 01 01 01 09 09 09 09"  // four DNS: first three kept
    "0c 04 75 6e 69 6b"           // hostname "unik"
    "2b 03 01 02 03"              // vendor-specific: ignored
    "00"                          // pad
    "ff";                         // end

WireResult<DhcpRepr> parse_bytes(std::span<const uint8_t> b) {
    auto p = DhcpPacket::check(b);
    if (!p) return wire_fail(p.error());
    return DhcpRepr::parse(*p);
}

}  // namespace

TEST(Dhcp, ParsesKnownOffer) {
    auto m = offer_with(kOfferOptions);
    m.resize(m.size() + 40, 0);  // padding after End is ignored
    auto r = parse_bytes(m);
    ASSERT_TRUE(r) << to_string(r.error());
    EXPECT_EQ(r->op, DhcpOp::Reply);
    EXPECT_EQ(r->message_type, DhcpMessageType::Offer);
    EXPECT_EQ(r->xid, 0xdeadbeefu);
    EXPECT_TRUE(r->broadcast);
    EXPECT_EQ(r->yiaddr, (Ipv4Addr{10, 0, 2, 15}));
    EXPECT_EQ(r->siaddr, (Ipv4Addr{10, 0, 2, 2}));
    EXPECT_EQ(r->client_hw, kMac);
    EXPECT_EQ(r->server_id, (Ipv4Addr{10, 0, 2, 2}));
    EXPECT_EQ(r->lease_time, 86400u);
    EXPECT_EQ(r->renewal_time, 43200u);
    EXPECT_EQ(r->rebinding_time, 75600u);
    EXPECT_EQ(r->subnet_mask, (Ipv4Addr{255, 255, 255, 0}));
    EXPECT_EQ(r->router, (Ipv4Addr{10, 0, 2, 2}));
    ASSERT_EQ(r->dns_count, 3);
    EXPECT_EQ(r->dns_servers[0], (Ipv4Addr{10, 0, 2, 3}));
    EXPECT_EQ(r->dns_servers[2], (Ipv4Addr{1, 1, 1, 1}));
    EXPECT_EQ(r->hostname, "unik");
    EXPECT_FALSE(r->requested_ip);
    EXPECT_TRUE(r->client_id.empty());
}

TEST(Dhcp, OptionReaderSkipsPadAndStopsAtEnd) {
    auto opts = hex("00 00 35 01 01 00 0c 00 ff 33 04 00 00 00 01");  // bytes after End ignored
    DhcpOptionReader rd(opts);
    auto a = rd.next();
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->code, 53);
    EXPECT_EQ((*a)->data.size(), 1u);
    auto b = rd.next();
    ASSERT_TRUE(b && *b);
    EXPECT_EQ((*b)->code, 12);
    EXPECT_TRUE((*b)->data.empty());
    auto c = rd.next();
    ASSERT_TRUE(c);
    EXPECT_FALSE(*c);
    EXPECT_TRUE(rd.next() && !*rd.next());
}

TEST(Dhcp, MissingEndIsTruncated) {
    auto m = offer_with("35 01 02 36 04 0a 00 02 02 00 00 00");
    EXPECT_EQ(parse_bytes(m).error(), WireError::Truncated);
    auto empty = offer_with("");
    EXPECT_EQ(parse_bytes(empty).error(), WireError::Truncated);
}

TEST(Dhcp, OverlongOptionIsTruncated) {
    auto m = offer_with("35 01 02 36 20 0a 00 02 02 ff");  // length 32 runs past the buffer
    EXPECT_EQ(parse_bytes(m).error(), WireError::Truncated);
    auto lone = offer_with("35 01 02 36");  // code without length byte
    EXPECT_EQ(parse_bytes(lone).error(), WireError::Truncated);
    DhcpOptionReader rd(std::span<const uint8_t>(m).subspan(240));
    ASSERT_TRUE(rd.next());
    EXPECT_EQ(rd.next().error(), WireError::Truncated);
    EXPECT_EQ(rd.next().error(), WireError::Truncated);  // sticky
}

TEST(Dhcp, WrongOptionLengthsAreMalformed) {
    for (std::string_view o : {"35 02 02 00 ff", "35 00 ff", "35 01 02 36 03 0a 00 02 ff",
                               "35 01 02 33 05 00 00 00 00 01 ff", "35 01 02 03 06 0a 00 02 02 0a 00 ff",
                               "35 01 02 06 00 ff", "35 01 02 37 00 ff", "35 01 02 3d 01 01 ff",
                               "35 01 02 0c 00 ff", "35 01 02 01 03 ff ff ff ff"}) {
        auto m = offer_with(o);
        auto r = parse_bytes(m);
        ASSERT_FALSE(r) << o;
        EXPECT_EQ(r.error(), WireError::Malformed) << o;
    }
}

TEST(Dhcp, FixedPartValidation) {
    auto m = offer_with(kOfferOptions);
    auto c = m;
    c[236] = 0x64;  // bad cookie
    EXPECT_EQ(parse_bytes(c).error(), WireError::Unsupported);
    c = m;
    c[0] = 3;
    EXPECT_EQ(parse_bytes(c).error(), WireError::Malformed);
    c = m;
    c[1] = 6;  // IEEE 802 hardware type
    EXPECT_EQ(parse_bytes(c).error(), WireError::Unsupported);
    auto bootp = offer_with("01 04 ff ff ff 00 ff");  // no message type: plain BOOTP
    EXPECT_EQ(parse_bytes(bootp).error(), WireError::Unsupported);
    auto unknown = offer_with("35 01 0d ff");  // type 13 (leasequery family)
    EXPECT_EQ(parse_bytes(unknown).error(), WireError::Unsupported);
}

TEST(Dhcp, EveryTruncationIsTruncated) {
    auto m = offer_with(kOfferOptions);
    for (size_t cut = 0; cut < m.size(); ++cut) {
        auto r = parse_bytes(std::span<const uint8_t>(m).first(cut));
        ASSERT_FALSE(r) << cut;
        EXPECT_EQ(r.error(), WireError::Truncated) << cut;
    }
    EXPECT_TRUE(parse_bytes(m));
}

TEST(Dhcp, DiscoverBytes) {
    auto d = DhcpRepr::discover(0x01020304, kMac);
    EXPECT_EQ(d.len(), 300u);
    std::vector<uint8_t> out(400, 0xaa);
    auto n = d.emit(out);
    ASSERT_EQ(n, 300u);
    EXPECT_EQ(out[0], 1);
    EXPECT_EQ(out[1], 1);
    EXPECT_EQ(out[2], 6);
    EXPECT_EQ(out[4], 1);
    EXPECT_EQ(out[7], 4);
    EXPECT_TRUE(std::equal(kMac.octets.begin(), kMac.octets.end(), out.begin() + 28));
    EXPECT_TRUE(std::all_of(out.begin() + 34, out.begin() + 236, [](uint8_t b) { return b == 0; }));
    auto opts = hex("63 82 53 63  35 01 01  37 06 01 03 06 33 3a 3b  ff");
    EXPECT_TRUE(std::equal(opts.begin(), opts.end(), out.begin() + 236));
    EXPECT_TRUE(std::all_of(out.begin() + 236 + opts.size(), out.begin() + 300, [](uint8_t b) { return b == 0; }));
    EXPECT_EQ(out[300], 0xaa);  // nothing written past len()
    auto back = parse_bytes(std::span<const uint8_t>(out).first(*n));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, d);
    EXPECT_EQ(d.emit(std::span(out).first(299)).error(), WireError::BufferTooSmall);
}

TEST(Dhcp, ClientMessagesRoundTrip) {
    const uint8_t cid[] = {1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    std::vector<DhcpRepr> msgs = {
        DhcpRepr::discover(7, kMac),
        DhcpRepr::request(7, kMac, Ipv4Addr{10, 0, 2, 15}, Ipv4Addr{10, 0, 2, 2}),
        DhcpRepr::renew(8, kMac, Ipv4Addr{10, 0, 2, 15}),
        DhcpRepr::release(9, kMac, Ipv4Addr{10, 0, 2, 15}, Ipv4Addr{10, 0, 2, 2}),
    };
    msgs[1].client_id = cid;
    msgs[1].hostname = "www";
    EXPECT_EQ(msgs[3].message_type, DhcpMessageType::Release);
    EXPECT_TRUE(msgs[3].parameter_request_list.empty());
    for (const auto& m : msgs) {
        std::vector<uint8_t> out(m.len());
        ASSERT_EQ(m.emit(out), m.len());
        auto back = parse_bytes(out);
        ASSERT_TRUE(back) << to_string(back.error());
        EXPECT_EQ(*back, m);
    }
}

TEST(Dhcp, ServerMessageRoundTrip) {
    DhcpRepr ack;
    ack.op = DhcpOp::Reply;
    ack.message_type = DhcpMessageType::Ack;
    ack.xid = 42;
    ack.yiaddr = Ipv4Addr{192, 168, 7, 20};
    ack.client_hw = kMac;
    ack.server_id = Ipv4Addr{192, 168, 7, 1};
    ack.subnet_mask = Ipv4Addr{255, 255, 255, 0};
    ack.router = Ipv4Addr{192, 168, 7, 1};
    ack.lease_time = 3600;
    ack.renewal_time = 1800;
    ack.rebinding_time = 3150;
    ack.dns_servers = {Ipv4Addr{192, 168, 7, 1}, Ipv4Addr{9, 9, 9, 9}, Ipv4Addr{}};
    ack.dns_count = 2;
    std::vector<uint8_t> out(ack.len());
    ASSERT_EQ(ack.emit(out), out.size());
    auto back = parse_bytes(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, ack);
}

TEST(Dhcp, EmitRefusesUnencodable) {
    std::vector<uint8_t> out(1024);
    auto d = DhcpRepr::discover(1, kMac);
    d.dns_count = 4;
    EXPECT_EQ(d.emit(out).error(), WireError::Malformed);
    d = DhcpRepr::discover(1, kMac);
    const uint8_t one[] = {1};
    d.client_id = one;
    EXPECT_EQ(d.emit(out).error(), WireError::Malformed);
    d = DhcpRepr::discover(1, kMac);
    d.message_type = DhcpMessageType(9);
    EXPECT_EQ(d.emit(out).error(), WireError::Malformed);
    d = DhcpRepr::discover(1, kMac);
    std::string longname(256, 'x');
    d.hostname = longname;
    EXPECT_EQ(d.emit(out).error(), WireError::Malformed);
}
