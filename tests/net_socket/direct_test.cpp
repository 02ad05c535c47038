// The direct-stack backend end to end: two DirectBackends ("a" 10.0.0.1, "b" 10.0.0.2) over a
// LoopbackPair, driven by a real Loop on the fake platform, used through the public handles.
#include <gtest/gtest.h>

#include <unikit/net.h>
#include <unikit/unikit.h>

#include <algorithm>
#include <vector>

#include "net/dev/loopback.h"
#include "net/socket/direct_backend.h"
#include "support/fake_platform.h"

using namespace unikit;
using namespace unikit::net;
using namespace std::chrono_literals;

namespace {

const Ipv4Addr kA{10, 0, 0, 1};
const Ipv4Addr kB{10, 0, 0, 2};

direct::DirectConfig config(Ipv4Addr ip, std::size_t buf) {
    direct::DirectConfig c;
    c.ipv4 = wire::Ipv4Cidr::make(ip, 24);
    c.max_connections = 8;
    c.send_buffer = c.recv_buffer = buf;
    c.rng_seed = ip.to_u32();
    c.isn_secret[0] = ip.octets[3];
    c.close_timeout_ns = 2'000'000'000ull;
    return c;
}

// Passes frames through and records the TCP payload size of each frame "a" transmits.
class Recorder final : public dev::NetDevice {
public:
    explicit Recorder(dev::NetDevice& inner) : inner_(inner) {}
    Result<std::size_t> receive(std::span<dev::Frame> frames) override { return inner_.receive(frames); }
    Result<std::size_t> transmit(std::span<const dev::FrameRef> frames) override {
        auto r = inner_.transmit(frames);
        if (r)
            for (std::size_t i = 0; i < *r; ++i) record(frames[i].bytes());
        return r;
    }
    dev::MacBytes mac() const override { return inner_.mac(); }
    std::uint16_t mtu() const override { return inner_.mtu(); }
    std::vector<std::size_t> tcp_payloads;  // TCP segments with data, in order
    std::vector<uint64_t> tcp_times;        // and when each was sent (virtual ns)

private:
    void record(std::span<const uint8_t> f) {
        if (f.size() < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6) return;
        const std::size_t ihl = (f[14] & 0xfu) * 4u;
        const std::size_t total = std::size_t(f[16]) << 8 | f[17];
        const std::size_t doff = (f[14 + ihl + 12] >> 4) * 4u;
        if (total > ihl + doff) {
            tcp_payloads.push_back(total - ihl - doff);
            tcp_times.push_back(fake::now_ns());
        }
    }
    dev::NetDevice& inner_;
};

struct Net {
    std::vector<uint8_t> storage;
    dev::LoopbackPair link;
    Recorder rec_a{link.a()};
    direct::DirectBackend a, b;
    explicit Net(std::size_t buf = 16 * 1024, std::uint16_t mtu = 1500)
        : storage(dev::LoopbackPair::storage_for(128, mtu)),
          link(storage, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, mtu),
          a(rec_a, -1, "a", config(kA, buf)),
          b(link.b(), -1, "b", config(kB, buf)) {
        a.set_after_transmit([](void* p) { static_cast<direct::DirectBackend*>(p)->kick(); }, &b);
        b.set_after_transmit([](void* p) { static_cast<direct::DirectBackend*>(p)->kick(); }, &a);
        a.start();
        b.start();
    }
};

class DirectTest : public ::testing::Test {
protected:
    void SetUp() override { fake::reset(); }
    Loop loop;
};

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Task<Result<TcpStream>> connect(direct::DirectBackend& from, SocketAddr to) {
    auto r = co_await from.tcp_connect(to, {});
    if (!r) co_return fail(r.error());
    co_return TcpStream(*r);
}

Task<std::string> read_all(TcpStream& s) {
    std::string out;
    uint8_t buf[4096];
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) break;
        out.append(reinterpret_cast<char*>(buf), *n);
    }
    co_return out;
}

}  // namespace

