// RFC 1071 Internet checksum, 8 bytes per step.
//
// The one's-complement sum is byte-order independent (RFC 1071 section 2(B)): we add native
// 64-bit loads with end-around carry, fold to 16 bits and swap the result to big-endian order
// on little-endian machines.
#include "net/wire/checksum.h"

#include <bit>
#include <cstring>

namespace unikit::net::wire {

namespace {

inline uint64_t add_carry(uint64_t acc, uint64_t x) {
    acc += x;
    return acc + (acc < x);
}

inline uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

}  // namespace

uint32_t sum_partial(std::span<const uint8_t> data, uint32_t initial) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    // Two accumulators break the carry dependency chain.
    uint64_t a = 0, b = 0;
    while (n >= 32) {
        a = add_carry(a, load64(p));
        b = add_carry(b, load64(p + 8));
        a = add_carry(a, load64(p + 16));
        b = add_carry(b, load64(p + 24));
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        a = add_carry(a, load64(p));
        p += 8;
        n -= 8;
    }
    if (n) {
        // The tail starts at an even offset; zero-padding it on the right pads the last
        // (possibly odd) byte as RFC 1071 requires, in either byte order.
        uint64_t t = 0;
        std::memcpy(&t, p, n);
        b = add_carry(b, t);
    }
    uint64_t s = add_carry(a, b);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    uint16_t f = fold(uint32_t(s));
    if constexpr (std::endian::native == std::endian::little) f = uint16_t(f >> 8 | f << 8);
    return combine(initial, f);
}

uint16_t checksum(std::span<const uint8_t> data) { return finish(sum_partial(data)); }

}  // namespace unikit::net::wire
