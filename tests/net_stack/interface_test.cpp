// Interface: frames in, frames out, no device.
#include <gtest/gtest.h>

#include <memory>

#include "net/stack/interface.h"
#include "net_stack/frames.h"

using namespace nettest;
using namespace unikit;
using namespace unikit::net::stack;
using wire::ArpOperation;
using wire::EtherType;

namespace {
constexpr uint64_t kS = 1'000'000'000ULL;

struct Fixture : ::testing::Test {
    CaptureSink sink;
    InterfaceConfig cfg;
    std::unique_ptr<Interface> ifc;
    void SetUp() override { make(); }
    void make() {
        ifc = std::make_unique<Interface>(kOurMac, sink, cfg);
        ifc->set_ipv4(*wire::Ipv4Cidr::make(kOurIp, 24), kGwIp, 0);
        sink.take();
    }
    // Teach the interface the peer's MAC (an ARP request from the peer for us).
    void learn(MacAddr mac, Ipv4Addr ip, uint64_t now = 0) {
        ifc->receive(arp_frame(ArpOperation::Request, mac, ip, MacAddr::zero(), kOurIp), now);
        sink.take();
    }
    void rx_ip(const Bytes& ip_packet, uint64_t now = 0, MacAddr src = kPeerMac, MacAddr dst = kOurMac) {
        ifc->receive(eth(dst, src, EtherType::Ipv4, ip_packet), now);
    }
};
using InterfaceTest = Fixture;

Bytes udp_payload_of(const Parsed& p) { return Bytes(p.ip_payload.begin() + 8, p.ip_payload.end()); }
}  // namespace

TEST_F(InterfaceTest, GratuitousArpOnConfiguration) {
    ifc->set_ipv4(*wire::Ipv4Cidr::make(kOurIp, 24), kGwIp, 0);
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);
    ASSERT_TRUE(p.arp);
    EXPECT_EQ(p.eth.dst, MacAddr::broadcast());
    EXPECT_EQ(p.arp->operation, ArpOperation::Request);
    EXPECT_EQ(p.arp->source_ip, kOurIp);
    EXPECT_EQ(p.arp->target_ip, kOurIp);
    EXPECT_EQ(p.arp->source_hw, kOurMac);
}

TEST_F(InterfaceTest, AnswersArpRequestForOurAddress) {
    ifc->receive(arp_frame(ArpOperation::Request, kPeerMac, kPeerIp, MacAddr::zero(), kOurIp), 0);
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].size(), 60u);
    auto p = parse(out[0]);
    ASSERT_TRUE(p.arp);
    EXPECT_EQ(p.eth.dst, kPeerMac);
    EXPECT_EQ(p.eth.src, kOurMac);
    EXPECT_EQ(p.arp->operation, ArpOperation::Reply);
    EXPECT_EQ(p.arp->source_hw, kOurMac);
    EXPECT_EQ(p.arp->source_ip, kOurIp);
    EXPECT_EQ(p.arp->target_hw, kPeerMac);
    EXPECT_EQ(p.arp->target_ip, kPeerIp);
    EXPECT_EQ(ifc->counters.arp_replies_sent, 1u);
    // The requester was learned: sending to it needs no resolution.
    ASSERT_TRUE(ifc->udp_send(1000, kPeerIp, 2000, pattern(10), 1));
    out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(parse(out[0]).eth.dst, kPeerMac);
}

TEST_F(InterfaceTest, IgnoresArpForOtherAddressesAndDoesNotLearnThem) {
    ifc->receive(arp_frame(ArpOperation::Request, kPeerMac, kPeerIp, MacAddr::zero(), Ipv4Addr{10, 0, 0, 9}), 0);
    EXPECT_TRUE(sink.take().empty());
    EXPECT_EQ(ifc->arp_cache().entries()[0].state, ArpEntry::State::free);
    EXPECT_EQ(ifc->counters.drop_arp_other, 1u);
}

