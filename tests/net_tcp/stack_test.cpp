// TcpStack: demux, listener backlog and half-open eviction, slot reuse.
#include "harness.h"

using namespace unikit::net::tcp;
using namespace unikit::net::tcp::test;
namespace wire = unikit::net::wire;

namespace {
uint32_t syn_from(Rig& r, uint16_t rport, uint16_t lport = 80, uint32_t isn = 100) {
    r.peer(rport, lport, isn, 0, f::syn);
    if (r.out.segs.empty()) return 0;
    Out sa = r.out.pop();
    EXPECT_EQ(sa.h.flags, f::syn | f::ack);
    return sa.h.seq;
}
}  // namespace

TEST(TcpStack, BacklogLimitDropsSyns) {
    Rig r;
    int li = *r.stack->listen(kLocal, 80, 2);
    for (uint16_t port : {1001, 1002}) {
        uint32_t iss = syn_from(r, port);
        r.peer(port, 80, 101, iss + 1, f::ack);
    }
    // Two established connections wait for accept(): the third SYN is dropped silently.
    r.peer(1003, 80, 100, 0, f::syn);
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_EQ(r.stack->stats().syn_dropped, 1u);
    TcpConnection* a = r.stack->accept(li);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->tuple().remote_port, 1001);  // oldest first
    // Room again.
    EXPECT_NE(syn_from(r, 1003), 0u);
}

TEST(TcpStack, HalfOpenQueueEvictsOldest) {
    Rig r;
    int li = *r.stack->listen(kLocal, 80, 8, 2);
    uint32_t iss1 = syn_from(r, 2001);
    syn_from(r, 2002);
    syn_from(r, 2003);  // evicts 2001's half-open connection
    EXPECT_EQ(r.stack->stats().syn_evicted, 1u);
    // The evicted client's ACK now meets only the listener: RST.
    r.peer(2001, 80, 101, iss1 + 1, f::ack);
    Out rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst);
    EXPECT_EQ(rst.h.seq, iss1 + 1);
    EXPECT_EQ(r.stack->accept(li), nullptr);
}

TEST(TcpStack, SynFloodCannotExhaustSlots) {
    Rig r(Rig::test_config(), 4);
    int li = *r.stack->listen(Ipv4Addr::any(), 80, 100);
    for (uint16_t p = 3000; p < 3100; ++p) syn_from(r, p);
    EXPECT_EQ(r.stack->connections_in_use(), 4u);
    // A legitimate client still gets in (its SYN evicts a stale half-open one) and completes.
    uint32_t iss = syn_from(r, 4000);
    ASSERT_NE(iss, 0u);
    r.peer(4000, 80, 101, iss + 1, f::ack);
    TcpConnection* c = r.stack->accept(li);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->tuple().remote_port, 4000);
}

TEST(TcpStack, ListenerValidation) {
    Rig r;
    EXPECT_FALSE(r.stack->listen(kLocal, 0, 1));
    EXPECT_TRUE(r.stack->listen(kLocal, 80, 1));
    EXPECT_EQ(r.stack->listen(kLocal, 80, 1).error(), TcpErrc::address_in_use);
    EXPECT_TRUE(r.stack->listen(Ipv4Addr::any(), 80, 1));  // more specific one wins
    EXPECT_TRUE(r.stack->listen(kLocal, 81, 1));
    EXPECT_TRUE(r.stack->listen(kLocal, 82, 1));
    EXPECT_EQ(r.stack->listen(kLocal, 83, 1).error(), TcpErrc::no_resources);
}

TEST(TcpStack, ListenerAnswersStrayAckWithRst) {
    Rig r;
    r.stack->listen(kLocal, 80, 1);
    r.peer(9, 80, 5, 4242, f::ack);
    Out rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst);
    EXPECT_EQ(rst.h.seq, 4242u);
}

