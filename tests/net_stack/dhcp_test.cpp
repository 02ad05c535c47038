// DhcpClient against hand-made server messages: frames in, frames out.
#include <gtest/gtest.h>

#include <memory>

#include "net/stack/dhcp_client.h"
#include "net/wire/dhcp.h"
#include "net_stack/frames.h"

using namespace nettest;
using namespace unikit;
using namespace unikit::net::stack;
using wire::DhcpMessageType;
namespace util = unikit::net::util;

namespace {
constexpr uint64_t kS = 1'000'000'000ULL;
const Ipv4Addr kServer{10, 0, 0, 254};
const MacAddr kServerMac{{0x02, 0, 0, 0, 0, 0xfe}};
const Ipv4Addr kOffered{10, 0, 0, 50};
const Ipv4Addr kDns1{10, 0, 0, 53};

struct Reply {
    DhcpMessageType type = DhcpMessageType::Offer;
    uint32_t lease = 3600;
    std::optional<uint32_t> t1, t2;
    std::optional<uint32_t> xid;
    Ipv4Addr yiaddr = kOffered;
    Ipv4Addr dst_ip = Ipv4Addr::broadcast();
};

struct SentDhcp {
    Parsed frame;
    wire::DhcpRepr msg;
    Bytes raw;  // keeps msg's spans alive
    uint16_t sport = 0, dport = 0;
};

struct DhcpTest : ::testing::Test {
    CaptureSink sink;
    std::unique_ptr<Interface> ifc;
    std::vector<uint8_t> storage = std::vector<uint8_t>(4 * 2048);
    std::unique_ptr<UdpSocket> sock;
    std::unique_ptr<util::Xoshiro256> rng;
    std::unique_ptr<DhcpClient> dhcp;

    void SetUp() override {
        ifc = std::make_unique<Interface>(kOurMac, sink);
        sock = std::make_unique<UdpSocket>(storage);
        rng = std::make_unique<util::Xoshiro256>(1234);
        dhcp = std::make_unique<DhcpClient>(*ifc, *sock, *rng);
        ASSERT_TRUE(dhcp->ok());
    }

    // The DHCP messages among the frames sent since the last call (ARP frames are skipped).
    std::vector<SentDhcp> sent() {
        std::vector<SentDhcp> out;
        for (auto& f : sink.take()) {
            SentDhcp s;
            s.frame = parse(f);
            if (!s.frame.ip || s.frame.ip->protocol != 17) continue;
            auto u = wire::UdpPacket::check(s.frame.ip_payload);
            EXPECT_TRUE(u);
            EXPECT_TRUE(u->verify_checksum(s.frame.ip->src, s.frame.ip->dst));
            s.sport = u->src_port();
            s.dport = u->dst_port();
            s.raw.assign(u->payload().begin(), u->payload().end());
            out.push_back(std::move(s));
        }
        for (auto& s : out) {
            auto p = wire::DhcpPacket::check(s.raw);
            EXPECT_TRUE(p);
            auto r = wire::DhcpRepr::parse(*p);
            EXPECT_TRUE(r);
            if (r) s.msg = *r;
        }
        return out;
    }
    SentDhcp one() {
        auto v = sent();
        EXPECT_EQ(v.size(), 1u);
        return v.empty() ? SentDhcp{} : v[0];
    }

    void server_sends(const Reply& r, uint64_t now) {
        wire::DhcpRepr m;
        m.op = wire::DhcpOp::Reply;
        m.message_type = r.type;
        m.xid = r.xid ? *r.xid : dhcp->xid();
        m.client_hw = kOurMac;
        m.server_id = kServer;
        if (r.type != DhcpMessageType::Nak) {
            m.yiaddr = r.yiaddr;
            m.subnet_mask = Ipv4Addr{255, 255, 255, 0};
            m.router = kServer;
            m.lease_time = r.lease;
            m.renewal_time = r.t1;
            m.rebinding_time = r.t2;
            m.dns_servers[0] = kDns1;
            m.dns_count = 1;
        }
        Bytes msg(m.len());
        EXPECT_TRUE(m.emit(msg));
        Bytes u = udp(kServer, r.dst_ip, 67, 68, msg);
        MacAddr dmac = r.dst_ip.is_broadcast() ? MacAddr::broadcast() : kOurMac;
        ifc->receive(eth(dmac, kServerMac, wire::EtherType::Ipv4, ipv4(kServer, r.dst_ip, 17, u)), now);
        dhcp->poll(now);
    }

