// Two TcpStacks talking over a simulated link with seeded loss, reordering and duplication:
// a whole-protocol test. Simulated time jumps from event to event.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "net/tcp/stack.h"

using namespace unikit::net::tcp;
using unikit::net::wire::Ipv4Addr;

namespace {

struct LinkParams {
    double loss = 0;
    double dup = 0;
    Instant delay = 1_ms;
    Instant jitter = 0;  // uniform extra delay: reorders packets
};

uint8_t pattern(std::size_t i) { return uint8_t((i * 7 + (i >> 11)) & 0xff); }

struct Packet {
    Ipv4Addr src, dst;
    std::vector<uint8_t> bytes;
};

class Link {
public:
    Link(LinkParams p, uint32_t seed) : p_(p), rng_(seed) {}
    void send(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> b, Instant now) {
        ++sent;
        std::uniform_real_distribution<double> u(0, 1);
        if (u(rng_) < p_.loss) {
            ++lost;
            return;
        }
        int copies = u(rng_) < p_.dup ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            Instant extra = p_.jitter ? std::uniform_int_distribution<Instant>(0, p_.jitter)(rng_) : 0;
            q_.emplace(now + p_.delay + extra, Packet{src, dst, std::vector<uint8_t>(b.begin(), b.end())});
        }
    }
    Instant next() const { return q_.empty() ? kNever : q_.begin()->first; }
    bool pop_due(Instant now, Packet& out) {
        if (q_.empty() || q_.begin()->first > now) return false;
        out = std::move(q_.begin()->second);
        q_.erase(q_.begin());
        return true;
    }
    uint64_t sent = 0, lost = 0;

private:
    LinkParams p_;
    std::mt19937 rng_;
    std::multimap<Instant, Packet> q_;
};

struct Host final : TcpOutput {
    Host(Ipv4Addr a, Link& l, const TcpConfig& cfg, uint8_t key, std::size_t buf) : addr(a), link(l) {
        mem.resize(4 * 2 * buf);
        for (std::size_t i = 0; i < 4; ++i)
            new (&conns[i]) TcpConnection(std::span<uint8_t>(mem.data() + 2 * i * buf, buf),
                                          std::span<uint8_t>(mem.data() + (2 * i + 1) * buf, buf));
        IsnSecret s{};
        s.fill(key);
        stack = std::make_unique<TcpStack>(cfg, s, std::span<TcpConnection>(conns), std::span<TcpListener>(ls), *this);
    }
    void transmit(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> seg) override {
        EXPECT_EQ(src, addr);
        if (check_iss) {
            std::span<const uint8_t> pl;
            auto r = unikit::net::wire::parse_tcp(seg, src, dst, &pl);
            if (r && !r->has(unikit::net::wire::tcp_flags::syn)) {
                uint32_t off = r->seq - *check_iss - 1;
                for (std::size_t i = 0; i < pl.size(); ++i)
                    if (pl[i] != pattern(off + i)) {
                        ADD_FAILURE() << "sender corrupt at " << off + i << " seq " << r->seq << " len " << pl.size();
                        break;
                    }
            }
        }
        link.send(src, dst, seg, *now);
    }
    Ipv4Addr addr;
    Link& link;
    const Instant* now = nullptr;
    std::vector<uint8_t> mem;
    std::array<TcpConnection, 4> conns;
    std::array<TcpListener, 2> ls{};
    std::unique_ptr<TcpStack> stack;
    std::optional<uint32_t> check_iss;
};


struct Result {
    std::size_t received = 0;
    bool intact = true;
    std::size_t first_bad = 0;
    bool client_done = false, server_done = false;
    Instant finished_at = 0, end = 0;
    State client_state{}, server_state{};
    uint32_t retransmits = 0, fast_retransmits = 0, timeouts = 0;
};

