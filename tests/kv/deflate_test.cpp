// The DEFLATE/gzip encoder of unikit-kvbake: round trips through an independent decoder
// (tests/kv/inflate.h) and through the system's gzip, code length limits, CRC-32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <unistd.h>

#include "deflate.h"
#include "kv/inflate.h"

using namespace unikit::kvbake;

namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

void expect_round_trip(const std::vector<uint8_t>& in) {
    auto raw = deflate(in);
    auto back = testinflate::inflate(raw);
    ASSERT_TRUE(back.has_value()) << "inflate failed, size " << in.size();
    EXPECT_EQ(*back, in);
    auto gz = gzip(in);
    auto back2 = testinflate::gunzip(gz);
    ASSERT_TRUE(back2.has_value());
    EXPECT_EQ(*back2, in);
    uint32_t crc = gz[gz.size() - 8] | gz[gz.size() - 7] << 8 | gz[gz.size() - 6] << 16 | uint32_t(gz[gz.size() - 5]) << 24;
    EXPECT_EQ(crc, crc32(in));
}

// Runs `gzip -dc` on data; nullopt if gzip cannot be run.
std::optional<std::vector<uint8_t>> system_gunzip(const std::vector<uint8_t>& gz) {
    char path[] = "/tmp/kvbake_test_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return std::nullopt;
    if (write(fd, gz.data(), gz.size()) != ssize_t(gz.size())) return std::nullopt;
    close(fd);
    std::string cmd = std::string("gzip -dc < ") + path + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::vector<uint8_t> out;
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.insert(out.end(), buf, buf + n);
    int status = pclose(p);
    unlink(path);
    if (status != 0) return std::nullopt;
    return out;
}

bool have_gzip() { return std::system("gzip --version >/dev/null 2>&1") == 0; }

std::vector<uint8_t> text_corpus(size_t n, uint32_t seed) {
    static const char* words[] = {"unikit ", "kernel ", "<div class=\"tile\">", "</div>\n", "function ",
                                  "return ", "2048 ", "grid ", "{\"a\":", "}, ", "0.5;", "\n"};
    std::mt19937 rng(seed);
    std::vector<uint8_t> v;
    while (v.size() < n) {
        const char* w = words[rng() % 12];
        v.insert(v.end(), w, w + strlen(w));
    }
    v.resize(n);
    return v;
}

}  // namespace

TEST(Crc32, KnownValues) {
    EXPECT_EQ(crc32(bytes("")), 0u);
    EXPECT_EQ(crc32(bytes("123456789")), 0xCBF43926u);
    EXPECT_EQ(crc32(bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
}

TEST(Deflate, EmptyInput) {
    expect_round_trip({});
    EXPECT_EQ(gzip({}).size(), 20u);  // 10 header + 2 block + 8 trailer
}

TEST(Deflate, SmallInputs) {
    for (std::string s : {"a", "ab", "abc", "aaaa", "abcabcabcabc", "hello, hello, hello world"}) expect_round_trip(bytes(s));
}

TEST(Deflate, LongRunsAndMaximalMatches) {
    expect_round_trip(std::vector<uint8_t>(100000, 'x'));
    std::vector<uint8_t> v;
    for (int i = 0; i < 70000; ++i) v.push_back(uint8_t(i % 251));
    expect_round_trip(v);
    EXPECT_LT(deflate(std::vector<uint8_t>(100000, 'x')).size(), 200u);
}

TEST(Deflate, RandomBytesFallBackToStoredBlocks) {
    std::mt19937 rng(7);
    std::vector<uint8_t> v(200000);
    for (auto& b : v) b = uint8_t(rng());
    expect_round_trip(v);
    // Incompressible: stored blocks cost 5 bytes per block (at most 32 Ki symbols each).
    EXPECT_LE(deflate(v).size(), v.size() + 5 * (v.size() / 32768 + 1));
}

TEST(Deflate, TextCompressesAndRoundTripsAcrossManyBlocks) {
    for (uint32_t seed = 1; seed <= 5; ++seed) {
        auto v = text_corpus(300000 + seed * 777, seed);
        expect_round_trip(v);
        EXPECT_LT(deflate(v).size(), v.size() / 3);
    }
}

TEST(Deflate, MixedRandomInputsOfEverySize) {
    std::mt19937 rng(42);
    for (int round = 0; round < 300; ++round) {
        size_t n = rng() % 3000;
        std::vector<uint8_t> v(n);
        unsigned alphabet = 1 + rng() % 256;
        for (auto& b : v) b = uint8_t(rng() % alphabet);
        expect_round_trip(v);
    }
}

TEST(Deflate, Deterministic) {
    auto v = text_corpus(50000, 3);
    EXPECT_EQ(gzip(v), gzip(v));
}

TEST(Deflate, SystemGzipAcceptsTheOutput) {
    if (!have_gzip()) GTEST_SKIP() << "gzip not installed (the inflate.h round trips still ran)";
    std::vector<std::vector<uint8_t>> inputs = {{}, bytes("x"), text_corpus(250000, 9), std::vector<uint8_t>(70000, 0)};
    std::mt19937 rng(1);
    std::vector<uint8_t> r(100000);
    for (auto& b : r) b = uint8_t(rng());
    inputs.push_back(r);
    for (const auto& in : inputs) {
        auto out = system_gunzip(gzip(in));
        ASSERT_TRUE(out.has_value()) << "gzip -d rejected a stream of " << in.size() << " bytes";
        EXPECT_EQ(*out, in);
    }
}

TEST(Huffman, LengthsAreLimitedAndComplete) {
    // Fibonacci frequencies force a deep tree without a limit.
    std::vector<uint32_t> f(30);
    f[0] = f[1] = 1;
    for (size_t i = 2; i < f.size(); ++i) f[i] = f[i - 1] + f[i - 2];
    for (unsigned limit : {7u, 9u, 15u}) {
        auto l = huffman_lengths(f, limit);
        double kraft = 0;
        for (uint8_t x : l) {
            EXPECT_GE(x, 1);
            EXPECT_LE(x, limit);
            kraft += 1.0 / double(1u << x);
        }
        EXPECT_DOUBLE_EQ(kraft, 1.0);
    }
}

TEST(Huffman, ZeroOrOneUsedSymbolStillMakesACompleteCode) {
    std::vector<uint32_t> none(5, 0);
    auto l0 = huffman_lengths(none, 15);
    EXPECT_EQ(std::count(l0.begin(), l0.end(), 1), 2);
    std::vector<uint32_t> one = {0, 0, 9, 0};
    auto l1 = huffman_lengths(one, 15);
    EXPECT_EQ(l1[2], 1);
    EXPECT_EQ(std::count(l1.begin(), l1.end(), 1), 2);
}
