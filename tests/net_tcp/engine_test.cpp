// The engine driven by hand-made segments at chosen instants: each state transition, timers,
// congestion control, reassembly, RFC 5961 defences.
#include "harness.h"

using namespace unikit::net::tcp;
using namespace unikit::net::tcp::test;
namespace wire = unikit::net::wire;

namespace {

wire::TcpOptions syn_opts(uint16_t mss = 1460, std::optional<uint8_t> ws = std::nullopt, bool sack = false) {
    wire::TcpOptions o;
    o.mss = mss;
    o.window_scale = ws;
    o.sack_permitted = sack;
    return o;
}

constexpr uint16_t kPeerPort = 5000;
constexpr uint16_t kPort = 80;

// Passive open through a listener; the peer's ISN is `irs`.
struct Passive {
    Rig& r;
    int li = -1;
    TcpConnection* c = nullptr;
    uint32_t iss = 0;  // ours
    uint32_t irs = 0;  // peer's
    uint32_t pseq() const { return irs + 1; }

    // The handshake's ACK arrives `rtt` after the SYN-ACK (an RTT sample).
    Passive(Rig& rig, uint32_t peer_isn = 1000, wire::TcpOptions o = syn_opts(), Instant rtt = 0)
        : r(rig), irs(peer_isn) {
        li = *r.stack->listen(kLocal, kPort, 4);
        r.peer(kPeerPort, kPort, irs, 0, f::syn, 65535, {}, o);
        Out sa = r.out.pop();
        EXPECT_EQ(sa.h.flags, f::syn | f::ack);
        EXPECT_EQ(sa.h.ack, irs + 1);
        iss = sa.h.seq;
        r.now += rtt;
        r.peer(kPeerPort, kPort, irs + 1, iss + 1, f::ack);
        c = r.stack->accept(li);
        EXPECT_NE(c, nullptr);
        EXPECT_TRUE(r.out.segs.empty());
    }
    // Peer segment with the current peer sequence number.
    void send(uint32_t seq, uint32_t ack, uint8_t fl, std::vector<uint8_t> data = {}, uint16_t wnd = 65535,
              wire::TcpOptions o = {}) {
        r.peer(kPeerPort, kPort, seq, ack, fl, wnd, std::move(data), o);
    }
};

}  // namespace

TEST(TcpEngine, PassiveOpenListenSynReceivedEstablished) {
    Rig r;
    auto li = r.stack->listen(kLocal, kPort, 4);
    ASSERT_TRUE(li);
    r.peer(kPeerPort, kPort, 1000, 0, f::syn, 65535, {}, syn_opts(1200, 3, true));
    Out sa = r.out.pop();
    EXPECT_EQ(sa.h.flags, f::syn | f::ack);
    EXPECT_EQ(sa.h.ack, 1001u);
    EXPECT_EQ(sa.h.src_port, kPort);
    EXPECT_EQ(sa.h.dst_port, kPeerPort);
    EXPECT_EQ(sa.h.options.mss, 1460);
    EXPECT_EQ(sa.h.options.window_scale, 1);  // a 64 KiB buffer needs shift 1
    EXPECT_TRUE(sa.h.options.sack_permitted);
    EXPECT_EQ(r.stack->accept(*li), nullptr);  // still half-open
    ASSERT_EQ(r.stack->slots()[0].state(), State::syn_received);
    r.peer(kPeerPort, kPort, 1001, sa.h.seq + 1, f::ack, 100);
    TcpConnection* c = r.stack->accept(*li);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->state(), State::established);
    EXPECT_EQ(c->snd_mss(), 1200);
    EXPECT_EQ(c->snd_wscale(), 3);
    EXPECT_EQ(c->snd_wnd(), 800u);  // 100 << 3
    EXPECT_TRUE(c->sack_enabled());
}

TEST(TcpEngine, ActiveOpenSynSentEstablished) {
    Rig r;
    auto c = r.stack->connect(kLocal, 0, kRemote, 80, r.now);
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)->state(), State::syn_sent);
    Out syn = r.out.pop();
    EXPECT_EQ(syn.h.flags, f::syn);
    EXPECT_GE(syn.h.src_port, 49152);
    EXPECT_EQ(syn.h.options.mss, 1460);
    EXPECT_TRUE(syn.h.options.window_scale.has_value());
    EXPECT_TRUE(syn.h.options.sack_permitted);
    r.now += 30_ms;
    r.peer(80, syn.h.src_port, 7000, syn.h.seq + 1, f::syn | f::ack, 65535, {}, syn_opts(1000));
    EXPECT_EQ((*c)->state(), State::established);
    Out ack = r.out.pop();
    EXPECT_EQ(ack.h.flags, f::ack);
    EXPECT_EQ(ack.h.seq, syn.h.seq + 1);
    EXPECT_EQ(ack.h.ack, 7001u);
    EXPECT_EQ((*c)->snd_mss(), 1000);
    EXPECT_EQ((*c)->snd_wscale(), 0);  // peer did not offer scaling
    EXPECT_EQ((*c)->srtt(), 30_ms);    // the SYN was timed
}

