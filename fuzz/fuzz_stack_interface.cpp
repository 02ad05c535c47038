// The whole IP layer fed arbitrary input: an Interface (ARP, IPv4, reassembly, ICMP, UDP, a
// protocol handler) with a DhcpClient on it. The input is a program: each step picks an
// operation and its arguments from the next bytes - raw frames, well-formed IPv4 headers around
// arbitrary payloads (so checksums pass and reassembly/ICMP/UDP are reached), fragments with
// chosen offsets, ARP from chosen addresses, DHCP replies carrying the live transaction ID,
// sends, and clock jumps.
// Checks: every emitted frame is a well-formed Ethernet frame within the MTU whose IPv4 header
// verifies; after poll(now) no timer is still due; queues stay within their bounds.
//
// fuzz/CMakeLists.txt links only src/net/wire; the stack's sources are compiled into this
// translation unit (they depend on nothing else but header-only dev/ and util/).
#include <memory>
#include <vector>

#include "fuzz_common.h"
#include "net/stack/dhcp_client.cpp"
#include "net/stack/interface.cpp"
#include "net/stack/reassembly.cpp"
#include "net/wire/dhcp.h"

using namespace unikit::net;
using namespace unikit::net::stack;

namespace {

const wire::MacAddr kMac{{0x02, 0, 0, 0, 0, 1}};
const wire::MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 2}};
const wire::Ipv4Addr kOurIp{10, 0, 0, 1};
const wire::Ipv4Addr kPeer{10, 0, 0, 2};

struct CheckingSink final : dev::FrameSink {
    std::size_t frames = 0;
    bool send_frame(std::span<const uint8_t> f) override {
        ++frames;
        FUZZ_CHECK(f.size() >= 60 && f.size() <= 14 + 1500);
        auto eth = wire::EthernetFrame::check(f);
        FUZZ_CHECK(eth);
        FUZZ_CHECK(eth->src() == kMac);
        if (eth->ethertype() == wire::EtherType::Ipv4) {
            auto ip = wire::Ipv4Packet::check(eth->payload());
            FUZZ_CHECK(ip);
            FUZZ_CHECK(ip->verify_checksum());
            FUZZ_CHECK(ip->ttl() > 0);
        } else {
            FUZZ_CHECK(eth->ethertype() == wire::EtherType::Arp);
            auto a = wire::ArpPacket::check(eth->payload());
            FUZZ_CHECK(a && wire::ArpRepr::parse(*a));
        }
        return true;
    }
};

struct Echo final : IpProtocolHandler {
    Interface* ifc = nullptr;
    void ip_input(const IpDatagram& d, uint64_t now) override {
        FUZZ_CHECK(d.payload.size() <= Reassembler::kMaxPayload);
        (void)ifc->send_ipv4(d.src, d.protocol, d.payload.first(d.payload.size() < 64 ? d.payload.size() : 64), {}, now);
    }
};

struct Reader {
    const uint8_t* p;
    std::size_t n;
    uint8_t u8() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
    std::span<const uint8_t> bytes(std::size_t len) {
        if (len > n) len = n;
        std::span<const uint8_t> s{p, len};
        p += len;
        n -= len;
        return s;
    }
};

