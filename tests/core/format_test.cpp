#include <unikit/format.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "support/fake_platform.h"

using unikit::format;
using namespace std::chrono_literals;

namespace {
struct Point {
    int x, y;
};
}  // namespace

template <>
struct unikit::Formatter<Point> {
    static void format(unikit::FormatSink& out, const unikit::FormatSpec&, const Point& p) {
        unikit::format_to(out, "({}, {})", p.x, p.y);
    }
};

namespace {

template <class... A>
std::string F(std::string_view fmt, const A&... a) {
    return std::string(unikit::format<512>(fmt, a...).view());
}

TEST(Format, Integers) {
    EXPECT_EQ(F("{}", 0), "0");
    EXPECT_EQ(F("{} {}", -1, 42u), "-1 42");
    EXPECT_EQ(F("{}", INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(F("{}", UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(F("{:x}", 255), "ff");
    EXPECT_EQ(F("{:X}", 255), "FF");
    EXPECT_EQ(F("{:#x}", 255), "0xff");
    EXPECT_EQ(F("{:08x}", 0xbeefu), "0000beef");
    EXPECT_EQ(F("{:#010x}", 0xbeefu), "0x0000beef");
    EXPECT_EQ(F("{:b}", 5), "101");
    EXPECT_EQ(F("{:o}", 8), "10");
    EXPECT_EQ(F("{:5}", 42), "   42");
    EXPECT_EQ(F("{:<5}|", 42), "42   |");
    EXPECT_EQ(F("{:^6}|", 42), "  42  |");
    EXPECT_EQ(F("{:05}", -42), "-0042");
    EXPECT_EQ(F("{:+}", 7), "+7");
    EXPECT_EQ(F("{}", static_cast<uint8_t>(200)), "200");
    EXPECT_EQ(F("{}", static_cast<int8_t>(-5)), "-5");
    EXPECT_EQ(F("{:x}", -1), "-1");
}

TEST(Format, OtherTypes) {
    EXPECT_EQ(F("{} {}", true, false), "true false");
    EXPECT_EQ(F("{:d}", true), "1");
    EXPECT_EQ(F("{}", 'a'), "a");
    EXPECT_EQ(F("{:d}", 'a'), "97");
    EXPECT_EQ(F("{:c}", 65), "A");
    EXPECT_EQ(F("{}", "str"), "str");
    const char* np = nullptr;
    EXPECT_EQ(F("{}", np), "(null)");
    EXPECT_EQ(F("{}", std::string_view("sv")), "sv");
    EXPECT_EQ(F("{:>4}|{:<4}|", "ab", "cd"), "  ab|cd  |");
    EXPECT_EQ(F("{}", reinterpret_cast<void*>(0x1234)), "0x1234");
    EXPECT_EQ(F("{}", nullptr), "0x0");
    EXPECT_EQ(F("{} {} {} {}", 150ms, 3s, 10us, std::chrono::nanoseconds(-5)), "150ms 3s 10us -5ns");
    EXPECT_EQ(F("{}", std::chrono::duration<int, std::ratio<1, 3>>(3)), "1000000000ns");
    EXPECT_EQ(F("p={}", Point{1, -2}), "p=(1, -2)");
    EXPECT_EQ(F("{}", unikit::Error::timeout), "timeout");
    enum class E : uint16_t { a = 7 };
    EXPECT_EQ(F("{}", E::a), "7");
    char arr[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};  // not NUL-terminated: bounded
    EXPECT_EQ(F("{}", arr), "abcdefgh");
}

TEST(Format, IndicesAndEscapes) {
    EXPECT_EQ(F("{1} {0} {1}", "a", "b"), "b a b");
    EXPECT_EQ(F("{{}} {}", 1), "{} 1");
    EXPECT_EQ(F("}"), "}");
}

TEST(Format, MalformedNeverCrashes) {
    EXPECT_EQ(F("{"), "{");
    EXPECT_EQ(F("a{b", 1), "a{b");
    EXPECT_EQ(F("{:q}", 1), "{!}");
    EXPECT_EQ(F("{:9999}", 1), "{!}");
    EXPECT_EQ(F("{x}", 1), "{!}");
    EXPECT_EQ(F("{} {}", 1), "1 {?}");
    EXPECT_EQ(F("{5}", 1), "{?}");
    EXPECT_EQ(F("{:{}}", 1), "{:1}");
    EXPECT_EQ(F("{:255}", 1).size(), 255u);
}

TEST(Format, TruncatesSafely) {
    char buf[8];
    std::memset(buf, '#', sizeof buf);
    size_t n = unikit::format_to(std::span<char>(buf, 5), "hello world {}", 12345);
    EXPECT_EQ(n, 5u);
    EXPECT_EQ(std::string(buf, 8), "hello###");
    EXPECT_EQ(unikit::format_to(std::span<char>(buf, 0), "{}", 1), 0u);
    EXPECT_EQ(unikit::formatted_size("{:>10}", 1), 10u);
    auto s = unikit::format<4>("{}", 123456);
    EXPECT_EQ(s.view(), "1234");
    EXPECT_EQ(std::strlen(s.c_str()), 4u);
}

TEST(Format, FuzzRandomFormatStrings) {
    std::mt19937 rng(1234);
    const char alphabet[] = "{}:<>^+#0123456789xXbdocsp!az";
    for (int iter = 0; iter < 20000; ++iter) {
        std::string fmt;
        size_t len = rng() % 24;
        for (size_t i = 0; i < len; ++i) fmt += alphabet[rng() % (sizeof(alphabet) - 1)];
        char guard_before[16], buf[32], guard_after[16];
        std::memset(guard_before, 0x5a, sizeof guard_before);
        std::memset(guard_after, 0x5a, sizeof guard_after);
        size_t cap = rng() % sizeof(buf);
        size_t n = unikit::format_to(std::span<char>(buf, cap), fmt, 1, "s", -3, 'c', true, Point{1, 2});
        ASSERT_LE(n, cap);
        for (char c : guard_before) ASSERT_EQ(c, 0x5a);
        for (char c : guard_after) ASSERT_EQ(c, 0x5a);
    }
}

TEST(Format, PrintGoesToConsole) {
    fake::reset();
    unikit::print("a={} ", 1);
    unikit::println("b={}", "two");
    std::string long_str(1000, 'x');
    unikit::println("{}", std::string_view(long_str));
    EXPECT_EQ(fake::console(), "a=1 b=two\n" + long_str + "\n");
}

}  // namespace
