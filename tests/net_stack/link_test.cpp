// Two Interfaces over a LoopbackPair, one side behind PcapWriter + FaultInjector: the devices
// compose, and ARP + UDP work end to end through them.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "net/dev/fault_injector.h"
#include "net/dev/loopback.h"
#include "net/dev/pcap.h"
#include "net/dev/tx_queue.h"
#include "net/stack/interface.h"

using namespace unikit::net;
using namespace unikit::net::stack;

namespace {
struct MemSink final : dev::PcapSink {
    std::vector<uint8_t> bytes;
    void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

struct Node {
    std::vector<uint8_t> txmem = std::vector<uint8_t>(64 * 1600);
    dev::TxQueue txq{txmem, 1600};
    std::unique_ptr<Interface> ifc;
    std::vector<uint8_t> rxmem = std::vector<uint8_t>(16 * 1600);
    std::vector<dev::Frame> bufs;
    Node(MacAddr mac, Ipv4Addr ip) {
        ifc = std::make_unique<Interface>(mac, txq);
        ifc->set_ipv4(*Ipv4Cidr::make(ip, 24), std::nullopt, 0);
        for (int i = 0; i < 16; ++i) bufs.push_back(dev::Frame{rxmem.data() + i * 1600, 1600, 0});
    }
    void step(dev::NetDevice& d, uint64_t now) {
        ASSERT_TRUE(txq.flush(d));
        auto n = d.receive(bufs);
        ASSERT_TRUE(n);
        for (size_t i = 0; i < *n; ++i) ifc->receive(bufs[i].bytes(), now);
        ifc->poll(now);
    }
};
}  // namespace

TEST(Link, UdpOverLoopbackThroughPcapAndFaults) {
    const MacAddr ma{{2, 0, 0, 0, 0, 0xa}}, mb{{2, 0, 0, 0, 0, 0xb}};
    const Ipv4Addr ia{10, 1, 0, 1}, ib{10, 1, 0, 2};
    std::vector<uint8_t> lmem(dev::LoopbackPair::storage_for(64));
    dev::LoopbackPair link(lmem, ma.octets, mb.octets);
    MemSink pcap_bytes;
    dev::PcapWriter pcap(link.a(), pcap_bytes);
    util::Xoshiro256 rng(99);
    std::vector<uint8_t> fmem(16 * 1600 * 3);
    dev::FaultInjector faults(pcap, rng, fmem, dev::FaultConfig{.reorder_ppm = 200'000},
                              dev::FaultConfig{.duplicate_ppm = 200'000});
    Node a(ma, ia), b(mb, ib);
    std::vector<uint8_t> smem(64 * 2048);
    UdpSocket sb(smem);
    ASSERT_TRUE(b.ifc->udp_bind(sb, 5000));

    // Resolve first (only 4 packets per unresolved address are queued), then send 20.
    ASSERT_TRUE(a.ifc->udp_send(4000, ib, 5001, {}, 0));
    for (uint64_t t = 0; t < 5; ++t) {
        a.step(faults, t);
        b.step(link.b(), t);
    }
    for (uint8_t i = 0; i < 20; ++i) {
        std::vector<uint8_t> msg(100 + i, i);
        ASSERT_TRUE(a.ifc->udp_send(4000, ib, 5000, msg, 5));
    }
    for (uint64_t t = 5; t < 50; ++t) {
        pcap.set_time(t * 1000);
        a.step(faults, t);
        b.step(link.b(), t);
    }
    // Every datagram arrives (duplicates possible, order may change), intact.
    std::vector<int> seen(20, 0);
    while (auto d = sb.front()) {
        ASSERT_GE(d->data.size(), 100u);
        uint8_t i = uint8_t(d->data.size() - 100);
        ASSERT_LT(i, 20);
        for (uint8_t byte : d->data) ASSERT_EQ(byte, i);
        ++seen[i];
        sb.pop();
    }
    for (int i = 0; i < 20; ++i) EXPECT_GE(seen[i], 1) << i;
    EXPECT_GT(faults.tx_stats.duplicated, 0u);
    // The pcap holds the ARP exchange and the datagrams.
    EXPECT_GE(pcap.records, 22u);
    EXPECT_EQ(pcap_bytes.bytes[0], 0x4d);  // ns magic, little-endian
}