TEST(TcpEngine, SynSentBadAckGetsRstAndRstRefuses) {
    Rig r;
    auto c = r.stack->connect(kLocal, 0, kRemote, 80, r.now);
    Out syn = r.out.pop();
    r.peer(80, syn.h.src_port, 7000, syn.h.seq + 100, f::syn | f::ack);
    Out rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst);
    EXPECT_EQ(rst.h.seq, syn.h.seq + 100);
    EXPECT_EQ((*c)->state(), State::syn_sent);
    r.peer(80, syn.h.src_port, 0, syn.h.seq + 1, f::rst | f::ack);
    EXPECT_EQ((*c)->state(), State::closed);
    EXPECT_EQ((*c)->error(), TcpErrc::refused);
}

TEST(TcpEngine, SimultaneousOpen) {
    Rig r;
    auto c = r.stack->connect(kLocal, 6000, kRemote, 7000, r.now);
    Out syn = r.out.pop();
    // The peer's SYN crosses ours.
    r.peer(7000, 6000, 9000, 0, f::syn, 65535, {}, syn_opts());
    EXPECT_EQ((*c)->state(), State::syn_received);
    Out sa = r.out.pop();
    EXPECT_EQ(sa.h.flags, f::syn | f::ack);
    EXPECT_EQ(sa.h.seq, syn.h.seq);
    EXPECT_EQ(sa.h.ack, 9001u);
    // The peer's SYN-ACK (it is in SYN-RECEIVED too): old sequence number, answered by an ACK.
    r.peer(7000, 6000, 9000, syn.h.seq + 1, f::syn | f::ack, 65535, {}, syn_opts());
    Out a = r.out.pop();
    EXPECT_EQ(a.h.flags, f::ack);
    EXPECT_EQ(a.h.ack, 9001u);
    // The peer's ACK completes it.
    r.peer(7000, 6000, 9001, syn.h.seq + 1, f::ack);
    EXPECT_EQ((*c)->state(), State::established);
}

TEST(TcpEngine, ActiveCloseFinWait1Fin2TimeWaitClosed) {
    Rig r;
    Passive p(r);
    p.c->close(r.now);
    EXPECT_EQ(p.c->state(), State::fin_wait_1);
    Out fin = r.out.pop();
    EXPECT_EQ(fin.h.flags, f::fin | f::ack);
    EXPECT_EQ(fin.h.seq, p.iss + 1);
    p.send(p.pseq(), p.iss + 2, f::ack);
    EXPECT_EQ(p.c->state(), State::fin_wait_2);
    // Data may still arrive in FIN-WAIT-2 (half close).
    p.send(p.pseq(), p.iss + 2, f::ack | f::fin, bytes(10));
    EXPECT_EQ(p.c->state(), State::time_wait);
    Out ack = r.out.pop();
    EXPECT_EQ(ack.h.ack, p.pseq() + 11);
    EXPECT_EQ(p.c->recv_available(), 10u);
    EXPECT_TRUE(r.out.segs.empty());
    // A retransmitted FIN in TIME-WAIT is ACKed again and restarts 2*MSL.
    r.now += 10_s;
    p.send(p.pseq() + 10, p.iss + 2, f::ack | f::fin);
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 11);
    EXPECT_EQ(r.stack->next_deadline(), r.now + 2 * r.cfg.msl);
    r.advance_to(r.now + 2 * r.cfg.msl - 1);
    EXPECT_EQ(p.c->state(), State::time_wait);
    r.advance_to(r.now + 1);
    EXPECT_EQ(p.c->state(), State::closed);
    EXPECT_EQ(p.c->error(), TcpErrc::none);
}

TEST(TcpEngine, FinWait1StraightToTimeWaitOnFinAck) {
    Rig r;
    Passive p(r);
    p.c->close(r.now);
    r.out.pop();
    p.send(p.pseq(), p.iss + 2, f::ack | f::fin);
    EXPECT_EQ(p.c->state(), State::time_wait);
}

TEST(TcpEngine, PassiveCloseCloseWaitLastAck) {
    Rig r;
    Passive p(r);
    p.send(p.pseq(), p.iss + 1, f::ack | f::fin);
    EXPECT_EQ(p.c->state(), State::close_wait);
    EXPECT_TRUE(p.c->recv_eof());
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 1);
    // We can still send in CLOSE-WAIT.
    ASSERT_EQ(*p.c->send(bytes(5), r.now), 5u);
    Out d = r.out.pop();
    EXPECT_EQ(d.payload.size(), 5u);
    p.c->close(r.now);
    EXPECT_EQ(p.c->state(), State::last_ack);
    Out fin = r.out.pop();
    EXPECT_TRUE(fin.has(f::fin));
    EXPECT_EQ(fin.h.seq, p.iss + 6);
    p.send(p.pseq() + 1, p.iss + 7, f::ack);
    EXPECT_EQ(p.c->state(), State::closed);
}

