// The HTTP server over real TCP: net::TcpListener/TcpStream on host sockets (the unix target's
// `--net socket` backend) in one process, on the real platform and loop, serving the files
// unikit-kvbake baked from tests/kv/data. Clients: unikit's own TcpStream, and curl (when
// installed) running on a thread, which checks framing and gzip with an independent client.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <unikit/http.h>
#include <unikit/kv.h>
#include <unikit/loop.h>
#include <unikit/net.h>
#include <unikit/when.h>

#include "hostnet/hostnet.h"

using namespace unikit;
using namespace unikit::net;
using namespace std::chrono_literals;
namespace hn = unikit::unix_platform::hostnet;

namespace {

class HttpTcp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        static bool attached = false;
        if (attached) return;
        attached = true;
        hn::Config cfg;
        cfg.device = "service";
        ASSERT_TRUE(hn::attach(cfg));
        ASSERT_TRUE(use_device("service"));
    }
    void TearDown() override { EXPECT_EQ(hn::open_sockets(), 0u) << "a host socket leaked"; }
};

Task<std::string> read_until_close(TcpStream& s) {
    std::string out;
    uint8_t buf[4096];
    for (;;) {
        auto n = co_await s.read(buf);
        if (!n || *n == 0) co_return out;
        out.append(reinterpret_cast<char*>(buf), *n);
    }
}

std::string run_cmd(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return "<popen failed>";
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

}  // namespace

TEST_F(HttpTcp, KeepAlivePipelinedRequestsOverTcp) {
    http::Router router;
    router.files(&kv::baked());
    router.get("/status", [](const http::Request&, http::Response& res) { res.json().field("ok", true); });
    http::Server server(router);
    Loop loop;
    auto main = [&]() -> Task<void> {
        auto l = TcpListener::bind(0);
        EXPECT_TRUE(l);
        if (!l) co_return;
        uint16_t port = l->local().port;
        CancelSource stop;
        auto client = [&]() -> Task<void> {
            auto c = co_await TcpStream::connect(SocketAddr{Ipv4Addr::loopback(), port});
            EXPECT_TRUE(c);
            if (!c) co_return;
            EXPECT_TRUE(co_await c->write_all("GET /status HTTP/1.1\r\nHost: x\r\n\r\n"
                                              "HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                                              "GET /sub/page.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            std::string all = co_await read_until_close(*c);
            (void)co_await c->close();
            EXPECT_EQ(all.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << all;
            EXPECT_NE(all.find("{\"ok\":true}HTTP/1.1 200 OK\r\n"), std::string::npos) << all;
            EXPECT_NE(all.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
            EXPECT_TRUE(all.ends_with("\"nested\":{\"a\":true}}\n")) << all;
            stop.cancel();
        };
        spawn(client());
        auto r = co_await server.serve(*l, stop.token());
        EXPECT_EQ(r.error(), Error::cancelled);
        co_await sleep(50ms);  // let the connection task finish its close
    };
    loop.run(main());
    EXPECT_EQ(server.stats().requests, 3u);
    EXPECT_EQ(server.stats().connections_active, 0u);
}

TEST_F(HttpTcp, CurlFetchesGzipRangeAndConditional) {
    if (std::system("curl --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
    http::Router router;
    router.files(&kv::baked());
    http::Server server(router);
    auto notes = kv::baked().get("/sub/deeper/notes.txt");
    ASSERT_TRUE(notes);
    std::string notes_text(notes->data.begin(), notes->data.end());
    Loop loop;
    std::string plain, gz, range, headers, cond;
    auto main = [&]() -> Task<void> {
        auto l = TcpListener::bind(0);
        EXPECT_TRUE(l);
        if (!l) co_return;
        std::string url = "http://127.0.0.1:" + std::to_string(l->local().port);
        std::atomic<bool> done{false};
        std::thread t([&] {
            plain = run_cmd("curl -s " + url + "/sub/deeper/notes.txt");
            gz = run_cmd("curl -s --compressed " + url + "/sub/deeper/notes.txt");
            headers = run_cmd("curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' " + url + "/sub/deeper/notes.txt");
            range = run_cmd("curl -s -r 5-14 " + url + "/sub/deeper/notes.txt");
            cond = run_cmd("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + std::string(notes->etag) +
                           "' " + url + "/sub/deeper/notes.txt");
            done = true;
        });
        CancelSource stop;
        auto watcher = [&]() -> Task<void> {
            while (!done) co_await sleep(10ms);
            stop.cancel();
        };
        spawn(watcher());
        (void)co_await server.serve(*l, stop.token());
        t.join();
        co_await sleep(50ms);
    };
    loop.run(main());
    EXPECT_EQ(plain, notes_text);
    EXPECT_EQ(gz, notes_text);
    EXPECT_NE(headers.find("Content-Encoding: gzip\r\n"), std::string::npos) << headers;
    EXPECT_NE(headers.find("Content-Length: " + std::to_string(notes->gzip_size) + "\r\n"), std::string::npos) << headers;
    EXPECT_EQ(range, notes_text.substr(5, 10));
    EXPECT_EQ(cond, "304");
}