TEST_F(DirectTest, ConnectAcceptEchoClose) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        auto l = n.a.tcp_listen(7, 16);
        EXPECT_TRUE(l.has_value());
        TcpListener listener(*l);
        auto server = [](TcpListener& li) -> Task<void> {
            auto s = co_await li.accept();
            EXPECT_TRUE(s.has_value());
            if (!s) co_return;
            EXPECT_EQ(s->local().port, 7);
            EXPECT_EQ(s->peer().ip, kB);
            uint8_t buf[256];
            for (;;) {
                auto r = co_await s->read(buf);
                if (!r || *r == 0) break;
                EXPECT_TRUE(co_await s->write_all(std::span<const uint8_t>(buf, *r)));
            }
            EXPECT_TRUE(co_await s->close());
        };
        spawn(server(listener));
        auto c = co_await with_timeout(connect(n.b, {kA, 7}), 5s);
        EXPECT_TRUE(c.has_value());
        if (!c) co_return 1;
        EXPECT_EQ(c->peer(), (SocketAddr{kA, 7}));
        EXPECT_TRUE(co_await c->write_all(bytes("hello, unikit")));
        EXPECT_TRUE(co_await c->shutdown());
        auto got = co_await with_timeout(read_all(*c), 5s);
        EXPECT_TRUE(got.has_value());
        EXPECT_EQ(*got, "hello, unikit");
        EXPECT_TRUE(co_await c->close());
        EXPECT_FALSE(c->valid());
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, ConnectToClosedPortIsRefused) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        auto c = co_await with_timeout(connect(n.b, {kA, 9999}), 5s);
        EXPECT_FALSE(c.has_value());
        if (!c) {
            EXPECT_EQ(c.error(), Error::closed);
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, BackPressureThenDrain) {
    Net net(16 * 1024);
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(9, 4));
        auto c = co_await with_timeout(connect(n.b, {kA, 9}), 5s);
        EXPECT_TRUE(c.has_value());
        auto s = co_await listener.accept();
        EXPECT_TRUE(s.has_value());
        if (!c || !s) co_return 1;
        // Nobody reads: the sender's buffer and the receiver's window fill, then write() waits.
        std::vector<uint8_t> data(200 * 1024);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 251);
        size_t taken = 0;
        for (;;) {
            auto w = co_await with_timeout(c->write(std::span<const uint8_t>(data).subspan(taken)), 1s);
            if (!w) {
                EXPECT_EQ(w.error(), Error::timeout);
                break;
            }
            taken += *w;
        }
        EXPECT_GE(taken, 16u * 1024);
        EXPECT_LE(taken, 2u * 16 * 1024 + 1);  // at most send buffer + receive window
        // The stream survived the timeout: now drain on one side while writing the rest.
        auto writer = [](TcpStream& st, std::span<const uint8_t> rest) -> Task<void> {
            EXPECT_TRUE(co_await st.write_all(rest));
            EXPECT_TRUE(co_await st.shutdown());
        };
        spawn(writer(*c, std::span<const uint8_t>(data).subspan(taken)));
        auto got = co_await with_timeout(read_all(*s), 30s);
        EXPECT_TRUE(got.has_value());
        EXPECT_EQ(got->size(), data.size());
        EXPECT_TRUE(std::equal(got->begin(), got->end(), data.begin(), data.end(),
                               [](char x, uint8_t y) { return static_cast<uint8_t>(x) == y; }));
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, ReadTimeoutLeavesStreamUsable) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(7, 4));
        auto c = co_await connect(n.b, {kA, 7});
        auto s = co_await listener.accept();
        if (!c || !s) co_return 1;
        uint8_t buf[16];
        TimePoint t0 = now();
        auto r = co_await with_timeout(s->read(buf), 250ms);
        EXPECT_FALSE(r.has_value());
        if (!r) {
            EXPECT_EQ(r.error(), Error::timeout);
        }
        EXPECT_GE(now() - t0, 250ms);
        EXPECT_TRUE(co_await c->write_all(bytes("late")));
        auto r2 = co_await with_timeout(s->read(buf), 5s);
        EXPECT_TRUE(r2.has_value());
        if (r2) {
            EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *r2), "late");
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, AcceptCancelledByToken) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(7, 4));
        CancelSource stop;
        auto canceller = [](CancelSource& s) -> Task<void> {
            (void)co_await sleep(100ms);
            s.cancel();
        };
        spawn(canceller(stop));
        auto r = co_await listener.accept(stop.token());
        EXPECT_FALSE(r.has_value());
        if (!r) {
            EXPECT_EQ(r.error(), Error::cancelled);
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, AbortResetsPeer) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(7, 4));
        auto c = co_await connect(n.b, {kA, 7});
        auto s = co_await listener.accept();
        if (!c || !s) co_return 1;
        c->abort();
        EXPECT_FALSE(c->valid());
        uint8_t buf[16];
        auto r = co_await with_timeout(s->read(buf), 5s);
        EXPECT_FALSE(r.has_value());
        if (!r) {
            EXPECT_EQ(r.error(), Error::closed);
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, ManyConnectionsAndSlotReuse) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(7, 16));
        // More sequential connections than slots: released slots are reused (TIME-WAIT recycled).
        for (int i = 0; i < 20; ++i) {
            auto c = co_await with_timeout(connect(n.b, {kA, 7}), 5s);
            EXPECT_TRUE(c.has_value()) << "connection " << i;
            if (!c) co_return 1;
            auto s = co_await with_timeout(listener.accept(), 5s);
            EXPECT_TRUE(s.has_value());
            if (!s) co_return 1;
            EXPECT_TRUE(co_await c->write_all(bytes("x")));
            uint8_t b;
            auto r = co_await s->read(std::span<uint8_t>(&b, 1));
            EXPECT_TRUE(r && *r == 1);
            (void)co_await c->close();
            (void)co_await s->close();
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, UdpSendAndReceive) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        UdpSocket ua(*n.a.udp_bind(7));
        UdpSocket ub(*n.b.udp_bind(0));
        EXPECT_NE(ub.local().port, 0);
        EXPECT_TRUE(ub.send_to(bytes("ping"), {kA, 7}));
        uint8_t buf[64];
        auto d = co_await with_timeout(ua.recv_from(buf), 5s);
        EXPECT_TRUE(d.has_value());
        if (!d) co_return 1;
        EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), d->size), "ping");
        EXPECT_EQ(d->from, (SocketAddr{kB, ub.local().port}));
        EXPECT_TRUE(ua.send_to(bytes("pong"), d->from));
        auto e = co_await with_timeout(ub.recv_from(buf), 5s);
        EXPECT_TRUE(e.has_value());
        if (e) {
            EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), e->size), "pong");
        }
        // Nothing more: recv_from times out.
        auto f = co_await with_timeout(ub.recv_from(buf), 100ms);
        EXPECT_FALSE(f.has_value());
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