TEST_F(InterfaceTest, UnresolvedDestinationQueuesAndFlushesInOrder) {
    for (uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(ifc->udp_send(1000, kPeerIp, 2000, pattern(20, i), 0));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);  // one ARP request, packets queued
    auto p = parse(out[0]);
    ASSERT_TRUE(p.arp);
    EXPECT_EQ(p.arp->operation, ArpOperation::Request);
    EXPECT_EQ(p.arp->target_ip, kPeerIp);
    EXPECT_EQ(p.arp->source_ip, kOurIp);
    EXPECT_EQ(p.eth.dst, MacAddr::broadcast());
    EXPECT_EQ(ifc->arp_pending(), 3u);
    EXPECT_EQ(ifc->next_deadline(), cfg.arp_retry_ns);

    ifc->receive(arp_frame(ArpOperation::Reply, kPeerMac, kPeerIp, kOurMac, kOurIp, kOurMac), 10);
    out = sink.take();
    ASSERT_EQ(out.size(), 3u);
    for (uint8_t i = 0; i < 3; ++i) {
        auto q = parse(out[i]);
        ASSERT_TRUE(q.ip);
        EXPECT_EQ(q.eth.dst, kPeerMac);
        EXPECT_EQ(q.ip->dst, kPeerIp);
        EXPECT_EQ(udp_payload_of(q), pattern(20, i));
    }
    EXPECT_EQ(ifc->arp_pending(), 0u);
    EXPECT_EQ(ifc->next_deadline(), kNever);
}

TEST_F(InterfaceTest, PendingQueueIsBoundedDropOldest) {
    for (uint8_t i = 0; i < 7; ++i) ASSERT_TRUE(ifc->udp_send(1000, kPeerIp, 2000, pattern(20, i), 0));
    EXPECT_EQ(sink.take().size(), 1u);  // still one request
    EXPECT_EQ(ifc->arp_pending(), cfg.arp_queue_per_dest);
    EXPECT_EQ(ifc->counters.arp_queue_dropped, 3u);
    ifc->receive(arp_frame(ArpOperation::Reply, kPeerMac, kPeerIp, kOurMac, kOurIp, kOurMac), 1);
    auto out = sink.take();
    ASSERT_EQ(out.size(), 4u);
    for (uint8_t i = 0; i < 4; ++i) EXPECT_EQ(udp_payload_of(parse(out[i])), pattern(20, uint8_t(i + 3)));
}

TEST_F(InterfaceTest, GlobalPendingPoolIsBounded) {
    // 17 destinations x 1 packet: the pool holds 16, the oldest is dropped.
    for (uint8_t i = 0; i < Interface::kPendingSlots + 1; ++i)
        ASSERT_TRUE(ifc->udp_send(1000, Ipv4Addr{10, 0, 0, uint8_t(10 + i)}, 2000, pattern(8, i), 0));
    EXPECT_EQ(ifc->arp_pending(), Interface::kPendingSlots);
    EXPECT_EQ(ifc->counters.arp_queue_dropped, 1u);
}

TEST_F(InterfaceTest, ArpRetriesThenGivesUp) {
    ASSERT_TRUE(ifc->udp_send(1000, kPeerIp, 2000, pattern(20), 0));
    EXPECT_EQ(sink.take().size(), 1u);
    uint64_t t = 0;
    int requests = 1;
    while (ifc->next_deadline() != kNever) {
        t = ifc->next_deadline();
        ifc->poll(t);
        for (auto& f : sink.take()) {
            auto p = parse(f);
            ASSERT_TRUE(p.arp);
            EXPECT_EQ(p.arp->target_ip, kPeerIp);
            ++requests;
        }
        ASSERT_LT(requests, 100);
    }
    EXPECT_EQ(requests, cfg.arp_max_requests);
    EXPECT_EQ(t, uint64_t(cfg.arp_max_requests) * cfg.arp_retry_ns);
    EXPECT_EQ(ifc->arp_pending(), 0u);
    EXPECT_EQ(ifc->counters.arp_failed, 1u);
    // A later reply does not resurrect the dropped packet.
    ifc->receive(arp_frame(ArpOperation::Reply, kPeerMac, kPeerIp, kOurMac, kOurIp, kOurMac), t + 1);
    EXPECT_TRUE(sink.take().empty());
}

