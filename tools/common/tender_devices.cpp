#include "common/tender_devices.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "common/tap.h"

namespace unikit::tender_devices {

namespace {

std::expected<Opened, std::string> open_net(const devargs::Attachment& at, std::span<const uint8_t, 6> random_mac,
                                            std::string_view target, bool tap_offload) {
    Opened d;
    if (at.backend == devargs::NetBackend::tap) {
        auto fd = tap::open(at.ifname, tap_offload);
        if (!fd) return std::unexpected(fd.error());
        d.fd = *fd;
        d.vnet_hdr = tap_offload;
        d.mtu = tap::mtu(at.ifname);
    } else if (at.backend == devargs::NetBackend::user) {
        // A frame socket inherited from `unikit run` (unikit-netd at the other end): one frame
        // per message, so the guest's writes and reads work on it unchanged.
        if (auto ok = devargs::adopt_frame_socket(at.fd); !ok) return std::unexpected(ok.error());
        d.fd = at.fd;
        d.mtu = 1500;
    } else {
        return std::unexpected("only tap: and user network devices are supported by " + std::string(target));
    }
    if (at.mac) {
        d.mac = *at.mac;
    } else {
        std::memcpy(d.mac.data(), random_mac.data(), 6);
        d.mac[0] = static_cast<uint8_t>((d.mac[0] & 0xfe) | 0x02);  // unicast, locally administered
    }
    return d;
}

std::expected<Opened, std::string> open_block(const devargs::Attachment& at) {
    Opened d;
    d.fd = ::open(at.path.c_str(), O_RDWR | O_CLOEXEC);
    if (d.fd < 0) return std::unexpected("cannot open '" + at.path + "': " + std::strerror(errno));
    struct stat st {};
    auto refuse = [&](std::string why) {
        ::close(d.fd);
        return std::unexpected(std::move(why));
    };
    if (::fstat(d.fd, &st) != 0 || !S_ISREG(st.st_mode)) return refuse("'" + at.path + "' is not a regular file");
    d.block_size = kBlockSize;
    d.capacity = static_cast<uint64_t>(st.st_size) / kBlockSize * kBlockSize;
    if (d.capacity == 0) return refuse("'" + at.path + "' is smaller than one block (512 bytes)");
    return d;
}

}  // namespace

std::expected<Opened, std::string> open(const ManifestDevice& want, std::span<const devargs::Attachment> attached,
                                        std::span<const uint8_t, 6> random_mac, std::string_view target,
                                        bool tap_offload) {
    const devargs::Attachment* at = nullptr;
    for (const auto& a : attached)
        if (a.name == want.name) at = &a;
    if (!at || at->kind != want.kind)
        return std::unexpected(std::string("not attached: use ") + devargs::flag_for(want.kind) + " " + want.name + "=...");
    return want.kind == UK_DEV_NET ? open_net(*at, random_mac, target, tap_offload) : open_block(*at);
}

}  // namespace unikit::tender_devices
