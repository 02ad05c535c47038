// Test harness: a TcpStack whose output is captured and parsed back, and helpers to hand-make
// segments from "the peer".
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "net/tcp/stack.h"
#include "net/wire/tcp.h"

namespace unikit::net::tcp::test {

namespace f = wire::tcp_flags;

struct Out {
    Ipv4Addr src, dst;
    wire::TcpRepr h;
    std::vector<uint8_t> payload;
    bool has(uint8_t fl) const { return h.has(fl); }
};

class Capture final : public TcpOutput {
public:
    void transmit(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) override {
        std::span<const uint8_t> payload;
        auto r = wire::parse_tcp(segment, src, dst, &payload);
        EXPECT_TRUE(r.has_value()) << "stack emitted an invalid segment";
        if (!r) return;
        segs.push_back({src, dst, *r, std::vector<uint8_t>(payload.begin(), payload.end())});
    }
    std::deque<Out> segs;
    Out pop() {
        EXPECT_FALSE(segs.empty()) << "expected a segment";
        if (segs.empty()) return {};
        Out o = segs.front();
        segs.pop_front();
        return o;
    }
};

inline const Ipv4Addr kLocal{10, 0, 0, 1};
inline const Ipv4Addr kRemote{10, 0, 0, 2};

// A stack with `n` connection slots of `buf` bytes per direction.
struct Rig {
    explicit Rig(TcpConfig c = test_config(), std::size_t n = 8, std::size_t buf = 65536) : cfg(c) {
        storage.resize(n * 2 * buf);
        conns = std::make_unique<TcpConnection[]>(n);
        for (std::size_t i = 0; i < n; ++i)
            new (&conns[i]) TcpConnection(std::span<uint8_t>(storage.data() + 2 * i * buf, buf),
                                          std::span<uint8_t>(storage.data() + (2 * i + 1) * buf, buf));
        IsnSecret secret{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        stack = std::make_unique<TcpStack>(cfg, secret, std::span<TcpConnection>(conns.get(), n),
                                           std::span<TcpListener>(listeners), out);
    }
    static TcpConfig test_config() {
        TcpConfig c;
        c.rto_min = 200_ms;
        return c;
    }

    // Deliver a segment from the peer (remote:rport -> local:lport).
    void peer(uint16_t rport, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window = 65535,
              std::vector<uint8_t> payload = {}, wire::TcpOptions opts = {}) {
        wire::TcpRepr r;
        r.src_port = rport;
        r.dst_port = lport;
        r.seq = seq;
        r.ack = ack;
        r.flags = flags;
        r.window = window;
        r.options = opts;
        std::vector<uint8_t> buf(r.header_len() + payload.size());
        auto n = r.emit(buf, payload, kRemote, kLocal);
        ASSERT_TRUE(n.has_value());
        stack->input(kRemote, kLocal, buf, now);
    }
    void advance_to(Instant t) {
        now = t;
        stack->on_timer(now);
    }
    // Run timers until `t`, one deadline at a time.
    void run_until(Instant t) {
        for (;;) {
            Instant d = stack->next_deadline();
            if (d > t) break;
            now = std::max(now, d);
            stack->on_timer(now);
        }
        now = t;
    }

    TcpConfig cfg;
    std::vector<uint8_t> storage;
    std::unique_ptr<TcpConnection[]> conns;
    std::array<TcpListener, 4> listeners{};
    Capture out;
    std::unique_ptr<TcpStack> stack;
    Instant now = 1_s;
};

inline std::vector<uint8_t> bytes(std::size_t n, uint8_t start = 0) {
    std::vector<uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = uint8_t(start + i);
    return v;
}

}  // namespace unikit::net::tcp::test
