// The unix backend against the platform ABI (include/unikit/platform.h): clocks, console,
// uk_yield deadlines, block devices over a temporary file, network devices over a datagram
// socket pair (no root needed). The TAP test is tap_test.cpp.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "unix_platform.h"

namespace up = unikit::unix_platform;

namespace {

class UnixPlatform : public ::testing::Test {
protected:
    void TearDown() override { up::detach_all(); }
};

double cpu_seconds() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string temp_file(size_t size) {
    char path[] = "/tmp/unikit-blockXXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    close(fd);
    return path;
}

// A pair of datagram sockets: one end attached as a net device, the other for the test.
int attach_socketpair_net(const char* name, uk_handle* h) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
    auto r = up::attach_net_fd(name, sv[0], up::default_mac(name, "test"));
    EXPECT_TRUE(r) << r.error();
    *h = *r;
    return sv[1];
}

}  // namespace

TEST_F(UnixPlatform, MonotonicClockNeverGoesBack) {
    uk_time_ns prev = uk_clock_monotonic();
    for (int i = 0; i < 10000; ++i) {
        uk_time_ns t = uk_clock_monotonic();
        ASSERT_GE(t, prev);
        prev = t;
    }
}

TEST_F(UnixPlatform, WallClockIsUnixTime) {
    uk_time_ns t = uk_clock_wall();
    EXPECT_GT(t, uint64_t{1600000000} * 1000000000u);  // after 2020
    EXPECT_NEAR(static_cast<double>(t / 1000000000u), static_cast<double>(time(nullptr)), 2.0);
}

TEST_F(UnixPlatform, ConsoleWritesToStdout) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int saved = dup(STDOUT_FILENO);
    fflush(stdout);
    dup2(p[1], STDOUT_FILENO);
    uk_console_write("hello, console\n", 15);
    uk_console_write("", 0);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(p[1]);
    char buf[64] = {};
    ssize_t n = read(p[0], buf, sizeof buf);
    close(p[0]);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "hello, console\n");
}

TEST_F(UnixPlatform, YieldArgumentErrors) {
    size_t n;
    EXPECT_EQ(uk_yield(0, nullptr, 1, &n), UK_EINVAL);
    uk_handle h[1];
    EXPECT_EQ(uk_yield(0, h, 1, nullptr), UK_EINVAL);
    EXPECT_EQ(uk_yield(0, nullptr, 0, &n), UK_OK);
    EXPECT_EQ(n, 0u);
}

TEST_F(UnixPlatform, YieldHonoursTheDeadlineWithoutSpinning) {
    double cpu0 = cpu_seconds();
    uk_time_ns start = uk_clock_monotonic();
    uk_time_ns deadline = start + 200'000'000;  // 200 ms, no devices
    size_t n = 99;
    uk_handle ready[4];
    ASSERT_EQ(uk_yield(deadline, ready, 4, &n), UK_OK);
    uk_time_ns end = uk_clock_monotonic();
    EXPECT_EQ(n, 0u);
    EXPECT_GE(end, deadline);
    EXPECT_LT(end - deadline, 50'000'000u) << "woke far too late";
    EXPECT_LT(cpu_seconds() - cpu0, 0.05) << "uk_yield spun instead of sleeping";
}

TEST_F(UnixPlatform, YieldPrecisionBelowAMillisecond) {
    uk_time_ns start = uk_clock_monotonic();
    uk_time_ns deadline = start + 300'000;  // 0.3 ms
    size_t n;
    ASSERT_EQ(uk_yield(deadline, nullptr, 0, &n), UK_OK);
    uk_time_ns end = uk_clock_monotonic();
    EXPECT_GE(end, deadline);
    EXPECT_LT(end - start, 20'000'000u);
}

TEST_F(UnixPlatform, YieldWithPastDeadlinePolls) {
    uk_time_ns start = uk_clock_monotonic();
    size_t n = 99;
    uk_handle ready[1];
    ASSERT_EQ(uk_yield(0, ready, 1, &n), UK_OK);
    EXPECT_EQ(n, 0u);
    EXPECT_LT(uk_clock_monotonic() - start, 20'000'000u);
}