TEST_F(InterfaceTest, ArpEntryExpiresAndIsResolvedAgain) {
    learn(kPeerMac, kPeerIp, 0);
    ASSERT_TRUE(ifc->udp_send(1, kPeerIp, 2, pattern(4), cfg.arp_reachable_ns - 1));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(parse(out[0]).ip);
    // Expired: the next send resolves again.
    ASSERT_TRUE(ifc->udp_send(1, kPeerIp, 2, pattern(4), cfg.arp_reachable_ns));
    out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);
    ASSERT_TRUE(p.arp);
    EXPECT_EQ(p.arp->target_ip, kPeerIp);
    // The peer moved to a new MAC.
    MacAddr moved{{0x02, 0, 0, 0, 0, 0x22}};
    ifc->receive(arp_frame(ArpOperation::Reply, moved, kPeerIp, kOurMac, kOurIp, kOurMac), cfg.arp_reachable_ns + 5);
    out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(parse(out[0]).eth.dst, moved);
    // poll() removes expired entries.
    ifc->poll(cfg.arp_reachable_ns * 3);
    for (auto& e : ifc->arp_cache().entries()) EXPECT_EQ(e.state, ArpEntry::State::free);
}

TEST_F(InterfaceTest, OffLinkGoesViaGatewayAndNoRouteWithoutOne) {
    ASSERT_TRUE(ifc->udp_send(1, kFarIp, 2, pattern(4), 0));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(parse(out[0]).arp->target_ip, kGwIp);
    ifc->receive(arp_frame(ArpOperation::Reply, kGwMac, kGwIp, kOurMac, kOurIp, kOurMac), 1);
    out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);
    EXPECT_EQ(p.eth.dst, kGwMac);
    EXPECT_EQ(p.ip->dst, kFarIp);

    ifc->set_ipv4(*wire::Ipv4Cidr::make(kOurIp, 24), std::nullopt, 2);
    sink.take();
    auto r = ifc->udp_send(1, kFarIp, 2, pattern(4), 3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Error::not_found);
    EXPECT_EQ(ifc->counters.tx_no_route, 1u);
}

TEST_F(InterfaceTest, BroadcastNeedsNoArp) {
    ASSERT_TRUE(ifc->udp_send(1, Ipv4Addr::broadcast(), 2, pattern(4), 0));
    ASSERT_TRUE(ifc->udp_send(1, Ipv4Addr{10, 0, 0, 255}, 2, pattern(4), 0));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 2u);
    for (auto& f : out) EXPECT_EQ(parse(f).eth.dst, MacAddr::broadcast());
}

TEST_F(InterfaceTest, PingEchoReply) {
    learn(kPeerMac, kPeerIp);
    Bytes data = pattern(56, 3);
    rx_ip(ipv4(kPeerIp, kOurIp, 1, icmp_echo(true, 0x1234, 7, data)));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);  // IPv4 checksum verified in parse()
    ASSERT_TRUE(p.ip);
    EXPECT_EQ(p.eth.dst, kPeerMac);
    EXPECT_EQ(p.ip->src, kOurIp);
    EXPECT_EQ(p.ip->dst, kPeerIp);
    EXPECT_EQ(p.ip->protocol, 1);
    auto ic = wire::Icmpv4Packet::check(p.ip_payload);
    ASSERT_TRUE(ic);
    EXPECT_TRUE(ic->verify_checksum());
    auto r = wire::Icmpv4Repr::parse(*ic, true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, wire::Icmpv4Type::EchoReply);
    EXPECT_EQ(r->echo_ident, 0x1234);
    EXPECT_EQ(r->echo_seq, 7);
    EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), data);
    EXPECT_EQ(ifc->counters.icmp_echo_replies, 1u);
}

TEST_F(InterfaceTest, OddLengthPingChecksumIsRight) {
    learn(kPeerMac, kPeerIp);
    for (size_t n : {0u, 1u, 3u, 57u}) {
        rx_ip(ipv4(kPeerIp, kOurIp, 1, icmp_echo(true, 1, uint16_t(n), pattern(n))));
        auto out = sink.take();
        ASSERT_EQ(out.size(), 1u);
        auto p = parse(out[0]);
        auto ic = wire::Icmpv4Packet::check(p.ip_payload);
        ASSERT_TRUE(ic);
        EXPECT_TRUE(ic->verify_checksum()) << n;
    }
}

