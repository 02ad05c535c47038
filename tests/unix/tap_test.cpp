// The unix backend's network device over a real TAP interface, created inside a private network
// namespace (root only; skipped otherwise). The other side of the TAP is a raw AF_PACKET socket.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "unix_platform.h"

namespace up = unikit::unix_platform;

namespace {

// Runs `body` in a child process with its own network namespace; returns its exit status, or -1
// with a reason when namespaces are not available.
int in_netns(std::string* why, int (*body)()) {
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0) _exit(77);
        _exit(body());
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        *why = "cannot create a network namespace (unshare(CLONE_NEWNET))";
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tap_exchange() {
    auto h = up::attach_tap("service", "uktest0", std::nullopt);
    if (!h) {
        fprintf(stderr, "attach_tap: %s\n", h.error().c_str());
        return 10;
    }
    // Bring the interface up (the kernel side of the TAP).
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr{};
    std::strcpy(ifr.ifr_name, "uktest0");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) return 11;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) return 12;
    close(s);
    unsigned ifindex = if_nametoindex("uktest0");
    // The other side: a raw packet socket bound to the interface.
    int raw = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (raw < 0) return 13;
    struct sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(raw, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return 14;

    // Unikernel -> host: a frame with an experimental EtherType.
    struct uk_net_info ni;
    if (uk_net_get_info(*h, &ni) != UK_OK || ni.mtu != 1500) return 15;
    uint8_t frame[100] = {};
    std::memset(frame, 0xff, 6);             // broadcast
    std::memcpy(frame + 6, ni.mac, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;                        // local experimental EtherType
    std::memcpy(frame + 14, "from-unikernel", 14);
    uk_frame tx = {frame, 0, sizeof frame};
    size_t sent = 0;
    if (uk_net_write(*h, &tx, 1, &sent) != UK_OK || sent != 1) return 16;
    uint8_t buf[2048];
    bool seen = false;
    for (int i = 0; i < 50 && !seen; ++i) {  // skip whatever else the kernel sends (IPv6 ND, ...)
        struct timeval tv = {1, 0};
        setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n = recv(raw, buf, sizeof buf, 0);
        if (n < 0) break;
        seen = n == 100 && std::memcmp(buf + 14, "from-unikernel", 14) == 0;
    }
    if (!seen) return 17;

    // Host -> unikernel: uk_yield reports the device, uk_net_read gets the frame.
    uint8_t in[100] = {};
    std::memcpy(in, ni.mac, 6);
    std::memset(in + 6, 0x02, 6);
    in[12] = 0x88;
    in[13] = 0xb5;
    std::memcpy(in + 14, "from-the-host", 13);
    if (send(raw, in, sizeof in, 0) != sizeof in) return 18;
    for (int i = 0; i < 50; ++i) {
        uk_handle ready[1];
        size_t n = 0;
        if (uk_yield(uk_clock_monotonic() + 1'000'000'000, ready, 1, &n) != UK_OK) return 19;
        if (n == 0) return 20;
        uint8_t rb[1600];
        uk_frame rx = {rb, sizeof rb, 0};
        size_t got = 0;
        while (uk_net_read(*h, &rx, 1, &got) == UK_OK) {
            if (rx.len == sizeof in && std::memcmp(rb + 14, "from-the-host", 13) == 0) return 0;
        }
    }
    return 21;
}

}  // namespace

TEST(UnixPlatformTap, ExchangesFramesWithTheHost) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a TAP device";
    if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is not available";
    std::string why;
    int st = in_netns(&why, tap_exchange);
    if (st < 0) GTEST_SKIP() << why;
    EXPECT_EQ(st, 0) << "step that failed: see the exit code in tap_exchange()";
}
