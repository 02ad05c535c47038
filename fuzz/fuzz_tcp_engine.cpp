// The TCP engine fed arbitrary segments, user calls and clock jumps. The input is a program:
// each step picks an operation and its arguments from the next bytes. Sequence and ACK numbers
// are often taken relative to the live connection's state, so the fuzzer reaches deep states.
// Checks: every emitted segment is well formed (verifies with its checksum, payload <= MSS),
// timers never stay due after on_timer(now), buffers stay within their bounds.
//
// fuzz/CMakeLists.txt links only src/net/wire; the engine's sources are compiled into this
// translation unit (they depend on nothing else).
#include <array>
#include <vector>

#include "fuzz_common.h"
#include "net/tcp/connection.cpp"
#include "net/tcp/isn.cpp"
#include "net/tcp/stack.cpp"

using namespace unikit::net::tcp;
namespace wire = unikit::net::wire;
namespace fl = unikit::net::wire::tcp_flags;

namespace {

constexpr std::size_t kBuf = 4096;
const wire::Ipv4Addr kLocal{10, 0, 0, 1};
const wire::Ipv4Addr kRemote{10, 0, 0, 2};

struct Reader {
    const uint8_t* p;
    std::size_t n;
    bool empty() const { return n == 0; }
    uint8_t u8() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
    uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
};

struct Out final : TcpOutput {
    uint16_t mss = 0;
    void transmit(wire::Ipv4Addr src, wire::Ipv4Addr dst, std::span<const uint8_t> seg) override {
        std::span<const uint8_t> pl;
        auto r = wire::parse_tcp(seg, src, dst, &pl);
        FUZZ_CHECK(r);
        FUZZ_CHECK(pl.size() <= mss);
        FUZZ_CHECK(src == kLocal && dst == kRemote);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader in{data, size};
    static std::vector<uint8_t> mem(2 * 2 * kBuf);
    std::array<TcpConnection, 2> conns;
    for (std::size_t i = 0; i < conns.size(); ++i)
        new (&conns[i]) TcpConnection(std::span<uint8_t>(mem.data() + 2 * i * kBuf, kBuf),
                                      std::span<uint8_t>(mem.data() + (2 * i + 1) * kBuf, kBuf));
    std::array<TcpListener, 1> ls{};
    TcpConfig cfg;
    cfg.mss = 536;
    cfg.rto_min = 10_ms;
    cfg.rto_initial = 100_ms;
    cfg.msl = 1_s;
    cfg.keepalive_idle = 2_s;
    cfg.keepalive_interval = 100_ms;
    cfg.keepalive_probes = 2;
    cfg.nagle = (size & 1) != 0;
    cfg.fin_wait_2_timeout = 3_s;
    Out out;
    out.mss = cfg.mss;
    IsnSecret secret{};
    TcpStack stack(cfg, secret, conns, ls, out);
    Instant now = 1_s;
    const int li = *stack.listen(kLocal, 80, 1);
    (void)stack.connect(kLocal, 40000, kRemote, 7000, now);
    std::vector<uint8_t> buf(kBuf);

    for (int steps = 0; !in.empty() && steps < 4000; ++steps) {
        TcpConnection& c = conns[in.u8() & 1];
        const bool live = c.owner.in_use && c.state() != State::closed;
        switch (in.u8() % 9) {
            case 0:
            case 1:
            case 2: {  // a segment from the peer
                wire::TcpRepr r;
                if (live) {
                    r.src_port = c.tuple().remote_port;
                    r.dst_port = c.tuple().local_port;
                } else {
                    r.src_port = uint16_t(5000 + in.u8() % 4);
                    r.dst_port = (in.u8() & 1) ? 80 : 81;
                }
                r.flags = in.u8();
                r.window = in.u16();
                const uint8_t how = in.u8();
                r.seq = (live && (how & 1)) ? c.rcv_nxt() + uint32_t(int8_t(in.u8())) : in.u32();
                r.ack = (live && (how & 2)) ? (how & 4 ? c.snd_nxt() : c.snd_una()) + uint32_t(int8_t(in.u8()))
                                            : in.u32();
                if (how & 8) r.options.mss = in.u16();
                if (how & 16) r.options.window_scale = in.u8();
                if (how & 32) r.options.sack_permitted = true;
                if (how & 64) {
                    r.options.sack_count = in.u8() % 4;
                    for (int k = 0; k < r.options.sack_count; ++k)
                        r.options.sack[k] = {c.rcv_nxt() + in.u16(), c.rcv_nxt() + in.u16()};
                }
                const std::size_t len = in.u8() % 220;
                std::vector<uint8_t> payload(len);
                for (std::size_t i = 0; i < len; ++i) payload[i] = uint8_t(i);
                std::vector<uint8_t> seg(r.header_len() + len);
                if (r.emit(seg, payload, kRemote, kLocal)) stack.input(kRemote, kLocal, seg, now);
                break;
            }
            case 3: {  // raw bytes, sometimes with a correct checksum
                std::size_t len = std::min<std::size_t>(in.u8(), in.n);
                std::vector<uint8_t> seg(in.p, in.p + len);
                in.p += len;
                in.n -= len;
                if (seg.size() >= 20 && (len & 1)) wire::fill_tcp_checksum(seg, kRemote, kLocal);
                stack.input(kRemote, kLocal, seg, now);
                break;
            }
            case 4: {  // time passes
                now += Instant(in.u16()) * 100'000;
                stack.on_timer(now);
                FUZZ_CHECK(stack.next_deadline() > now);
                break;
            }
            case 5:
                if (live && c.owner.user_owned) {
                    std::size_t n = std::size_t(in.u8()) * 8;
                    for (std::size_t i = 0; i < n; ++i) buf[i] = uint8_t(i);
                    (void)c.send(std::span<const uint8_t>(buf.data(), n), now);
                }
                break;
            case 6:
                if (c.owner.user_owned) (void)c.recv(std::span<uint8_t>(buf.data(), in.u8() * 16u), now);
                break;
            case 7:
                if (c.owner.user_owned) {
                    switch (in.u8() % 3) {
                        case 0: c.close(now); break;
                        case 1: c.abort(now); break;
                        default: stack.release(&c, now); break;
                    }
                }
                break;
            case 8:
                if (!stack.accept(li)) (void)stack.connect(kLocal, 0, kRemote, uint16_t(7000 + in.u8() % 2), now);
                break;
        }
        for (auto& k : conns) {
            FUZZ_CHECK(k.recv_available() <= kBuf);
            FUZZ_CHECK(k.send_queued() <= kBuf);
        }
    }
    return 0;
}
