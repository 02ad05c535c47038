// The socket API (include/unikit/net.h) over host sockets (platforms/unix/hostnet), in one
// process on the real unix platform and the real event loop: listener and client over
// 127.0.0.1, echo, EOF, 8 MB with a slow reader (back-pressure), RST on abort, timeouts and
// cancellation that leave sockets usable, UDP, port mapping, error mapping, no leaks.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unikit/loop.h>
#include <unikit/net.h>
#include <unikit/when.h>

#include "hostnet/fd_watch.h"
#include "hostnet/hostnet.h"
#include "net/socket/backend.h"

using namespace unikit;
using namespace unikit::net;
namespace hn = unikit::unix_platform::hostnet;

namespace {

const SocketAddr kLoop(uint16_t port) { return SocketAddr{Ipv4Addr::loopback(), port}; }

std::span<const uint8_t> bytes(std::string_view s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Duration ms(int64_t n) { return std::chrono::duration_cast<Duration>(std::chrono::milliseconds(n)); }

// Every test body runs as the main task of a fresh Loop, bounded to 30 s.
template <class F>
void run_loop(F body) {
    Loop loop;
    bool finished = false;
    auto main = [&]() -> Task<void> {
        auto r = co_await with_timeout(body(), ms(30000));
        EXPECT_TRUE(r) << "test body timed out";
        finished = true;
    };
    loop.run(main());
    EXPECT_TRUE(finished);
}

// Reads until EOF (or error); returns what arrived.
Task<Result<std::string>> read_all(TcpStream& s) {
    std::string out;
    uint8_t buf[4096];
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n) co_return fail(n.error());
        if (*n == 0) co_return out;
        out.append(reinterpret_cast<char*>(buf), *n);
    }
}

// A listener on a free loopback port and one connection through it (the client end and the
// accepted end). Empty, after a failed expectation, when any step fails.
struct Connected {
    TcpListener listener;
    TcpStream client, server;
};
Task<std::optional<Connected>> connect_pair() {
    auto l = TcpListener::bind(0);
    EXPECT_TRUE(l);
    if (!l) co_return std::nullopt;
    auto c = co_await TcpStream::connect(kLoop(l->local().port));
    EXPECT_TRUE(c) << to_string(c.error());
    auto s = co_await l->accept();
    EXPECT_TRUE(s);
    if (!c || !s) co_return std::nullopt;
    co_return Connected{std::move(*l), std::move(*c), std::move(*s)};
}

class HostSockets : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        static bool attached = false;
        if (attached) return;
        attached = true;
        hn::Config cfg;
        cfg.device = "service";
        ASSERT_TRUE(hn::attach(cfg));
        ASSERT_TRUE(use_device("service"));
    }
    void SetUp() override { frames_ = live_task_frames(); }
    void TearDown() override {
        EXPECT_EQ(hn::open_sockets(), 0u) << "a host socket leaked";
        EXPECT_EQ(unikit::unix_platform::watched_fd_count(), 0u);
        EXPECT_EQ(live_task_frames(), frames_) << "a task frame leaked";
    }
    size_t frames_ = 0;
};

// Echoes one connection until EOF, then closes.
Task<void> echo_one(TcpStream s) {
    uint8_t buf[16384];
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) break;
        if (!co_await s.write_all(std::span<const uint8_t>(buf, *n))) break;
    }
    (void)co_await s.close();
}

}  // namespace

TEST_F(HostSockets, InterfaceInfoSaysHostSockets) {
    auto i = interface_info();
    ASSERT_TRUE(i);
    EXPECT_TRUE(i->host_sockets);
    EXPECT_EQ(i->device, "service");
    EXPECT_EQ(i->address, Ipv4Addr::loopback());
    run_loop([]() -> Task<void> {
        auto c = co_await wait_configured();
        EXPECT_TRUE(c);
    });
}

