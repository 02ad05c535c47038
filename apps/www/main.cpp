// www: the unikit web site and a 2048 game, baked into the image (unikit_app FILES site) and
// served over HTTP/1.1 by unikit's HTTP server, plus a JSON status page at /status.
//
//   unikit run apps/www --net service=socket,map=80:8080         unix, host sockets: 127.0.0.1:8080
//   unikit run apps/www --target spt --net service=tap:uk0 --ipv4 10.0.0.2/24
//   unikit run apps/www ... -- --port 8080                        another port than 80
//   unikit run apps/www ... -- --header-timeout-ms 1500 --max-connections 16   HTTP limits
//
// It logs "www: serving N files on http://A.B.C.D:PORT/" once the interface has an address.
// See docs/www.md.
#include <unikit/http.h>
#include <unikit/kv.h>
#include <unikit/net.h>
#include <unikit/unikit.h>

#include <charconv>
#include <string_view>

#include "rt/heap.h"

// The heap behind malloc/new in a freestanding image (src/rt/fs/malloc.cpp). The hosted flavour
// (unix) has no such heap and does not define the function: the weak reference is then null and
// /status leaves memory out.
namespace unikit::rt {
Heap* global_heap() __attribute__((weak));
}

namespace {

namespace http = unikit::http;
namespace net = unikit::net;

unikit::Logger lg{"www"};

size_t heap_in_use() {
    const unikit::rt::Heap* h = unikit::rt::global_heap();
    if (!h) return 0;
    auto s = h->stats();
    return s.capacity - s.free_bytes;
}

struct StatusContext {
    http::Server* server = nullptr;
    const unikit::kv::KvStore* files = nullptr;
};

void status(void* ctx, const http::Request&, http::Response& res) {
    auto& c = *static_cast<StatusContext*>(ctx);
    res.add_header("Cache-Control", "no-store");
    auto j = res.json();
    j.field("app", "www");
    c.server->status_fields(j);
    j.field("files", c.files->size());
    if (auto info = net::interface_info()) {
        j.begin_object("network");
        j.field("device", info->device);
        j.field("stack", info->host_sockets ? "host sockets" : "unikit");
        if (!info->host_sockets) j.field("address", info->address.to_text().view());
        j.end_object();
    }
    j.end();
}

int usage(std::string_view image) {
    unikit::println("usage: {} [--port N] [--max-connections N] [--header-timeout-ms MS] [--idle-timeout-ms MS]\n"
                    "       [--body-timeout-ms MS] [--write-timeout-ms MS] [--linger-timeout-ms MS]",
                    image);
    return 2;
}

// A whole decimal number in [lo, hi].
bool parse_number(std::string_view v, uint64_t lo, uint64_t hi, uint64_t& out) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && end == v.data() + v.size() && out >= lo && out <= hi;
}

// The app arguments that set http::Limits (defaults: the library's, see docs/http.md).
bool parse_limit(std::string_view flag, std::string_view v, http::Limits& l) {
    struct Timeout {
        std::string_view flag;
        unikit::Duration http::Limits::*field;
    };
    static constexpr Timeout timeouts[] = {
        {"--header-timeout-ms", &http::Limits::header_timeout}, {"--idle-timeout-ms", &http::Limits::idle_timeout},
        {"--body-timeout-ms", &http::Limits::body_timeout},     {"--write-timeout-ms", &http::Limits::write_timeout},
        {"--linger-timeout-ms", &http::Limits::linger_timeout},
    };
    uint64_t n = 0;
    for (const auto& t : timeouts) {
        if (flag != t.flag) continue;
        if (!parse_number(v, 1, 86400000, n)) return false;
        l.*t.field = std::chrono::milliseconds(n);
        return true;
    }
    if (flag == "--max-connections" && parse_number(v, 1, 4096, n)) {
        l.max_connections = n;
        return true;
    }
    return false;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    uint16_t port = 80;
    http::Limits limits;
    std::string_view image = args.empty() ? "www" : args[0];
    for (size_t i = 1; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (i + 1 >= args.size()) co_return usage(image);
        std::string_view v = args[++i];
        uint64_t n = 0;
        if (a == "--port") {
            if (!parse_number(v, 1, 65535, n)) co_return usage(image);
            port = uint16_t(n);
        } else if (!parse_limit(a, v, limits)) {
            co_return usage(image);
        }
    }

    const auto& files = unikit::kv::baked();
    http::Router router;
    http::Server server(router, limits);
    StatusContext ctx{&server, &files};
    router.get("/status", &status, &ctx);
    router.files(&files);
    if (unikit::rt::global_heap && unikit::rt::global_heap()) server.set_memory_hook(&heap_in_use);

    auto listener = net::TcpListener::bind(port);
    if (!listener) {
        lg.error("cannot listen on tcp port {}: {}", port, to_string(listener.error()));
        co_return 1;
    }
    auto info = co_await net::wait_configured();
    if (!info) {
        lg.error("no address: {}", to_string(info.error()));
        co_return 1;
    }
    if (info->host_sockets)
        lg.info("serving {} files on tcp port {} (host sockets)", files.size(), port);
    else
        lg.info("serving {} files on http://{}:{}/", files.size(), info->address.to_text().view(), port);
    auto r = co_await server.serve(*listener);
    lg.error("accept: {}", to_string(r.error()));
    co_return 1;
}
