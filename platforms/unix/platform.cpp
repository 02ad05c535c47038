// The platform ABI (include/unikit/platform.h) for an ordinary Linux process.
//
// console -> stdout; clocks -> clock_gettime; uk_yield -> epoll over the network devices'
// descriptors (level-triggered; the deadline becomes an epoll_pwait2 timeout with ns precision,
// or an absolute timerfd where epoll_pwait2 is missing); net -> a TAP descriptor; block -> a file.
// The same epoll set also holds the host sockets of `--net NAME=socket` (hostnet/fd_watch.h):
// their handles are reported only for the directions a waiting task asked for.
#include "unix_platform.h"
#include "hostnet/fd_watch.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

namespace unikit::unix_platform {
namespace {

// Not a device: a host descriptor watched for the host-socket backend (hostnet/fd_watch.h).
constexpr auto kWatchKind = static_cast<uk_device_kind>(0);

struct Device {
    std::string name;
    uk_device_kind kind;
    int fd = -1;
    // net
    Mac mac{};
    // block
    uint64_t capacity = 0;
    bool writable = true;
    // watch (kind == kWatchKind): interest counts, and what the epoll set holds for it
    uint32_t readers = 0;
    uint32_t writers = 0;
    bool registered = false;
    uint32_t armed = 0;  // epoll events of the registration
};

std::vector<std::unique_ptr<Device>> g_devices;  // index = handle
std::deque<uk_handle> g_free_handles;             // freed watch handles, oldest first
std::vector<uk_handle> g_pending;                 // reported by the next uk_yield (unwatched)
int g_epoll = -1;
int g_timerfd = -1;           // only when epoll_pwait2 is unavailable
bool g_have_pwait2 = true;
constexpr uint64_t kTimerTag = ~uint64_t{0};

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

int epoll_fd() {
    if (g_epoll < 0) {
        g_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (g_epoll < 0) {
            static const char msg[] = "unix platform: epoll_create1 failed\n";
            uk_console_write(msg, sizeof msg - 1);
            uk_abort();
        }
    }
    return g_epoll;
}

Device* watch_get(uk_handle h) {
    if (h < 0 || static_cast<size_t>(h) >= g_devices.size()) return nullptr;
    Device* d = g_devices[static_cast<size_t>(h)].get();
    return d && d->kind == kWatchKind ? d : nullptr;
}

// The epoll events a watch wants now.
uint32_t wanted_events(const Device& d) {
    uint32_t ev = 0;
    if (d.readers) ev |= EPOLLIN | EPOLLRDHUP;
    if (d.writers) ev |= EPOLLOUT;
    return ev;
}

// Make the registration exactly `ev` (0: drop the descriptor from the epoll set).
void watch_arm(Device& d, uk_handle h, uint32_t ev) {
    if (ev == 0) {
        if (d.registered) epoll_ctl(g_epoll, EPOLL_CTL_DEL, d.fd, nullptr);
        d.registered = false;
        d.armed = 0;
        return;
    }
    struct epoll_event e{};
    e.events = ev;
    e.data.u64 = static_cast<uint64_t>(h);
    if (epoll_ctl(g_epoll, d.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, d.fd, &e) == 0) {
        d.registered = true;
        d.armed = ev;
    }
}

// Whether uk_yield should report an event on a watch; narrows a registration that fired for a
// direction nobody waits for any more.
bool watch_filter(Device& d, uk_handle h, uint32_t events) {
    uint32_t want = wanted_events(d);
    if (want == 0) {
        watch_arm(d, h, 0);
        return false;
    }
    if (d.armed != want) watch_arm(d, h, want);
    return (events & (want | EPOLLERR | EPOLLHUP)) != 0;
}

Device* get(uk_handle h, uk_device_kind kind) {
    if (h < 0 || static_cast<size_t>(h) >= g_devices.size()) return nullptr;
    Device* d = g_devices[static_cast<size_t>(h)].get();
    return d && d->kind == kind ? d : nullptr;
}

std::expected<void, std::string> check_new_name(const std::string& name) {
    for (const auto& d : g_devices) {
        if (d && d->name == name) return std::unexpected("device '" + name + "' is already attached");
    }
    return {};
}

uk_time_ns now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return static_cast<uk_time_ns>(ts.tv_sec) * 1000000000u + static_cast<uk_time_ns>(ts.tv_nsec);
}

struct timespec to_timespec(uk_time_ns ns) {
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(ns / 1000000000u);
    ts.tv_nsec = static_cast<long>(ns % 1000000000u);
    return ts;
}

// One epoll wait until `deadline` (never past it); returns the epoll result (or -1 with errno).
int wait_once(struct epoll_event* evs, int max, uk_time_ns deadline) {
    int ep = epoll_fd();
    uk_time_ns now = uk_clock_monotonic();
    if (deadline <= now) return epoll_wait(ep, evs, max, 0);
    if (g_have_pwait2) {
        struct timespec ts = to_timespec(deadline - now);
        int n = epoll_pwait2(ep, evs, max, &ts, nullptr);
        if (n >= 0 || errno != ENOSYS) return n;
        g_have_pwait2 = false;
    }
    // Fallback: an absolute timerfd in the same epoll set.
    if (g_timerfd < 0) {
        g_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (g_timerfd < 0) return -1;
        struct epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kTimerTag;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, g_timerfd, &ev) < 0) return -1;
    }
    struct itimerspec its{};
    its.it_value = to_timespec(deadline == ~uk_time_ns{0} ? 0 : deadline);
    // A zero it_value disarms the timer: with no deadline we wait for devices only.
    if (timerfd_settime(g_timerfd, TFD_TIMER_ABSTIME, &its, nullptr) < 0) return -1;
    int n = epoll_wait(ep, evs, max, -1);
    uint64_t expirations;
    while (read(g_timerfd, &expirations, sizeof expirations) < 0 && errno == EINTR) {
    }
    // Drop the timer's own event from the result.
    int out = 0;
    for (int i = 0; i < n; ++i) {
        if (evs[i].data.u64 != kTimerTag) evs[out++] = evs[i];
    }
    return n < 0 ? n : out;
}

}  // namespace