TEST(TcpEngine, SimultaneousCloseClosingTimeWait) {
    Rig r;
    Passive p(r);
    p.c->close(r.now);
    Out fin = r.out.pop();
    // The peer's FIN crosses ours (it has not seen our FIN: ack = iss+1).
    p.send(p.pseq(), p.iss + 1, f::ack | f::fin);
    EXPECT_EQ(p.c->state(), State::closing);
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 1);
    p.send(p.pseq() + 1, fin.h.seq + 1, f::ack);
    EXPECT_EQ(p.c->state(), State::time_wait);
}

TEST(TcpEngine, SynToClosedPortGetsRst) {
    Rig r;
    r.peer(1234, 81, 500, 0, f::syn);
    Out rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst | f::ack);
    EXPECT_EQ(rst.h.seq, 0u);
    EXPECT_EQ(rst.h.ack, 501u);
    r.peer(1234, 81, 500, 777, f::ack, 100, bytes(3));
    rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst);
    EXPECT_EQ(rst.h.seq, 777u);
    r.peer(1234, 81, 500, 777, f::rst);  // never answer a RST
    EXPECT_TRUE(r.out.segs.empty());
}

TEST(TcpEngine, BadChecksumIgnored) {
    Rig r;
    wire::TcpRepr h;
    h.src_port = 1;
    h.dst_port = 2;
    h.flags = f::syn;
    std::vector<uint8_t> buf(20);
    ASSERT_TRUE(h.emit(buf, {}, kRemote, kLocal));
    buf[4] ^= 0xff;
    r.stack->input(kRemote, kLocal, buf, r.now);
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_EQ(r.stack->stats().bad_segments, 1u);
}

TEST(TcpEngine, Rfc5961RstHandling) {
    Rig r;
    Passive p(r);
    // Out of window: silently dropped.
    p.send(p.pseq() + 1'000'000, 0, f::rst);
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_EQ(p.c->state(), State::established);
    // In window but not exact: challenge ACK.
    p.send(p.pseq() + 10, 0, f::rst);
    Out ch = r.out.pop();
    EXPECT_EQ(ch.h.flags, f::ack);
    EXPECT_EQ(ch.h.seq, p.iss + 1);
    EXPECT_EQ(ch.h.ack, p.pseq());
    EXPECT_EQ(p.c->state(), State::established);
    // Exact: reset.
    p.send(p.pseq(), 0, f::rst);
    EXPECT_EQ(p.c->state(), State::closed);
    EXPECT_EQ(p.c->error(), TcpErrc::reset);
    EXPECT_TRUE(r.out.segs.empty());
}

TEST(TcpEngine, Rfc5961SynInSynchronizedStateGetsChallengeAck) {
    Rig r;
    Passive p(r);
    p.send(p.pseq() + 5, 0, f::syn);
    Out ch = r.out.pop();
    EXPECT_EQ(ch.h.flags, f::ack);
    EXPECT_EQ(ch.h.ack, p.pseq());
    EXPECT_EQ(p.c->state(), State::established);
    EXPECT_EQ(p.c->stats().challenge_acks, 1u);
}

TEST(TcpEngine, Rfc5961AckAcceptability) {
    Rig r;
    Passive p(r);
    // ACK for data never sent: answered with an ACK, the segment (and its data) dropped.
    p.send(p.pseq(), p.iss + 1000, f::ack, bytes(10));
    Out a = r.out.pop();
    EXPECT_EQ(a.h.ack, p.pseq());
    EXPECT_EQ(p.c->recv_available(), 0u);
    // Too old an ACK (before SND.UNA - MAX.SND.WND): dropped with an ACK.
    p.send(p.pseq(), p.iss + 1 - 200000, f::ack, bytes(10));
    EXPECT_EQ(r.out.pop().h.ack, p.pseq());
    EXPECT_EQ(p.c->recv_available(), 0u);
}

