// PlatformNetDevice: a NetDevice over the platform ABI (uk_net_read / uk_net_write). Thin: it
// only translates batches; it never allocates.
#pragma once

#include <unikit/platform.h>

#include "net/dev/device.h"

namespace unikit::net::dev {

class PlatformNetDevice final : public NetDevice {
public:
    // Looks up the net device the manifest names `name` and reads its MAC and MTU.
    static Result<PlatformNetDevice> open(const char* name);
    // Wraps an already looked-up handle.
    static Result<PlatformNetDevice> from_handle(uk_handle h);

    Result<std::size_t> receive(std::span<Frame> frames) override;
    Result<std::size_t> transmit(std::span<const FrameRef> frames) override;
    MacBytes mac() const override { return mac_; }
    std::uint16_t mtu() const override { return mtu_; }
    std::size_t max_rx_frame() const override { return max_rx_; }
    uk_handle handle() const { return h_; }

private:
    PlatformNetDevice(uk_handle h, MacBytes m, std::uint16_t mtu, std::size_t max_rx)
        : h_(h), mac_(m), mtu_(mtu), max_rx_(max_rx) {}
    uk_handle h_;
    MacBytes mac_;
    std::uint16_t mtu_;
    std::size_t max_rx_;
};

}  // namespace unikit::net::dev
