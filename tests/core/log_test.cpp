#include <unikit/counters.h>
#include <unikit/log.h>
#include <unikit/time.h>

#include <gtest/gtest.h>

#include "support/fake_platform.h"

namespace {

int g_evaluations = 0;
int expensive() {
    ++g_evaluations;
    return 7;
}

class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake::reset(5'000'000'000);
        (void)unikit::log_configure("");
    }
    void TearDown() override { (void)unikit::log_configure(""); }
};

TEST_F(LogTest, FormatAndDefaultLevelInfo) {
    unikit::Logger lg{"net"};
    // uptime() counts from its first use (no uk_main here); force that now.
    fake::advance(0);
    lg.info("hello {}", 42);
    lg.debug("hidden {}", 1);
    const std::string& out = fake::console();
    // "[   s.uuuuuu] net: info: hello 42\n"
    ASSERT_GE(out.size(), 15u);
    EXPECT_EQ(out[0], '[');
    EXPECT_EQ(out[12], ']');
    EXPECT_EQ(out[5], '.');
    EXPECT_EQ(out.substr(13), " net: info: hello 42\n");
}

TEST_F(LogTest, TimestampIsSecondsSinceBoot) {
    unikit::Logger lg{"t"};
    uint64_t up = static_cast<uint64_t>(unikit::uptime().count());
    fake::advance((234'567'000 + 1'000'000'000 - up % 1'000'000'000) % 1'000'000'000);
    fake::clear_console();
    lg.warn("w");
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(unikit::uptime()).count();
    auto expect = unikit::format<64>("[{:4}.{:06}] t: warn: w\n", us / 1000000, us % 1000000);
    EXPECT_EQ(fake::console(), std::string(expect.view()));
    EXPECT_NE(fake::console().find(".234567]"), std::string::npos);
}

TEST_F(LogTest, PerModuleLevels) {
    unikit::Logger net{"net"}, tcp{"tcp"}, dns{"dns"};
    ASSERT_TRUE(unikit::log_configure("net=debug,tcp=trace,*=warn"));
    EXPECT_TRUE(net.enabled(unikit::LogLevel::debug));
    EXPECT_FALSE(net.enabled(unikit::LogLevel::trace));
    EXPECT_TRUE(tcp.enabled(unikit::LogLevel::trace));
    EXPECT_TRUE(dns.enabled(unikit::LogLevel::warn));
    EXPECT_FALSE(dns.enabled(unikit::LogLevel::info));
    dns.info("no");
    tcp.trace("seg {}", 1);
    EXPECT_EQ(fake::console().find("no"), std::string::npos);
    EXPECT_NE(fake::console().find("tcp: trace: seg 1\n"), std::string::npos);

    ASSERT_TRUE(unikit::log_configure("*=off"));
    EXPECT_FALSE(net.enabled(unikit::LogLevel::error));
    ASSERT_TRUE(unikit::log_configure("tcp=error"));
    EXPECT_TRUE(net.enabled(unikit::LogLevel::info));  // default info
    EXPECT_FALSE(tcp.enabled(unikit::LogLevel::warn));
}

TEST_F(LogTest, MalformedSpecRejectedAndKeepsOld) {
    unikit::Logger net{"net"};
    ASSERT_TRUE(unikit::log_configure("net=trace"));
    EXPECT_FALSE(unikit::log_configure("net=loud"));
    EXPECT_FALSE(unikit::log_configure("=debug"));
    EXPECT_FALSE(unikit::log_configure("net"));
    EXPECT_FALSE(unikit::log_configure(std::string(300, 'a') + "=info"));
    EXPECT_TRUE(net.enabled(unikit::LogLevel::trace));
    EXPECT_EQ(unikit::log_level_for("net"), unikit::LogLevel::trace);
}

TEST_F(LogTest, DisabledMacroDoesNotEvaluateArguments) {
    unikit::Logger lg{"m"};
    g_evaluations = 0;
    UK_LOG(lg, debug, "x={}", expensive());
    EXPECT_EQ(g_evaluations, 0);
    EXPECT_TRUE(fake::console().empty());
    UK_LOG(lg, info, "x={}", expensive());
    EXPECT_EQ(g_evaluations, 1);
    EXPECT_NE(fake::console().find("m: info: x=7"), std::string::npos);
}

unikit::Counter g_static_counter{"test.static"};

TEST(Counters, RegistryIterationAndLookup) {
    g_static_counter.inc(3);
    {
        unikit::Counter local{"test.local"};
        ++local;
        local += 10;
        size_t seen = 0;
        for (const unikit::Counter& c : unikit::counters()) {
            if (std::string_view(c.name()) == "test.static") {
                EXPECT_EQ(c.value(), 3u);
                ++seen;
            }
            if (std::string_view(c.name()) == "test.local") {
                EXPECT_EQ(c.value(), 11u);
                ++seen;
            }
        }
        EXPECT_EQ(seen, 2u);
        ASSERT_NE(unikit::find_counter("test.local"), nullptr);
        EXPECT_EQ(unikit::find_counter("test.local")->value(), 11u);
    }
    EXPECT_EQ(unikit::find_counter("test.local"), nullptr);  // unregistered on destruction
    EXPECT_EQ(unikit::find_counter("test.static"), &g_static_counter);
    g_static_counter.set(0);
    EXPECT_EQ(g_static_counter.value(), 0u);
}

}  // namespace
