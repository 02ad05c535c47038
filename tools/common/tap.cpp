#include "common/tap.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/devargs.h"

namespace unikit::tap {

std::expected<int, std::string> open(const std::string& ifname, bool offload) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return std::unexpected(devargs::tap_error(ifname, errno, true));
    struct ifreq ifr {};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
    if (ifname.size() >= IFNAMSIZ) {
        ::close(fd);
        return std::unexpected("interface name '" + ifname + "' is too long");
    }
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
        const int e = errno;
        ::close(fd);
        return std::unexpected(devargs::tap_error(ifname, e, false));
    }
    if (offload) {
        int hdr = kVnetHdrLen;
        const unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        if (::ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0 || ::ioctl(fd, TUNSETOFFLOAD, off) != 0) {
            const int e = errno;
            ::close(fd);
            return std::unexpected("cannot enable TAP offloads on '" + ifname + "': " + std::strerror(e));
        }
    }
    return fd;
}

uint16_t mtu(const std::string& ifname) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 1500;
    struct ifreq ifr {};
    std::memcpy(ifr.ifr_name, ifname.c_str(), std::min<size_t>(ifname.size(), IFNAMSIZ - 1));
    int mtu = 1500;
    if (::ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 && ifr.ifr_mtu <= 65535) mtu = ifr.ifr_mtu;
    ::close(s);
    return static_cast<uint16_t>(mtu);
}

}  // namespace unikit::tap
