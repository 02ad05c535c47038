#include "common/devargs.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unikit/platform.h>

namespace unikit::devargs {

namespace {

// (Not manifest_reader's device_kind_name: this file is also compiled into hosted images, which
// do not link the ELF reader.)
const char* kind_name(uint32_t kind) {
    return kind == UK_DEV_NET ? "net" : kind == UK_DEV_BLOCK ? "block" : "unknown";
}

std::string quoted(std::string_view flag, std::string_view spec) {
    std::string s(flag);
    s += " '";
    s += spec;
    s += "'";
    return s;
}

// "it names: a (net), b (block)" or "it names no devices".
std::string kinds_list(std::span<const ManifestDevice> wanted) {
    if (wanted.empty()) return "it names no devices";
    std::string s = "it names: ";
    for (const auto& d : wanted) {
        if (s.size() > 10) s += ", ";
        s += d.name;
        s += " (";
        s += kind_name(d.kind);
        s += ")";
    }
    return s;
}

// Split "NAME=REST" when the part before the first '=' is a valid device name.
void split_name(std::string_view spec, std::string& name, std::string_view& rest) {
    auto eq = spec.find('=');
    if (eq != std::string_view::npos && valid_name(spec.substr(0, eq))) {
        name = std::string(spec.substr(0, eq));
        rest = spec.substr(eq + 1);
    } else {
        name.clear();
        rest = spec;
    }
}

std::string example_for(const ManifestDevice& d) {
    if (d.kind == UK_DEV_NET) return "--net " + d.name + "=tap:IFNAME";
    return "--block " + d.name + "=FILE";
}

}  // namespace

const char* flag_for(uint32_t kind) { return kind == UK_DEV_NET ? "--net" : "--block"; }

const char* backend_name(NetBackend b) {
    switch (b) {
    case NetBackend::tap: return "tap";
    case NetBackend::user: return "user";
    case NetBackend::socket: return "socket";
    }
    return "?";
}

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 31) return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view s) {
    if (s.size() != 17) return std::nullopt;
    std::array<uint8_t, 6> mac{};
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < 6; ++i) {
        int hi = hex(s[i * 3]), lo = hex(s[i * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-') return std::nullopt;
        mac[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return mac;
}

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s) {
    std::array<uint8_t, 4> a{};
    for (size_t i = 0; i < 4; ++i) {
        size_t n = 0;
        unsigned v = 0;
        while (!s.empty() && s[0] >= '0' && s[0] <= '9' && n < 3) {
            v = v * 10 + static_cast<unsigned>(s[0] - '0');
            s.remove_prefix(1);
            ++n;
        }
        if (n == 0 || v > 255) return std::nullopt;
        a[i] = static_cast<uint8_t>(v);
        if (i < 3) {
            if (s.empty() || s[0] != '.') return std::nullopt;
            s.remove_prefix(1);
        }
    }
    if (!s.empty()) return std::nullopt;
    return a;
}

namespace {
// A port 1..65535 in decimal.
std::optional<uint16_t> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return std::nullopt;
    return static_cast<uint16_t>(v);
}
}  // namespace

std::string format_mac(const std::array<uint8_t, 6>& mac) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < 6; ++i) {
        if (i) s += ':';
        s += digits[mac[i] >> 4];
        s += digits[mac[i] & 15];
    }
    return s;
}