    // Runs the whole handshake at t=0; returns the time of binding.
    void bind_at(uint64_t t, Reply ack = {.type = DhcpMessageType::Ack}) {
        dhcp->poll(t);
        one();
        server_sends({}, t);
        one();
        server_sends(ack, t);
        ASSERT_EQ(dhcp->state(), DhcpState::bound);
        sink.take();
    }
};
}  // namespace

TEST_F(DhcpTest, FullHandshake) {
    EXPECT_EQ(dhcp->state(), DhcpState::init);
    EXPECT_EQ(dhcp->next_deadline(), 0u);
    dhcp->poll(0);
    auto d = one();
    ASSERT_TRUE(d.frame.ip);
    EXPECT_EQ(d.frame.eth.dst, MacAddr::broadcast());
    EXPECT_EQ(d.frame.ip->src, Ipv4Addr::any());
    EXPECT_EQ(d.frame.ip->dst, Ipv4Addr::broadcast());
    EXPECT_EQ(d.sport, 68);
    EXPECT_EQ(d.dport, 67);
    EXPECT_EQ(d.msg.message_type, DhcpMessageType::Discover);
    EXPECT_EQ(d.msg.client_hw, kOurMac);
    EXPECT_EQ(d.msg.xid, dhcp->xid());
    EXPECT_EQ(dhcp->state(), DhcpState::selecting);
    EXPECT_GE(dhcp->next_deadline(), 3 * kS);
    EXPECT_LE(dhcp->next_deadline(), 5 * kS);

    server_sends({}, 1 * kS);  // OFFER
    auto r = one();
    EXPECT_EQ(r.msg.message_type, DhcpMessageType::Request);
    EXPECT_EQ(r.msg.requested_ip, kOffered);
    EXPECT_EQ(r.msg.server_id, kServer);
    EXPECT_EQ(r.msg.xid, d.msg.xid);
    EXPECT_EQ(r.frame.ip->src, Ipv4Addr::any());
    EXPECT_EQ(r.frame.ip->dst, Ipv4Addr::broadcast());
    EXPECT_EQ(dhcp->state(), DhcpState::requesting);

    server_sends({.type = DhcpMessageType::Ack}, 2 * kS);
    EXPECT_EQ(dhcp->state(), DhcpState::bound);
    ASSERT_TRUE(ifc->ipv4());
    EXPECT_EQ(*ifc->ipv4(), *wire::Ipv4Cidr::make(kOffered, 24));
    EXPECT_EQ(ifc->gateway(), kServer);
    ASSERT_EQ(ifc->dns().size(), 1u);
    EXPECT_EQ(ifc->dns()[0], kDns1);
    // Times count from the first REQUEST (t = 1 s): T1 = 1800 s, T2 = 3150 s, expiry 3600 s.
    ASSERT_TRUE(dhcp->lease());
    EXPECT_EQ(dhcp->lease()->t1, 1 * kS + 1800 * kS);
    EXPECT_EQ(dhcp->lease()->t2, 1 * kS + 3150 * kS);
    EXPECT_EQ(dhcp->lease()->expiry, 1 * kS + 3600 * kS);
    EXPECT_EQ(dhcp->next_deadline(), dhcp->lease()->t1);
    // The new address is announced with a gratuitous ARP.
    auto out = sink.take();
    ASSERT_EQ(out.size(), 1u);
    auto g = parse(out[0]);
    ASSERT_TRUE(g.arp);
    EXPECT_EQ(g.arp->source_ip, kOffered);
    EXPECT_EQ(g.arp->target_ip, kOffered);
}

TEST_F(DhcpTest, IgnoresForeignAndUnexpectedMessages) {
    dhcp->poll(0);
    one();
    server_sends({.xid = dhcp->xid() + 1}, 1);  // wrong transaction
    server_sends({.type = DhcpMessageType::Ack}, 1);  // ACK while selecting
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(dhcp->state(), DhcpState::selecting);
    EXPECT_EQ(dhcp->counters.ignored, 2u);
    // An offer unicast to the offered address is accepted before we have an address.
    server_sends({.dst_ip = kOffered}, 2);
    EXPECT_EQ(dhcp->state(), DhcpState::requesting);
}