Mac default_mac(std::string_view device, std::string_view ifname) {
    // FNV-1a over "device/ifname"; 02:xx:.. = locally administered, unicast.
    uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 0x100000001b3ull;
        }
    };
    mix(device);
    mix("/");
    mix(ifname);
    Mac m{};
    m[0] = 0x02;
    for (int i = 1; i < 6; ++i) m[i] = static_cast<uint8_t>(h >> (8 * (i - 1)));
    return m;
}

std::expected<uk_handle, std::string> attach_net_fd(const std::string& name, int fd, Mac mac) {
    if (auto ok = check_new_name(name); !ok) {
        close(fd);
        return std::unexpected(ok.error());
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        auto e = errno_text("cannot make the device non-blocking");
        close(fd);
        return std::unexpected(e);
    }
    auto d = std::make_unique<Device>();
    d->name = name;
    d->kind = UK_DEV_NET;
    d->fd = fd;
    d->mac = mac;
    uk_handle h = static_cast<uk_handle>(g_devices.size());
    struct epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered
    ev.data.u64 = static_cast<uint64_t>(h);
    if (epoll_ctl(epoll_fd(), EPOLL_CTL_ADD, fd, &ev) < 0) {
        auto e = errno_text("cannot watch the device");
        close(fd);
        return std::unexpected(e);
    }
    g_devices.push_back(std::move(d));
    return h;
}

std::expected<uk_handle, std::string> attach_tap(const std::string& name, const std::string& ifname,
                                                 std::optional<Mac> mac) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ)
        return std::unexpected("invalid TAP interface name '" + ifname + "'");
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return std::unexpected(errno_text("cannot open /dev/net/tun"));
    struct ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        auto e = errno_text(("cannot attach TAP interface '" + ifname + "'").c_str());
        close(fd);
        return std::unexpected(e);
    }
    return attach_net_fd(name, fd, mac ? *mac : default_mac(name, ifname));
}

std::expected<uk_handle, std::string> attach_block(const std::string& name, const std::string& path) {
    if (auto ok = check_new_name(name); !ok) return std::unexpected(ok.error());
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return std::unexpected("'" + path + "' is not a regular file");
    bool writable = true;
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        writable = false;
    }
    if (fd < 0) return std::unexpected(errno_text(("cannot open '" + path + "'").c_str()));
    if (fstat(fd, &st) < 0) {
        auto e = errno_text(("cannot stat '" + path + "'").c_str());
        close(fd);
        return std::unexpected(e);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return std::unexpected("'" + path + "' is not a regular file");
    }
    auto d = std::make_unique<Device>();
    d->name = name;
    d->kind = UK_DEV_BLOCK;
    d->fd = fd;
    d->capacity = static_cast<uint64_t>(st.st_size) / kBlockSize * kBlockSize;
    d->writable = writable;
    uk_handle h = static_cast<uk_handle>(g_devices.size());
    g_devices.push_back(std::move(d));
    return h;
}