TEST_F(InterfaceTest, FragmentedPingIsReassembledAndReplyFragmented) {
    learn(kPeerMac, kPeerIp);
    Bytes data = pattern(4000, 9);
    Bytes icmp = icmp_echo(true, 5, 6, data);
    // Send fragments out of order with a duplicate.
    std::vector<std::pair<size_t, size_t>> pieces = {{1480, 1480}, {0, 1480}, {2960, icmp.size() - 2960}, {0, 1480}};
    for (auto [off, len] : pieces) {
        Bytes part(icmp.begin() + off, icmp.begin() + off + len);
        rx_ip(ipv4(kPeerIp, kOurIp, 1, part, IpOpts{.ident = 99, .more = off + len < icmp.size(), .offset = uint16_t(off)}));
    }
    auto out = sink.take();
    ASSERT_EQ(out.size(), 3u);  // 4008 bytes of ICMP in 1480-byte fragments
    EXPECT_EQ(ifc->counters.tx_fragments, 3u);
    // Reassemble the reply with a fresh Reassembler and check it.
    Reassembler r;
    std::optional<Bytes> whole;
    uint16_t ident = 0;
    for (auto& f : out) {
        auto p = parse(f);
        ASSERT_TRUE(p.ip);
        EXPECT_LE(f.size(), 14u + 1500u);
        if (ident == 0) ident = p.ip->ident;
        EXPECT_EQ(p.ip->ident, ident);
        auto o = r.add(FragKey{p.ip->src, p.ip->dst, 1, p.ip->ident}, p.ip->frag_offset, p.ip->more_frags,
                       p.ip_payload, 0);
        if (o.status == Reassembler::Status::complete) whole = Bytes(o.payload.begin(), o.payload.end());
    }
    ASSERT_TRUE(whole);
    auto ic = wire::Icmpv4Packet::check(*whole);
    ASSERT_TRUE(ic);
    EXPECT_TRUE(ic->verify_checksum());
    EXPECT_EQ(Bytes(ic->data().begin(), ic->data().end()), data);
}

TEST_F(InterfaceTest, FragmentsTimeOutViaPoll) {
    learn(kPeerMac, kPeerIp);
    Bytes icmp = icmp_echo(true, 5, 6, pattern(2000));
    rx_ip(ipv4(kPeerIp, kOurIp, 1, Bytes(icmp.begin(), icmp.begin() + 1480), IpOpts{.ident = 4, .more = true}), 0);
    EXPECT_EQ(ifc->next_deadline(), cfg.reassembly.timeout_ns);
    ifc->poll(cfg.reassembly.timeout_ns);
    EXPECT_EQ(ifc->reassembly_stats().timeouts, 1u);
    rx_ip(ipv4(kPeerIp, kOurIp, 1, Bytes(icmp.begin() + 1480, icmp.end()), IpOpts{.ident = 4, .offset = 1480}),
          cfg.reassembly.timeout_ns + 1);
    EXPECT_TRUE(sink.take().empty());
}

