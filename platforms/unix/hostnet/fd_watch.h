// Host descriptors watched by the unix platform's uk_yield (internal to the unix target).
//
// The host-socket backend (`--net NAME=socket`) owns ordinary non-blocking sockets. To wait for
// them with the core's primitives (`wait_readable(h)`, DeviceWatch) it registers each one here
// and gets a uk_handle that uk_yield reports like a device handle. Such handles are not devices:
// uk_device_lookup never returns them and every uk_net_* / uk_block_* call refuses them.
//
// Interest is per direction and counted: a task that is about to wait for a socket to become
// readable (or writable) adds interest, waits on the handle, and removes its interest when done
// (an RAII guard in the coroutine frame, so a cancelled or destroyed wait removes it too).
// uk_yield reports the handle when the socket is ready in a direction somebody is interested in,
// or has an error or hang-up. With no interest the handle is never reported, so a socket with
// unread data (or one that is simply writable) does not keep the loop awake.
//
// Disarming is lazy: removing interest costs no syscall; the registration is narrowed (or the
// descriptor dropped from the epoll set) only when it fires for a direction nobody wants, so a
// reader that waits again and again costs one epoll_ctl in total, not two per wait.
//
// unwatch_fd() stops watching (it does not close the descriptor) and makes the next uk_yield
// report the handle once more, so a task still waiting on it wakes, retries, and finds the
// socket gone. Handles are reused (oldest freed first); waiters treat any report as "try again",
// so a stray report on a reused handle is harmless.
#pragma once

#include <cstdint>
#include <expected>

#include <unikit/platform.h>

namespace unikit::unix_platform {

enum WatchDir : uint32_t {
    kWatchRead = 1,   // readable, a pending connection, or the peer shut down its side
    kWatchWrite = 2,  // writable, or a non-blocking connect finished
};

// Starts watching `fd` (with no interest yet). Returns the handle, or the errno of the failure.
std::expected<uk_handle, int> watch_fd(int fd);

// Adds (delta = +1) or removes (delta = -1) one unit of interest in `dirs` (a WatchDir mask).
// A bad handle is ignored.
void watch_interest(uk_handle h, uint32_t dirs, int delta);

// Current interest counts (tests and diagnostics). A bad handle gives 0.
uint32_t watch_interest_count(uk_handle h, WatchDir dir);

// Stops watching; the descriptor stays open (its owner closes it). A bad handle is ignored.
void unwatch_fd(uk_handle h);

// Number of descriptors being watched (tests: proves sockets are released).
size_t watched_fd_count();

// RAII: interest in `dirs` for as long as it lives.
class WatchInterest {
public:
    WatchInterest(uk_handle h, uint32_t dirs) noexcept : h_(h), dirs_(dirs) { watch_interest(h_, dirs_, +1); }
    ~WatchInterest() { watch_interest(h_, dirs_, -1); }
    WatchInterest(const WatchInterest&) = delete;
    WatchInterest& operator=(const WatchInterest&) = delete;

private:
    uk_handle h_;
    uint32_t dirs_;
};

}  // namespace unikit::unix_platform