std::expected<Attachment, std::string> parse_net(std::string_view spec) {
    Attachment a;
    a.kind = UK_DEV_NET;
    std::string_view rest;
    split_name(spec, a.name, rest);
    if (rest.empty()) return std::unexpected(quoted("--net", spec) + ": missing backend (tap:IFNAME, user or socket)");

    // Backend, then comma-separated options.
    std::string_view head = rest.substr(0, rest.find(','));
    std::string_view opts = head.size() < rest.size() ? rest.substr(head.size() + 1) : std::string_view{};
    if (head.starts_with("tap:")) {
        a.backend = NetBackend::tap;
        a.ifname = std::string(head.substr(4));
        if (a.ifname.empty()) return std::unexpected(quoted("--net", spec) + ": missing interface name after 'tap:'");
        if (a.ifname.size() > 15) return std::unexpected(quoted("--net", spec) + ": interface name longer than 15 characters");
        for (char c : a.ifname) {
            if (c == '/' || c == ':' || c == '=' || c <= ' ')
                return std::unexpected(quoted("--net", spec) + ": invalid interface name '" + a.ifname + "'");
        }
    } else if (head == "user") {
        a.backend = NetBackend::user;
    } else if (head == "socket") {
        a.backend = NetBackend::socket;
    } else if (head == "tap") {
        return std::unexpected(quoted("--net", spec) + ": missing interface name (tap:IFNAME)");
    } else {
        return std::unexpected(quoted("--net", spec) + ": unknown network backend '" + std::string(head) +
                               "' (expected tap:IFNAME, user or socket)");
    }
    while (!opts.empty()) {
        std::string_view opt = opts.substr(0, opts.find(','));
        opts = opt.size() < opts.size() ? opts.substr(opt.size() + 1) : std::string_view{};
        if (opt.starts_with("mac=")) {
            if (a.backend == NetBackend::socket)
                return std::unexpected(quoted("--net", spec) + ": 'socket' takes no mac= option");
            auto mac = parse_mac(opt.substr(4));
            if (!mac) return std::unexpected(quoted("--net", spec) + ": bad MAC address '" + std::string(opt.substr(4)) +
                                             "' (expected XX:XX:XX:XX:XX:XX)");
            if ((*mac)[0] & 1) return std::unexpected(quoted("--net", spec) + ": MAC address " + format_mac(*mac) +
                                                      " is a multicast address");
            a.mac = mac;
        } else if (a.backend == NetBackend::user && opt.starts_with("fd=")) {
            auto v = opt.substr(3);
            int fd = 0;
            bool ok = !v.empty() && v.size() <= 6;
            for (char c : v) {
                ok = ok && c >= '0' && c <= '9';
                if (ok) fd = fd * 10 + (c - '0');
            }
            if (!ok || fd < 3)
                return std::unexpected(quoted("--net", spec) + ": bad descriptor '" + std::string(v) +
                                       "' (expected fd=N, N >= 3, an inherited frame socket)");
            a.fd = fd;
        } else if (a.backend == NetBackend::socket && opt.starts_with("bind=")) {
            auto v = opt.substr(5);
            if (!parse_ipv4(v))
                return std::unexpected(quoted("--net", spec) + ": bad bind address '" + std::string(v) +
                                       "' (expected an IPv4 address such as 127.0.0.1 or 0.0.0.0)");
            a.bind = std::string(v);
        } else if (a.backend == NetBackend::socket && opt.starts_with("map=")) {
            auto v = opt.substr(4);
            auto colon = v.find(':');
            auto guest = colon == std::string_view::npos ? std::nullopt : parse_port(v.substr(0, colon));
            auto host = colon == std::string_view::npos ? std::nullopt : parse_port(v.substr(colon + 1));
            if (!guest || !host)
                return std::unexpected(quoted("--net", spec) + ": bad port mapping '" + std::string(v) +
                                       "' (expected map=APP_PORT:HOST_PORT, ports 1-65535)");
            for (auto [g, h] : a.port_map) {
                if (g == *guest)
                    return std::unexpected(quoted("--net", spec) + ": port " + std::to_string(g) + " is mapped twice");
            }
            a.port_map.emplace_back(*guest, *host);
        } else {
            return std::unexpected(quoted("--net", spec) + ": unknown option '" + std::string(opt) + "' (known: " +
                                   (a.backend == NetBackend::socket ? "bind=, map="
                                    : a.backend == NetBackend::user ? "mac=, fd="
                                                                    : "mac=") + ")");
        }
    }
    return a;
}

std::expected<Attachment, std::string> parse_block(std::string_view spec) {
    Attachment a;
    a.kind = UK_DEV_BLOCK;
    std::string_view rest;
    split_name(spec, a.name, rest);
    if (rest.empty()) return std::unexpected(quoted("--block", spec) + ": missing file name");
    a.path = std::string(rest);
    return a;
}