TEST_F(HostSockets, EchoAndEof) {
    run_loop([]() -> Task<void> {
        auto l = TcpListener::bind(0);
        EXPECT_TRUE(l);
        if (!l) co_return;
        uint16_t port = l->local().port;
        EXPECT_NE(port, 0);
        EXPECT_EQ(l->local().ip, Ipv4Addr::loopback());

        auto server = [&]() -> Task<void> {
            auto s = co_await l->accept();
            EXPECT_TRUE(s);
            if (s) co_await echo_one(std::move(*s));
        };
        auto client = [&]() -> Task<void> {
            auto c = co_await TcpStream::connect(kLoop(port));
            EXPECT_TRUE(c) << to_string(c.error());
            if (!c) co_return;
            EXPECT_EQ(c->peer(), kLoop(port));
            EXPECT_EQ(c->local().ip, Ipv4Addr::loopback());
            EXPECT_NE(c->local().port, 0);
            EXPECT_TRUE(c->set_nodelay(true));
            EXPECT_TRUE(co_await c->write_all("hello, "));
            EXPECT_TRUE(co_await c->write_all("world"));
            EXPECT_TRUE(co_await c->shutdown());
            // Writing after shutdown is refused.
            auto w = co_await c->write(bytes("late"));
            EXPECT_FALSE(w);
            if (!w) { EXPECT_EQ(w.error(), Error::closed); }
            auto all = co_await read_all(*c);
            EXPECT_TRUE(all);
            if (all) { EXPECT_EQ(*all, "hello, world"); }
            // EOF stays EOF.
            uint8_t b[8];
            auto again = co_await c->read(b);
            EXPECT_TRUE(again && *again == 0);
            EXPECT_TRUE(co_await c->close());
            EXPECT_FALSE(c->valid());
        };
        co_await when_all(server(), client());
    });
}

TEST_F(HostSockets, ManyClientsConcurrently) {
    run_loop([]() -> Task<void> {
        auto l = TcpListener::bind(0, 64);
        EXPECT_TRUE(l);
        if (!l) co_return;
        uint16_t port = l->local().port;
        constexpr int kClients = 20;
        int done = 0;
        auto server = [&]() -> Task<void> {
            for (int i = 0; i < kClients; ++i) {
                auto s = co_await l->accept();
                EXPECT_TRUE(s);
                if (s) spawn(echo_one(std::move(*s)));
            }
        };
        auto client = [&](int i) -> Task<void> {
            auto c = co_await TcpStream::connect(kLoop(port));
            EXPECT_TRUE(c);
            if (!c) co_return;
            std::string msg = "client " + std::to_string(i);
            EXPECT_TRUE(co_await c->write_all(msg));
            EXPECT_TRUE(co_await c->shutdown());
            auto all = co_await read_all(*c);
            EXPECT_TRUE(all && *all == msg);
            ++done;
        };
        auto clients = [&]() -> Task<void> {
            for (int i = 0; i < kClients; ++i) spawn(client(i));
            while (done < kClients) (void)co_await sleep(ms(1));
        };
        co_await when_all(server(), clients());
        EXPECT_EQ(done, kClients);
        // Let the spawned echo tasks finish their close.
        (void)co_await sleep(ms(20));
    });
}

TEST_F(HostSockets, EightMegabytesWithASlowReaderAndBackPressure) {
    static constexpr size_t kTotal = 8u << 20;
    run_loop([]() -> Task<void> {
        auto l = TcpListener::bind(0);
        EXPECT_TRUE(l);
        if (!l) co_return;
        uint16_t port = l->local().port;
        size_t writes = 0, partial = 0;
        uint64_t received = 0, bad = 0;
        bool reader_done = false;
        auto writer = [&]() -> Task<void> {
            auto c = co_await TcpStream::connect(kLoop(port));
            EXPECT_TRUE(c);
            if (!c) co_return;
            std::vector<uint8_t> chunk(256 * 1024);
            size_t sent = 0;
            while (sent < kTotal) {
                for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>((sent + i) * 7 + 3);
                std::span<const uint8_t> rest(chunk);
                while (!rest.empty()) {
                    auto n = co_await c->write(rest);
                    EXPECT_TRUE(n);
                    if (!n) co_return;
                    ++writes;
                    if (*n < rest.size()) ++partial;
                    rest = rest.subspan(*n);
                }
                sent += chunk.size();
            }
            EXPECT_TRUE(co_await c->close());
        };
        auto reader = [&]() -> Task<void> {
            auto s = co_await l->accept();
            EXPECT_TRUE(s);
            if (!s) co_return;
            std::vector<uint8_t> buf(16 * 1024);
            int turns = 0;
            for (;;) {
                auto n = co_await s->read(buf);
                EXPECT_TRUE(n);
                if (!n || *n == 0) break;
                for (size_t i = 0; i < *n; ++i) bad += buf[i] != static_cast<uint8_t>((received + i) * 7 + 3);
                received += *n;
                // Slow: a pause every 64 reads (~1 MB), so the writer's send buffer fills up.
                if (++turns % 64 == 0) (void)co_await sleep(ms(5));
            }
            reader_done = true;
        };
        co_await when_all(writer(), reader());
        EXPECT_TRUE(reader_done);
        EXPECT_EQ(received, kTotal);
        EXPECT_EQ(bad, 0u);
        // The writer was held back: many writes took only part of a chunk.
        EXPECT_GT(partial, 0u);
        EXPECT_GT(writes, kTotal / (256 * 1024));
    });
}

