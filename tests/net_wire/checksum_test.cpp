#include "net/wire/checksum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

using namespace unikit::net::wire;

namespace {

// Straightforward RFC 1071 reference: 16-bit big-endian words, 32-bit accumulator.
uint16_t reference_fold(std::span<const uint8_t> d) {
    uint64_t s = 0;
    for (size_t i = 0; i + 1 < d.size(); i += 2) s += uint32_t(d[i]) << 8 | d[i + 1];
    if (d.size() % 2) s += uint32_t(d.back()) << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

}  // namespace

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(fold(sum_partial(d)), 0xddf2);
    EXPECT_EQ(checksum(d), 0x220d);
}

TEST(Checksum, EmptyAndOddLength) {
    EXPECT_EQ(fold(sum_partial({})), 0);
    EXPECT_EQ(checksum({}), 0xffff);
    const uint8_t one[] = {0xab};
    EXPECT_EQ(fold(sum_partial(one)), 0xab00);
    const uint8_t three[] = {0x12, 0x34, 0x56};
    EXPECT_EQ(fold(sum_partial(three)), 0x1234 + 0x5600);
}

TEST(Checksum, KnownIpv4Header) {
    // A hand-made IPv4 header: 192.168.0.1 -> 192.168.0.199, TTL 64, UDP, total length 0x73,
    // id 0, DF. Its checksum (computed by hand: sum 0x479e -> ~ = 0xb861) is b861.
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(checksum(h), 0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    EXPECT_EQ(checksum(h), 0);
    EXPECT_EQ(fold(sum_partial(h)), 0xffff);
}

TEST(Checksum, AllOnesAndCarries) {
    std::vector<uint8_t> d(4096, 0xff);
    EXPECT_EQ(fold(sum_partial(d)), 0xffff);
    d.assign(65535, 0xff);  // odd: the last word is ff00
    EXPECT_EQ(fold(sum_partial(d)), reference_fold(d));
}

TEST(Checksum, MatchesReferenceRandomized) {
    std::mt19937 rng(1071);
    std::vector<uint8_t> buf(3000);
    for (auto& b : buf) b = uint8_t(rng());
    for (int iter = 0; iter < 2000; ++iter) {
        size_t off = rng() % 64;  // misaligned starts
        size_t len = rng() % (buf.size() - off);
        std::span<const uint8_t> d(buf.data() + off, len);
        ASSERT_EQ(fold(sum_partial(d)), reference_fold(d)) << "off " << off << " len " << len;
    }
}

TEST(Checksum, CombineEvenPieces) {
    std::mt19937 rng(7);
    std::vector<uint8_t> d(1001);
    for (auto& b : d) b = uint8_t(rng());
    for (size_t cut = 0; cut <= d.size(); cut += 2) {
        std::span<const uint8_t> all(d);
        uint32_t s = combine(sum_partial(all.first(cut)), sum_partial(all.subspan(cut)));
        ASSERT_EQ(fold(s), reference_fold(all));
        // initial argument chains the same way
        ASSERT_EQ(fold(sum_partial(all.subspan(cut), sum_partial(all.first(cut)))), reference_fold(all));
    }
}

TEST(Checksum, PseudoHeaderV4) {
    Ipv4Addr src{10, 0, 0, 1}, dst{10, 0, 0, 2};
    const uint8_t ph[] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0x01, 0x2c};
    EXPECT_EQ(fold(pseudo_header_sum_v4(src, dst, 17, 300)), reference_fold(ph));
}

TEST(Checksum, IncrementalUpdateEqualsRecompute) {
    std::mt19937 rng(1624);
    for (int iter = 0; iter < 20000; ++iter) {
        uint8_t h[20];
        for (auto& b : h) b = uint8_t(rng());
        // Sometimes extreme values to hit the 0x0000/0xffff corner cases.
        if (iter % 7 == 0)
            for (auto& b : h) b = (rng() & 1) ? 0xff : 0x00;
        h[10] = h[11] = 0;
        uint16_t ck = checksum(h);
        h[10] = uint8_t(ck >> 8);
        h[11] = uint8_t(ck);
        size_t w = (rng() % 10) * 2;
        if (w == 10) continue;  // the checksum field itself
        uint16_t old_word = uint16_t(h[w] << 8 | h[w + 1]);
        uint16_t new_word = (iter % 5 == 0) ? uint16_t((rng() & 1) ? 0xffff : 0) : uint16_t(rng());
        h[w] = uint8_t(new_word >> 8);
        h[w + 1] = uint8_t(new_word);
        uint16_t inc = checksum_update16(ck, old_word, new_word);
        h[10] = h[11] = 0;
        ASSERT_EQ(inc, checksum(h)) << "iter " << iter;
    }
}

TEST(Checksum, IncrementalUpdate32EqualsRecompute) {
    std::mt19937 rng(99);
    for (int iter = 0; iter < 20000; ++iter) {
        uint8_t h[20];
        for (auto& b : h) b = uint8_t(rng());
        h[10] = h[11] = 0;
        uint16_t ck = checksum(h);
        size_t w = 12 + (rng() % 2) * 4;  // source or destination address
        uint32_t old_v = uint32_t(h[w]) << 24 | uint32_t(h[w + 1]) << 16 | uint32_t(h[w + 2]) << 8 | h[w + 3];
        uint32_t new_v = uint32_t(rng());
        for (int i = 0; i < 4; ++i) h[w + i] = uint8_t(new_v >> (24 - 8 * i));
        ASSERT_EQ(checksum_update32(ck, old_v, new_v), checksum(h)) << "iter " << iter;
    }
}

TEST(Checksum, TtlDecrementUpdate) {
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    uint16_t old_word = uint16_t(h[8] << 8 | h[9]);
    h[8] -= 1;
    uint16_t new_word = uint16_t(h[8] << 8 | h[9]);
    uint16_t ck = checksum_update16(0xb861, old_word, new_word);
    h[10] = uint8_t(ck >> 8);
    h[11] = uint8_t(ck);
    EXPECT_EQ(checksum(h), 0);
}
