// The command line shared by unikit-spt and unikit-hvt (tools/common/tender_args) and the TAP
// helper they share (tools/common/tap).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "common/tap.h"
#include "common/tender_args.h"

namespace {

using unikit::tender_args::Options;
using unikit::tender_args::Spec;

auto parse(std::vector<const char*> args, const Spec& spec = {}) {
    args.insert(args.begin(), "prog");
    return unikit::tender_args::parse(static_cast<int>(args.size()), args.data(), spec);
}

std::string error_of(std::vector<const char*> args, const Spec& spec = {}) {
    auto r = parse(std::move(args), spec);
    return r ? std::string("(parsed)") : r.error().message;
}

TEST(TenderArgs, ImageOnlyTakesTheDefaults) {
    auto r = parse({"img.spt"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ("img.spt", r->image);
    EXPECT_EQ(64u, r->mem_mib);
    EXPECT_EQ(0u, r->timeout_s);
    EXPECT_TRUE(r->devices.empty());
    EXPECT_TRUE(r->args.empty());
    EXPECT_EQ((std::vector<std::string>{"img.spt"}), r->guest_argv());
    EXPECT_FALSE(r->help);
    EXPECT_EQ("", r->stop_flag);
}

TEST(TenderArgs, AllOptionsAndGuestArguments) {
    auto r = parse({"--mem", "128", "--timeout", "5", "--net", "service=tap:tap0,mac=02:00:00:00:00:01", "--block",
                    "disk=/tmp/x.img", "img", "a", "--mem", "-x"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(128u, r->mem_mib);
    EXPECT_EQ(5u, r->timeout_s);
    ASSERT_EQ(2u, r->devices.size());
    EXPECT_EQ("service", r->devices[0].name);
    EXPECT_EQ("tap0", r->devices[0].ifname);
    ASSERT_TRUE(r->devices[0].mac.has_value());
    EXPECT_EQ(1, (*r->devices[0].mac)[5]);
    EXPECT_EQ("disk", r->devices[1].name);
    EXPECT_EQ("/tmp/x.img", r->devices[1].path);
    EXPECT_EQ("img", r->image);
    // Everything after IMAGE belongs to the guest, options included.
    EXPECT_EQ((std::vector<std::string>{"a", "--mem", "-x"}), r->args);
    EXPECT_EQ((std::vector<std::string>{"img", "a", "--mem", "-x"}), r->guest_argv());
}

TEST(TenderArgs, DoubleDashBeforeAndAfterImage) {
    auto r = parse({"--", "-img-", "--", "--help"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ("-img-", r->image);
    EXPECT_EQ((std::vector<std::string>{"--help"}), r->args);
}

TEST(TenderArgs, HelpWins) {
    auto r = parse({"--mem", "8", "-h", "--bogus"});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->help);
    EXPECT_TRUE(parse({"--help"})->help);
}

TEST(TenderArgs, StopFlagEndsTheParse) {
    constexpr std::string_view stops[] = {"--check-kvm"};
    Spec s;
    s.stop_flags = stops;
    auto r = parse({"--check-kvm", "--bogus"}, s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ("--check-kvm", r->stop_flag);
    EXPECT_EQ("", r->image);
    // Not a stop flag for a program that does not declare it.
    EXPECT_EQ("unknown option '--check-kvm'", error_of({"--check-kvm"}));
}

TEST(TenderArgs, MemRangeFollowsTheSpec) {
    Spec s;
    s.mem_min_mib = 4;
    s.mem_max_mib = 4096;
    s.mem_default_mib = 32;
    EXPECT_EQ(32u, parse({"i"}, s)->mem_mib);
    EXPECT_EQ(4u, parse({"--mem", "4", "i"}, s)->mem_mib);
    EXPECT_EQ(4096u, parse({"--mem", "4096", "i"}, s)->mem_mib);
    EXPECT_EQ("--mem: expected a size in MiB between 4 and 4096, got '3'", error_of({"--mem", "3", "i"}, s));
    EXPECT_EQ("--mem: expected a size in MiB between 4 and 4096, got '4097'", error_of({"--mem", "4097", "i"}, s));
    EXPECT_EQ("--mem: expected a size in MiB between 2 and 65536, got '1'", error_of({"--mem", "1", "i"}));
    EXPECT_EQ("--mem: expected a size in MiB between 2 and 65536, got '64M'", error_of({"--mem", "64M", "i"}));
    EXPECT_EQ("--mem: expected a size in MiB between 2 and 65536, got ''", error_of({"--mem", "", "i"}));
}

TEST(TenderArgs, BadValues) {
    EXPECT_EQ("--timeout: expected a whole number of seconds, got '0'", error_of({"--timeout", "0", "i"}));
    EXPECT_EQ("--timeout: expected a whole number of seconds, got '-1'", error_of({"--timeout", "-1", "i"}));
    EXPECT_EQ("--timeout: expected a whole number of seconds, got '1000001'", error_of({"--timeout", "1000001", "i"}));
    for (const char* opt : {"--mem", "--timeout", "--net", "--block"})
        EXPECT_EQ(std::string(opt) + " needs a value", error_of({opt}));
    // Device specs are devargs' errors, unchanged.
    EXPECT_NE(std::string::npos, error_of({"--net", "tap:", "i"}).find("--net 'tap:'")) << error_of({"--net", "tap:", "i"});
}

TEST(TenderArgs, UnknownOptionAndNoImageShowTheUsage) {
    auto r = parse({"--frobnicate", "img"});
    ASSERT_FALSE(r);
    EXPECT_EQ("unknown option '--frobnicate'", r.error().message);
    EXPECT_TRUE(r.error().show_usage);
    auto n = parse({"--mem", "8"});
    ASSERT_FALSE(n);
    EXPECT_EQ("no IMAGE given", n.error().message);
    EXPECT_TRUE(n.error().show_usage);
    auto b = parse({"--mem", "x", "img"});
    ASSERT_FALSE(b);
    EXPECT_FALSE(b.error().show_usage);
    // A lone "-" is an image name, not an option.
    EXPECT_EQ("-", parse({"-"})->image);
}

TEST(TenderArgs, ParseUint) {
    using unikit::tender_args::parse_uint;
    EXPECT_EQ(0u, parse_uint("0", 10));
    EXPECT_EQ(10u, parse_uint("10", 10));
    EXPECT_FALSE(parse_uint("11", 10));
    EXPECT_FALSE(parse_uint("", 10));
    EXPECT_FALSE(parse_uint("+1", 10));
    EXPECT_FALSE(parse_uint("1 ", 10));
    EXPECT_FALSE(parse_uint("99999999999999999999999", UINT64_MAX / 10));
    EXPECT_EQ(18446744073709551615u, parse_uint("18446744073709551615", UINT64_MAX));
    EXPECT_FALSE(parse_uint("18446744073709551616", UINT64_MAX));  // no wrap-around
    EXPECT_FALSE(parse_uint("99999999999999999999", UINT64_MAX));
    EXPECT_EQ(4096u, unikit::tender_args::round_up(1, 4096));
    EXPECT_EQ(4096u, unikit::tender_args::round_up(4096, 4096));
    EXPECT_EQ(0u, unikit::tender_args::round_up(0, 4096));
}

TEST(Tap, MtuOfAMissingInterfaceIsTheDefault) {
    EXPECT_EQ(1500, unikit::tap::mtu("uk-no-such-if"));
}

TEST(Tap, ErrorsAreOnePhrase) {
    int probe = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (probe < 0) GTEST_SKIP() << "/dev/net/tun cannot be opened here: " << std::strerror(errno);
    ::close(probe);
    auto r = unikit::tap::open("a-name-longer-than-15");
    ASSERT_FALSE(r);
    EXPECT_EQ("interface name 'a-name-longer-than-15' is too long", r.error());
    // "lo" exists and is not a TAP device: TUNSETIFF refuses it, with devargs' explanation.
    auto lo = unikit::tap::open("lo");
    ASSERT_FALSE(lo);
    EXPECT_NE(std::string::npos, lo.error().find("cannot attach TAP interface 'lo'")) << lo.error();
}

}  // namespace
