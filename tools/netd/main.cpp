// unikit-netd: the network helper of `unikit run --net user` and `--pcap`. Runs outside the
// image's sandbox and exchanges raw Ethernet frames with the image over a frame socket (one end
// of an AF_UNIX SOCK_SEQPACKET socketpair, one frame per message; the image holds the other).
//
//   unikit-netd --frame-fd N (--user | --tap IFNAME) [-p SPEC]... [--pcap FILE] [--status-fd M]
//
//   --user        user-mode NAT with libslirp: network 10.0.2.0/24, gateway 10.0.2.2 (also the
//                 host's loopback), DNS forwarder 10.0.2.3, DHCP handing out 10.0.2.15 first;
//                 -p forwards host ports to the guest (10.0.2.15).
//   --tap IFNAME  a frame relay between the image and a TAP interface (for --pcap on TAP).
//   --pcap FILE   record every frame in both directions (pcap, LINKTYPE_ETHERNET).
//   --status-fd M report to the supervisor: "ready" once the forwards are bound, then
//                 "guest A.B.C.D" whenever the guest's IPv4 address is seen (ARP or IPv4 source).
//
// It refuses a forward whose host port is taken (one line on stderr, exit 2) before reporting
// ready. It ends (status 0) when the image's end of the frame socket closes, on SIGTERM/SIGINT,
// and when its parent (`unikit run`) dies (PR_SET_PDEATHSIG); its forwards' sockets close with it.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netd/forward.h"

