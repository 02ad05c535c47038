// The unix platform's watched host descriptors (platforms/unix/hostnet/fd_watch.h) through the
// real uk_yield: a handle is reported only for the directions somebody is interested in, never
// counts as a device, and an unwatched handle is reported once more so its waiters wake.
#include <gtest/gtest.h>

#include <array>
#include <chrono>

#include <sys/socket.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "hostnet/fd_watch.h"
#include "unix_platform.h"

namespace up = unikit::unix_platform;

namespace {

constexpr uk_time_ns kMs = 1000000;

struct Pair {
    int a = -1, b = -1;
    Pair() {
        int sv[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        a = sv[0];
        b = sv[1];
    }
    ~Pair() {
        close(a);
        close(b);
    }
};

// Handles uk_yield reports within `ms` milliseconds.
std::vector<uk_handle> yield_for(uk_time_ns ms) {
    std::array<uk_handle, 16> ready{};
    size_t n = 0;
    EXPECT_EQ(uk_yield(uk_clock_monotonic() + ms * kMs, ready.data(), ready.size(), &n), UK_OK);
    return std::vector<uk_handle>(ready.begin(), ready.begin() + static_cast<long>(n));
}

class FdWatch : public ::testing::Test {
protected:
    void TearDown() override { up::detach_all(); }
};

// Writes to the non-blocking `fd` until its send buffer is full.
void fill_send_buffer(int fd) {
    std::array<char, 65536> junk{};
    while (write(fd, junk.data(), junk.size()) > 0) {
    }
}

}  // namespace

TEST_F(FdWatch, NoInterestNoReportEvenWhenReady) {
    Pair p;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    ASSERT_EQ(write(p.b, "x", 1), 1);  // a is readable and writable
    uk_time_ns t0 = uk_clock_monotonic();
    EXPECT_TRUE(yield_for(30).empty());
    EXPECT_GE(uk_clock_monotonic() - t0, 30 * kMs);  // slept: the ready socket did not wake it
}

TEST_F(FdWatch, ReadInterestReportsReadableOnly) {
    Pair p;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    up::watch_interest(*h, up::kWatchRead, +1);
    EXPECT_EQ(up::watch_interest_count(*h, up::kWatchRead), 1u);
    // Writable but not readable: no report.
    EXPECT_TRUE(yield_for(20).empty());
    ASSERT_EQ(write(p.b, "x", 1), 1);
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{*h});
    // Interest dropped: the unread byte no longer wakes uk_yield (lazily disarmed).
    up::watch_interest(*h, up::kWatchRead, -1);
    EXPECT_EQ(up::watch_interest_count(*h, up::kWatchRead), 0u);
    uk_time_ns t0 = uk_clock_monotonic();
    EXPECT_TRUE(yield_for(30).empty());
    EXPECT_GE(uk_clock_monotonic() - t0, 30 * kMs);
    // And re-arms when interest comes back.
    up::watch_interest(*h, up::kWatchRead, +1);
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{*h});
    up::unwatch_fd(*h);
}

TEST_F(FdWatch, WriteInterestReportsWritability) {
    Pair p;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    fill_send_buffer(p.a);
    up::watch_interest(*h, up::kWatchWrite, +1);
    EXPECT_TRUE(yield_for(20).empty());
    // The reader drains: a becomes writable.
    std::array<char, 65536> junk{};
    while (read(p.b, junk.data(), junk.size()) > 0) {
    }
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{*h});
    // Narrowing: readable data arrives but only write interest existed, now none at all.
    up::watch_interest(*h, up::kWatchWrite, -1);
    EXPECT_TRUE(yield_for(20).empty());
    up::unwatch_fd(*h);
}

TEST_F(FdWatch, HangUpIsReportedToAnyInterest) {
    Pair p;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    fill_send_buffer(p.a);
    up::watch_interest(*h, up::kWatchWrite, +1);
    close(p.b);
    p.b = -1;
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{*h});
    up::unwatch_fd(*h);
}

TEST_F(FdWatch, WatchesAreNotDevices) {
    Pair p;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    uk_handle d;
    EXPECT_EQ(uk_device_lookup("", UK_DEV_NET, &d), UK_ENOENT);
    uk_net_info ni;
    EXPECT_EQ(uk_net_get_info(*h, &ni), UK_EINVAL);
    uk_frame f{};
    size_t n;
    EXPECT_EQ(uk_net_read(*h, &f, 1, &n), UK_EINVAL);
    uk_block_info bi;
    EXPECT_EQ(uk_block_get_info(*h, &bi), UK_EINVAL);
    up::unwatch_fd(*h);
}

TEST_F(FdWatch, UnwatchReportsOnceAndHandlesAreReused) {
    Pair p, q;
    auto h = up::watch_fd(p.a);
    ASSERT_TRUE(h);
    EXPECT_EQ(up::watched_fd_count(), 1u);
    up::watch_interest(*h, up::kWatchRead, +1);
    up::unwatch_fd(*h);
    EXPECT_EQ(up::watched_fd_count(), 0u);
    // The waiter on h must wake: reported at once, once.
    uk_time_ns t0 = uk_clock_monotonic();
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{*h});
    EXPECT_LT(uk_clock_monotonic() - t0, 100 * kMs);
    EXPECT_TRUE(yield_for(10).empty());
    // Interest calls on a dropped handle are ignored.
    up::watch_interest(*h, up::kWatchRead, +1);
    EXPECT_EQ(up::watch_interest_count(*h, up::kWatchRead), 0u);
    auto h2 = up::watch_fd(q.a);
    ASSERT_TRUE(h2);
    EXPECT_EQ(*h2, *h);  // reused
    up::unwatch_fd(*h2);
}

TEST_F(FdWatch, ManyWatchesAndDevicesCoexist) {
    std::vector<std::unique_ptr<Pair>> pairs;
    std::vector<uk_handle> hs;
    for (int i = 0; i < 100; ++i) {
        pairs.push_back(std::make_unique<Pair>());
        auto h = up::watch_fd(pairs.back()->a);
        ASSERT_TRUE(h);
        hs.push_back(*h);
        up::watch_interest(*h, up::kWatchRead, +1);
    }
    // A real device attached among them keeps working.
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
    auto dev = up::attach_net_fd("service", sv[0], up::default_mac("service", "t"));
    ASSERT_TRUE(dev) << dev.error();
    uk_handle found;
    ASSERT_EQ(uk_device_lookup("service", UK_DEV_NET, &found), UK_OK);
    EXPECT_EQ(found, *dev);
    ASSERT_EQ(write(pairs[57]->b, "x", 1), 1);
    EXPECT_EQ(yield_for(1000), std::vector<uk_handle>{hs[57]});
    ASSERT_EQ(write(sv[1], "frame", 5), 5);
    auto r = yield_for(1000);
    EXPECT_EQ(r.size(), 2u);  // the device and the still-unread socket
    EXPECT_NE(std::find(r.begin(), r.end(), *dev), r.end());
    for (auto h : hs) up::unwatch_fd(h);
    close(sv[1]);
}

TEST_F(FdWatch, BadArguments) {
    EXPECT_FALSE(up::watch_fd(-1));
    up::watch_interest(12345, up::kWatchRead, +1);  // ignored
    up::unwatch_fd(-3);                              // ignored
    EXPECT_EQ(up::watch_interest_count(12345, up::kWatchRead), 0u);
}
