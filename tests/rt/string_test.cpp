// mem*/str* of src/rt against the host libc, over many sizes, alignments and overlaps.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "rt/string.h"

namespace {

std::vector<unsigned char> pattern(size_t n, unsigned seed) {
    std::vector<unsigned char> v(n);
    std::mt19937 r(seed);
    for (auto& c : v) c = static_cast<unsigned char>(r());
    return v;
}

int sign(int v) { return (v > 0) - (v < 0); }

TEST(RtString, MemcpyAllSizesAndAlignments) {
    for (size_t n = 0; n <= 300; ++n) {
        for (size_t da = 0; da < 8; ++da) {
            for (size_t sa = 0; sa < 8; ++sa) {
                auto src = pattern(n + 16, static_cast<unsigned>(n * 64 + da * 8 + sa));
                std::vector<unsigned char> got(n + 32, 0xAA), want(n + 32, 0xAA);
                void* r = uk_memcpy(got.data() + da + 8, src.data() + sa, n);
                std::memcpy(want.data() + da + 8, src.data() + sa, n);
                ASSERT_EQ(r, got.data() + da + 8);
                ASSERT_EQ(got, want) << "n=" << n << " da=" << da << " sa=" << sa;
            }
        }
    }
}

TEST(RtString, MemcpyLarge) {
    for (size_t n : {4095u, 4096u, 65537u, 1u << 20}) {
        auto src = pattern(n + 3, static_cast<unsigned>(n));
        std::vector<unsigned char> got(n + 3);
        uk_memcpy(got.data() + 3, src.data(), n);
        ASSERT_EQ(0, std::memcmp(got.data() + 3, src.data(), n));
    }
}

TEST(RtString, MemmoveEveryOverlap) {
    // Source and destination inside one buffer, at every relative offset in both directions.
    for (size_t n : {0u, 1u, 2u, 3u, 5u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 100u, 257u, 1000u}) {
        for (size_t so = 0; so < 70; so += 1) {
            for (size_t dof = 0; dof < 70; dof += (n > 100 ? 7 : 1)) {
                auto base = pattern(n + 80, static_cast<unsigned>(n + so * 131 + dof));
                auto got = base, want = base;
                uk_memmove(got.data() + dof, got.data() + so, n);
                std::memmove(want.data() + dof, want.data() + so, n);
                ASSERT_EQ(got, want) << "n=" << n << " src=" << so << " dst=" << dof;
            }
        }
    }
}

TEST(RtString, Memset) {
    for (size_t n = 0; n <= 200; ++n) {
        for (size_t a = 0; a < 8; ++a) {
            std::vector<unsigned char> got(n + 24, 0x11), want(n + 24, 0x11);
            uk_memset(got.data() + 8 + a, 0x1C0 + static_cast<int>(n), n);  // only the low byte counts
            std::memset(want.data() + 8 + a, 0x1C0 + static_cast<int>(n), n);
            ASSERT_EQ(got, want) << n << " " << a;
        }
    }
}

TEST(RtString, MemcmpSignAndPosition) {
    for (size_t n = 0; n <= 80; ++n) {
        auto a = pattern(n + 8, static_cast<unsigned>(n));
        for (size_t off = 0; off < 8; ++off) {
            std::vector<unsigned char> x(a.begin() + off, a.begin() + off + n);
            auto y = x;
            EXPECT_EQ(0, uk_memcmp(x.data(), y.data(), n));
            for (size_t i = 0; i < n; ++i) {
                for (int delta : {1, -1, 0x80}) {
                    auto z = y;
                    z[i] = static_cast<unsigned char>(z[i] + delta);
                    ASSERT_EQ(sign(std::memcmp(x.data(), z.data(), n)), sign(uk_memcmp(x.data(), z.data(), n)))
                        << "n=" << n << " i=" << i << " delta=" << delta;
                }
            }
        }
    }
}

TEST(RtString, MemchrFindsFirst) {
    for (size_t n = 0; n <= 70; ++n) {
        std::vector<unsigned char> v(n, 'a');
        EXPECT_EQ(nullptr, uk_memchr(v.data(), 'b', n));
        for (size_t i = 0; i < n; ++i) {
            auto w = v;
            w[i] = 0xFE;
            if (i + 3 < n) w[i + 3] = 0xFE;
            EXPECT_EQ(w.data() + i, uk_memchr(w.data(), 0x1FE, n)) << n << " " << i;  // low byte only
        }
    }
}

TEST(RtString, StrlenAllAlignments) {
    std::vector<char> buf(600);
    for (size_t a = 0; a < 16; ++a) {
        for (size_t len = 0; len < 300; ++len) {
            char* s = buf.data() + a;
            std::memset(s, 'x', len);
            s[len] = 0;
            ASSERT_EQ(len, uk_strlen(s));
            ASSERT_EQ(std::min<size_t>(len, 7), uk_strnlen(s, 7));
            ASSERT_EQ(len, uk_strnlen(s, 1000));
        }
    }
    // High bytes are not zero bytes.
    const char hi[] = "\x80\x81\xff\x7f\x01\x80\x80\x80\x80\x80";
    EXPECT_EQ(10u, uk_strlen(hi));
}

TEST(RtString, StrcmpFamily) {
    const char* words[] = {"", "a", "ab", "abc", "abd", "b", "\xff", "abc\xff", "Abc"};
    for (const char* x : words) {
        for (const char* y : words) {
            EXPECT_EQ(sign(std::strcmp(x, y)), sign(uk_strcmp(x, y))) << x << " vs " << y;
            for (size_t n = 0; n < 6; ++n)
                EXPECT_EQ(sign(std::strncmp(x, y, n)), sign(uk_strncmp(x, y, n))) << x << " vs " << y << " n=" << n;
        }
    }
}

TEST(RtString, StrchrStrrchrStrcpy) {
    const char* s = "hello, world";
    EXPECT_EQ(s + 2, uk_strchr(s, 'l'));
    EXPECT_EQ(s + 10, uk_strrchr(s, 'l'));
    EXPECT_EQ(nullptr, uk_strchr(s, 'z'));
    EXPECT_EQ(s + 12, uk_strchr(s, 0));
    EXPECT_EQ(s + 12, uk_strrchr(s, 0));
    char buf[16];
    std::memset(buf, 'q', sizeof buf);
    EXPECT_EQ(buf, uk_strcpy(buf, "abc"));
    EXPECT_STREQ("abc", buf);
    uk_strncpy(buf, "xy", 6);
    EXPECT_EQ(0, std::memcmp(buf, "xy\0\0\0\0q", 7));
}

}  // namespace