TEST_F(InterfaceTest, DropsAndCountsBadInput) {
    learn(kPeerMac, kPeerIp);
    Bytes good = ipv4(kPeerIp, kOurIp, 1, icmp_echo(true, 1, 1, pattern(8)));
    // Bad IPv4 header checksum.
    Bytes bad = good;
    bad[10] ^= 0xff;
    rx_ip(bad);
    EXPECT_EQ(ifc->counters.drop_bad_checksum, 1u);
    // Bad ICMP checksum.
    Bytes bad_icmp = good;
    bad_icmp[20 + 8] ^= 1;
    rx_ip(bad_icmp);
    EXPECT_EQ(ifc->counters.drop_bad_checksum, 2u);
    // Not our IP.
    rx_ip(ipv4(kPeerIp, Ipv4Addr{10, 0, 0, 77}, 1, icmp_echo(true, 1, 1, pattern(8))));
    EXPECT_EQ(ifc->counters.drop_not_for_us_ip, 1u);
    // Not our MAC.
    rx_ip(good, 0, kPeerMac, MacAddr{{0x02, 9, 9, 9, 9, 9}});
    EXPECT_EQ(ifc->counters.drop_not_for_us_mac, 1u);
    // Short frames: Ethernet header cut; IPv4 header cut; total length beyond the frame.
    ifc->receive(Bytes(10, 0xff), 0);
    Bytes cut = eth(kOurMac, kPeerMac, EtherType::Ipv4, Bytes(good.begin(), good.begin() + 12));
    cut.resize(14 + 12);
    ifc->receive(cut, 0);
    Bytes longlen = good;
    longlen[2] = 0x10;  // total length 4096+...
    rx_ip(longlen);
    EXPECT_EQ(ifc->counters.drop_malformed, 3u);
    // TTL 0, broadcast source, unknown ethertype.
    rx_ip(ipv4(kPeerIp, kOurIp, 1, icmp_echo(true, 1, 1, pattern(8)), IpOpts{.ttl = 0}));
    EXPECT_EQ(ifc->counters.drop_ttl, 1u);
    rx_ip(ipv4(Ipv4Addr::broadcast(), kOurIp, 1, icmp_echo(true, 1, 1, pattern(8))));
    EXPECT_EQ(ifc->counters.drop_bad_src, 1u);
    ifc->receive(eth(kOurMac, kPeerMac, EtherType::Ipv6, pattern(40)), 0);
    EXPECT_EQ(ifc->counters.drop_ethertype, 1u);
    EXPECT_TRUE(sink.take().empty());
    // The good one still works; Ethernet padding after the IP packet is ignored.
    rx_ip(good);
    EXPECT_EQ(sink.take().size(), 1u);
    EXPECT_EQ(ifc->counters.rx_frames, 12u);  // learn() + 11 above
}

TEST_F(InterfaceTest, UdpEcho) {
    learn(kPeerMac, kPeerIp);
    std::vector<uint8_t> storage(4 * 2048);
    UdpSocket sock(storage);
    ASSERT_EQ(*ifc->udp_bind(sock, 7), 7);
    Bytes msg = pattern(100, 1);
    rx_ip(ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 5555, 7, msg)));
    ASSERT_EQ(sock.queued(), 1u);
    auto d = *sock.front();
    EXPECT_EQ(d.src, kPeerIp);
    EXPECT_EQ(d.src_port, 5555);
    EXPECT_EQ(d.dst, kOurIp);
    EXPECT_EQ(Bytes(d.data.begin(), d.data.end()), msg);
    // Echo it back.
    ASSERT_TRUE(ifc->udp_send(sock.local_port(), d.src, d.src_port, d.data, 1));
    sock.pop();
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);
    auto u = wire::UdpPacket::check(p.ip_payload);
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->verify_checksum(p.ip->src, p.ip->dst));
    EXPECT_NE(u->checksum_field(), 0);
    EXPECT_EQ(u->src_port(), 7);
    EXPECT_EQ(u->dst_port(), 5555);
    EXPECT_EQ(Bytes(u->payload().begin(), u->payload().end()), msg);
    // A second socket cannot take the port; ephemeral binding works.
    std::vector<uint8_t> st2(2048);
    UdpSocket s2(st2);
    EXPECT_EQ(ifc->udp_bind(s2, 7).error(), Error::again);
    auto eph = ifc->udp_bind(s2, 0);
    ASSERT_TRUE(eph);
    EXPECT_GE(*eph, 49152);
    ifc->udp_unbind(s2);
    EXPECT_FALSE(s2.bound());
}

TEST_F(InterfaceTest, UdpQueueFullDrops) {
    learn(kPeerMac, kPeerIp);
    std::vector<uint8_t> storage(2 * 256);
    UdpSocket sock(storage, 256);
    ASSERT_TRUE(ifc->udp_bind(sock, 9));
    for (int i = 0; i < 3; ++i) rx_ip(ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 1, 9, pattern(10))));
    rx_ip(ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 1, 9, pattern(300))));
    EXPECT_EQ(sock.queued(), 2u);
    EXPECT_EQ(sock.dropped_full, 1u);
    EXPECT_EQ(sock.dropped_too_big, 1u);
    EXPECT_EQ(ifc->counters.drop_udp_queue_full, 2u);
    EXPECT_TRUE(sink.take().empty());
}

