// libFuzzer target: one HTTP connection (src/http/connection.cpp) fed arbitrary bytes in
// arbitrary pieces, with a small file store and a dynamic route, driven like the server's I/O
// loop drives it (reads, writes, timeouts). Checks: every response starts with a status line,
// the state machine always asks for something sensible, and it ends.
#include <cstddef>
#include <cstring>
#include <new>

// clang 14 does not declare sized deallocation without -fsized-deallocation, which task.h's
// frame allocator uses; the definition is in the C++ runtime library.
void operator delete(void*, std::size_t) noexcept;
#include <string>

#include "../src/http/connection.cpp"
#include "../src/http/parse.cpp"
#include "../src/http/response.cpp"
#include "../src/kv/baked_default.cpp"
#include "../src/kv/store.cpp"
#include "fuzz_common.h"

// The platform and core pieces connection.cpp needs.
extern "C" uk_time_ns uk_clock_wall(void) { return 1'700'000'000'000'000'000ull; }
extern "C" uk_time_ns uk_clock_monotonic(void) { return 0; }
namespace unikit {
Duration uptime() noexcept { return Duration(0); }
}  // namespace unikit

using namespace unikit;
using namespace unikit::http;

namespace {

class Store final : public kv::KvStore {
public:
    Result<kv::KvEntry> get(std::string_view key) const override {
        if (key != "/index.html" && key != "/a.txt") return fail(Error::not_found);
        return at(key == "/a.txt" ? 1 : 0);
    }
    size_t size() const override { return 2; }
    Result<kv::KvEntry> at(size_t i) const override {
        static const char kIndex[] = "<html>index</html>";
        static const char kGz[] = "gzipped";
        static const char kText[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        kv::KvEntry e;
        if (i == 0) {
            e.key = "/index.html";
            e.data = {reinterpret_cast<const uint8_t*>(kIndex), sizeof kIndex - 1};
            e.gzip_data = {reinterpret_cast<const uint8_t*>(kGz), sizeof kGz - 1};
            e.gzip_size = e.gzip_data.size();
            e.gzip_etag = "\"i-gz\"";
            e.etag = "\"i\"";
        } else {
            e.key = "/a.txt";
            e.data = {reinterpret_cast<const uint8_t*>(kText), sizeof kText - 1};
            e.etag = "\"a\"";
        }
        e.size = e.data.size();
        e.content_type = "text/plain";
        e.modified = 784111777;
        return e;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    static Store store;
    static Router router = [] {
        Router r;
        r.files(&store);
        r.get("/dyn", [](const Request& req, Response& res) {
            auto j = res.json();
            j.field("path", req.path);
            j.field("n", req.headers.size());
        });
        r.post("/echo", [](const Request& req, Response& res) { res.write(req.body); });
        return r;
    }();
    Limits lim;
    lim.max_header_bytes = 512;
    lim.max_request_line = 128;
    lim.max_body = 64;
    lim.max_headers = 8;
    lim.response_buffer = 256;
    Server server(router, lim);
    std::string mem(Connection::memory_size(lim) + 16, '\0');
    auto* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(mem.data()) + 15) & ~uintptr_t(15));
    TimePoint t{};
    Connection c(server, std::span<uint8_t>(base, Connection::memory_size(lim)), t);

    const uint8_t piece = 1 + data[0] % 32;  // read size
    const uint8_t timeout_after = data[1];   // reads before a timeout is injected
    size_t pos = 2;
    std::string out;
    for (int steps = 0; steps < 100000; ++steps) {
        Connection::Action a = c.next(t);
        if (a == Connection::Action::close || a == Connection::Action::linger_close) break;
        if (a == Connection::Action::write) {
            auto h = c.out_head();
            FUZZ_CHECK(!h.empty());
            std::string head(reinterpret_cast<const char*>(h.data()), h.size());
            FUZZ_CHECK(head.rfind("HTTP/1.1 ", 0) == 0);
            FUZZ_CHECK(head.find("\r\n\r\n") != std::string::npos);
            c.on_written(t);
            continue;
        }
        // read
        FUZZ_CHECK(!c.read_space().empty());
        if (steps == timeout_after || pos >= size) {
            if (pos >= size && steps % 2) {
                c.on_read(0, t);
                continue;
            }
            t = c.read_deadline();
            c.on_read_timeout(t);
            if (pos >= size) {
                // After a timeout the connection must be closing or answering 408.
                Connection::Action n = c.next(t);
                FUZZ_CHECK(n != Connection::Action::read);
            }
            continue;
        }
        size_t n = std::min({size_t(piece), size - pos, c.read_space().size()});
        std::memcpy(c.read_space().data(), data + pos, n);
        pos += n;
        t += std::chrono::milliseconds(1);
        c.on_read(n, t);
    }
    return 0;
}
