// Host sockets behind the socket API (unix target, `--net NAME=socket`); see docs/networking.md,
// "Host sockets". The library OS finds the backend through the C hook uk_unix_hostnet_backend()
// (declared in src/net/socket/backend.h, defined in host_backend.cpp); the start code attaches a
// device with attach().
//
// Every socket is a non-blocking, close-on-exec host socket watched by the platform's uk_yield
// (fd_watch.h); waiting goes through the core's wait_readable(), so cancellation and with_timeout
// work as with any other wait, and no call ever blocks the process.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unikit/error.h>

#include "net/wire/addr.h"

namespace unikit::net::backend {
class NetBackend;
}

namespace unikit::unix_platform::hostnet {

struct Config {
    std::string device;                                    // the manifest's device name
    net::wire::Ipv4Addr bind = net::wire::Ipv4Addr::loopback();  // host address for listeners/UDP
    std::vector<std::pair<uint16_t, uint16_t>> port_map;   // (app port, host port)

    // The host port behind the app's port `p` (p itself when not mapped; 0 stays 0).
    uint16_t host_port(uint16_t p) const;
    // The app's port for host port `p` (the inverse mapping; p itself when not mapped).
    uint16_t app_port(uint16_t p) const;
};

// Offers host sockets for the net device `cfg.device`. Errors: one phrase (a device of that
// name already attached).
std::expected<void, std::string> attach(Config cfg);

// The backend for `device`, or nullptr when it was not attached with attach().
net::backend::NetBackend* backend_for(std::string_view device);

// Forget every attached device (tests). Sockets still open keep working; their backend object
// is kept alive until the process ends.
void detach_all();

// Number of host sockets currently open through the backends (tests: nothing leaks).
size_t open_sockets();

// How a host errno becomes a unikit::Error (see docs/networking.md, "Host sockets").
Error map_errno(int e);

}  // namespace unikit::unix_platform::hostnet