std::expected<uk_handle, int> watch_fd(int fd) {
    if (fd < 0) return std::unexpected(EBADF);
    epoll_fd();
    auto d = std::make_unique<Device>();
    d->kind = kWatchKind;
    d->fd = fd;
    uk_handle h;
    if (!g_free_handles.empty()) {
        h = g_free_handles.front();
        g_free_handles.pop_front();
        g_devices[static_cast<size_t>(h)] = std::move(d);
    } else {
        h = static_cast<uk_handle>(g_devices.size());
        g_devices.push_back(std::move(d));
    }
    return h;
}

void watch_interest(uk_handle h, uint32_t dirs, int delta) {
    Device* d = watch_get(h);
    if (!d) return;
    auto bump = [delta](uint32_t& n) {
        if (delta > 0) ++n;
        else if (n > 0) --n;
    };
    if (dirs & kWatchRead) bump(d->readers);
    if (dirs & kWatchWrite) bump(d->writers);
    // Arm at once when interest grows beyond the registration; shrink lazily (watch_filter).
    uint32_t want = wanted_events(*d);
    if (delta > 0 && (d->armed & want) != want) watch_arm(*d, h, want);
}

uint32_t watch_interest_count(uk_handle h, WatchDir dir) {
    Device* d = watch_get(h);
    if (!d) return 0;
    return dir == kWatchRead ? d->readers : d->writers;
}

void unwatch_fd(uk_handle h) {
    Device* d = watch_get(h);
    if (!d) return;
    watch_arm(*d, h, 0);
    g_devices[static_cast<size_t>(h)].reset();
    g_free_handles.push_back(h);
    g_pending.push_back(h);  // wake whoever still waits on it
}

size_t watched_fd_count() {
    size_t n = 0;
    for (const auto& d : g_devices) n += d && d->kind == kWatchKind;
    return n;
}

void detach_all() {
    for (auto& d : g_devices) {
        // Watched descriptors belong to the host-socket backend, which closes them.
        if (d && d->fd >= 0 && d->kind != kWatchKind) close(d->fd);
    }
    g_devices.clear();
    g_free_handles.clear();
    g_pending.clear();
    if (g_timerfd >= 0) close(g_timerfd);
    if (g_epoll >= 0) close(g_epoll);
    g_timerfd = -1;
    g_epoll = -1;
}

}  // namespace unikit::unix_platform

using namespace unikit::unix_platform;

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n > 0) {
            buf += n;
            len -= static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            // stdout was left non-blocking by someone else: wait until it takes more.
            struct epoll_event ev{};
            int ep = epoll_create1(EPOLL_CLOEXEC);
            if (ep < 0) return;
            ev.events = EPOLLOUT;
            if (epoll_ctl(ep, EPOLL_CTL_ADD, STDOUT_FILENO, &ev) == 0) {
                while (epoll_wait(ep, &ev, 1, 1000) < 0 && errno == EINTR) {
                }
            }
            close(ep);
        } else {
            return;  // closed or broken: output is dropped (the ABI allows it)
        }
    }
}

void uk_exit(int status) { _exit(status & 0xff); }

void uk_abort(void) { _exit(UK_EXIT_ABORT); }

uk_time_ns uk_clock_monotonic(void) { return now_ns(CLOCK_MONOTONIC); }

uk_time_ns uk_clock_wall(void) { return now_ns(CLOCK_REALTIME); }

uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    if (!nready || (cap > 0 && !ready)) return UK_EINVAL;
    *nready = 0;
    constexpr int kMaxEvents = 64;
    struct epoll_event evs[kMaxEvents];
    // Handles of watches that were dropped: reported once, at once (their waiters must wake).
    size_t out = 0;
    while (out < cap && !g_pending.empty()) {
        ready[out++] = g_pending.front();
        g_pending.erase(g_pending.begin());
    }
    if (out > 0) deadline = 0;
    size_t room = cap - out;
    int max = room == 0 ? 1 : (room < kMaxEvents ? static_cast<int>(room) : kMaxEvents);
    for (;;) {
        int n = wait_once(evs, max, deadline);
        if (n < 0) {
            if (errno == EINTR) continue;
            *nready = out;
            return UK_OK;  // cannot wait: report nothing, the caller re-checks its deadline
        }
        bool any = out > 0;
        for (int i = 0; i < n; ++i) {
            auto h = static_cast<uk_handle>(evs[i].data.u64);
            if (Device* w = watch_get(h); w && !watch_filter(*w, h, evs[i].events)) continue;
            any = true;
            if (out < cap) ready[out++] = h;
        }
        // Nothing (or only events nobody waits for): keep waiting until the deadline. The kernel
        // may also wake a hair early; the ABI promises the deadline has passed.
        if (!any && uk_clock_monotonic() < deadline) continue;
        *nready = out;
        return UK_OK;
    }
}