TEST(TcpStack, ReleasedConnectionFreesItsSlot) {
    Rig r(Rig::test_config(), 1);
    int li = *r.stack->listen(kLocal, 80, 1);
    uint32_t iss = syn_from(r, 1001);
    r.peer(1001, 80, 101, iss + 1, f::ack);
    TcpConnection* c = r.stack->accept(li);
    ASSERT_NE(c, nullptr);
    r.stack->release(c, r.now);  // FIN
    Out fin = r.out.pop();
    EXPECT_TRUE(fin.has(f::fin));
    r.peer(1001, 80, 101, iss + 2, f::ack | f::fin);
    EXPECT_EQ(c->state(), State::time_wait);
    EXPECT_EQ(r.out.pop().h.flags, f::ack);
    EXPECT_EQ(r.stack->connections_in_use(), 1u);
    // TIME-WAIT is recycled for a new connection when no slot is free.
    uint32_t iss2 = syn_from(r, 1002);
    EXPECT_NE(iss2, 0u);
    EXPECT_EQ(r.stack->stats().tw_recycled, 1u);
}

TEST(TcpStack, OrphanFinWait2TimesOut) {
    Rig r;
    int li = *r.stack->listen(kLocal, 80, 1);
    uint32_t iss = syn_from(r, 1001);
    r.peer(1001, 80, 101, iss + 1, f::ack);
    TcpConnection* c = r.stack->accept(li);
    r.stack->release(c, r.now);
    r.out.pop();
    r.peer(1001, 80, 101, iss + 2, f::ack);
    EXPECT_EQ(c->state(), State::fin_wait_2);
    r.run_until(r.now + r.cfg.fin_wait_2_timeout);
    EXPECT_EQ(c->state(), State::closed);
    EXPECT_EQ(r.stack->connections_in_use(), 0u);
}

TEST(TcpStack, EphemeralPortsAreDistinct) {
    Rig r;
    auto a = r.stack->connect(kLocal, 0, kRemote, 80, r.now);
    auto b = r.stack->connect(kLocal, 0, kRemote, 80, r.now);
    ASSERT_TRUE(a && b);
    EXPECT_NE((*a)->tuple().local_port, (*b)->tuple().local_port);
    EXPECT_EQ(r.stack->connect(kLocal, (*a)->tuple().local_port, kRemote, 80, r.now).error(),
              TcpErrc::address_in_use);
}

// Receive offload: a 40 KiB segment (a GSO frame the host handed over whole, larger than the
// MSS) whose checksum field holds garbage is accepted when the device vouched for the checksum,
// and dropped as a bad segment when it did not.
TEST(TcpStack, LargeSegmentChecksumSkippedOnlyWhenDeviceVouched) {
    for (bool vouched : {true, false}) {
        Rig r(Rig::test_config(), 8, 128 * 1024);
        int li = *r.stack->listen(kLocal, 80, 1);
        uint32_t iss = syn_from(r, 5000);
        r.peer(5000, 80, 101, iss + 1, f::ack);
        TcpConnection* c = r.stack->accept(li);
        ASSERT_NE(c, nullptr);
        ASSERT_LT(r.cfg.mss, 40u * 1024);
        const std::vector<uint8_t> payload = bytes(40 * 1024, 7);
        wire::TcpRepr h;
        h.src_port = 5000;
        h.dst_port = 80;
        h.seq = 101;
        h.ack = iss + 1;
        h.flags = f::ack | f::psh;
        h.window = 65535;
        std::vector<uint8_t> seg(h.header_len() + payload.size());
        ASSERT_TRUE(h.emit(seg, payload, kRemote, kLocal).has_value());
        seg[16] ^= 0x5a;  // the checksum field: wrong (as a NEEDS_CSUM frame's partial sum would be)
        const uint32_t bad_before = r.stack->stats().bad_segments;
        r.stack->input(kRemote, kLocal, seg, r.now, vouched);
        if (vouched) {
            EXPECT_EQ(r.stack->stats().bad_segments, bad_before);
            ASSERT_EQ(c->recv_available(), payload.size());
            std::vector<uint8_t> got(payload.size());
            EXPECT_EQ(c->recv(got, r.now), payload.size());
            EXPECT_EQ(got, payload);
        } else {
            EXPECT_EQ(r.stack->stats().bad_segments, bad_before + 1);
            EXPECT_EQ(c->recv_available(), 0u);
        }
    }
}