namespace {

constexpr const char* kProg = "unikit-netd";
constexpr size_t kMaxFrame = 65536;
constexpr unsigned kBatch = 32;

[[noreturn]] void die(const std::string& msg, int status = 2) {
    std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
    std::exit(status);
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---- pcap ------------------------------------------------------------------------------------

struct Pcap {
    FILE* f = nullptr;
    void open(const std::string& path) {
        f = std::fopen(path.c_str(), "wb");
        if (!f) die("--pcap '" + path + "': " + std::strerror(errno));
        struct {
            uint32_t magic;
            uint16_t major, minor;
            int32_t zone;
            uint32_t sigfigs, snaplen, linktype;
        } h{0xa1b2c3d4, 2, 4, 0, 0, kMaxFrame, 1 /* LINKTYPE_ETHERNET */};
        std::fwrite(&h, sizeof h, 1, f);
        std::fflush(f);
    }
    void frame(const uint8_t* p, size_t n) {
        if (!f) return;
        timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint32_t rec[4] = {uint32_t(ts.tv_sec), uint32_t(ts.tv_nsec / 1000), uint32_t(n), uint32_t(n)};
        std::fwrite(rec, sizeof rec, 1, f);
        std::fwrite(p, 1, n, f);
        std::fflush(f);  // readable while the image runs, and complete if we are killed
    }
};

// ---- state -----------------------------------------------------------------------------------

struct Timer {
    SlirpTimerCb cb;
    void* opaque;
    int64_t expire_ms = -1;
    bool live = true;
};

struct Netd {
    int frame_fd = -1;
    int tap_fd = -1;
    int status_fd = -1;
    Slirp* slirp = nullptr;
    Pcap pcap;
    std::vector<Timer*> timers;
    std::vector<pollfd> pfds;
    uint32_t guest_ip = 0;  // network order, last reported
    uint64_t to_guest_dropped = 0;

    void status(const std::string& line) {
        if (status_fd < 0) return;
        std::string l = line + "\n";
        if (::write(status_fd, l.data(), l.size()) < 0 && errno == EPIPE) status_fd = -1;
    }

    // The guest's own IPv4 address, from the frames it sends (ARP sender or IPv4 source).
    void snoop_guest(const uint8_t* p, size_t n) {
        if (n < 14) return;
        uint16_t type = uint16_t(p[12] << 8 | p[13]);
        uint32_t ip = 0;
        if (type == 0x0806 && n >= 42) std::memcpy(&ip, p + 28, 4);
        else if (type == 0x0800 && n >= 34 && (p[14] >> 4) == 4) std::memcpy(&ip, p + 26, 4);
        if (ip == 0 || ip == guest_ip || ip == 0xffffffff) return;
        guest_ip = ip;
        const auto* b = reinterpret_cast<const uint8_t*>(&ip);
        status("guest " + unikit::netd::ip_text({b[0], b[1], b[2], b[3]}));
    }

    // A frame for the image. A full socket drops the frame, as a NIC would.
    void to_guest(const uint8_t* p, size_t n) {
        pcap.frame(p, n);
        while (::send(frame_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            if (errno == EINTR) continue;
            ++to_guest_dropped;
            if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) g_stop = 1;
            break;
        }
    }

    void from_guest(const uint8_t* p, size_t n) {
        pcap.frame(p, n);
        snoop_guest(p, n);
        if (slirp) {
            slirp_input(slirp, p, int(n));
        } else if (tap_fd >= 0) {
            while (::write(tap_fd, p, n) < 0 && errno == EINTR) {
            }
        }
    }
};

Netd g;

// ---- libslirp callbacks ----------------------------------------------------------------------

ssize_t cb_send_packet(const void* buf, size_t len, void*) {
    g.to_guest(static_cast<const uint8_t*>(buf), len);
    return ssize_t(len);
}
void cb_guest_error(const char* msg, void*) { std::fprintf(stderr, "%s: guest error: %s\n", kProg, msg); }
int64_t cb_clock_get_ns(void*) { return mono_ns(); }
void* cb_timer_new(SlirpTimerCb cb, void* cb_opaque, void*) {
    auto* t = new Timer{cb, cb_opaque};
    g.timers.push_back(t);
    return t;
}
void cb_timer_free(void* timer, void*) {
    auto* t = static_cast<Timer*>(timer);
    t->live = false;
    t->expire_ms = -1;
}
void cb_timer_mod(void* timer, int64_t expire_ms, void*) { static_cast<Timer*>(timer)->expire_ms = expire_ms; }
void cb_register_poll_fd(int, void*) {}
void cb_unregister_poll_fd(int, void*) {}
void cb_notify(void*) {}

int add_poll(int fd, int events, void*) {
    short ev = 0;
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    g.pfds.push_back({fd, ev, 0});
    return int(g.pfds.size() - 1);
}

int get_revents(int idx, void*) {
    short r = g.pfds[size_t(idx)].revents;
    int out = 0;
    if (r & POLLIN) out |= SLIRP_POLL_IN;
    if (r & POLLOUT) out |= SLIRP_POLL_OUT;
    if (r & POLLPRI) out |= SLIRP_POLL_PRI;
    if (r & POLLERR) out |= SLIRP_POLL_ERR;
    if (r & POLLHUP) out |= SLIRP_POLL_HUP;
    return out;
}

in_addr addr(const char* s) {
    in_addr a{};
    inet_pton(AF_INET, s, &a);
    return a;
}

void start_slirp(const std::vector<unikit::netd::Forward>& fwds) {
    static const SlirpCb cbs = [] {
        SlirpCb c{};
        c.send_packet = cb_send_packet;
        c.guest_error = cb_guest_error;
        c.clock_get_ns = cb_clock_get_ns;
        c.timer_new = cb_timer_new;
        c.timer_free = cb_timer_free;
        c.timer_mod = cb_timer_mod;
        c.register_poll_fd = cb_register_poll_fd;
        c.unregister_poll_fd = cb_unregister_poll_fd;
        c.notify = cb_notify;
        return c;
    }();
    SlirpConfig cfg{};
    cfg.version = 1;
    cfg.restricted = 0;
    cfg.in_enabled = true;
    cfg.vnetwork = addr("10.0.2.0");
    cfg.vnetmask = addr("255.255.255.0");
    cfg.vhost = addr("10.0.2.2");
    cfg.in6_enabled = false;
    cfg.vhostname = "unikit";
    cfg.vdhcp_start = addr("10.0.2.15");
    cfg.vnameserver = addr("10.0.2.3");
    cfg.if_mtu = 1500;
    cfg.if_mru = 1500;
    g.slirp = slirp_new(&cfg, &cbs, nullptr);
    if (!g.slirp) die("libslirp could not start");
    for (const auto& f : fwds) {
        if (auto ok = unikit::netd::probe_forward(f); !ok) die(ok.error());
        in_addr host{};
        std::memcpy(&host, f.host_ip.data(), 4);
        if (slirp_add_hostfwd(g.slirp, f.udp, host, f.host_port, addr("10.0.2.15"), f.guest_port) != 0)
            die("cannot publish " + unikit::netd::format_forward(f) + ": " + std::strerror(errno));
    }
}

int open_tap(const std::string& ifname) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die(unikit::devargs::tap_error(ifname, errno, true));
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) die("bad TAP interface name '" + ifname + "'");
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    if (::ioctl(fd, TUNSETIFF, &ifr) != 0) die(unikit::devargs::tap_error(ifname, errno, false));
    return fd;
}

// Read up to kBatch frames from the image (one recvmmsg).
bool drain_guest() {
    static uint8_t bufs[kBatch][kMaxFrame];
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i], kMaxFrame};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(g.frame_fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;
    for (int i = 0; i < n; ++i) {
        if (msgs[i].msg_len == 0) return false;  // EOF: the image is gone
        g.from_guest(bufs[i], msgs[i].msg_len);
    }
    return true;
}