TEST_F(UnixPlatform, LookupAndKinds) {
    uk_handle h;
    EXPECT_EQ(uk_device_lookup("nope", UK_DEV_NET, &h), UK_ENOENT);
    EXPECT_EQ(uk_device_lookup(nullptr, UK_DEV_NET, &h), UK_EINVAL);
    uk_handle net;
    int peer = attach_socketpair_net("service", &net);
    auto path = temp_file(4096);
    auto blk = up::attach_block("storage", path);
    ASSERT_TRUE(blk) << blk.error();
    EXPECT_EQ(uk_device_lookup("service", UK_DEV_NET, &h), UK_OK);
    EXPECT_EQ(h, net);
    EXPECT_EQ(uk_device_lookup("service", UK_DEV_BLOCK, &h), UK_ENOENT);
    EXPECT_EQ(uk_device_lookup("storage", UK_DEV_BLOCK, &h), UK_OK);
    EXPECT_EQ(h, *blk);
    struct uk_net_info ni;
    struct uk_block_info bi;
    EXPECT_EQ(uk_net_get_info(*blk, &ni), UK_EINVAL);
    EXPECT_EQ(uk_block_get_info(net, &bi), UK_EINVAL);
    EXPECT_EQ(uk_net_get_info(12345, &ni), UK_EINVAL);
    EXPECT_EQ(uk_net_get_info(-1, &ni), UK_EINVAL);
    EXPECT_FALSE(up::attach_block("storage", path)) << "a name is attached once";
    close(peer);
    unlink(path.c_str());
}

TEST_F(UnixPlatform, BlockReadWriteAndErrors) {
    auto path = temp_file(512 * 8 + 100);  // capacity rounds down to 8 blocks
    auto h = up::attach_block("disk", path);
    ASSERT_TRUE(h) << h.error();
    struct uk_block_info bi;
    ASSERT_EQ(uk_block_get_info(*h, &bi), UK_OK);
    EXPECT_EQ(bi.block_size, 512u);
    EXPECT_EQ(bi.capacity, 512u * 8);

    std::vector<uint8_t> out(1024), in(1024);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 3);
    EXPECT_EQ(uk_block_write(*h, 512 * 6, out.data(), out.size()), UK_OK);
    EXPECT_EQ(uk_block_read(*h, 512 * 6, in.data(), in.size()), UK_OK);
    EXPECT_EQ(in, out);
    // The bytes are in the file, at that offset.
    int fd = open(path.c_str(), O_RDONLY);
    std::vector<uint8_t> file(1024);
    EXPECT_EQ(pread(fd, file.data(), file.size(), 512 * 6), 1024);
    close(fd);
    EXPECT_EQ(file, out);

    EXPECT_EQ(uk_block_read(*h, 1, in.data(), 512), UK_EINVAL);           // misaligned offset
    EXPECT_EQ(uk_block_read(*h, 0, in.data(), 100), UK_EINVAL);           // misaligned length
    EXPECT_EQ(uk_block_write(*h, 512 * 7, out.data(), 1024), UK_EINVAL);  // past the end
    EXPECT_EQ(uk_block_read(*h, 512 * 8, in.data(), 512), UK_EINVAL);     // at the end
    EXPECT_EQ(uk_block_read(*h, ~uint64_t{0} - 511, in.data(), 1024), UK_EINVAL);  // overflow
    EXPECT_EQ(uk_block_read(*h, 0, nullptr, 512), UK_EINVAL);
    EXPECT_EQ(uk_block_read(*h, 512 * 8, in.data(), 0), UK_OK);           // empty, at the end
    EXPECT_EQ(uk_block_read(*h + 100, 0, in.data(), 512), UK_EINVAL);     // bad handle
    unlink(path.c_str());
}

TEST_F(UnixPlatform, BlockAttachErrors) {
    EXPECT_FALSE(up::attach_block("d", "/nonexistent/unikit/disk"));
    auto r = up::attach_block("d", "/tmp");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("not a regular file"), std::string::npos);
}

TEST_F(UnixPlatform, NetInfoMacAndMtu) {
    uk_handle h;
    int peer = attach_socketpair_net("service", &h);
    struct uk_net_info ni;
    ASSERT_EQ(uk_net_get_info(h, &ni), UK_OK);
    EXPECT_EQ(ni.mtu, 1500);
    EXPECT_EQ(ni.mac[0] & 0x03, 0x02) << "locally administered, unicast";
    EXPECT_EQ(up::default_mac("service", "tap0"), up::default_mac("service", "tap0"));
    EXPECT_NE(up::default_mac("service", "tap0"), up::default_mac("service", "tap1"));
    close(peer);
}

