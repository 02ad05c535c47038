// www: the unikit web site and a 2048 game, baked into the image (unikit_app FILES site) and
// served over HTTP/1.1 by unikit's HTTP server, plus a JSON status page at /status.
//
//   unikit run apps/www --net service=socket,map=80:8080         unix, host sockets: 127.0.0.1:8080
//   unikit run apps/www --target spt --net service=tap:uk0 --ipv4 10.0.0.2/24
//   unikit run apps/www ... -- --port 8080                        another port than 80
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
    unikit::println("usage: {} [--port N]", image);
    return 2;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    uint16_t port = 80;
    std::string_view image = args.empty() ? "www" : args[0];
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

    const auto& files = unikit::kv::baked();
    http::Router router;
    http::Server server(router);
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