TEST_F(DirectTest, InterfaceInfo) {
    Net net;
    InterfaceInfo i = net.a.info();
    EXPECT_EQ(i.device, "a");
    EXPECT_EQ(i.address, kA);
    EXPECT_EQ(i.prefix_len, 24);
    EXPECT_FALSE(i.dhcp);
    EXPECT_FALSE(i.host_sockets);
    EXPECT_EQ(i.mtu, 1500);
}

// A response written as head + body in one turn shares segments (full ones, then one tail), and
// with TCP_NODELAY on that connection the tail goes at once instead of waiting, under Nagle, for
// the peer's delayed ACK of the lone full segment before it (virtual time: 40 ms). The client
// reads only later, so no window update from its reads stands in for that ACK.
TEST_F(DirectTest, NodelayPerConnectionAndWritesShareSegments) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.a.tcp_listen(80, 4));
        // One "response": 100 bytes of head, 1560 of body -> 1460 + 200 on the wire.
        auto respond = [](TcpStream& s) -> Task<bool> {
            std::vector<uint8_t> head(100, 'h'), body(1560, 'b');
            uint8_t req[16];
            auto r = co_await s.read(req);
            if (!r || *r == 0) co_return false;
            if (!co_await s.write_all(head)) co_return false;
            co_return bool(co_await s.write_all(body));
        };
        for (bool nodelay : {true, false}) {
            auto c = co_await with_timeout(connect(n.b, {kA, 80}), 5s);
            auto s = co_await listener.accept();
            EXPECT_TRUE(c.has_value() && s.has_value());
            if (!c || !s) co_return 1;
            EXPECT_TRUE(s->set_nodelay(nodelay));
            n.rec_a.tcp_payloads.clear();
            n.rec_a.tcp_times.clear();
            spawn([](auto& fn, TcpStream& st) -> Task<void> { EXPECT_TRUE(co_await fn(st)); }(respond, *s));
            EXPECT_TRUE(co_await c->write_all(bytes("GET")));
            (void)co_await sleep(100ms);
            size_t got = 0;
            uint8_t buf[4096];
            while (got < 1660) {
                auto r = co_await c->read(buf);
                if (!r || *r == 0) break;
                got += *r;
            }
            EXPECT_EQ(got, 1660u);
            EXPECT_EQ(n.rec_a.tcp_payloads, (std::vector<std::size_t>{1460, 200})) << "nodelay " << nodelay;
            if (n.rec_a.tcp_times.size() == 2) {
                const uint64_t gap = n.rec_a.tcp_times[1] - n.rec_a.tcp_times[0];
                if (nodelay) {
                    EXPECT_EQ(gap, 0u) << "the tail waited (for the peer's delayed ACK?)";
                } else {
                    EXPECT_GE(gap, 40'000'000u) << "Nagle should hold the tail until the delayed ACK";
                }
            }
            (void)co_await s->close();
            (void)co_await c->close();
        }
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

