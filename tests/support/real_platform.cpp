// A minimal real-clock platform for tests: clock_gettime clocks, ppoll-based uk_yield over an
// optional set of file descriptors (handle = index into the registered fd list), stdout console.
// Not the unix backend (platforms/unix): just enough to run the loop against real time.
#include "support/real_platform.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <unikit/platform.h>

namespace {
std::vector<int>& fds() {
    static std::vector<int> v;
    return v;
}
uint64_t clock_ns(clockid_t c) {
    timespec ts;
    clock_gettime(c, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

namespace real_platform {
uk_handle add_fd(int fd) {
    fds().push_back(fd);
    return static_cast<uk_handle>(fds().size() - 1);
}
void clear_fds() { fds().clear(); }
}  // namespace real_platform

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n <= 0) return;
        buf += n;
        len -= static_cast<size_t>(n);
    }
}
void uk_exit(int status) { _exit(status); }
void uk_abort(void) { std::abort(); }
uk_time_ns uk_clock_monotonic(void) { return clock_ns(CLOCK_MONOTONIC); }
uk_time_ns uk_clock_wall(void) { return clock_ns(CLOCK_REALTIME); }

uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    if (!nready || (cap > 0 && !ready)) return UK_EINVAL;
    *nready = 0;
    std::vector<pollfd> p;
    for (int fd : fds()) p.push_back({fd, POLLIN, 0});
    uint64_t now = uk_clock_monotonic();
    timespec ts{0, 0};
    timespec* tsp = &ts;
    if (deadline == UINT64_MAX) {
        tsp = nullptr;
    } else if (deadline > now) {
        uint64_t d = deadline - now;
        ts.tv_sec = static_cast<time_t>(d / 1'000'000'000ull);
        ts.tv_nsec = static_cast<long>(d % 1'000'000'000ull);
    }
    int r = ppoll(p.data(), p.size(), tsp, nullptr);
    if (r <= 0) return UK_OK;
    for (size_t i = 0; i < p.size() && *nready < cap; ++i)
        if (p[i].revents) ready[(*nready)++] = static_cast<uk_handle>(i);
    return UK_OK;
}

// The device calls: support/no_devices.cpp.

}  // extern "C"