void drain_tap() {
    static uint8_t buf[kMaxFrame];
    for (unsigned i = 0; i < kBatch; ++i) {
        ssize_t r = ::read(g.tap_fd, buf, sizeof buf);
        if (r <= 0) return;
        g.to_guest(buf, size_t(r));
    }
}

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: %s --frame-fd N (--user | --tap IFNAME) [-p [HOST_IP:]HOST_PORT:GUEST_PORT[/udp]]...\n"
                 "       [--pcap FILE] [--status-fd M]\n"
                 "The network helper of `unikit run --net user` (libslirp NAT) and of --pcap (frame relay).\n"
                 "Normally started by `unikit run`, not by hand.\n",
                 kProg);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<unikit::netd::Forward> fwds;
    std::string tap, pcap;
    bool user = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value");
            return argv[++i];
        };
        auto fd_value = [&]() {
            std::string v = value();
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 0 || n > 1 << 20) die(a + ": bad descriptor '" + v + "'");
            return int(n);
        };
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else if (a == "--frame-fd") {
            g.frame_fd = fd_value();
        } else if (a == "--status-fd") {
            g.status_fd = fd_value();
        } else if (a == "--user") {
            user = true;
        } else if (a == "--tap") {
            tap = value();
        } else if (a == "--pcap") {
            pcap = value();
        } else if (a == "-p" || a == "--publish") {
            auto f = unikit::netd::parse_forward(value());
            if (!f) die(f.error());
            fwds.push_back(*f);
        } else {
            std::fprintf(stderr, "%s: error: unknown argument '%s'\n", kProg, a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (g.frame_fd < 0) die("--frame-fd is required");
    if (user == !tap.empty()) die("give exactly one of --user and --tap IFNAME");
    if (!user && !fwds.empty()) die("-p forwards need --user");

    // Die with the supervisor: no helper outlives `unikit run`, even after SIGKILL.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) return 0;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);

    int fl = fcntl(g.frame_fd, F_GETFL);
    if (fl < 0 || fcntl(g.frame_fd, F_SETFL, fl | O_NONBLOCK) < 0) die("--frame-fd: " + std::string(std::strerror(errno)));
    fcntl(g.frame_fd, F_SETFD, FD_CLOEXEC);
    int sndbuf = 4 << 20;
    setsockopt(g.frame_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    setsockopt(g.frame_fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);

    if (!pcap.empty()) g.pcap.open(pcap);
    if (user) start_slirp(fwds);
    else g.tap_fd = open_tap(tap);
    g.status("ready");

    while (!g_stop) {
        g.pfds.clear();
        g.pfds.push_back({g.frame_fd, POLLIN, 0});
        if (g.tap_fd >= 0) g.pfds.push_back({g.tap_fd, POLLIN, 0});
        uint32_t timeout = 1000;
        if (g.slirp) slirp_pollfds_fill(g.slirp, &timeout, add_poll, nullptr);
        int64_t now_ms = mono_ns() / 1000000;
        for (auto* t : g.timers) {
            if (t->live && t->expire_ms >= 0) {
                int64_t d = t->expire_ms - now_ms;
                if (d < 0) d = 0;
                if (uint32_t(d) < timeout) timeout = uint32_t(d);
            }
        }
        int rc = ::poll(g.pfds.data(), g.pfds.size(), int(timeout));
        if (rc < 0 && errno != EINTR) die(std::string("poll: ") + std::strerror(errno), 1);
        if (g.slirp) slirp_pollfds_poll(g.slirp, rc < 0, get_revents, nullptr);
        if (rc > 0) {
            if (g.pfds[0].revents & POLLIN) {
                if (!drain_guest()) break;
            } else if (g.pfds[0].revents & (POLLHUP | POLLERR)) {
                break;  // the image closed its end: it has ended
            }
            if (g.tap_fd >= 0 && (g.pfds[1].revents & POLLIN)) drain_tap();
        }
        now_ms = mono_ns() / 1000000;
        for (size_t i = 0; i < g.timers.size(); ++i) {
            Timer* t = g.timers[i];
            if (t->live && t->expire_ms >= 0 && t->expire_ms <= now_ms) {
                t->expire_ms = -1;
                t->cb(t->opaque);
            }
        }
    }
    if (g.slirp) slirp_cleanup(g.slirp);  // closes the forwards' listening sockets
    if (g.pcap.f) std::fclose(g.pcap.f);
    return 0;
}