uk_result uk_device_lookup(const char* name, uk_device_kind kind, uk_handle* h) {
    if (!name || !h) return UK_EINVAL;
    for (size_t i = 0; i < g_devices.size(); ++i) {
        const Device* d = g_devices[i].get();
        if (d && d->kind != kWatchKind && d->kind == kind && d->name == name) {
            *h = static_cast<uk_handle>(i);
            return UK_OK;
        }
    }
    return UK_ENOENT;
}

uk_result uk_net_get_info(uk_handle h, struct uk_net_info* info) {
    Device* d = get(h, UK_DEV_NET);
    if (!d || !info) return UK_EINVAL;
    std::memcpy(info->mac, d->mac.data(), 6);
    info->mtu = kMtu;
    info->max_rx_frame = kMtu + 14 + 4;  // no receive offload
    return UK_OK;
}

uk_result uk_net_write(uk_handle h, const struct uk_frame* frames, size_t n, size_t* sent) {
    Device* d = get(h, UK_DEV_NET);
    if (!d || !sent || (n > 0 && !frames)) return UK_EINVAL;
    *sent = 0;
    for (size_t i = 0; i < n; ++i) {
        if (frames[i].len > kMaxFrame || frames[i].len == 0 || !frames[i].data) return UK_EINVAL;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(d->fd, frames[done].data, frames[done].len);
        if (r >= 0) {
            ++done;
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ENOBUFS) break;
        if (done == 0) return UK_EIO;
        break;
    }
    *sent = done;
    if (n == 0) return UK_OK;
    return done > 0 ? UK_OK : UK_AGAIN;
}

uk_result uk_net_read(uk_handle h, struct uk_frame* frames, size_t n, size_t* received) {
    Device* d = get(h, UK_DEV_NET);
    if (!d || !received || (n > 0 && !frames)) return UK_EINVAL;
    *received = 0;
    // Whatever does not fit the caller's buffer lands here, which tells us the frame was too
    // big: such a frame is dropped, never handed up truncated.
    static uint8_t overflow[65536 + 64];
    size_t got = 0;
    while (got < n) {
        struct uk_frame& f = frames[got];
        struct iovec iov[2] = {{f.data, f.data ? f.cap : 0}, {overflow, sizeof overflow}};
        ssize_t r = readv(d->fd, iov, 2);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            if (got == 0) return UK_EIO;
            break;
        }
        if (r == 0) break;  // peer gone (socket) or nothing: treat as no frame
        if (static_cast<size_t>(r) > f.cap) continue;  // too big for its buffer: dropped
        f.len = static_cast<size_t>(r);
        f.flags = 0;
        ++got;
    }
    *received = got;
    return got > 0 ? UK_OK : UK_AGAIN;
}

uk_result uk_block_get_info(uk_handle h, struct uk_block_info* info) {
    Device* d = get(h, UK_DEV_BLOCK);
    if (!d || !info) return UK_EINVAL;
    info->capacity = d->capacity;
    info->block_size = kBlockSize;
    return UK_OK;
}

static bool block_range_ok(const Device* d, uint64_t offset, const void* buf, size_t len) {
    if (offset % kBlockSize != 0 || len % kBlockSize != 0) return false;
    if (len > 0 && !buf) return false;
    if (offset > d->capacity || len > d->capacity - offset) return false;
    return true;
}

uk_result uk_block_read(uk_handle h, uint64_t offset, void* buf, size_t len) {
    Device* d = get(h, UK_DEV_BLOCK);
    if (!d || !block_range_ok(d, offset, buf, len)) return UK_EINVAL;
    auto* p = static_cast<uint8_t*>(buf);
    while (len > 0) {
        ssize_t r = pread(d->fd, p, len, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return UK_EIO;  // error, or the file shrank under us
        p += r;
        offset += static_cast<uint64_t>(r);
        len -= static_cast<size_t>(r);
    }
    return UK_OK;
}

uk_result uk_block_write(uk_handle h, uint64_t offset, const void* buf, size_t len) {
    Device* d = get(h, UK_DEV_BLOCK);
    if (!d || !block_range_ok(d, offset, buf, len)) return UK_EINVAL;
    if (!d->writable && len > 0) return UK_EIO;
    auto* p = static_cast<const uint8_t*>(buf);
    while (len > 0) {
        ssize_t r = pwrite(d->fd, p, len, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return UK_EIO;
        p += r;
        offset += static_cast<uint64_t>(r);
        len -= static_cast<size_t>(r);
    }
    return UK_OK;
}

}  // extern "C"