TEST(TcpEngine, RetransmissionBackoffAndRttEstimation) {
    Rig r;
    Passive p(r, 1000, syn_opts(), 100_ms);
    // The SYN-ACK was timed: SRTT = 100, RTTVAR = 50, RTO = max(200, 100 + 4*50) = 300 ms.
    EXPECT_EQ(p.c->srtt(), 100_ms);
    EXPECT_EQ(p.c->rttvar(), 50_ms);
    EXPECT_EQ(p.c->rto(), 300_ms);
    ASSERT_EQ(*p.c->send(bytes(100), r.now), 100u);
    Out d = r.out.pop();
    EXPECT_EQ(d.h.seq, p.iss + 1);
    const Instant t0 = r.now;
    EXPECT_EQ(r.stack->next_deadline(), t0 + 300_ms);
    r.advance_to(t0 + 300_ms);
    Out re1 = r.out.pop();
    EXPECT_EQ(re1.h.seq, p.iss + 1);
    EXPECT_EQ(re1.payload, d.payload);
    EXPECT_EQ(p.c->rto(), 600_ms);  // exponential backoff
    EXPECT_EQ(r.stack->next_deadline(), t0 + 900_ms);
    r.advance_to(t0 + 900_ms);
    EXPECT_EQ(r.out.pop().h.seq, p.iss + 1);
    EXPECT_EQ(p.c->rto(), 1200_ms);
    EXPECT_EQ(p.c->stats().timeouts, 2u);
    // The ACK of a retransmitted segment gives no RTT sample (Karn).
    r.now += 10_ms;
    p.send(p.pseq(), p.iss + 101, f::ack);
    EXPECT_EQ(p.c->srtt(), 100_ms);
    EXPECT_EQ(p.c->rto(), 1200_ms);  // backed-off RTO kept until a fresh sample
    EXPECT_EQ(r.stack->next_deadline(), kNever);
    // A fresh segment ACKed after 50 ms: RTTVAR = (3*50 + 50)/4 = 50, SRTT = (7*100 + 50)/8.
    p.c->send(bytes(100), r.now);
    r.out.pop();
    r.now += 50_ms;
    p.send(p.pseq(), p.iss + 201, f::ack);
    EXPECT_EQ(p.c->srtt(), 93'750'000u);
    EXPECT_EQ(p.c->rttvar(), 50_ms);
    EXPECT_EQ(p.c->rto(), 293'750'000u);
    // 90 ms: RTTVAR = (3*50 + 3.75)/4, SRTT = (7*93.75 + 90)/8.
    p.c->send(bytes(100), r.now);
    r.out.pop();
    r.now += 90_ms;
    p.send(p.pseq(), p.iss + 301, f::ack);
    EXPECT_EQ(p.c->srtt(), 93'281'250u);
    EXPECT_EQ(p.c->rttvar(), 38'437'500u);
    EXPECT_EQ(p.c->rto(), 93'281'250u + 4 * 38'437'500u);
}

TEST(TcpEngine, GivesUpAfterDataRetries) {
    TcpConfig cfg = Rig::test_config();
    cfg.data_retries = 3;
    Rig r(cfg);
    Passive p(r);
    p.c->send(bytes(10), r.now);
    r.run_until(r.now + 1000_s);
    EXPECT_EQ(p.c->state(), State::closed);
    EXPECT_EQ(p.c->error(), TcpErrc::timed_out);
    // 1 original + 3 retransmissions + RST.
    ASSERT_EQ(r.out.segs.size(), 5u);
    EXPECT_TRUE(r.out.segs.back().has(f::rst));
}

TEST(TcpEngine, SynRetriesExhausted) {
    TcpConfig cfg = Rig::test_config();
    cfg.syn_retries = 2;
    Rig r(cfg);
    auto c = r.stack->connect(kLocal, 0, kRemote, 80, r.now);
    const Instant t0 = r.now;
    r.run_until(t0 + 100_s);
    EXPECT_EQ(r.out.segs.size(), 3u);  // SYN + 2 retries
    for (auto& s : r.out.segs) EXPECT_EQ(s.h.flags, f::syn);
    EXPECT_EQ((*c)->state(), State::closed);
    EXPECT_EQ((*c)->error(), TcpErrc::timed_out);
}

TEST(TcpEngine, FastRetransmitAndNewRenoPartialAck) {
    TcpConfig cfg = Rig::test_config();
    cfg.nagle = false;
    Rig r(cfg);
    Passive p(r);
    const uint32_t base = p.iss + 1;
    const uint32_t mss = p.c->snd_mss();
    ASSERT_EQ(mss, 1460u);
    EXPECT_EQ(p.c->cwnd(), 3 * mss);  // RFC 5681 IW for SMSS 1460
    p.c->send(bytes(20 * mss), r.now);
    ASSERT_EQ(r.out.segs.size(), 3u);  // initial window
    r.out.segs.clear();
    // Segment 0 arrives, 1 is lost, 2.. arrive: ACK(1), then dup ACKs.
    p.send(p.pseq(), base + mss, f::ack);
    EXPECT_EQ(p.c->cwnd(), 4 * mss);  // slow start
    r.out.segs.clear();                // new data sent by the opened window
    const uint32_t snd_max_before = p.c->snd_nxt();
    for (int i = 0; i < 2; ++i) p.send(p.pseq(), base + mss, f::ack);
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_FALSE(p.c->in_recovery());
    p.send(p.pseq(), base + mss, f::ack);  // third duplicate
    EXPECT_TRUE(p.c->in_recovery());
    ASSERT_FALSE(r.out.segs.empty());
    Out re = r.out.pop();
    EXPECT_EQ(re.h.seq, base + mss);
    EXPECT_EQ(re.payload.size(), mss);
    const uint32_t flight = snd_max_before - (base + mss);
    EXPECT_EQ(p.c->ssthresh(), std::max(flight / 2, 2 * mss));
    EXPECT_EQ(p.c->cwnd(), p.c->ssthresh() + 3 * mss);
    EXPECT_EQ(p.c->stats().fast_retransmits, 1u);
    r.out.segs.clear();
    // Partial ACK: covers the retransmission, but segment 3 was lost too.
    p.send(p.pseq(), base + 3 * mss, f::ack);
    EXPECT_TRUE(p.c->in_recovery());
    ASSERT_FALSE(r.out.segs.empty());
    Out re2 = r.out.pop();
    EXPECT_EQ(re2.h.seq, base + 3 * mss);
    EXPECT_EQ(p.c->stats().partial_acks, 1u);
    r.out.segs.clear();
    // Full ACK (everything sent so far): recovery ends, cwnd deflates to <= ssthresh.
    const uint32_t all = p.c->snd_nxt();
    p.send(p.pseq(), all, f::ack);
    EXPECT_FALSE(p.c->in_recovery());
    EXPECT_LE(p.c->cwnd(), p.c->ssthresh());
}