TEST_F(DhcpTest, DiscoverBackoffIsExponentialJitteredAndDeterministic) {
    auto run = [](uint64_t seed) {
        CaptureSink s;
        Interface i(kOurMac, s);
        std::vector<uint8_t> st(2048);
        UdpSocket so(st);
        util::Xoshiro256 r(seed);
        DhcpClient c(i, so, r);
        std::vector<uint64_t> times;
        uint64_t t = 0;
        for (int k = 0; k < 8; ++k) {
            c.poll(t);
            times.push_back(t);
            t = c.next_deadline();
        }
        EXPECT_EQ(c.counters.discovers, 8u);
        return times;
    };
    auto a = run(1), b = run(1), c = run(2);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    const uint64_t base[] = {4, 8, 16, 32, 64, 64, 64};
    for (int k = 0; k < 7; ++k) {
        uint64_t gap = a[k + 1] - a[k];
        EXPECT_GE(gap, (base[k] - 1) * kS) << k;
        EXPECT_LE(gap, (base[k] + 1) * kS) << k;
    }
}

TEST_F(DhcpTest, RequestRetriesThenStartsOver) {
    dhcp->poll(0);
    one();
    server_sends({}, 0);
    one();
    int requests = 1;
    uint32_t old_xid = dhcp->xid();
    while (dhcp->state() == DhcpState::requesting) {
        dhcp->poll(dhcp->next_deadline());
        auto m = one();
        if (m.msg.message_type == DhcpMessageType::Request) ++requests;
        ASSERT_LT(requests, 20);
    }
    EXPECT_EQ(requests, 4);
    EXPECT_EQ(dhcp->state(), DhcpState::selecting);
    EXPECT_NE(dhcp->xid(), old_xid);
}

TEST_F(DhcpTest, NakWhileRequestingRestarts) {
    dhcp->poll(0);
    one();
    server_sends({}, 0);
    one();
    server_sends({.type = DhcpMessageType::Nak}, 1);
    auto d = one();
    EXPECT_EQ(d.msg.message_type, DhcpMessageType::Discover);
    EXPECT_EQ(dhcp->state(), DhcpState::selecting);
    EXPECT_FALSE(ifc->ipv4());
    EXPECT_EQ(dhcp->counters.naks, 1u);
}

TEST_F(DhcpTest, RenewAtT1IsUnicastToServer) {
    bind_at(0);
    const auto lease = *dhcp->lease();
    // The server resolves us (as it would before unicasting), which teaches us its MAC.
    ifc->receive(arp_frame(wire::ArpOperation::Request, kServerMac, kServer, MacAddr::zero(), kOffered),
                 lease.t1 - 1);
    sink.take();
    dhcp->poll(lease.t1 - 1);
    EXPECT_TRUE(sent().empty());
    dhcp->poll(lease.t1);
    EXPECT_EQ(dhcp->state(), DhcpState::renewing);
    auto r = one();
    EXPECT_EQ(r.msg.message_type, DhcpMessageType::Request);
    EXPECT_EQ(r.msg.ciaddr, kOffered);
    EXPECT_FALSE(r.msg.requested_ip);
    EXPECT_FALSE(r.msg.server_id);
    EXPECT_EQ(r.frame.eth.dst, kServerMac);
    EXPECT_EQ(r.frame.ip->src, kOffered);
    EXPECT_EQ(r.frame.ip->dst, kServer);
    // Retransmission after half the time to T2 (>= 60 s).
    EXPECT_EQ(dhcp->next_deadline(), lease.t1 + (lease.t2 - lease.t1) / 2);
    // The ACK extends the lease from the renewal time; no new gratuitous ARP (same address).
    server_sends({.type = DhcpMessageType::Ack, .dst_ip = kOffered}, lease.t1 + kS);
    EXPECT_EQ(dhcp->state(), DhcpState::bound);
    EXPECT_EQ(dhcp->lease()->t1, lease.t1 + 1800 * kS);
    EXPECT_TRUE(sink.take().empty());
    EXPECT_EQ(*ifc->ipv4(), *wire::Ipv4Cidr::make(kOffered, 24));
}

