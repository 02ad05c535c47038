// echo: TCP echo and UDP echo on port 7 (RFC 862), many connections at once.
//
//   unikit run apps/echo --net service=tap:tap0 --ipv4 10.0.0.2/24
//   unikit run apps/echo --net service=tap:tap0 --ipv4 dhcp
//   unikit run apps/echo -- --port 7007            (another port)
//
// It logs "echo: listening on A.B.C.D:7 (tcp, udp)" once the interface has an address, and one
// line per connection at debug level (--log echo=debug).
#include <unikit/net.h>
#include <unikit/unikit.h>

#include <charconv>
#include <string_view>

namespace {

unikit::Logger lg{"echo"};

unikit::Task<void> serve(unikit::net::TcpStream s) {
    auto peer = s.peer();
    UK_LOG(lg, debug, "tcp connection from {}:{}", peer.ip.to_text().view(), peer.port);
    uint8_t buf[16384];
    uint64_t total = 0;
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n) {
            UK_LOG(lg, debug, "read from {}:{}: {}", peer.ip.to_text().view(), peer.port, to_string(n.error()));
            co_return;
        }
        if (*n == 0) break;
        total += *n;
        auto w = co_await s.write_all(std::span<const uint8_t>(buf, *n));
        if (!w) co_return;
    }
    (void)co_await s.close();
    UK_LOG(lg, debug, "tcp connection from {}:{} done, {} bytes", peer.ip.to_text().view(), peer.port, total);
}

unikit::Task<void> udp_echo(unikit::net::UdpSocket u) {
    uint8_t buf[2048];
    for (;;) {
        auto d = co_await u.recv_from(buf);
        if (!d) {
            lg.error("udp: {}", to_string(d.error()));
            co_return;
        }
        (void)u.send_to(std::span<const uint8_t>(buf, d->size), d->from);
    }
}

int usage(std::string_view image) {
    unikit::println("usage: {} [--port N]", image);
    return 2;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    uint16_t port = 7;
    std::string_view image = args.empty() ? "echo" : args[0];
    for (size_t i = 1; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--port" && i + 1 < args.size()) {
            std::string_view v = args[++i];
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
            if (ec != std::errc() || end != v.data() + v.size() || port == 0) co_return usage(image);
        } else {
            co_return usage(image);
        }
    }
    auto listener = unikit::net::TcpListener::bind(port);
    if (!listener) {
        lg.error("cannot listen on tcp port {}: {}", port, to_string(listener.error()));
        co_return 1;
    }
    auto udp = unikit::net::UdpSocket::bind(port);
    if (!udp) {
        lg.error("cannot bind udp port {}: {}", port, to_string(udp.error()));
        co_return 1;
    }
    auto info = co_await unikit::net::wait_configured();
    if (!info) {
        lg.error("no address: {}", to_string(info.error()));
        co_return 1;
    }
    lg.info("listening on {}:{} (tcp, udp)", info->address.to_text().view(), port);
    unikit::spawn(udp_echo(std::move(*udp)));
    for (;;) {
        auto s = co_await listener->accept();
        if (!s) {
            lg.error("accept: {}", to_string(s.error()));
            co_return 1;
        }
        unikit::spawn(serve(std::move(*s)));
    }
}