TEST(TcpEngine, OutOfOrderSegmentsDeliveredInOrderWithSack) {
    Rig r;
    Passive p(r, 1000, syn_opts(1460, std::nullopt, true));
    ASSERT_TRUE(p.c->sack_enabled());
    auto data = bytes(300);
    std::vector<uint8_t> a(data.begin(), data.begin() + 100), b(data.begin() + 100, data.begin() + 200),
        c(data.begin() + 200, data.end());
    p.send(p.pseq() + 200, p.iss + 1, f::ack, c);
    Out d1 = r.out.pop();  // immediate duplicate ACK
    EXPECT_EQ(d1.h.ack, p.pseq());
    ASSERT_EQ(d1.h.options.sack_count, 1);
    EXPECT_EQ(d1.h.options.sack[0], (wire::TcpSackBlock{p.pseq() + 200, p.pseq() + 300}));
    p.send(p.pseq() + 100, p.iss + 1, f::ack, b);
    Out d2 = r.out.pop();
    EXPECT_EQ(d2.h.ack, p.pseq());
    ASSERT_EQ(d2.h.options.sack_count, 1);
    EXPECT_EQ(d2.h.options.sack[0], (wire::TcpSackBlock{p.pseq() + 100, p.pseq() + 300}));
    EXPECT_EQ(p.c->recv_available(), 0u);
    p.send(p.pseq(), p.iss + 1, f::ack, a);  // fills the hole
    Out d3 = r.out.pop();
    EXPECT_EQ(d3.h.ack, p.pseq() + 300);
    EXPECT_EQ(d3.h.options.sack_count, 0);
    std::vector<uint8_t> got(400);
    got.resize(p.c->recv(got, r.now));
    EXPECT_EQ(got, data);
}

TEST(TcpEngine, OverlappingAndDuplicateSegments) {
    Rig r;
    Passive p(r);
    auto data = bytes(200);
    p.send(p.pseq(), p.iss + 1, f::ack, std::vector<uint8_t>(data.begin(), data.begin() + 120));
    // Overlaps the first 20 bytes again.
    p.send(p.pseq() + 100, p.iss + 1, f::ack, std::vector<uint8_t>(data.begin() + 100, data.end()));
    r.out.segs.clear();
    // A full duplicate gets an immediate ACK.
    p.send(p.pseq(), p.iss + 1, f::ack, std::vector<uint8_t>(data.begin(), data.begin() + 50));
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 200);
    std::vector<uint8_t> got(300);
    got.resize(p.c->recv(got, r.now));
    EXPECT_EQ(got, data);
}

TEST(TcpEngine, DelayedAck) {
    Rig r;
    Passive p(r);
    p.send(p.pseq(), p.iss + 1, f::ack | f::psh, bytes(100));
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_EQ(r.stack->next_deadline(), r.now + 40_ms);
    r.advance_to(r.now + 40_ms);
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 100);
    // Two full-sized segments: ACK at once.
    p.send(p.pseq() + 100, p.iss + 1, f::ack, bytes(1460));
    EXPECT_TRUE(r.out.segs.empty());
    p.send(p.pseq() + 1560, p.iss + 1, f::ack, bytes(1460));
    EXPECT_EQ(r.out.pop().h.ack, p.pseq() + 3020);
}