TEST_F(DhcpTest, RebindAtT2IsBroadcast) {
    bind_at(0, {.type = DhcpMessageType::Ack, .lease = 1000, .t1 = 400, .t2 = 800});
    const auto lease = *dhcp->lease();
    EXPECT_EQ(lease.t1, 400 * kS);
    EXPECT_EQ(lease.t2, 800 * kS);
    uint64_t t = 0;
    int renews = 0;
    std::vector<SentDhcp> at_t2;
    while (dhcp->state() != DhcpState::rebinding) {
        t = dhcp->next_deadline();
        ASSERT_LE(t, lease.t2);
        dhcp->poll(t);
        if (dhcp->state() == DhcpState::rebinding) at_t2 = sent();
        else sink.take();  // renew requests wait for ARP of the server, which never answers
        ++renews;
        ASSERT_LT(renews, 20);
    }
    EXPECT_EQ(t, lease.t2);
    // T1 (400 s), then half the time left to T2 but at least 60 s: 600, 700, 760, then T2 (800 s).
    EXPECT_EQ(renews, 5);
    ASSERT_EQ(at_t2.size(), 1u);
    EXPECT_EQ(at_t2[0].msg.message_type, DhcpMessageType::Request);
    EXPECT_EQ(at_t2[0].msg.ciaddr, kOffered);
    EXPECT_EQ(at_t2[0].frame.ip->src, kOffered);
    EXPECT_EQ(at_t2[0].frame.ip->dst, Ipv4Addr::broadcast());
    EXPECT_EQ(at_t2[0].frame.eth.dst, MacAddr::broadcast());
    EXPECT_EQ(dhcp->next_deadline(), lease.t2 + 100 * kS);  // half of the 200 s left
    server_sends({.type = DhcpMessageType::Ack, .lease = 1000}, lease.t2 + kS);
    EXPECT_EQ(dhcp->state(), DhcpState::bound);
    EXPECT_EQ(dhcp->lease()->expiry, lease.t2 + 1000 * kS);
}

TEST_F(DhcpTest, NakWhileRenewingDropsAddress) {
    bind_at(0);
    dhcp->poll(dhcp->lease()->t1);
    sink.take();
    server_sends({.type = DhcpMessageType::Nak, .dst_ip = kOffered}, dhcp->lease()->t1 + kS);
    EXPECT_FALSE(ifc->ipv4());
    EXPECT_FALSE(dhcp->lease());
    EXPECT_EQ(dhcp->state(), DhcpState::selecting);
    auto d = one();
    EXPECT_EQ(d.msg.message_type, DhcpMessageType::Discover);
    EXPECT_EQ(d.frame.ip->src, Ipv4Addr::any());
}

TEST_F(DhcpTest, LeaseExpiryRemovesAddressAndRestarts) {
    bind_at(0, {.type = DhcpMessageType::Ack, .lease = 100});
    const auto lease = *dhcp->lease();
    int polls = 0;
    while (dhcp->state() != DhcpState::selecting) {
        uint64_t t = dhcp->next_deadline();
        ASSERT_LE(t, lease.expiry);
        dhcp->poll(t);
        ASSERT_LT(++polls, 50);
        if (dhcp->state() != DhcpState::selecting) sink.take();
    }
    EXPECT_FALSE(ifc->ipv4());
    EXPECT_EQ(dhcp->counters.restarts, 1u);
    auto d = one();
    EXPECT_EQ(d.msg.message_type, DhcpMessageType::Discover);
    // Traffic to the old address is no longer ours.
    ifc->receive(eth(kOurMac, kServerMac, wire::EtherType::Ipv4,
                     ipv4(kServer, kOffered, 1, icmp_echo(true, 1, 1, pattern(8)))),
                 lease.expiry);
    EXPECT_EQ(ifc->counters.drop_not_for_us_ip, 1u);
    EXPECT_TRUE(sink.take().empty());
}

TEST_F(DhcpTest, InfiniteLeaseNeverRenews) {
    bind_at(0, {.type = DhcpMessageType::Ack, .lease = 0xffffffffu});
    EXPECT_EQ(dhcp->next_deadline(), kNever);
}