TEST_F(HostSockets, AbortResetsThePeer) {
    run_loop([]() -> Task<void> {
        auto pair = co_await connect_pair();
        if (!pair) co_return;
        TcpStream& c = pair->client;
        TcpStream& s = pair->server;
        EXPECT_TRUE(co_await c.write_all("unread"));
        c.abort();
        EXPECT_FALSE(c.valid());
        // The peer sees an error, not an orderly end: the reset is Error::closed, and it sticks.
        uint8_t buf[64];
        Result<size_t> r;
        do {
            r = co_await s.read(buf);  // the data may be read before the reset is noticed
        } while (r && *r > 0);
        EXPECT_FALSE(r) << "read gave EOF, not a reset";
        if (!r) { EXPECT_EQ(r.error(), Error::closed); }
        auto w = co_await s.write(bytes("x"));
        EXPECT_FALSE(w);
        if (!w) { EXPECT_EQ(w.error(), Error::closed); }
        s.abort();
    });
}

TEST_F(HostSockets, ReadTimeoutLeavesTheStreamUsable) {
    run_loop([]() -> Task<void> {
        auto pair = co_await connect_pair();
        if (!pair) co_return;
        TcpStream& c = pair->client;
        TcpStream& s = pair->server;
        uint8_t buf[64];
        TimePoint t0 = now();
        auto r = co_await with_timeout(s.read(buf), ms(50));
        EXPECT_FALSE(r);
        if (!r) { EXPECT_EQ(r.error(), Error::timeout); }
        EXPECT_GE(now() - t0, ms(50));
        // Nothing was lost or broken: the next read gets the data.
        EXPECT_TRUE(co_await c.write_all("after"));
        auto n = co_await with_timeout(s.read(buf), ms(5000));
        EXPECT_TRUE(n);
        if (n) { EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "after"); }
        EXPECT_TRUE(co_await c.close());
        auto eof = co_await s.read(buf);
        EXPECT_TRUE(eof && *eof == 0);
    });
}

TEST_F(HostSockets, WriteTimeoutUnderBackPressureThenResume) {
    run_loop([]() -> Task<void> {
        auto pair = co_await connect_pair();
        if (!pair) co_return;
        TcpStream& c = pair->client;
        TcpStream& s = pair->server;
        // Nobody reads: writes stall once both buffers are full, and with_timeout ends the wait.
        std::vector<uint8_t> big(1 << 20, 0xab);
        size_t queued = 0;
        Result<size_t> w;
        for (;;) {
            w = co_await with_timeout(c.write(big), ms(100));
            if (!w) break;
            queued += *w;
            EXPECT_LT(queued, size_t{1} << 30);
            if (queued >= size_t{1} << 30) co_return;
        }
        EXPECT_EQ(w.error(), Error::timeout);
        EXPECT_GT(queued, 0u);
        // Read everything; the writer can continue afterwards.
        std::vector<uint8_t> buf(1 << 16);
        size_t got = 0;
        while (got < queued) {
            auto n = co_await s.read(buf);
            EXPECT_TRUE(n && *n > 0);
            if (!n || *n == 0) co_return;
            got += *n;
        }
        EXPECT_TRUE(co_await c.write_all("tail"));
        EXPECT_TRUE(co_await c.shutdown());
        auto rest = co_await read_all(s);
        EXPECT_TRUE(rest && *rest == "tail");
    });
}