TEST(TcpEngine, StretchAcksWaitForFlushAcks) {
    TcpConfig cfg = Rig::test_config();
    cfg.stretch_acks = true;
    Rig r(cfg);  // 64 KiB receive buffer: an ACK at once after 16 KiB
    Passive p(r);
    uint32_t seq = p.pseq();
    // Two, then four full segments: no ACK until the batch ends, then one ACK for all.
    for (int i = 0; i < 4; ++i, seq += 1460) p.send(seq, p.iss + 1, f::ack, bytes(1460));
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_TRUE(p.c->ack_pending());
    EXPECT_EQ(r.stack->next_deadline(), r.now + 40_ms);  // the delayed-ACK timer backs it up
    r.stack->flush_acks(r.now);
    ASSERT_EQ(r.out.segs.size(), 1u);
    EXPECT_EQ(r.out.pop().h.ack, seq);
    EXPECT_FALSE(p.c->ack_pending());
    r.stack->flush_acks(r.now);
    EXPECT_TRUE(r.out.segs.empty());
    // One segment alone is an ordinary delayed ACK: flush_acks leaves it to the timer.
    p.send(seq, p.iss + 1, f::ack, bytes(100));
    seq += 100;
    r.stack->flush_acks(r.now);
    EXPECT_TRUE(r.out.segs.empty());
    r.advance_to(r.now + 40_ms);
    EXPECT_EQ(r.out.pop().h.ack, seq);
    // A quarter of the receive buffer without a flush: ACK at once.
    int n = 0;
    while (r.out.segs.empty() && n < 20) {
        p.send(seq, p.iss + 1, f::ack, bytes(1460));
        seq += 1460;
        ++n;
    }
    EXPECT_EQ(n, 12);  // 12 * 1460 >= 16384
    EXPECT_EQ(r.out.pop().h.ack, seq);
    // Without the caller flushing at all, the delayed-ACK timer sends the deferred ACK.
    p.send(seq, p.iss + 1, f::ack, bytes(1460));
    p.send(seq + 1460, p.iss + 1, f::ack, bytes(1460));
    seq += 2920;
    EXPECT_TRUE(r.out.segs.empty());
    r.advance_to(r.now + 40_ms);
    EXPECT_EQ(r.out.pop().h.ack, seq);
    // An out-of-order segment is still acknowledged at once (duplicate ACK with SACK).
    p.send(seq + 1460, p.iss + 1, f::ack, bytes(1460));
    EXPECT_EQ(r.out.pop().h.ack, seq);
}

TEST(TcpEngine, NagleHoldsSmallSegmentsWhileDataInFlight) {
    Rig r;
    Passive p(r);
    p.c->send(bytes(10), r.now);
    EXPECT_EQ(r.out.pop().payload.size(), 10u);
    p.c->send(bytes(10), r.now);
    p.c->send(bytes(10), r.now);
    EXPECT_TRUE(r.out.segs.empty());
    p.send(p.pseq(), p.iss + 11, f::ack);
    Out d = r.out.pop();
    EXPECT_EQ(d.payload.size(), 20u);  // coalesced
    EXPECT_EQ(d.h.seq, p.iss + 11);

    TcpConfig cfg = Rig::test_config();
    cfg.nagle = false;
    Rig r2(cfg);
    Passive p2(r2);
    p2.c->send(bytes(10), r2.now);
    p2.c->send(bytes(10), r2.now);
    EXPECT_EQ(r2.out.segs.size(), 2u);
}

TEST(TcpEngine, NodelayIsPerConnection) {
    Rig r;  // Nagle on for the stack
    Passive p(r);
    EXPECT_FALSE(p.c->nodelay());
    p.c->send(bytes(10), r.now);  // nothing in flight: goes at once
    EXPECT_EQ(r.out.pop().payload.size(), 10u);
    // Data in flight: with Nagle a small tail is held ...
    p.c->send(bytes(20), r.now);
    EXPECT_TRUE(r.out.segs.empty());
    // ... and TCP_NODELAY on this connection sends it at once, and the next ones too.
    p.c->set_nodelay(true, r.now);
    EXPECT_TRUE(p.c->nodelay());
    Out held = r.out.pop();
    EXPECT_EQ(held.payload.size(), 20u);
    EXPECT_EQ(held.h.seq, p.iss + 1 + 10);
    p.c->send(bytes(30), r.now);
    EXPECT_EQ(r.out.pop().payload.size(), 30u);
    EXPECT_EQ(p.c->snd_nxt() - p.c->snd_una(), 10u + 20 + 30);  // all of it in flight
    // Back to Nagle: held again while data is in flight.
    p.c->set_nodelay(false, r.now);
    p.c->send(bytes(5), r.now);
    EXPECT_TRUE(r.out.segs.empty());
    p.send(p.pseq(), p.c->snd_nxt(), f::ack);  // everything acknowledged: the tail goes
    EXPECT_EQ(r.out.pop().payload.size(), 5u);

    // Another connection of the same stack keeps the stack's default (Nagle).
    Rig r2;
    Passive q(r2);
    q.c->set_nodelay(true, r2.now);
    q.c->send(bytes(10), r2.now);
    q.c->send(bytes(10), r2.now);
    EXPECT_EQ(r2.out.segs.size(), 2u);
    r2.out.segs.clear();
    TcpConnection* other = nullptr;
    r2.peer(kPeerPort + 1, kPort, 7000, 0, f::syn, 65535, {}, syn_opts());
    Out sa = r2.out.pop();
    r2.peer(kPeerPort + 1, kPort, 7001, sa.h.seq + 1, f::ack);
    other = r2.stack->accept(q.li);
    ASSERT_NE(other, nullptr);
    EXPECT_FALSE(other->nodelay());
    other->send(bytes(10), r2.now);
    other->send(bytes(10), r2.now);
    EXPECT_EQ(r2.out.segs.size(), 1u);
}

