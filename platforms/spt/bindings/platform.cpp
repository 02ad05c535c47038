// The platform ABI (include/unikit/platform.h) for spt images: raw system calls on the file
// descriptors the tender opened. Every call made here is one the tender's seccomp filter allows
// (docs/spt.md lists them); anything else kills the process.
#include <unikit/platform.h>

#include "platforms/spt/spt_abi.h"
#include "rt/string.h"
#include "spt_bindings.h"
#include "syscall.h"

namespace {

const spt_boot* g_boot = nullptr;

// Frames longer than the caller's buffer land here and are dropped (never truncated).
alignas(16) uint8_t g_overflow[65536];

// struct virtio_net_hdr_v1, before every frame on a TAP opened with IFF_VNET_HDR (vnet_hdr).
struct VnetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
static_assert(sizeof(VnetHdr) == 12);
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM: only the pseudo-header sum is in place
constexpr uint8_t kVnetDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID: the host checked it
// The largest frame a receive-offload TAP delivers: a 64 KiB IPv4 packet, header and VLAN tag.
constexpr uint32_t kMaxOffloadFrame = 65535 + 14 + 4;

constexpr long kClockRealtime = 0;
constexpr long kClockMonotonic = 1;

uk_time_ns clock_ns(long clk) {
    spt::sys::timespec ts{0, 0};
    spt::sys::call2(spt::sys::nr_clock_gettime, clk, reinterpret_cast<long>(&ts));
    return static_cast<uk_time_ns>(ts.tv_sec) * 1000000000ull + static_cast<uk_time_ns>(ts.tv_nsec);
}

const spt_device* device(uk_handle h, uint32_t kind) {
    if (!g_boot || h < 0 || static_cast<uint32_t>(h) >= g_boot->ndevices) return nullptr;
    const spt_device* d = &g_boot->devices[h];
    return d->kind == kind ? d : nullptr;
}

}  // namespace

namespace spt {
void bind_boot(const spt_boot* boot) { g_boot = boot; }
}  // namespace spt

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    while (len > 0) {
        long n = spt::sys::call3(spt::sys::nr_write, 1, reinterpret_cast<long>(buf), static_cast<long>(len));
        if (n == -spt::sys::eintr) continue;
        if (n <= 0) return;  // the host cannot take it: drop
        buf += n;
        len -= static_cast<size_t>(n);
    }
}

void uk_exit(int status) { spt::sys::exit_group(status & 0xff); }

void uk_abort(void) { spt::sys::exit_group(UK_EXIT_ABORT); }

uk_time_ns uk_clock_monotonic(void) { return clock_ns(kClockMonotonic); }

uk_time_ns uk_clock_wall(void) { return clock_ns(kClockRealtime); }

uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    if (!nready || (!ready && cap > 0)) return UK_EINVAL;
    *nready = 0;
    spt::sys::epoll_event ev[16];
    const size_t max = cap == 0 ? 1 : (cap < 16 ? cap : 16);
    for (;;) {
        uk_time_ns now = uk_clock_monotonic();
        uk_time_ns left = deadline > now ? deadline - now : 0;
        long n;
        if (g_boot->have_epoll_pwait2) {
            spt::sys::timespec ts{static_cast<long>(left / 1000000000ull), static_cast<long>(left % 1000000000ull)};
            n = spt::sys::call6(spt::sys::nr_epoll_pwait2, g_boot->epoll_fd, reinterpret_cast<long>(ev),
                                static_cast<long>(max), reinterpret_cast<long>(&ts), 0, 8);
        } else {
            uk_time_ns ms = (left + 999999) / 1000000;  // round up: never wake before the deadline
            if (ms > 0x7fffffff) ms = 0x7fffffff;
            n = spt::sys::call6(spt::sys::nr_epoll_pwait, g_boot->epoll_fd, reinterpret_cast<long>(ev),
                                static_cast<long>(max), static_cast<long>(ms), 0, 8);
        }
        if (n == -spt::sys::eintr) continue;
        if (n < 0) return UK_OK;  // treat as a spurious wake-up
        if (cap > 0)
            for (long i = 0; i < n; ++i) ready[(*nready)++] = static_cast<uk_handle>(ev[i].data);
        return UK_OK;
    }
}

uk_result uk_device_lookup(const char* name, uk_device_kind kind, uk_handle* h) {
    if (!name || !h) return UK_EINVAL;
    for (uint32_t i = 0; g_boot && i < g_boot->ndevices; ++i) {
        const spt_device& d = g_boot->devices[i];
        if (d.kind == static_cast<uint32_t>(kind) && uk_strncmp(d.name, name, SPT_DEVICE_NAME_MAX) == 0) {
            *h = static_cast<uk_handle>(i);
            return UK_OK;
        }
    }
    return UK_ENOENT;
}

uk_result uk_net_get_info(uk_handle h, struct uk_net_info* info) {
    const spt_device* d = device(h, UK_DEV_NET);
    if (!d || !info) return UK_EINVAL;
    uk_memcpy(info->mac, d->mac, 6);
    info->mtu = d->mtu;
    info->max_rx_frame = d->vnet_hdr ? kMaxOffloadFrame : uint32_t(d->mtu) + 14 + 4;
    return UK_OK;
}