TEST_F(HostSockets, CancelledAcceptLeavesTheListenerUsable) {
    run_loop([]() -> Task<void> {
        auto l = TcpListener::bind(0);
        EXPECT_TRUE(l);
        if (!l) co_return;
        CancelSource stop;
        auto canceller = [&]() -> Task<void> {
            (void)co_await sleep(ms(20));
            stop.cancel();
        };
        auto [r, unused] = co_await when_all(l->accept(stop.token()), canceller());
        EXPECT_FALSE(r);
        if (!r) { EXPECT_EQ(r.error(), Error::cancelled); }
        // An already-cancelled token fails at once.
        auto again = co_await l->accept(stop.token());
        EXPECT_FALSE(again);
        // The listener still accepts.
        auto [c, s] = co_await when_all(TcpStream::connect(kLoop(l->local().port)), l->accept());
        EXPECT_TRUE(c && s);
    });
}

TEST_F(HostSockets, ReleasedStreamClosesGracefullyInTheBackground) {
    run_loop([]() -> Task<void> {
        auto pair = co_await connect_pair();
        if (!pair) co_return;
        TcpStream& c = pair->client;
        TcpStream& a = pair->server;
        EXPECT_TRUE(co_await c.write_all("bye"));
        { TcpStream gone = std::move(c); }  // destroyed while open
        auto all = co_await read_all(a);
        EXPECT_TRUE(all);  // an orderly end (FIN), not a reset
        if (all) { EXPECT_EQ(*all, "bye"); }
    });
}

TEST_F(HostSockets, CloseReleasesASocketAnotherTaskWaitsOn) {
    run_loop([]() -> Task<void> {
        auto pair = co_await connect_pair();
        if (!pair) co_return;
        TcpStream& s = pair->server;  // (the client end stays open in pair)
        // A reader waits on the stream while another task aborts it: the reader wakes with
        // Error::closed instead of waiting forever.
        auto reader = [&]() -> Task<Result<size_t>> {
            uint8_t b[16];
            co_return co_await s.read(b);
        };
        auto killer = [&]() -> Task<void> {
            (void)co_await sleep(ms(10));
            s.abort();
        };
        auto [r, unused] = co_await when_all(reader(), killer());
        EXPECT_FALSE(r);
        if (!r) { EXPECT_EQ(r.error(), Error::closed); }
    });
}

TEST_F(HostSockets, ConnectErrors) {
    run_loop([]() -> Task<void> {
        // A port nobody listens on: refused -> Error::closed.
        uint16_t free_port;
        {
            auto l = TcpListener::bind(0);
            EXPECT_TRUE(l);
            if (!l) co_return;
            free_port = l->local().port;
        }
        auto r = co_await TcpStream::connect(kLoop(free_port));
        EXPECT_FALSE(r);
        if (!r) { EXPECT_EQ(r.error(), Error::closed); }
        auto bad = co_await TcpStream::connect(SocketAddr{Ipv4Addr::any(), 80});
        EXPECT_FALSE(bad);
        if (!bad) { EXPECT_EQ(bad.error(), Error::invalid); }
        // A connect that cannot finish ends with the timeout, and the half-made socket is freed
        // (TearDown checks): a listener that never accepts and has a full backlog drops SYNs.
        auto full = TcpListener::bind(0, 1);
        EXPECT_TRUE(full);
        if (!full) co_return;
        std::vector<TcpStream> queued;
        bool timed_out = false;
        for (int i = 0; i < 16 && !timed_out; ++i) {
            auto c = co_await with_timeout(TcpStream::connect(kLoop(full->local().port)),
                                           ms(100));
            if (c) {
                queued.push_back(std::move(*c));
            } else {
                EXPECT_EQ(c.error(), Error::timeout);
                timed_out = true;
            }
        }
        EXPECT_TRUE(timed_out);
    });
}

TEST_F(HostSockets, PortInUseIsAgain) {
    auto a = TcpListener::bind(0);
    ASSERT_TRUE(a);
    auto b = TcpListener::bind(a->local().port);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error(), Error::again);
    EXPECT_FALSE(TcpListener::bind(0, 0));
}