TEST(TcpEngine, CorkHoldsShortTailUntilPush) {
    Rig r;
    Passive p(r);
    p.c->set_nodelay(true, r.now);
    // A header and a body written as two sends: full segments only, the tail waits.
    p.c->send(bytes(100), r.now, /*more=*/true);
    EXPECT_TRUE(r.out.segs.empty());
    EXPECT_TRUE(p.c->corked());
    p.c->send(bytes(3000), r.now, /*more=*/true);
    ASSERT_EQ(r.out.segs.size(), 2u);
    EXPECT_EQ(r.out.pop().payload.size(), 1460u);
    EXPECT_EQ(r.out.pop().payload.size(), 1460u);
    p.c->push(r.now);
    EXPECT_FALSE(p.c->corked());
    Out tail = r.out.pop();
    EXPECT_EQ(tail.payload.size(), 180u);
    EXPECT_TRUE(tail.has(f::psh));
    p.c->push(r.now);  // nothing more
    EXPECT_TRUE(r.out.segs.empty());
    // A send without `more` ends the cork by itself.
    p.c->send(bytes(10), r.now, true);
    EXPECT_TRUE(r.out.segs.empty());
    p.c->send(bytes(10), r.now);
    EXPECT_EQ(r.out.pop().payload.size(), 20u);
    // close() sends a corked tail with the FIN.
    p.c->send(bytes(10), r.now, true);
    EXPECT_TRUE(r.out.segs.empty());
    p.c->close(r.now);
    Out fin = r.out.pop();
    EXPECT_EQ(fin.payload.size(), 10u);
    EXPECT_TRUE(fin.has(f::fin));
}

TEST(TcpEngine, ZeroWindowProbingWithBackoff) {
    Rig r;
    Passive p(r);
    p.send(p.pseq(), p.iss + 1, f::ack, {}, 0);  // window closes
    EXPECT_EQ(p.c->snd_wnd(), 0u);
    p.c->send(bytes(100), r.now);
    EXPECT_TRUE(r.out.segs.empty());
    const Instant t0 = r.now;
    const Instant i0 = p.c->rto();
    EXPECT_EQ(r.stack->next_deadline(), t0 + i0);
    r.advance_to(t0 + i0);
    Out probe = r.out.pop();
    EXPECT_EQ(probe.h.seq, p.iss);  // SND.UNA - 1: forces an ACK, consumes nothing
    EXPECT_TRUE(probe.payload.empty());
    // Still zero: the next probe comes after twice the interval.
    p.send(p.pseq(), p.iss + 1, f::ack, {}, 0);
    EXPECT_EQ(r.stack->next_deadline(), t0 + 3 * i0);
    r.advance_to(t0 + 3 * i0);
    r.out.pop();
    EXPECT_EQ(r.stack->next_deadline(), t0 + 7 * i0);
    EXPECT_EQ(p.c->stats().window_probes, 2u);
    // Probing never gives up while the peer answers.
    for (int i = 0; i < 30; ++i) {
        r.advance_to(r.stack->next_deadline());
        r.out.pop();
        p.send(p.pseq(), p.iss + 1, f::ack, {}, 0);
    }
    EXPECT_EQ(r.stack->next_deadline() - r.now, r.cfg.persist_max);  // capped
    EXPECT_EQ(p.c->state(), State::established);
    // The window opens: the data goes.
    p.send(p.pseq(), p.iss + 1, f::ack, {}, 1000);
    Out d = r.out.pop();
    EXPECT_EQ(d.payload.size(), 100u);
    EXPECT_EQ(d.h.seq, p.iss + 1);
}

TEST(TcpEngine, ReceiveWindowClosesAndReopens) {
    Rig r(Rig::test_config(), 2, 1000);
    Passive p(r);
    p.send(p.pseq(), p.iss + 1, f::ack, bytes(1000));
    Out a = r.out.pop();  // buffer full -> ACK at once, window 0
    EXPECT_EQ(a.h.window, 0);
    EXPECT_EQ(a.h.ack, p.pseq() + 1000);
    // A probe beyond the window is answered, not taken.
    p.send(p.pseq() + 1000, p.iss + 1, f::ack, bytes(1));
    Out b = r.out.pop();
    EXPECT_EQ(b.h.ack, p.pseq() + 1000);
    EXPECT_EQ(b.h.window, 0);
    // Reading a little does not announce a silly window; reading half does.
    std::vector<uint8_t> sink(600);
    p.c->recv(std::span<uint8_t>(sink.data(), 100), r.now);
    EXPECT_TRUE(r.out.segs.empty());
    p.c->recv(std::span<uint8_t>(sink.data(), 500), r.now);
    Out u = r.out.pop();
    EXPECT_EQ(u.h.window, 600);
}

TEST(TcpEngine, WindowScalingNegotiated) {
    Rig r(Rig::test_config(), 2, 1 << 20);
    Passive p(r, 1000, syn_opts(1460, 7));
    EXPECT_EQ(p.c->rcv_wscale(), 5);  // 1 MiB >> 5 fits in 16 bits
    EXPECT_EQ(p.c->snd_wscale(), 7);
    p.send(p.pseq(), p.iss + 1, f::ack, {}, 100);
    EXPECT_EQ(p.c->snd_wnd(), 100u << 7);
    p.c->send(bytes(10), r.now);
    Out d = r.out.pop();
    EXPECT_EQ(d.h.window, (1u << 20) >> 5);
}

