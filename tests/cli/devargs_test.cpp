// Device-attachment options and manifest matching (tools/common/devargs).
#include <gtest/gtest.h>

#include <unikit/platform.h>

#include "common/devargs.h"

using namespace unikit;
using namespace unikit::devargs;

namespace {

std::vector<ManifestDevice> devs(std::initializer_list<ManifestDevice> l) { return l; }

std::string match_error(std::vector<ManifestDevice> wanted, std::vector<std::string> nets,
                        std::vector<std::string> blocks = {}) {
    std::vector<Attachment> att;
    for (auto& s : nets) att.push_back(parse_net(s).value());
    for (auto& s : blocks) att.push_back(parse_block(s).value());
    auto r = match(wanted, att);
    return r ? std::string() : r.error();
}

}  // namespace

TEST(DevArgs, NetTapNamed) {
    auto a = parse_net("service=tap:tap0");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->name, "service");
    EXPECT_EQ(a->kind, uint32_t{UK_DEV_NET});
    EXPECT_EQ(a->backend, NetBackend::tap);
    EXPECT_EQ(a->ifname, "tap0");
    EXPECT_FALSE(a->mac);
}

TEST(DevArgs, NetTapUnnamedWithMac) {
    auto a = parse_net("tap:uk0,mac=02:AA:bb:00:11:22");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->name, "");
    EXPECT_EQ(a->ifname, "uk0");
    ASSERT_TRUE(a->mac);
    EXPECT_EQ(format_mac(*a->mac), "02:aa:bb:00:11:22");
}

TEST(DevArgs, NetReservedBackends) {
    EXPECT_EQ(parse_net("socket")->backend, NetBackend::socket);
    EXPECT_EQ(parse_net("service=user")->backend, NetBackend::user);
    EXPECT_EQ(parse_net("service=user")->name, "service");
}

TEST(DevArgs, NetErrors) {
    EXPECT_NE(parse_net("").error().find("missing backend"), std::string::npos);
    EXPECT_NE(parse_net("tap:").error().find("missing interface name"), std::string::npos);
    EXPECT_NE(parse_net("svc=tap").error().find("missing interface name"), std::string::npos);
    EXPECT_NE(parse_net("svc=wifi").error().find("unknown network backend 'wifi'"), std::string::npos);
    EXPECT_NE(parse_net("tap:x,mac=zz").error().find("bad MAC address"), std::string::npos);
    EXPECT_NE(parse_net("tap:x,mac=01:00:00:00:00:01").error().find("multicast"), std::string::npos);
    EXPECT_NE(parse_net("tap:x,mtu=9000").error().find("unknown option 'mtu=9000'"), std::string::npos);
    EXPECT_NE(parse_net("tap:averyverylongname0").error().find("longer than 15"), std::string::npos);
    EXPECT_NE(parse_net("socket,mac=02:00:00:00:00:01").error().find("no mac="), std::string::npos);
    // The error quotes the flag and the value.
    EXPECT_EQ(parse_net("tap:").error().rfind("--net 'tap:'", 0), 0u);
}

TEST(DevArgs, BlockNamedAndUnnamed) {
    auto a = parse_block("storage=/tmp/disk.img");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "storage");
    EXPECT_EQ(a->path, "/tmp/disk.img");
    auto b = parse_block("disk.img");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "");
    EXPECT_EQ(b->path, "disk.img");
    // A '/' before '=' means it is a path, not a name.
    auto c = parse_block("/tmp/a=b.img");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "");
    EXPECT_EQ(c->path, "/tmp/a=b.img");
    EXPECT_FALSE(parse_block("storage="));
    EXPECT_FALSE(parse_block(""));
}

TEST(DevArgs, FormatRoundTrips) {
    for (const char* s : {"service=tap:tap0", "service=tap:tap0,mac=02:00:00:00:00:01", "n=user", "n=socket"}) {
        EXPECT_EQ(format(parse_net(s).value()), s);
    }
    EXPECT_EQ(format(parse_block("data=/x/y").value()), "data=/x/y");
}

TEST(DevArgs, ParseMac) {
    EXPECT_TRUE(parse_mac("02-00-00-00-00-01"));
    EXPECT_FALSE(parse_mac("02:00:00:00:00"));
    EXPECT_FALSE(parse_mac("02:00:00:00:00:0g"));
    EXPECT_FALSE(parse_mac("02:00:00:00:00:011"));
}

TEST(DevArgsMatch, NothingWantedNothingGiven) { EXPECT_EQ(match_error({}, {}), ""); }

TEST(DevArgsMatch, UnnamedTakesTheOnlyDeviceOfItsKind) {
    std::vector<Attachment> att{parse_net("tap:tap0").value(), parse_block("disk.img").value()};
    auto wanted = devs({{"service", UK_DEV_NET}, {"storage", UK_DEV_BLOCK}});
    ASSERT_TRUE(match(wanted, att));
    EXPECT_EQ(att[0].name, "service");
    EXPECT_EQ(att[1].name, "storage");
}

TEST(DevArgsMatch, Missing) {
    EXPECT_EQ(match_error(devs({{"service", UK_DEV_NET}}), {}),
              "missing device 'service' (net): attach it with --net service=tap:IFNAME");
    EXPECT_EQ(match_error(devs({{"service", UK_DEV_NET}, {"storage", UK_DEV_BLOCK}}), {"tap:t0"}),
              "missing device 'storage' (block): attach it with --block storage=FILE");
}

TEST(DevArgsMatch, UnexpectedNamed) {
    auto e = match_error(devs({{"service", UK_DEV_NET}}), {"service=tap:t0", "admin=tap:t1"});
    EXPECT_NE(e.find("unexpected device 'admin'"), std::string::npos) << e;
    EXPECT_NE(e.find("it names: service (net)"), std::string::npos) << e;
}

TEST(DevArgsMatch, UnexpectedUnnamedWhenImageHasNone) {
    auto e = match_error({}, {"tap:tap0"});
    EXPECT_NE(e.find("unexpected net device (--net tap:tap0)"), std::string::npos) << e;
    EXPECT_NE(e.find("(it names no devices)"), std::string::npos) << e;
}

TEST(DevArgsMatch, UnnamedAmbiguous) {
    auto e = match_error(devs({{"a", UK_DEV_NET}, {"b", UK_DEV_NET}}), {"tap:t0"});
    EXPECT_NE(e.find("needs a device name"), std::string::npos) << e;
    EXPECT_NE(e.find("a (net), b (net)"), std::string::npos) << e;
}

TEST(DevArgsMatch, WrongKind) {
    auto e = match_error(devs({{"storage", UK_DEV_BLOCK}}), {"storage=tap:t0"});
    EXPECT_EQ(e, "device 'storage' is a block device in the image's manifest, but was given with --net "
                 "(use --block storage=FILE)");
}

TEST(DevArgsMatch, Twice) {
    auto e = match_error(devs({{"service", UK_DEV_NET}}), {"service=tap:t0", "tap:t1"});
    EXPECT_NE(e.find("device 'service' is attached twice"), std::string::npos) << e;
}