// A jumbo MTU: the MSS follows it (9000 - 40) and full-sized segments (9014-byte frames) go
// through the transmit queue; a bulk transfer arrives intact.
TEST_F(DirectTest, JumboFramesCarryFullSizedSegments) {
    Net net(64 * 1024, 9000);
    EXPECT_EQ(net.a.info().mtu, 9000);
    int status = loop.run([](Net& n) -> Task<int> {
        TcpListener listener(*n.b.tcp_listen(9, 4));
        auto c = co_await with_timeout(connect(n.a, {kB, 9}), 5s);
        auto s = co_await listener.accept();
        EXPECT_TRUE(c.has_value() && s.has_value());
        if (!c || !s) co_return 1;
        std::vector<uint8_t> data(300 * 1024);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13 + i / 509);
        auto writer = [](TcpStream& st, std::span<const uint8_t> d) -> Task<void> {
            EXPECT_TRUE(co_await st.write_all(d));
            EXPECT_TRUE(co_await st.shutdown());
        };
        spawn(writer(*c, data));
        auto got = co_await with_timeout(read_all(*s), 30s);
        EXPECT_TRUE(got.has_value());
        if (!got) co_return 1;
        EXPECT_EQ(got->size(), data.size());
        EXPECT_TRUE(std::equal(got->begin(), got->end(), data.begin(), data.end(),
                               [](char x, uint8_t y) { return static_cast<uint8_t>(x) == y; }));
        std::size_t full = 0, largest = 0;
        for (std::size_t p : n.rec_a.tcp_payloads) {
            full += p == 8960;
            largest = std::max(largest, p);
        }
        EXPECT_EQ(largest, 8960u);
        EXPECT_GE(full, 30u);
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

// The engine's clock is read once per loop turn: calls in the same turn reuse it (the clock moved
// by 5 ms without a uk_yield in between), and after the loop has waited it is read afresh.
TEST_F(DirectTest, ClockReadOncePerLoopTurn) {
    Net net;
    int status = loop.run([](Net& n) -> Task<int> {
        (void)co_await yield_now();
        const uint64_t t1 = n.a.now_ns();
        fake::advance(5'000'000);
        EXPECT_EQ(n.a.now_ns(), t1);
        (void)co_await sleep(1s);
        const uint64_t t2 = n.a.now_ns();
        EXPECT_GE(t2 - t1, 1'005'000'000u);
        fake::advance(5'000'000);
        EXPECT_EQ(n.a.now_ns(), t2);
        (void)co_await yield_now();
        EXPECT_EQ(n.a.now_ns(), t2 + 5'000'000);
        co_return 0;
    }(net));
    EXPECT_EQ(status, 0);
}

// Buffers left at 0 follow the MTU: 64 KiB at 1500 (32 segments would be less), 32 full segments
// at 9000; explicit sizes are kept.
TEST_F(DirectTest, DefaultBuffersFollowTheMtu) {
    for (std::uint16_t mtu : {std::uint16_t(1500), std::uint16_t(9000)}) {
        std::vector<uint8_t> storage(dev::LoopbackPair::storage_for(8, mtu));
        dev::LoopbackPair link(storage, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, mtu);
        direct::DirectConfig c = config(kA, 0);
        EXPECT_EQ(c.send_buffer, 0u);
        direct::DirectBackend b(link.a(), -1, "a", c);
        const std::size_t want = mtu == 1500 ? 64u * 1024 : 32u * 8960;
        EXPECT_EQ(b.config().send_buffer, want) << "MTU " << mtu;
        EXPECT_EQ(b.config().recv_buffer, want) << "MTU " << mtu;
        EXPECT_EQ(b.config().tcp.mss, mtu - 40);
        direct::DirectBackend fixed(link.b(), -1, "b", config(kB, 16 * 1024));
        EXPECT_EQ(fixed.config().recv_buffer, 16u * 1024);
    }
}