TEST_F(UnixPlatform, NetBatchedReadWriteOverSocketPair) {
    uk_handle h;
    int peer = attach_socketpair_net("service", &h);

    // Nothing waiting: UK_AGAIN, and uk_yield with a past deadline reports nothing.
    uint8_t b0[1600], b1[1600], b2[1600];
    uk_frame rx[3] = {{b0, sizeof b0, 0}, {b1, sizeof b1, 0}, {b2, sizeof b2, 0}};
    size_t got = 99;
    EXPECT_EQ(uk_net_read(h, rx, 3, &got), UK_AGAIN);
    EXPECT_EQ(got, 0u);

    // Two frames from the peer: the device becomes ready (and stays ready until drained).
    std::string f1(60, 'a'), f2(1514, 'b');
    ASSERT_EQ(send(peer, f1.data(), f1.size(), 0), 60);
    ASSERT_EQ(send(peer, f2.data(), f2.size(), 0), 1514);
    uk_handle ready[4];
    size_t n = 0;
    ASSERT_EQ(uk_yield(uk_clock_monotonic() + 1'000'000'000, ready, 4, &n), UK_OK);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(ready[0], h);
    ASSERT_EQ(uk_yield(0, ready, 4, &n), UK_OK);
    EXPECT_EQ(n, 1u) << "level-triggered: still ready before draining";

    EXPECT_EQ(uk_net_read(h, rx, 3, &got), UK_OK);
    ASSERT_EQ(got, 2u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(b0), rx[0].len), f1);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(b1), rx[1].len), f2);
    ASSERT_EQ(uk_yield(0, ready, 4, &n), UK_OK);
    EXPECT_EQ(n, 0u) << "drained";

    // A frame bigger than its buffer is dropped, never truncated; the next one still arrives.
    uint8_t small[100];
    uk_frame one = {small, sizeof small, 0};
    std::string big(200, 'x'), fit(80, 'y');
    send(peer, big.data(), big.size(), 0);
    send(peer, fit.data(), fit.size(), 0);
    EXPECT_EQ(uk_net_read(h, &one, 1, &got), UK_OK);
    ASSERT_EQ(got, 1u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(small), one.len), fit);
    send(peer, big.data(), big.size(), 0);
    EXPECT_EQ(uk_net_read(h, &one, 1, &got), UK_AGAIN) << "only an oversized frame: dropped";
    EXPECT_EQ(got, 0u);

    // Batched write, in order.
    std::string w1(64, '1'), w2(1518, '2');
    uk_frame tx[2] = {{reinterpret_cast<uint8_t*>(w1.data()), 0, w1.size()},
                      {reinterpret_cast<uint8_t*>(w2.data()), 0, w2.size()}};
    size_t sent = 0;
    EXPECT_EQ(uk_net_write(h, tx, 2, &sent), UK_OK);
    EXPECT_EQ(sent, 2u);
    char rb[2000];
    EXPECT_EQ(recv(peer, rb, sizeof rb, 0), 64);
    EXPECT_EQ(recv(peer, rb, sizeof rb, 0), 1518);

    // Longer than MTU + 14 + 4: UK_EINVAL, nothing sent.
    std::string huge(1519, 'h');
    uk_frame bad = {reinterpret_cast<uint8_t*>(huge.data()), 0, huge.size()};
    EXPECT_EQ(uk_net_write(h, &bad, 1, &sent), UK_EINVAL);
    EXPECT_EQ(uk_net_write(h, tx, 0, &sent), UK_OK);
    EXPECT_EQ(sent, 0u);
    EXPECT_EQ(uk_net_write(h + 7, tx, 1, &sent), UK_EINVAL);
    close(peer);
}

TEST_F(UnixPlatform, NetWriteReportsBackPressure) {
    uk_handle h;
    int peer = attach_socketpair_net("service", &h);
    int small = 4096;
    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string f(1000, 'z');
    std::vector<uk_frame> tx(64, uk_frame{reinterpret_cast<uint8_t*>(f.data()), 0, f.size()});
    size_t sent = 0, total = 0;
    uk_result r = UK_OK;
    for (int i = 0; i < 1000 && r == UK_OK; ++i) {
        r = uk_net_write(h, tx.data(), tx.size(), &sent);
        total += sent;
    }
    EXPECT_EQ(r, UK_AGAIN) << "a full queue gives UK_AGAIN, not an error or a block";
    EXPECT_EQ(sent, 0u);
    EXPECT_GT(total, 0u);
    close(peer);
}

TEST_F(UnixPlatform, YieldReportsAtMostCapAndTheRestNextTime) {
    uk_handle h1, h2;
    int p1 = attach_socketpair_net("a", &h1);
    int p2 = attach_socketpair_net("b", &h2);
    send(p1, "x", 1, 0);
    send(p2, "y", 1, 0);
    uk_handle ready[2];
    size_t n;
    ASSERT_EQ(uk_yield(0, ready, 1, &n), UK_OK);
    ASSERT_EQ(n, 1u);
    uk_handle first = ready[0];
    // Drain the one reported; the other is reported next.
    uint8_t buf[16];
    uk_frame f = {buf, sizeof buf, 0};
    size_t got;
    ASSERT_EQ(uk_net_read(first, &f, 1, &got), UK_OK);
    ASSERT_EQ(uk_yield(0, ready, 1, &n), UK_OK);
    ASSERT_EQ(n, 1u);
    EXPECT_NE(ready[0], first);
    ASSERT_EQ(uk_yield(0, ready, 2, &n), UK_OK);
    EXPECT_EQ(n, 1u);
    close(p1);
    close(p2);
}