std::vector<uint8_t> ipv4_frame(wire::Ipv4Addr src, wire::Ipv4Addr dst, uint8_t proto, uint16_t ident, bool mf,
                                uint16_t off, uint8_t ttl, std::span<const uint8_t> payload) {
    std::vector<uint8_t> f(14 + 20 + payload.size());
    wire::EthernetRepr e{kPeerMac, dst.is_broadcast() ? wire::MacAddr::broadcast() : kMac, wire::EtherType::Ipv4, {}};
    (void)e.emit(f);
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = proto;
    ip.ttl = ttl;
    ip.payload_len = uint16_t(payload.size());
    ip.ident = ident;
    ip.dont_frag = false;
    ip.more_frags = mf;
    ip.frag_offset = uint16_t(off & ~7u);
    if (!ip.emit(std::span<uint8_t>(f).subspan(14))) return {};
    std::copy(payload.begin(), payload.end(), f.begin() + 34);
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    CheckingSink sink;
    InterfaceConfig cfg;
    cfg.reassembly.max_datagrams = 2;
    auto ifc = std::make_unique<Interface>(kMac, sink, cfg);
    Echo echo;
    echo.ifc = ifc.get();
    FUZZ_CHECK(ifc->set_protocol_handler(6, &echo));
    std::vector<uint8_t> udp_mem(4 * 2048), dhcp_mem(2 * 2048);
    UdpSocket sock(udp_mem), dsock(dhcp_mem);
    util::Xoshiro256 rng(7);
    std::unique_ptr<DhcpClient> dhcp;

    Reader r{data, size};
    uint64_t now = 0;
    if (r.u8() & 1) {
        dhcp = std::make_unique<DhcpClient>(*ifc, dsock, rng);
    } else {
        ifc->set_ipv4(*wire::Ipv4Cidr::make(kOurIp, 24), wire::Ipv4Addr{10, 0, 0, 254}, 0);
    }
    FUZZ_CHECK(ifc->udp_bind(sock, 7));

    for (int step = 0; step < 256 && r.n > 0; ++step) {
        switch (r.u8() % 8) {
            case 0: {  // a raw frame
                auto f = r.bytes(r.u16() % 1600);
                ifc->receive(f, now);
                break;
            }
            case 1:
            case 2: {  // IPv4 from the peer (or a chosen source), whole or a fragment
                uint8_t flags = r.u8();
                uint8_t proto = (flags & 3) == 0 ? 1 : (flags & 3) == 1 ? 17 : (flags & 3) == 2 ? 6 : r.u8();
                wire::Ipv4Addr src = (flags & 4) ? wire::Ipv4Addr{10, 0, 0, r.u8()} : kPeer;
                wire::Ipv4Addr dst = (flags & 8) ? wire::Ipv4Addr::broadcast() : kOurIp;
                uint16_t ident = uint16_t(r.u8() & 3);
                bool mf = flags & 16;
                uint16_t off = (flags & 32) ? r.u16() : 0;
                auto payload = r.bytes(r.u16() % 1480);
                auto f = ipv4_frame(src, dst, proto, ident, mf, off, (flags & 64) ? 0 : 64, payload);
                if (!f.empty()) ifc->receive(f, now);
                break;
            }
            case 3: {  // ARP
                uint8_t b = r.u8();
                wire::ArpRepr a{(b & 1) ? wire::ArpOperation::Reply : wire::ArpOperation::Request,
                                wire::MacAddr{{0x02, 0, 0, 0, 1, r.u8()}}, wire::Ipv4Addr{10, 0, 0, r.u8()},
                                wire::MacAddr{}, (b & 2) ? kOurIp : wire::Ipv4Addr{10, 0, 0, r.u8()}};
                std::vector<uint8_t> f(60);
                wire::EthernetRepr e{a.source_hw, wire::MacAddr::broadcast(), wire::EtherType::Arp, {}};
                (void)e.emit(f);
                (void)a.emit(std::span<uint8_t>(f).subspan(14));
                ifc->receive(f, now);
                break;
            }
            case 4: {  // time passes
                uint8_t b = r.u8();
                now += (b & 0x80) ? uint64_t(b & 0x7f) * 1'000'000'000ULL * 30 : uint64_t(b) * 10'000'000ULL;
                break;
            }
            case 5: {  // send UDP
                uint16_t len = r.u16();
                std::vector<uint8_t> payload(len % 9000, 0xab);
                (void)ifc->udp_send(7, wire::Ipv4Addr{10, 0, 0, uint8_t(r.u8() & 7)}, 9, payload, now);
                break;
            }
            case 6: {  // a DHCP reply for the live transaction
                if (!dhcp) break;
                wire::DhcpRepr m;
                m.op = wire::DhcpOp::Reply;
                uint8_t t = r.u8();
                m.message_type = (t % 3) == 0 ? wire::DhcpMessageType::Offer
                                 : (t % 3) == 1 ? wire::DhcpMessageType::Ack
                                                : wire::DhcpMessageType::Nak;
                m.xid = (t & 0x80) ? dhcp->xid() : r.u16();
                m.client_hw = kMac;
                m.yiaddr = wire::Ipv4Addr{10, 0, 0, r.u8()};
                m.server_id = wire::Ipv4Addr{10, 0, 0, r.u8()};
                m.subnet_mask = wire::Ipv4Addr::from_u32(~0u << (r.u8() % 33 == 0 ? 0 : 8));
                m.lease_time = r.u16();
                if (t & 0x40) m.renewal_time = r.u16();
                if (t & 0x20) m.rebinding_time = r.u16();
                m.router = wire::Ipv4Addr{10, 0, 0, 254};
                std::vector<uint8_t> msg(m.len());
                if (!m.emit(msg)) break;
                std::vector<uint8_t> u(8 + msg.size());
                wire::UdpRepr ur{67, 68};
                if (!ur.emit(u, msg, m.server_id.value(), wire::Ipv4Addr::broadcast())) break;
                auto f = ipv4_frame(*m.server_id, wire::Ipv4Addr::broadcast(), 17, 1, false, 0, 64, u);
                if (!f.empty()) ifc->receive(f, now);
                break;
            }
            case 7: {  // read the socket
                while (sock.front()) sock.pop();
                break;
            }
        }
        ifc->poll(now);
        FUZZ_CHECK(ifc->next_deadline() > now);
        if (dhcp) {
            dhcp->poll(now);
            FUZZ_CHECK(dhcp->next_deadline() > now);
        }
        FUZZ_CHECK(ifc->arp_pending() <= Interface::kPendingSlots);
        FUZZ_CHECK(ifc->arp_cache().size() <= ArpCache::kEntries);
        FUZZ_CHECK(sock.queued() <= 4);
    }
    return 0;
}
