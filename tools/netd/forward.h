// Docker-style port forwards (`-p/--publish`) for user-mode networking, shared by `unikit run`
// (which checks them before anything starts) and unikit-netd (which installs them in libslirp).
//
//   [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]
//
// HOST_IP defaults to 127.0.0.1 (only this machine can connect; Docker's default is 0.0.0.0 —
// ask for it explicitly with -p 0.0.0.0:8080:80). Header-only host code, no exceptions.
#pragma once

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <expected>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/devargs.h"

namespace unikit::netd {

struct Forward {
    bool udp = false;
    std::array<uint8_t, 4> host_ip{127, 0, 0, 1};
    uint16_t host_port = 0;
    uint16_t guest_port = 0;
};

inline std::string ip_text(const std::array<uint8_t, 4>& a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

// "127.0.0.1:8080->80/tcp"
inline std::string format_forward(const Forward& f) {
    return ip_text(f.host_ip) + ":" + std::to_string(f.host_port) + "->" + std::to_string(f.guest_port) +
           (f.udp ? "/udp" : "/tcp");
}

// The canonical -p value, parse_forward(spec_of(f)) == f.
inline std::string spec_of(const Forward& f) {
    return ip_text(f.host_ip) + ":" + std::to_string(f.host_port) + ":" + std::to_string(f.guest_port) +
           (f.udp ? "/udp" : "/tcp");
}

inline std::expected<Forward, std::string> parse_forward(std::string_view spec) {
    const std::string what = "-p '" + std::string(spec) + "'";
    const std::string expect = " (expected [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:5353:53/udp)";
    Forward f;
    std::string_view s = spec;
    if (auto slash = s.rfind('/'); slash != std::string_view::npos) {
        auto proto = s.substr(slash + 1);
        if (proto == "udp") f.udp = true;
        else if (proto != "tcp") return std::unexpected(what + ": unknown protocol '" + std::string(proto) + "'" + expect);
        s = s.substr(0, slash);
    }
    auto port = [](std::string_view p) -> int {
        if (p.empty() || p.size() > 5) return -1;
        int v = 0;
        for (char c : p) {
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v >= 1 && v <= 65535 ? v : -1;
    };
    auto last = s.rfind(':');
    if (last == std::string_view::npos) return std::unexpected(what + ": missing ':'" + expect);
    int guest = port(s.substr(last + 1));
    s = s.substr(0, last);
    auto mid = s.rfind(':');
    int host = port(mid == std::string_view::npos ? s : s.substr(mid + 1));
    if (mid != std::string_view::npos) {
        auto ip = devargs::parse_ipv4(s.substr(0, mid));
        if (!ip) return std::unexpected(what + ": bad host address '" + std::string(s.substr(0, mid)) + "'" + expect);
        f.host_ip = *ip;
    }
    if (host < 0 || guest < 0) return std::unexpected(what + ": ports must be 1-65535" + expect);
    f.host_port = static_cast<uint16_t>(host);
    f.guest_port = static_cast<uint16_t>(guest);
    return f;
}

// Whether the host side of `f` can be bound now (nothing else listens on / holds it). TCP
// probes with SO_REUSEADDR, as the forward itself will, so connections lingering in TIME_WAIT do
// not count as "in use". The error is one line naming the forward.
inline std::expected<void, std::string> probe_forward(const Forward& f) {
    int s = ::socket(AF_INET, (f.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (s < 0) return std::unexpected(std::string("cannot create a socket: ") + std::strerror(errno));
    int one = 1;
    if (!f.udp) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(f.host_port);
    std::memcpy(&a.sin_addr, f.host_ip.data(), 4);
    int rc = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (rc == 0 && !f.udp) rc = ::listen(s, 1);
    int err = errno;
    ::close(s);
    if (rc == 0) return {};
    std::string msg = "cannot publish " + format_forward(f) + ": host port " + ip_text(f.host_ip) + ":" +
                      std::to_string(f.host_port) + "/" + (f.udp ? "udp" : "tcp");
    if (err == EADDRINUSE) return std::unexpected(msg + " is already in use (choose another HOST_PORT)");
    if (err == EACCES) return std::unexpected(msg + " is privileged (ports below 1024 need root; choose a port >= 1024)");
    if (err == EADDRNOTAVAIL) return std::unexpected(msg + ": no such local address");
    return std::unexpected(msg + ": " + std::strerror(err));
}

}  // namespace unikit::netd
