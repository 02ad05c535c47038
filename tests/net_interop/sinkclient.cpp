// sinkclient: the Linux side of the transfer tests and bench/tcp.sh.
//
//   sinkclient send HOST PORT BYTES [SEED]   connects, sends BYTES pseudo-random bytes (xorshift64
//                                            from SEED), shuts down its direction, reads the
//                                            reply "<bytes> <fnv1a64>" and checks it. Prints
//                                            "ok BYTES HASH SECONDS MBIT" (exit 0) or why not (1).
//   sinkclient serve PORT                    a Linux sink with the same protocol as apps/sink
//                                            (one connection at a time), for comparisons.
// FNV-1a 64 as in apps/sink.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint64_t fnv(uint64_t h, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
constexpr uint64_t kFnvInit = 0xcbf29ce484222325ull;

int do_send(const char* host, int port, uint64_t bytes, uint64_t seed) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        std::fprintf(stderr, "sinkclient: bad address %s\n", host);
        return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::fprintf(stderr, "sinkclient: connect %s:%d: %s\n", host, port, std::strerror(errno));
        return 1;
    }
    std::vector<uint8_t> buf(256 * 1024);
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ull;
    uint64_t h = kFnvInit, sent = 0;
    while (sent < bytes) {
        size_t n = buf.size() < bytes - sent ? buf.size() : static_cast<size_t>(bytes - sent);
        for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(&buf[i], &x, 8);
        }
        h = fnv(h, buf.data(), n);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(fd, buf.data() + off, n - off);
            if (w < 0) {
                if (errno == EINTR) continue;
                std::fprintf(stderr, "sinkclient: write after %" PRIu64 " bytes: %s\n", sent + off, std::strerror(errno));
                return 1;
            }
            off += static_cast<size_t>(w);
        }
        sent += n;
    }
    shutdown(fd, SHUT_WR);
    std::string reply;
    char rb[256];
    for (;;) {
        ssize_t r = read(fd, rb, sizeof rb);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        reply.append(rb, static_cast<size_t>(r));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    close(fd);
    char want[64];
    std::snprintf(want, sizeof want, "%" PRIu64 " %016" PRIx64 "\n", bytes, h);
    if (reply != want) {
        std::fprintf(stderr, "sinkclient: reply '%s' does not match what was sent: '%s'\n", reply.c_str(), want);
        return 1;
    }
    std::printf("ok %" PRIu64 " %016" PRIx64 " %.3f %.1f\n", bytes, h, secs, bytes * 8.0 / secs / 1e6);
    return 0;
}

int do_serve(int port) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 16) != 0) {
        std::fprintf(stderr, "sinkclient: listen %d: %s\n", port, std::strerror(errno));
        return 1;
    }
    std::printf("listening on %d\n", port);
    std::fflush(stdout);
    std::vector<uint8_t> buf(256 * 1024);
    for (;;) {
        int fd = accept(l, nullptr, nullptr);
        if (fd < 0) continue;
        uint64_t h = kFnvInit, total = 0;
        for (;;) {
            ssize_t r = read(fd, buf.data(), buf.size());
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            h = fnv(h, buf.data(), static_cast<size_t>(r));
            total += static_cast<uint64_t>(r);
        }
        char line[64];
        int n = std::snprintf(line, sizeof line, "%" PRIu64 " %016" PRIx64 "\n", total, h);
        (void)!write(fd, line, static_cast<size_t>(n));
        close(fd);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 5 && std::strcmp(argv[1], "send") == 0)
        return do_send(argv[2], std::atoi(argv[3]), std::strtoull(argv[4], nullptr, 10),
                       argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1);
    if (argc == 3 && std::strcmp(argv[1], "serve") == 0) return do_serve(std::atoi(argv[2]));
    std::fprintf(stderr, "usage: sinkclient send HOST PORT BYTES [SEED] | sinkclient serve PORT\n");
    return 2;
}