TEST_F(HostSockets, UdpRoundTrip) {
    run_loop([]() -> Task<void> {
        auto a = UdpSocket::bind(0);
        auto b = UdpSocket::bind(0);
        EXPECT_TRUE(a && b);
        if (!a || !b) co_return;
        EXPECT_EQ(a->local().ip, Ipv4Addr::loopback());
        EXPECT_TRUE(a->send_to(bytes("ping"), kLoop(b->local().port)));
        uint8_t buf[64];
        auto d = co_await with_timeout(b->recv_from(buf), ms(5000));
        EXPECT_TRUE(d);
        if (!d) co_return;
        EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), d->size), "ping");
        EXPECT_EQ(d->from, a->local());
        EXPECT_TRUE(b->send_to(bytes("pong!"), d->from));
        // Truncated to the buffer.
        uint8_t small[3];
        auto e = co_await with_timeout(a->recv_from(small), ms(5000));
        EXPECT_TRUE(e);
        if (e) { EXPECT_EQ(e->size, 3u); }
        // A timed-out receive leaves the socket usable.
        auto t = co_await with_timeout(a->recv_from(buf), ms(20));
        EXPECT_FALSE(t);
        EXPECT_TRUE(b->send_to(bytes("again"), a->local()));
        auto f = co_await with_timeout(a->recv_from(buf), ms(5000));
        EXPECT_TRUE(f && f->size == 5);
        EXPECT_FALSE(a->send_to(bytes("x"), SocketAddr{Ipv4Addr::loopback(), 0}));
    });
}

TEST_F(HostSockets, PortMappingIsInvisibleToTheApp) {
    // A second device with a mapping, driven through its backend directly.
    hn::Config cfg;
    cfg.device = "mapped";
    // Find a free host port for the mapping.
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(probe, reinterpret_cast<sockaddr*>(&sa), &len);
    uint16_t host_port = ntohs(sa.sin_port);
    close(probe);
    cfg.port_map = {{80, host_port}};
    ASSERT_TRUE(hn::attach(cfg));
    EXPECT_FALSE(hn::attach(cfg));  // twice
    backend::NetBackend* b = uk_unix_hostnet_backend("mapped");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(uk_unix_hostnet_backend("nosuch"), nullptr);
    // A socket device is no frame device.
    uk_handle h;
    EXPECT_EQ(uk_device_lookup("mapped", UK_DEV_NET, &h), UK_ENOENT);

    run_loop([&]() -> Task<void> {
        auto li = b->tcp_listen(80, 8);
        EXPECT_TRUE(li);
        if (!li) co_return;
        TcpListener l(*li);
        EXPECT_EQ(l.local().port, 80);  // the app's port
        // A host client reaches it on the host port.
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(host_port);
        EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);  // backlog: no wait
        auto s = co_await l.accept();
        EXPECT_TRUE(s);
        if (s) { EXPECT_EQ(s->local().port, 80); }
        close(fd);
    });
    hn::detach_all();
    EXPECT_EQ(uk_unix_hostnet_backend("mapped"), nullptr);
    // (The suite's "service" device is gone from the table now, but the socket API keeps the
    // backend it already selected.)
}

TEST_F(HostSockets, PrivilegedPortWithoutRootIsAClearError) {
    FILE* f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
    int start = 1024;
    if (f) {
        if (fscanf(f, "%d", &start) != 1) start = 1024;
        fclose(f);
    }
    if (start <= 80) GTEST_SKIP() << "this host lets anybody bind port 80";
    fflush(stdout);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
        hn::Config cfg;
        cfg.device = "lowport";
        if (!hn::attach(cfg)) _exit(3);
        auto r = uk_unix_hostnet_backend("lowport")->tcp_listen(80, 8);
        _exit(!r && r.error() == Error::invalid ? 0 : 1);
    }
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) GTEST_SKIP() << "cannot drop privileges here";
    EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(HostErrno, Mapping) {
    EXPECT_EQ(hn::map_errno(ECONNRESET), Error::closed);
    EXPECT_EQ(hn::map_errno(ECONNREFUSED), Error::closed);
    EXPECT_EQ(hn::map_errno(EPIPE), Error::closed);
    EXPECT_EQ(hn::map_errno(ETIMEDOUT), Error::timeout);
    EXPECT_EQ(hn::map_errno(EADDRINUSE), Error::again);
    EXPECT_EQ(hn::map_errno(ENETUNREACH), Error::not_found);
    EXPECT_EQ(hn::map_errno(EMFILE), Error::overflow);
    EXPECT_EQ(hn::map_errno(ENOBUFS), Error::no_memory);
    EXPECT_EQ(hn::map_errno(EACCES), Error::invalid);
    EXPECT_EQ(hn::map_errno(EIO), Error::io);
}