TEST_F(InterfaceTest, LargeUdpDatagramFragmentsAndReassembles) {
    learn(kPeerMac, kPeerIp);
    Bytes msg = pattern(5000, 4);
    ASSERT_TRUE(ifc->udp_send(1111, kPeerIp, 2222, msg, 0));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 4u);
    // Loop the fragments into a second interface (the peer) and read the datagram there.
    CaptureSink psink;
    Interface peer(kPeerMac, psink);
    peer.set_ipv4(*wire::Ipv4Cidr::make(kPeerIp, 24), std::nullopt, 0);
    std::vector<uint8_t> storage(8192);
    UdpSocket sock(storage, 8192);
    ASSERT_TRUE(peer.udp_bind(sock, 2222));
    for (auto it = out.rbegin(); it != out.rend(); ++it) peer.receive(*it, 1);  // reversed order
    ASSERT_EQ(sock.queued(), 1u);
    EXPECT_EQ(Bytes(sock.front()->data.begin(), sock.front()->data.end()), msg);
    // With dont_frag the datagram is refused.
    auto r = ifc->udp_send(1111, kPeerIp, 2222, msg, 0, SendOptions{.dont_frag = true});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Error::overflow);
}

TEST_F(InterfaceTest, ClosedUdpPortGetsRateLimitedPortUnreachable) {
    cfg.icmp_error_burst = 2;
    cfg.icmp_error_interval_ns = kS;
    make();
    learn(kPeerMac, kPeerIp);
    Bytes dgram = ipv4(kPeerIp, kOurIp, 17, udp(kPeerIp, kOurIp, 4000, 53, pattern(30)));
    for (int i = 0; i < 5; ++i) rx_ip(dgram, 10);
    auto out = sink.take();
    ASSERT_EQ(out.size(), 2u);  // burst of 2
    EXPECT_EQ(ifc->counters.icmp_errors_limited, 3u);
    EXPECT_EQ(ifc->counters.drop_udp_no_socket, 5u);
    auto p = parse(out[0]);
    auto ic = wire::Icmpv4Packet::check(p.ip_payload);
    ASSERT_TRUE(ic);
    auto r = wire::Icmpv4Repr::parse(*ic, true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, wire::Icmpv4Type::DestUnreachable);
    EXPECT_EQ(r->code, wire::icmpv4_code::kPortUnreachable);
    auto q = wire::parse_icmpv4_quote(r->data);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->src, kPeerIp);
    EXPECT_EQ(q->dst, kOurIp);
    EXPECT_EQ(q->protocol, 17);
    EXPECT_EQ(wire::be::get16(q->transport.data() + 2), 53);
    // One token per second comes back.
    rx_ip(dgram, 10 + kS);
    EXPECT_EQ(sink.take().size(), 1u);
    rx_ip(dgram, 10 + kS);
    EXPECT_EQ(sink.take().size(), 0u);
    // Broadcast UDP to a closed port is dropped silently.
    rx_ip(ipv4(kPeerIp, Ipv4Addr::broadcast(), 17, udp(kPeerIp, Ipv4Addr::broadcast(), 4000, 53, pattern(30))),
          100 * kS, kPeerMac, MacAddr::broadcast());
    EXPECT_EQ(sink.take().size(), 0u);
}

namespace {
struct RecordingHandler final : IpProtocolHandler {
    std::vector<std::pair<IpDatagram, Bytes>> got;
    Interface* ifc = nullptr;
    void ip_input(const IpDatagram& d, uint64_t now) override {
        got.emplace_back(d, Bytes(d.payload.begin(), d.payload.end()));
        // Answer through the interface, as TCP would.
        Bytes seg = {1, 2, 3, 4};
        EXPECT_TRUE(ifc->send_ipv4(d.src, 6, seg, {}, now));
    }
};
}  // namespace