TEST(TcpEngine, KeepAliveProbesThenGivesUp) {
    TcpConfig cfg = Rig::test_config();
    cfg.keepalive_idle = 10_s;
    cfg.keepalive_interval = 1_s;
    cfg.keepalive_probes = 2;
    Rig r(cfg);
    Passive p(r);
    const Instant t0 = r.now;
    EXPECT_EQ(r.stack->next_deadline(), t0 + 10_s);
    r.advance_to(t0 + 10_s);
    Out k = r.out.pop();
    EXPECT_EQ(k.h.seq, p.iss);  // SND.NXT - 1
    EXPECT_EQ(k.h.flags, f::ack);
    // An answer resets the idle timer.
    p.send(p.pseq(), p.iss + 1, f::ack);
    EXPECT_EQ(r.stack->next_deadline(), r.now + 10_s);
    r.run_until(r.now + 100_s);
    EXPECT_EQ(p.c->state(), State::closed);
    EXPECT_EQ(p.c->error(), TcpErrc::timed_out);
    EXPECT_EQ(p.c->stats().keepalive_probes, 3u);
}

TEST(TcpEngine, AbortSendsRst) {
    Rig r;
    Passive p(r);
    p.c->abort(r.now);
    Out rst = r.out.pop();
    EXPECT_EQ(rst.h.flags, f::rst);
    EXPECT_EQ(rst.h.seq, p.iss + 1);
    EXPECT_EQ(p.c->state(), State::closed);
    EXPECT_FALSE(p.c->send(bytes(1), r.now).has_value());
}

TEST(TcpEngine, SequenceWraparoundTransfer) {
    // The peer's sequence numbers wrap during the transfer.
    Rig r;
    Passive p(r, 0xffffff00u);
    auto data = bytes(1000, 7);
    uint32_t seq = p.pseq();
    for (std::size_t off = 0; off < data.size(); off += 100) {
        p.send(seq, p.iss + 1, f::ack, std::vector<uint8_t>(data.begin() + off, data.begin() + off + 100));
        seq += 100;
    }
    EXPECT_LT(seq, 0x1000u);  // wrapped
    std::vector<uint8_t> got(2000);
    got.resize(p.c->recv(got, r.now));
    EXPECT_EQ(got, data);
    EXPECT_EQ(p.c->rcv_nxt(), seq);
}

namespace {
// A bare connection (no stack) with a chosen ISS, to wrap our own sequence numbers.
struct VecSink final : SegmentSink {
    std::vector<std::pair<wire::TcpRepr, std::vector<uint8_t>>> segs;
    void emit(const TcpConnection&, const wire::TcpRepr& h, Ring::Pieces p) override {
        std::vector<uint8_t> v(p.first.begin(), p.first.end());
        v.insert(v.end(), p.second.begin(), p.second.end());
        segs.emplace_back(h, std::move(v));
    }
};
}  // namespace

TEST(TcpEngine, OurSequenceNumbersWrap) {
    std::vector<uint8_t> tx(4096), rx(4096);
    TcpConnection c(tx, rx);
    VecSink sink;
    c.set_sink(&sink);
    TcpConfig cfg;
    cfg.nagle = false;
    const uint32_t iss = 0xfffffc00u;
    c.connect({kLocal, kRemote, 1, 2}, iss, cfg, 0);
    ASSERT_EQ(sink.segs.size(), 1u);
    TcpSegment sa;
    sa.hdr.src_port = 2;
    sa.hdr.dst_port = 1;
    sa.hdr.seq = 50;
    sa.hdr.ack = iss + 1;
    sa.hdr.flags = f::syn | f::ack;
    sa.hdr.window = 65535;
    sa.hdr.options.mss = 500;
    c.on_segment(sa, 1_ms);
    ASSERT_EQ(c.state(), State::established);
    sink.segs.clear();
    ASSERT_EQ(*c.send(bytes(2000), 2_ms), 2000u);
    ASSERT_EQ(sink.segs.size(), 4u);
    EXPECT_EQ(sink.segs[3].first.seq, iss + 1 + 1500);  // past the wrap
    EXPECT_LT(sink.segs[3].first.seq, iss);
    TcpSegment ack;
    ack.hdr.src_port = 2;
    ack.hdr.dst_port = 1;
    ack.hdr.seq = 51;
    ack.hdr.ack = iss + 2001;  // wraps
    ack.hdr.flags = f::ack;
    ack.hdr.window = 65535;
    c.on_segment(ack, 3_ms);
    EXPECT_EQ(c.snd_una(), iss + 2001);
    EXPECT_EQ(c.send_queued(), 0u);
    EXPECT_EQ(c.next_deadline(), kNever);
}