std::expected<Attachment, std::string> parse(uint32_t kind, std::string_view spec) {
    if (kind == UK_DEV_NET) return parse_net(spec);
    return parse_block(spec);
}

std::string format(const Attachment& a) {
    std::string s;
    if (!a.name.empty()) s = a.name + "=";
    if (a.kind == UK_DEV_BLOCK) return s + a.path;
    s += backend_name(a.backend);
    if (a.backend == NetBackend::tap) s += ":" + a.ifname;
    if (a.mac) s += ",mac=" + format_mac(*a.mac);
    if (!a.bind.empty()) s += ",bind=" + a.bind;
    for (auto [g, h] : a.port_map) s += ",map=" + std::to_string(g) + ":" + std::to_string(h);
    if (a.backend == NetBackend::user && a.fd >= 0) s += ",fd=" + std::to_string(a.fd);
    return s;
}

std::expected<void, std::string> adopt_frame_socket(int fd) {
    const std::string how = " (start the image with `unikit run ... --net user`, which runs the unikit-netd helper "
                            "and hands the image its frame socket)";
    if (fd < 0) return std::unexpected("'user' networking needs a frame socket from unikit-netd" + how);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return std::unexpected("descriptor " + std::to_string(fd) + " is not an inherited frame socket" + how);
    int type = 0;
    socklen_t len = sizeof type;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0 ||
        addr.ss_family != AF_UNIX || (type != SOCK_SEQPACKET && type != SOCK_DGRAM))
        return std::unexpected("descriptor " + std::to_string(fd) +
                               " is not a frame socket (AF_UNIX, SOCK_SEQPACKET or SOCK_DGRAM)" + how);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return std::unexpected("descriptor " + std::to_string(fd) + ": " + std::strerror(errno));
    return {};
}


std::expected<void, std::string> match(std::span<const ManifestDevice> wanted,
                                       std::vector<Attachment>& attached) {
    // 1. Name the unnamed.
    for (auto& a : attached) {
        if (!a.name.empty()) continue;
        const ManifestDevice* only = nullptr;
        size_t n = 0;
        for (const auto& d : wanted) {
            if (d.kind == a.kind) {
                only = &d;
                ++n;
            }
        }
        std::string given = std::string(flag_for(a.kind)) + " " + format(a);
        if (n == 0)
            return std::unexpected("unexpected " + std::string(kind_name(a.kind)) + " device (" + given +
                                   "): the image's manifest names no " + kind_name(a.kind) +
                                   " device (" + kinds_list(wanted) + ")");
        if (n > 1)
            return std::unexpected(given + " needs a device name: the image has several " +
                                   kind_name(a.kind) + " devices (" + kinds_list(wanted) + "); use " +
                                   flag_for(a.kind) + " NAME=...");
        a.name = only->name;
    }
    // 2. Every attachment names a manifest device of its kind, once.
    for (size_t i = 0; i < attached.size(); ++i) {
        const auto& a = attached[i];
        const ManifestDevice* d = nullptr;
        for (const auto& w : wanted) {
            if (w.name == a.name) d = &w;
        }
        if (!d)
            return std::unexpected("unexpected device '" + a.name + "' (" + flag_for(a.kind) + " " + format(a) +
                                   "): the image's manifest names no such device (" + kinds_list(wanted) + ")");
        if (d->kind != a.kind)
            return std::unexpected("device '" + a.name + "' is a " + kind_name(d->kind) +
                                   " device in the image's manifest, but was given with " + flag_for(a.kind) +
                                   " (use " + example_for(*d) + ")");
        for (size_t j = 0; j < i; ++j) {
            if (attached[j].name == a.name)
                return std::unexpected("device '" + a.name + "' is attached twice (" + flag_for(a.kind) + " " +
                                       format(attached[j]) + " and " + flag_for(a.kind) + " " + format(a) + ")");
        }
    }
    // 3. Every manifest device is attached.
    for (const auto& d : wanted) {
        bool found = false;
        for (const auto& a : attached) found = found || a.name == d.name;
        if (!found)
            return std::unexpected("missing device '" + d.name + "' (" + kind_name(d.kind) +
                                   "): attach it with " + example_for(d));
    }
    return {};
}

}  // namespace unikit::devargs
