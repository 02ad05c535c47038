// Test helpers: build frames with wire/ (independently of the stack) and capture what the
// stack sends.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "net/dev/device.h"
#include "net/wire/arp.h"
#include "net/wire/checksum.h"
#include "net/wire/ethernet.h"
#include "net/wire/icmpv4.h"
#include "net/wire/ipv4.h"
#include "net/wire/udp.h"

namespace nettest {

using Bytes = std::vector<uint8_t>;
using unikit::net::wire::Ipv4Addr;
using unikit::net::wire::MacAddr;
namespace wire = unikit::net::wire;

inline const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
inline const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
inline const MacAddr kGwMac{{0x02, 0, 0, 0, 0, 0xfe}};
inline const Ipv4Addr kOurIp{10, 0, 0, 1};
inline const Ipv4Addr kPeerIp{10, 0, 0, 2};
inline const Ipv4Addr kGwIp{10, 0, 0, 254};
inline const Ipv4Addr kFarIp{192, 0, 2, 7};

struct CaptureSink final : unikit::net::dev::FrameSink {
    std::vector<Bytes> frames;
    bool refuse = false;
    bool send_frame(std::span<const uint8_t> f) override {
        if (refuse) return false;
        frames.emplace_back(f.begin(), f.end());
        return true;
    }
    std::vector<Bytes> take() {
        auto out = std::move(frames);
        frames.clear();
        return out;
    }
};

inline Bytes eth(MacAddr dst, MacAddr src, wire::EtherType type, const Bytes& payload) {
    Bytes f(14 + payload.size());
    wire::EthernetRepr r{src, dst, type, std::nullopt};
    EXPECT_TRUE(r.emit(f));
    std::copy(payload.begin(), payload.end(), f.begin() + 14);
    if (f.size() < 60) f.resize(60, 0);
    return f;
}

inline Bytes arp(wire::ArpOperation op, MacAddr src_mac, Ipv4Addr src_ip, MacAddr tgt_mac, Ipv4Addr tgt_ip) {
    Bytes p(28);
    wire::ArpRepr r{op, src_mac, src_ip, tgt_mac, tgt_ip};
    EXPECT_TRUE(r.emit(p));
    return p;
}

inline Bytes arp_frame(wire::ArpOperation op, MacAddr src_mac, Ipv4Addr src_ip, MacAddr tgt_mac, Ipv4Addr tgt_ip,
                       MacAddr dst = MacAddr::broadcast()) {
    return eth(dst, src_mac, wire::EtherType::Arp, arp(op, src_mac, src_ip, tgt_mac, tgt_ip));
}

struct IpOpts {
    uint16_t ident = 1;
    uint8_t ttl = 64;
    bool more = false;
    uint16_t offset = 0;
};

inline Bytes ipv4(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, const Bytes& payload, IpOpts o = {}) {
    wire::Ipv4Repr r;
    r.src = src;
    r.dst = dst;
    r.protocol = proto;
    r.ttl = o.ttl;
    r.payload_len = uint16_t(payload.size());
    r.ident = o.ident;
    r.dont_frag = false;
    r.more_frags = o.more;
    r.frag_offset = o.offset;
    Bytes p(20 + payload.size());
    EXPECT_TRUE(r.emit(p));
    std::copy(payload.begin(), payload.end(), p.begin() + 20);
    return p;
}

inline Bytes udp(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
    Bytes p(8 + payload.size());
    wire::UdpRepr r{sport, dport};
    EXPECT_TRUE(r.emit(p, payload, src, dst));
    return p;
}

inline Bytes icmp_echo(bool request, uint16_t id, uint16_t seq, const Bytes& data) {
    wire::Icmpv4Repr r;
    r.type = request ? wire::Icmpv4Type::EchoRequest : wire::Icmpv4Type::EchoReply;
    r.echo_ident = id;
    r.echo_seq = seq;
    r.data = data;
    Bytes p(8 + data.size());
    EXPECT_TRUE(r.emit(p));
    return p;
}

inline Bytes pattern(size_t n, uint8_t seed = 0) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7 + (i >> 8));
    return b;
}

// A parsed outgoing frame.
struct Parsed {
    wire::EthernetRepr eth;
    std::optional<wire::ArpRepr> arp;
    std::optional<wire::Ipv4Repr> ip;
    Bytes ip_payload;
    bool ip_is_fragment = false;
};

inline Parsed parse(const Bytes& f) {
    Parsed p;
    auto e = wire::EthernetFrame::check(f);
    EXPECT_TRUE(e);
    if (!e) return p;
    p.eth = *wire::EthernetRepr::parse(*e);
    if (p.eth.ethertype == wire::EtherType::Arp) {
        auto a = wire::ArpPacket::check(e->payload());
        EXPECT_TRUE(a);
        auto r = wire::ArpRepr::parse(*a);
        EXPECT_TRUE(r);
        if (r) p.arp = *r;
    } else if (p.eth.ethertype == wire::EtherType::Ipv4) {
        auto pk = wire::Ipv4Packet::check(e->payload());
        EXPECT_TRUE(pk);
        auto r = wire::Ipv4Repr::parse(*pk, true);  // verifies the header checksum
        EXPECT_TRUE(r);
        if (r) {
            p.ip = *r;
            p.ip_payload.assign(pk->payload().begin(), pk->payload().end());
            p.ip_is_fragment = pk->is_fragment();
        }
    }
    return p;
}

}  // namespace nettest
