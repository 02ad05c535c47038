// Boot options: splitting argv (core) and the direct stack's option values.
#include <gtest/gtest.h>

#include <unikit/boot.h>

#include <string>
#include <vector>

#include "net/socket/net_options.h"
#include "support/fake_platform.h"

using namespace unikit;

namespace {
std::vector<std::string> split(std::vector<const char*> argv) {
    std::vector<const char*> out(argv.size() + 1);
    int n = detail::split_boot_args(static_cast<int>(argv.size()), argv.data(), out.data());
    if (n < 0) return {"<error>"};
    return std::vector<std::string>(out.begin(), out.begin() + n);
}
}  // namespace

class BootOptionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake::reset();
        detail::clear_boot_options();
    }
    void TearDown() override { detail::clear_boot_options(); }
};

TEST_F(BootOptionsTest, BlockBeforeSeparatorIsConsumed) {
    EXPECT_EQ(split({"echo", "--ipv4=10.0.0.2/24", "--gateway=10.0.0.1", "--", "--port", "7"}),
              (std::vector<std::string>{"echo", "--port", "7"}));
    EXPECT_EQ(boot_option("ipv4"), "10.0.0.2/24");
    EXPECT_EQ(boot_option("gateway"), "10.0.0.1");
    EXPECT_FALSE(boot_option("dns"));
}

TEST_F(BootOptionsTest, WithoutBlockEverythingGoesToTheApp) {
    EXPECT_EQ(split({"hello", "Bonjour", "--", "x"}), (std::vector<std::string>{"hello", "Bonjour", "--", "x"}));
    EXPECT_EQ(split({"hello", "--", "--ipv4=1.2.3.4/8"}), (std::vector<std::string>{"hello", "--", "--ipv4=1.2.3.4/8"}));
    EXPECT_FALSE(boot_option("ipv4"));
}

TEST_F(BootOptionsTest, LogStillConsumedAnywhereForCompatibility) {
    EXPECT_EQ(split({"hello", "a", "--log=net=debug", "b"}), (std::vector<std::string>{"hello", "a", "b"}));
    EXPECT_EQ(boot_option("log"), "net=debug");
}

TEST_F(BootOptionsTest, UnknownOptionIsAnError) {
    fake::clear_console();
    EXPECT_EQ(split({"echo", "--ipv5=1", "--", "x"}), (std::vector<std::string>{"<error>"}));
    EXPECT_NE(fake::console().find("unknown boot option --ipv5"), std::string::npos) << fake::console();
}

TEST_F(BootOptionsTest, NetOptions) {
    detail::set_boot_option("ipv4", "10.1.2.3/16");
    detail::set_boot_option("gateway", "10.1.0.1");
    detail::set_boot_option("tcp-buffer", "128");
    net::direct::DirectConfig c;
    ASSERT_TRUE(net::options::apply(c));
    ASSERT_TRUE(c.ipv4);
    EXPECT_EQ(c.ipv4->prefix_len(), 16);
    EXPECT_FALSE(c.dhcp);
    EXPECT_EQ(c.gateway, (net::wire::Ipv4Addr{10, 1, 0, 1}));
    EXPECT_EQ(c.send_buffer, 128u * 1024);

    detail::set_boot_option("ipv4", "dhcp");
    ASSERT_TRUE(net::options::apply(c));
    EXPECT_TRUE(c.dhcp);
    EXPECT_FALSE(c.ipv4);

    detail::set_boot_option("ipv4", "10.1.2.3");
    EXPECT_FALSE(net::options::apply(c));
}

TEST_F(BootOptionsTest, DefaultIsDhcp) {
    net::direct::DirectConfig c;
    ASSERT_TRUE(net::options::apply(c));
    EXPECT_TRUE(c.dhcp);
}

TEST_F(BootOptionsTest, Faults) {
    auto f = net::options::parse_faults("loss=5,reorder=2.5,dup=0.01,seed=9");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->cfg.drop_ppm, 50000u);
    EXPECT_EQ(f->cfg.reorder_ppm, 25000u);
    EXPECT_EQ(f->cfg.duplicate_ppm, 100u);
    EXPECT_EQ(f->seed, 9u);
    EXPECT_FALSE(net::options::parse_faults("loss=101"));
    EXPECT_FALSE(net::options::parse_faults("jitter=5"));
    EXPECT_FALSE(net::options::parse_faults("loss"));
}
