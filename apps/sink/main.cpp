// sink: counts what TCP clients send to port 9 and, when a client ends its direction (FIN),
// answers with one line "<bytes> <fnv1a64 hex>\n" and closes. Concurrent clients are fine.
//
//   unikit run apps/sink --net service=tap:tap0 --ipv4 10.0.0.2/24
//   head -c 50M /dev/urandom | tee >(...) | nc -N 10.0.0.2 9     -> "52428800 8f3a...\n"
//
// FNV-1a 64: h = 0xcbf29ce484222325; for each byte: h ^= b; h *= 0x100000001b3. Printed as 16
// lowercase hex digits. tests/net_interop/fnv1a64.py computes the same on the Linux side.
#include <unikit/net.h>
#include <unikit/unikit.h>

#include <charconv>
#include <string_view>

namespace {

unikit::Logger lg{"sink"};

// FNV-1a 64 over `data`, continuing from `h`. A plain function with the state in locals: inside
// the coroutine the compiler kept `h` and the index in the coroutine frame and stored both for
// every byte. The result is the same; tests/net_interop/sinkclient.cpp has the same loop.
[[gnu::noinline]] uint64_t fnv1a64(uint64_t h, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

unikit::Task<void> serve(unikit::net::TcpStream s) {
    auto peer = s.peer();
    static uint8_t buf[65536];  // contents are never looked at again: one buffer serves everyone
    uint64_t total = 0;
    uint64_t h = 0xcbf29ce484222325ull;
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n) {
            lg.warn("{}:{}: {} after {} bytes", peer.ip.to_text().view(), peer.port, to_string(n.error()), total);
            co_return;
        }
        if (*n == 0) break;
        h = fnv1a64(h, buf, *n);
        total += *n;
    }
    char line[64];
    char* p = line;
    auto r = std::to_chars(p, line + sizeof line, total);
    p = r.ptr;
    *p++ = ' ';
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) *p++ = hex[(h >> (4 * i)) & 0xf];
    *p++ = '\n';
    (void)co_await s.write_all(std::string_view(line, static_cast<size_t>(p - line)));
    (void)co_await s.close();
    lg.info("{}:{}: {} bytes, fnv1a64 {}", peer.ip.to_text().view(), peer.port, total,
            std::string_view(line, static_cast<size_t>(p - line - 1)).substr(std::string_view(line).find(' ') + 1));
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    uint16_t port = 9;
    if (args.size() == 3 && std::string_view(args[1]) == "--port") {
        std::string_view v = args[2];
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
        if (ec != std::errc() || port == 0) {
            unikit::println("usage: {} [--port N]", args[0]);
            co_return 2;
        }
    } else if (args.size() > 1) {
        unikit::println("usage: {} [--port N]", args[0]);
        co_return 2;
    }
    auto listener = unikit::net::TcpListener::bind(port);
    if (!listener) {
        lg.error("cannot listen on tcp port {}: {}", port, to_string(listener.error()));
        co_return 1;
    }
    auto info = co_await unikit::net::wait_configured();
    if (!info) co_return 1;
    lg.info("listening on {}:{}", info->address.to_text().view(), port);
    for (;;) {
        auto s = co_await listener->accept();
        if (!s) {
            lg.error("accept: {}", to_string(s.error()));
            co_return 1;
        }
        unikit::spawn(serve(std::move(*s)));
    }
}