uk_result uk_net_write(uk_handle h, const struct uk_frame* frames, size_t n, size_t* sent) {
    const spt_device* d = device(h, UK_DEV_NET);
    if (!d || !sent || (n > 0 && !frames)) return UK_EINVAL;
    *sent = 0;
    const size_t max = size_t(d->mtu) + 14 + 4;
    for (size_t i = 0; i < n; ++i)
        if (frames[i].len > max) return UK_EINVAL;
    static const VnetHdr zero_hdr{};  // no offload asked: checksums are complete, no GSO
    for (size_t i = 0; i < n; ++i) {
        long r;
        if (d->vnet_hdr) {
            spt::sys::iovec iov[2] = {{const_cast<VnetHdr*>(&zero_hdr), sizeof zero_hdr},
                                      {frames[i].data, frames[i].len}};
            r = spt::sys::call3(spt::sys::nr_writev, d->fd, reinterpret_cast<long>(iov), 2);
        } else {
            r = spt::sys::call3(spt::sys::nr_write, d->fd, reinterpret_cast<long>(frames[i].data),
                                static_cast<long>(frames[i].len));
        }
        if (r == -spt::sys::eintr) { --i; continue; }
        if (r == -spt::sys::eagain) break;
        if (r < 0) return *sent ? UK_OK : UK_EIO;
        ++*sent;
    }
    return (*sent || n == 0) ? UK_OK : UK_AGAIN;
}

uk_result uk_net_read(uk_handle h, struct uk_frame* frames, size_t n, size_t* received) {
    const spt_device* d = device(h, UK_DEV_NET);
    if (!d || !received || (n > 0 && !frames)) return UK_EINVAL;
    *received = 0;
    size_t i = 0;
    while (i < n) {
        VnetHdr hdr{};
        spt::sys::iovec iov[3] = {{&hdr, sizeof hdr}, {frames[i].data, frames[i].cap}, {g_overflow, sizeof g_overflow}};
        const bool vh = d->vnet_hdr != 0;
        long r = spt::sys::call3(spt::sys::nr_readv, d->fd, reinterpret_cast<long>(vh ? iov : iov + 1), vh ? 3 : 2);
        if (r == -spt::sys::eintr) continue;
        if (r == -spt::sys::eagain) break;
        if (r < 0) return *received ? UK_OK : UK_EIO;
        if (vh) {
            if (static_cast<size_t>(r) < sizeof hdr) continue;  // no frame after the header: dropped
            r -= static_cast<long>(sizeof hdr);
        }
        if (static_cast<size_t>(r) > frames[i].cap) continue;  // too long for the buffer: dropped
        frames[i].len = static_cast<size_t>(r);
        // A GSO frame (gso_type TCPV4/TCPV6) comes whole, as one packet longer than the MTU, with
        // NEEDS_CSUM; the stack takes it as one large segment.
        frames[i].flags = (vh && (hdr.flags & (kVnetNeedsCsum | kVnetDataValid))) ? UK_FRAME_CSUM_VALID : 0;
        ++i;
        ++*received;
    }
    return *received ? UK_OK : UK_AGAIN;
}

uk_result uk_block_get_info(uk_handle h, struct uk_block_info* info) {
    const spt_device* d = device(h, UK_DEV_BLOCK);
    if (!d || !info) return UK_EINVAL;
    info->capacity = d->capacity;
    info->block_size = d->block_size;
    return UK_OK;
}

namespace {
const spt_device* block_args(uk_handle h, uint64_t offset, const void* buf, size_t len) {
    const spt_device* d = device(h, UK_DEV_BLOCK);
    if (!d || (!buf && len)) return nullptr;
    if (offset % d->block_size || len % d->block_size) return nullptr;
    if (offset > d->capacity || len > d->capacity - offset) return nullptr;
    return d;
}
}  // namespace

uk_result uk_block_read(uk_handle h, uint64_t offset, void* buf, size_t len) {
    const spt_device* d = block_args(h, offset, buf, len);
    if (!d) return UK_EINVAL;
    auto* p = static_cast<uint8_t*>(buf);
    while (len > 0) {
        long r = spt::sys::call4(spt::sys::nr_pread64, d->fd, reinterpret_cast<long>(p), static_cast<long>(len),
                                 static_cast<long>(offset));
        if (r == -spt::sys::eintr) continue;
        if (r <= 0) return UK_EIO;  // 0: the file shrank under us
        p += r;
        offset += static_cast<uint64_t>(r);
        len -= static_cast<size_t>(r);
    }
    return UK_OK;
}

uk_result uk_block_write(uk_handle h, uint64_t offset, const void* buf, size_t len) {
    const spt_device* d = block_args(h, offset, buf, len);
    if (!d) return UK_EINVAL;
    auto* p = static_cast<const uint8_t*>(buf);
    while (len > 0) {
        long r = spt::sys::call4(spt::sys::nr_pwrite64, d->fd, reinterpret_cast<long>(p), static_cast<long>(len),
                                 static_cast<long>(offset));
        if (r == -spt::sys::eintr) continue;
        if (r <= 0) return UK_EIO;
        p += r;
        offset += static_cast<uint64_t>(r);
        len -= static_cast<size_t>(r);
    }
    return UK_OK;
}

}  // extern "C"
