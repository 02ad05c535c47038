#include "net/dev/platform_device.h"

namespace unikit::net::dev {

Result<PlatformNetDevice> PlatformNetDevice::from_handle(uk_handle h) {
    struct uk_net_info info {};
    if (uk_result r = uk_net_get_info(h, &info); r != UK_OK) return fail(from_uk(r));
    MacBytes m;
    for (int i = 0; i < 6; ++i) m[i] = info.mac[i];
    // 0 (or anything below the MTU's frame): no receive offload. At most 64 KiB + headers.
    std::size_t max_rx = info.max_rx_frame;
    if (max_rx < max_frame_len(info.mtu)) max_rx = max_frame_len(info.mtu);
    if (max_rx > max_frame_len(65535)) max_rx = max_frame_len(65535);
    return PlatformNetDevice(h, m, info.mtu, max_rx);
}

Result<PlatformNetDevice> PlatformNetDevice::open(const char* name) {
    uk_handle h = -1;
    if (uk_result r = uk_device_lookup(name, UK_DEV_NET, &h); r != UK_OK) return fail(from_uk(r));
    return from_handle(h);
}

namespace {
constexpr std::size_t kChunk = 32;  // frames per ABI call (descriptors live on the stack)
}

Result<std::size_t> PlatformNetDevice::receive(std::span<Frame> frames) {
    std::size_t done = 0;
    while (done < frames.size()) {
        uk_frame uf[kChunk];
        std::size_t n = frames.size() - done < kChunk ? frames.size() - done : kChunk;
        for (std::size_t i = 0; i < n; ++i) uf[i] = {frames[done + i].data, frames[done + i].cap, 0, 0};
        std::size_t got = 0;
        uk_result r = uk_net_read(h_, uf, n, &got);
        if (r == UK_AGAIN) break;
        if (r != UK_OK) {
            if (done > 0) break;  // report what we have; the error will recur on the next call
            return fail(from_uk(r));
        }
        for (std::size_t i = 0; i < got; ++i) {
            frames[done + i].len = uf[i].len;
            frames[done + i].flags = (uf[i].flags & UK_FRAME_CSUM_VALID) ? kFrameCsumValid : 0;
        }
        done += got;
        if (got < n) break;
    }
    return done;
}

Result<std::size_t> PlatformNetDevice::transmit(std::span<const FrameRef> frames) {
    std::size_t done = 0;
    while (done < frames.size()) {
        uk_frame uf[kChunk];
        std::size_t n = frames.size() - done < kChunk ? frames.size() - done : kChunk;
        for (std::size_t i = 0; i < n; ++i)
            uf[i] = {const_cast<std::uint8_t*>(frames[done + i].data), 0, frames[done + i].len, 0};
        std::size_t sent = 0;
        uk_result r = uk_net_write(h_, uf, n, &sent);
        if (r == UK_AGAIN) break;
        if (r != UK_OK) {
            if (done > 0) break;
            return fail(from_uk(r));
        }
        done += sent;
        if (sent < n) break;
    }
    return done;
}

}  // namespace unikit::net::dev