TEST_F(InterfaceTest, ProtocolHandlerForTcp) {
    learn(kPeerMac, kPeerIp);
    RecordingHandler h;
    h.ifc = ifc.get();
    ASSERT_TRUE(ifc->set_protocol_handler(6, &h));
    EXPECT_FALSE(ifc->set_protocol_handler(17, &h));
    Bytes seg = pattern(40);
    rx_ip(ipv4(kPeerIp, kOurIp, 6, seg));
    ASSERT_EQ(h.got.size(), 1u);
    EXPECT_EQ(h.got[0].first.src, kPeerIp);
    EXPECT_EQ(h.got[0].first.dst, kOurIp);
    EXPECT_EQ(h.got[0].first.protocol, 6);
    EXPECT_EQ(h.got[0].second, seg);
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p = parse(out[0]);
    EXPECT_EQ(p.ip->protocol, 6);
    EXPECT_EQ(p.ip->dst, kPeerIp);
    EXPECT_EQ(p.ip_payload, (Bytes{1, 2, 3, 4}));
    // Without a handler: protocol unreachable.
    ASSERT_TRUE(ifc->set_protocol_handler(6, nullptr));
    rx_ip(ipv4(kPeerIp, kOurIp, 6, seg));
    out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto p2 = parse(out[0]);
    auto ic = wire::Icmpv4Packet::check(p2.ip_payload);
    ASSERT_TRUE(ic);
    EXPECT_EQ(ic->type(), 3);
    EXPECT_EQ(ic->code(), wire::icmpv4_code::kProtoUnreachable);
}

TEST_F(InterfaceTest, IdentificationIncrements) {
    learn(kPeerMac, kPeerIp);
    cfg.ident_seed = 100;
    ASSERT_TRUE(ifc->udp_send(1, kPeerIp, 2, pattern(4), 0));
    ASSERT_TRUE(ifc->udp_send(1, kPeerIp, 2, pattern(4), 0));
    auto out = sink.take();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(uint16_t(parse(out[0]).ip->ident + 1), parse(out[1]).ip->ident);
}

TEST_F(InterfaceTest, SinkRefusalIsCounted) {
    learn(kPeerMac, kPeerIp);
    sink.refuse = true;
    ASSERT_TRUE(ifc->udp_send(1, kPeerIp, 2, pattern(4), 0));
    EXPECT_EQ(ifc->counters.tx_sink_full, 1u);
}

// Receive offload. Without rx_large, an IPv4 packet longer than the MTU is dropped, flagged or
// not; with it, an unfragmented one up to 64 KiB is delivered, and the device's "checksum valid"
// flag reaches the protocol handler (never for a fragment, nor without the flag). A fragment
// longer than the MTU is still dropped.
TEST_F(InterfaceTest, OversizePacketsOnlyFromAnOffloadDevice) {
    struct Quiet final : IpProtocolHandler {
        std::vector<std::pair<bool, std::size_t>> got;  // (l4_csum_valid, payload size)
        void ip_input(const IpDatagram& d, uint64_t) override { got.emplace_back(d.l4_csum_valid, d.payload.size()); }
    };
    Bytes big = pattern(40 * 1024);
    Bytes frame = eth(kOurMac, kPeerMac, EtherType::Ipv4, ipv4(kPeerIp, kOurIp, 6, big));
    {
        Quiet h;
        ASSERT_TRUE(ifc->set_protocol_handler(6, &h));
        ifc->receive(frame, 0, Interface::kRxCsumValid);
        ifc->receive(frame, 0);
        EXPECT_TRUE(h.got.empty());
        EXPECT_EQ(ifc->counters.drop_too_long, 2u);
        ASSERT_TRUE(ifc->set_protocol_handler(6, nullptr));
    }
    cfg.rx_large = true;
    make();
    Quiet h;
    ASSERT_TRUE(ifc->set_protocol_handler(6, &h));
    ifc->receive(frame, 0, Interface::kRxCsumValid);
    ifc->receive(frame, 0);
    rx_ip(ipv4(kPeerIp, kOurIp, 6, pattern(100)));
    ASSERT_EQ(h.got.size(), 3u);
    EXPECT_EQ(h.got[0], std::make_pair(true, big.size()));
    EXPECT_EQ(h.got[1], std::make_pair(false, big.size()));
    EXPECT_EQ(h.got[2], std::make_pair(false, std::size_t(100)));
    EXPECT_EQ(ifc->counters.rx_large, 2u);
    EXPECT_EQ(ifc->counters.rx_csum_valid, 1u);
    // A fragment longer than the MTU: dropped even from an offload device.
    ifc->receive(eth(kOurMac, kPeerMac, EtherType::Ipv4, ipv4(kPeerIp, kOurIp, 6, big, {.ident = 9, .more = true})), 0,
                 Interface::kRxCsumValid);
    EXPECT_EQ(h.got.size(), 3u);
    EXPECT_EQ(ifc->counters.drop_too_long, 1u);
}
