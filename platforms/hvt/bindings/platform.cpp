// The platform ABI (include/unikit/platform.h) for hvt images: hypercalls to the unikit-hvt
// monitor (`outl` to an I/O port, see hypercall.h and docs/hvt.md), plus a TSC clock.
//
// Clocks: a hypercall costs an exit to the host monitor (tens of microseconds under nested
// virtualisation), so the clocks read the TSC, which the guest may read at CPL3, and convert it
// with the frequency the monitor passes in the boot block. The conversion is anchored on the
// host clocks at boot and again after every yield (whose reply carries the host clocks), and
// the monotonic clock is clamped so it never goes back when an anchor moves.
#include <unikit/platform.h>

#include "hypercall.h"
#include "rt/string.h"

namespace {

const hvt_boot* g_boot = nullptr;
bool g_have_net = false;

struct Anchor {
    uint64_t tsc = 0;
    uint64_t mono = 0;
    uint64_t wall = 0;
};
Anchor g_anchor;
uint64_t g_mult = 0;  // ns per TSC tick, 32.32 fixed point; 0: no TSC clock, ask the monitor
uint64_t g_last_mono = 0;

void reanchor(const hvt_clock& c, uint64_t tsc) {
    g_anchor.tsc = tsc;
    g_anchor.mono = c.monotonic;
    g_anchor.wall = c.wall;
}

uint64_t since_anchor_ns() {
    uint64_t d = hvt::rdtsc() - g_anchor.tsc;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(d) * g_mult) >> 32);
}

hvt_clock host_clocks() {
    alignas(8) hvt_clock c{0, 0};
    hvt::hypercall(HVT_CALL_CLOCK, &c);
    return c;
}

const hvt_device* device(uk_handle h, uint32_t kind) {
    if (!g_boot || h < 0 || static_cast<uint32_t>(h) >= g_boot->ndevices) return nullptr;
    const hvt_device* d = &g_boot->devices[h];
    return d->kind == kind ? d : nullptr;
}

}  // namespace

namespace hvt {
void bind_boot(const hvt_boot* boot) {
    g_boot = boot;
    for (uint32_t i = 0; i < boot->ndevices; ++i)
        if (boot->devices[i].kind == UK_DEV_NET) g_have_net = true;
    if (boot->tsc_khz >= 1000 && boot->tsc_khz < (1ull << 32)) {
        g_mult = (1000000ull << 32) / boot->tsc_khz;
        uint64_t t0 = rdtsc();
        hvt_clock c = host_clocks();
        uint64_t t1 = rdtsc();
        reanchor(c, t0 + (t1 - t0) / 2);
    }
}
}  // namespace hvt

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    if (len == 0) return;
    alignas(8) hvt_console c{reinterpret_cast<uint64_t>(buf), len};
    hvt::hypercall(HVT_CALL_CONSOLE, &c);
}

void uk_exit(int status) {
    alignas(8) hvt_exit e{status & 0xff, 0};
    for (;;) hvt::hypercall(HVT_CALL_EXIT, &e);
}

void uk_abort(void) {
    alignas(8) hvt_exit e{UK_EXIT_ABORT, 0};
    for (;;) hvt::hypercall(HVT_CALL_ABORT, &e);
}

uk_time_ns uk_clock_monotonic(void) {
    uint64_t now = g_mult ? g_anchor.mono + since_anchor_ns() : host_clocks().monotonic;
    if (now < g_last_mono) now = g_last_mono;
    g_last_mono = now;
    return now;
}

uk_time_ns uk_clock_wall(void) {
    return g_mult ? g_anchor.wall + since_anchor_ns() : host_clocks().wall;
}

uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    if (!nready || (!ready && cap > 0)) return UK_EINVAL;
    *nready = 0;
    // Without network devices nothing but the deadline can end a wait: a deadline already
    // passed needs no exit to the monitor.
    if (!g_have_net && deadline <= uk_clock_monotonic()) return UK_OK;
    alignas(8) hvt_yield y{};
    y.deadline = deadline;
    y.ready = reinterpret_cast<uint64_t>(ready);
    y.cap = ready ? cap : 0;
    hvt::hypercall(HVT_CALL_YIELD, &y);
    if (g_mult) reanchor(y.now, hvt::rdtsc());
    if (y.now.monotonic > g_last_mono) g_last_mono = y.now.monotonic;
    *nready = y.nready <= cap ? y.nready : cap;
    return UK_OK;
}

