// Device-attachment options (`--net SPEC`, `--block SPEC`) and their matching against an
// image's manifest. Shared by the unix start code, the `unikit` command and the tenders, so
// every backend accepts the same syntax and refuses a mismatch with the same message.
//
//   --net   [NAME=]tap:IFNAME[,mac=XX:XX:XX:XX:XX:XX]   a TAP device (root)
//   --net   [NAME=]user[,mac=...][,fd=N]                  user-mode networking: Ethernet frames over
//                                                         a frame socket (an AF_UNIX SOCK_SEQPACKET
//                                                         socket, one frame per message) inherited
//                                                         as descriptor N from `unikit run`, whose
//                                                         other end is unikit-netd (tools/netd)
//   --net   [NAME=]socket[,bind=A.B.C.D][,map=GUEST:HOST]...
//                                                         host sockets, unix only: listeners bind
//                                                         A.B.C.D (default 127.0.0.1); the app's
//                                                         port GUEST is the host's port HOST
//   --block [NAME=]FILE                                   a regular file as block storage
//
// NAME may be left out when the manifest has exactly one device of that kind. A NAME is
// [A-Za-z0-9_.-]{1,31}, as in unikit_app(... DEVICES NAME:KIND).
//
// Host code; compiled into hosted images too, so it uses no exceptions and no RTTI.
#pragma once

#include <array>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "common/manifest_reader.h"

namespace unikit::devargs {

enum class NetBackend { tap, user, socket };

struct Attachment {
    std::string name;   // the manifest device name; empty until match() fills it in
    uint32_t kind = 0;  // UK_DEV_NET or UK_DEV_BLOCK
    // net
    NetBackend backend = NetBackend::tap;
    std::string ifname;                      // tap: the interface name
    std::optional<std::array<uint8_t, 6>> mac;  // mac= option
    // socket: bind= (host address for listeners and UDP sockets bound to "any"; empty: the
    // default, 127.0.0.1) and map= port mappings (app port -> host port), in the order given.
    std::string bind;
    std::vector<std::pair<uint16_t, uint16_t>> port_map;
    // user: the inherited frame-socket descriptor (fd=N); -1 when not given (then only `unikit
    // run`, which starts the helper and fills it in, can use the attachment).
    int fd = -1;
    // block
    std::string path;
};

// "--net" or "--block": the flag that attaches a device of this kind.
const char* flag_for(uint32_t kind);
const char* backend_name(NetBackend b);

// True if `s` is a valid device name.
bool valid_name(std::string_view s);

// Parse the value of a --net / --block option. Errors are one phrase, e.g.
// "--net 'tap:': missing interface name after 'tap:'".
std::expected<Attachment, std::string> parse_net(std::string_view spec);
std::expected<Attachment, std::string> parse_block(std::string_view spec);
// parse_net or parse_block by kind.
std::expected<Attachment, std::string> parse(uint32_t kind, std::string_view spec);

// Parse a dotted-quad IPv4 address ("127.0.0.1"); the address in network order as 4 bytes.
std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s);

// Parse "02:00:00:aa:bb:cc" (also accepts '-' separators).
std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view s);
std::string format_mac(const std::array<uint8_t, 6>& mac);

// The canonical option value for an attachment (always with its name, once matched):
// "service=tap:tap0,mac=02:..", "storage=/tmp/disk.img". parse(kind, format(a)) == a.
std::string format(const Attachment& a);

// Check that `fd` (from `--net NAME=user,fd=N`) is an inherited frame socket (AF_UNIX,
// SOCK_SEQPACKET or SOCK_DGRAM), and make it non-blocking and close-on-exec. The error says what
// is wrong and how to get one ("run the image with `unikit run ... --net user`").
std::expected<void, std::string> adopt_frame_socket(int fd);

// A one-line explanation of why a TAP interface could not be attached (errno from opening
// /dev/net/tun or TUNSETIFF), with what to do about it.
// (Inline: the unix platform uses it without linking this library's sources in every test.)
inline std::string tap_error(const std::string& ifname, int err, bool opening_tun) {
    std::string s;
    if (opening_tun) {
        s = "cannot open /dev/net/tun: " + std::string(std::strerror(err));
        if (err == ENOENT) s += " (the TUN/TAP driver is missing: load the 'tun' module)";
        else if (err == EACCES || err == EPERM)
            s += " (TAP devices need root or CAP_NET_ADMIN; without root use --net user)";
        return s;
    }
    bool exists = access(("/sys/class/net/" + ifname).c_str(), F_OK) == 0;
    s = "cannot attach TAP interface '" + ifname + "': " + std::strerror(err);
    if (err == EPERM || err == EACCES) {
        s += exists ? " (it belongs to another user: create it for yours with `sudo unikit net create-tap " + ifname +
                          " --user $USER`, run as root, or use --net user)"
                    : " (it does not exist, and creating one needs root: `sudo unikit net create-tap " + ifname +
                          " --user $USER`, or use --net user)";
    } else if (err == EBUSY) {
        s += " (another process is attached to it, or it is not a TAP device)";
    } else if (err == EINVAL && exists) {
        s += " (an interface of that name exists but is not a TAP device)";
    }
    return s;
}

// Match attachments against the manifest's devices. Fills in the name of every unnamed
// attachment (allowed only when the manifest has exactly one device of that kind), then checks
// that every manifest device is attached exactly once with the right kind and nothing else is
// attached. The error names the device and says what to do, e.g.
//   "missing device 'service' (net): attach it with --net service=tap:IFNAME"
//   "unexpected device 'disk': the image's manifest names no such device (it names: service (net))"
std::expected<void, std::string> match(std::span<const ManifestDevice> wanted,
                                       std::vector<Attachment>& attached);

}  // namespace unikit::devargs