Result transfer(std::size_t total, LinkParams lp, uint32_t seed, TcpConfig cfg = {}, std::size_t buf = 65536) {
    const Ipv4Addr a{10, 0, 0, 1}, b{10, 0, 0, 2};
    Link link(lp, seed);
    Instant now = 0;
    Host client(a, link, cfg, 1, buf), server(b, link, cfg, 2, buf);
    client.now = server.now = &now;
    int li = *server.stack->listen(b, 80, 4);
    TcpConnection* cc = *client.stack->connect(a, 0, b, 80, now);
    client.check_iss = cc->snd_una();
    TcpConnection* sc = nullptr;
    std::size_t sent = 0;
    Result res;
    std::vector<uint8_t> chunk(8192), rbuf(8192);
    bool client_closed = false, server_closed = false;
    const Instant limit = 3600_s;
    while (now < limit) {
        // Applications.
        if (!sc) sc = server.stack->accept(li);
        if (cc->state() == State::established && sent < total) {
            for (;;) {
                std::size_t n = std::min(chunk.size(), total - sent);
                for (std::size_t i = 0; i < n; ++i) chunk[i] = pattern(sent + i);
                auto w = cc->send(std::span<const uint8_t>(chunk.data(), n), now);
                if (!w || *w == 0) break;
                sent += *w;
                if (sent == total) break;
            }
        }
        if (sent == total && !client_closed && cc->state() == State::established) {
            cc->close(now);
            client_closed = true;
        }
        if (sc) {
            for (;;) {
                std::size_t n = sc->recv(rbuf, now);
                if (n == 0) break;
                for (std::size_t i = 0; i < n; ++i)
                    if (rbuf[i] != pattern(res.received + i) && res.intact) {
                        res.intact = false;
                        res.first_bad = res.received + i;
                    }
                res.received += n;
            }
            if (sc->recv_eof() && !server_closed) {
                sc->close(now);
                server_closed = true;
            }
        }
        const bool c_done = cc->state() == State::time_wait || cc->state() == State::closed;
        const bool s_done = sc && sc->state() == State::closed;
        if (c_done && s_done) {
            res.client_done = res.server_done = true;
            res.finished_at = now;
            break;
        }
        // Next event.
        Instant t = std::min({link.next(), client.stack->next_deadline(), server.stack->next_deadline()});
        if (t == kNever) break;  // deadlock: nothing will ever happen
        now = std::max(now, t);
        Packet p;
        while (link.pop_due(now, p)) {
            Host& to = p.dst == a ? client : server;
            to.stack->input(p.src, p.dst, p.bytes, now);
        }
        if (client.stack->next_deadline() <= now) client.stack->on_timer(now);
        if (server.stack->next_deadline() <= now) server.stack->on_timer(now);
    }
    res.client_state = cc->state();
    res.server_state = sc ? sc->state() : State::listen;
    res.end = now;
    res.retransmits = cc->stats().retransmits;
    res.fast_retransmits = cc->stats().fast_retransmits;
    res.timeouts = cc->stats().timeouts;
    return res;
}

}  // namespace

TEST(TcpSim, CleanLinkTransfers2MB) {
    const std::size_t total = 2 << 20;
    Result r = transfer(total, {}, 1);
    EXPECT_TRUE(r.client_done && r.server_done);
    EXPECT_EQ(r.received, total);
    EXPECT_TRUE(r.intact);
    EXPECT_EQ(r.retransmits, 0u);
}

class TcpSimLossy : public ::testing::TestWithParam<uint32_t> {};

TEST_P(TcpSimLossy, Transfers2MBIntactDespiteLossReorderDuplication) {
    const std::size_t total = 2 << 20;
    TcpConfig cfg;
    cfg.rto_min = 200_ms;
    LinkParams lp{0.05, 0.02, 2_ms, 3_ms};
    Result r = transfer(total, lp, GetParam(), cfg);
    EXPECT_TRUE(r.client_done && r.server_done)
        << "received " << r.received << " client " << to_string(r.client_state) << " server "
        << to_string(r.server_state) << " at " << r.end / 1'000'000 << " ms";
    EXPECT_EQ(r.received, total);
    EXPECT_TRUE(r.intact) << "first bad byte at " << r.first_bad;
    EXPECT_GT(r.retransmits, 0u);
    EXPECT_GT(r.fast_retransmits, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TcpSimLossy, ::testing::Values(1u, 2u, 3u, 42u));

TEST(TcpSim, SmallBuffersAndWindowScalingAndNoNagle) {
    TcpConfig cfg;
    cfg.rto_min = 200_ms;
    cfg.nagle = false;
    cfg.mss = 536;
    Result r = transfer(300'000, {0.02, 0.01, 1_ms, 1_ms}, 9, cfg, 3000);
    EXPECT_TRUE(r.client_done && r.server_done);
    EXPECT_EQ(r.received, 300'000u);
    EXPECT_TRUE(r.intact);
    Result big = transfer(4 << 20, {0.01, 0, 5_ms, 0}, 5, cfg, 1 << 20);  // rcv_wscale > 0
    EXPECT_TRUE(big.client_done && big.server_done);
    EXPECT_EQ(big.received, 4u << 20);
    EXPECT_TRUE(big.intact);
}