uk_result uk_device_lookup(const char* name, uk_device_kind kind, uk_handle* h) {
    if (!name || !h) return UK_EINVAL;
    for (uint32_t i = 0; g_boot && i < g_boot->ndevices; ++i) {
        const hvt_device& d = g_boot->devices[i];
        if (d.kind == static_cast<uint32_t>(kind) && uk_strncmp(d.name, name, HVT_DEVICE_NAME_MAX) == 0) {
            *h = static_cast<uk_handle>(i);
            return UK_OK;
        }
    }
    return UK_ENOENT;
}

uk_result uk_net_get_info(uk_handle h, struct uk_net_info* info) {
    const hvt_device* d = device(h, UK_DEV_NET);
    if (!d || !info) return UK_EINVAL;
    uk_memcpy(info->mac, d->mac, 6);
    info->mtu = d->mtu;
    info->max_rx_frame = uint32_t(d->mtu) + 14 + 4;  // no receive offload
    return UK_OK;
}

namespace {
uk_result net_io(hvt_call call, uk_handle h, const struct uk_frame* frames, size_t n, size_t* done) {
    const hvt_device* d = device(h, UK_DEV_NET);
    if (!d || !done || (n > 0 && !frames)) return UK_EINVAL;
    *done = 0;
    if (n == 0) return call == HVT_CALL_NET_WRITE ? UK_OK : UK_AGAIN;
    if (call == HVT_CALL_NET_WRITE) {
        const size_t max = size_t(d->mtu) + 14 + 4;
        for (size_t i = 0; i < n; ++i)
            if (frames[i].len > max) return UK_EINVAL;
    }
    alignas(8) hvt_net_io io{};
    io.handle = h;
    io.frames = reinterpret_cast<uint64_t>(frames);
    io.n = n;
    hvt::hypercall(call, &io);
    *done = io.done <= n ? io.done : n;
    return io.result;
}
}  // namespace

uk_result uk_net_write(uk_handle h, const struct uk_frame* frames, size_t n, size_t* sent) {
    return net_io(HVT_CALL_NET_WRITE, h, frames, n, sent);
}

uk_result uk_net_read(uk_handle h, struct uk_frame* frames, size_t n, size_t* received) {
    return net_io(HVT_CALL_NET_READ, h, frames, n, received);
}

uk_result uk_block_get_info(uk_handle h, struct uk_block_info* info) {
    const hvt_device* d = device(h, UK_DEV_BLOCK);
    if (!d || !info) return UK_EINVAL;
    info->capacity = d->capacity;
    info->block_size = d->block_size;
    return UK_OK;
}

namespace {
uk_result block_io(hvt_call call, uk_handle h, uint64_t offset, const void* buf, size_t len) {
    const hvt_device* d = device(h, UK_DEV_BLOCK);
    if (!d || (!buf && len)) return UK_EINVAL;
    if (offset % d->block_size || len % d->block_size) return UK_EINVAL;
    if (offset > d->capacity || len > d->capacity - offset) return UK_EINVAL;
    if (len == 0) return UK_OK;
    alignas(8) hvt_block_io io{};
    io.handle = h;
    io.offset = offset;
    io.buf = reinterpret_cast<uint64_t>(buf);
    io.len = len;
    hvt::hypercall(call, &io);
    return io.result;
}
}  // namespace

uk_result uk_block_read(uk_handle h, uint64_t offset, void* buf, size_t len) {
    return block_io(HVT_CALL_BLOCK_READ, h, offset, buf, len);
}

uk_result uk_block_write(uk_handle h, uint64_t offset, const void* buf, size_t len) {
    return block_io(HVT_CALL_BLOCK_WRITE, h, offset, buf, len);
}

}  // extern "C"
