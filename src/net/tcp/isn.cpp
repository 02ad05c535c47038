#include "net/tcp/isn.h"

namespace unikit::net::tcp {

namespace {
constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
uint64_t load_le64(const uint8_t* p, std::size_t n) {
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
}
struct Sip {
    uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    void block(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};
}  // namespace

uint64_t siphash24(const IsnSecret& key, std::span<const uint8_t> data) {
    const uint64_t k0 = load_le64(key.data(), 8), k1 = load_le64(key.data() + 8, 8);
    Sip s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
          k1 ^ 0x7465646279746573ULL};
    const std::size_t full = data.size() / 8 * 8;
    for (std::size_t i = 0; i < full; i += 8) s.block(load_le64(data.data() + i, 8));
    const uint64_t last = (uint64_t(data.size() & 0xff) << 56) | load_le64(data.data() + full, data.size() - full);
    s.block(last);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint32_t make_isn(const IsnSecret& secret, std::span<const uint8_t, 4> local_ip, uint16_t local_port,
                  std::span<const uint8_t, 4> remote_ip, uint16_t remote_port, uint64_t now_ns) {
    std::array<uint8_t, 12> msg{};
    for (std::size_t i = 0; i < 4; ++i) {
        msg[i] = local_ip[i];
        msg[4 + i] = remote_ip[i];
    }
    msg[8] = uint8_t(local_port >> 8);
    msg[9] = uint8_t(local_port);
    msg[10] = uint8_t(remote_port >> 8);
    msg[11] = uint8_t(remote_port);
    const uint32_t f = uint32_t(siphash24(secret, msg));
    return f + uint32_t(now_ns / 4000);
}

}  // namespace unikit::net::tcp
