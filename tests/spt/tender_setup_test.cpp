// What the spt tender and the hvt monitor do with an image and its devices before anything runs
// (tools/common/tender_image, tools/common/tender_devices), on the spt test images.
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "common/tender_devices.h"
#include "common/tender_image.h"
#include "support/process.h"

namespace {

namespace ti = unikit::tender_image;
namespace td = unikit::tender_devices;
using unikit::devargs::Attachment;

const std::string kImages = UNIKIT_IMAGE_DIR;
const std::string kCheck = kImages + "/sptcheck.spt";
const std::string kDev = kImages + "/sptdev.spt";
constexpr uint64_t k64M = 64u << 20;

std::vector<Attachment> attach(std::vector<std::pair<std::string, std::string>> flags) {
    std::vector<Attachment> out;
    for (auto& [flag, spec] : flags) {
        auto a = flag == "--net" ? unikit::devargs::parse_net(spec) : unikit::devargs::parse_block(spec);
        EXPECT_TRUE(a) << a.error();
        if (a) out.push_back(*a);
    }
    return out;
}

TEST(TenderImage, AGoodImageWithItsDevices) {
    auto devs = attach({{"--net", "tap:uk0"}, {"--block", "/tmp/disk"}});
    auto c = ti::check(kDev, "spt", "tender", k64M, devs);
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ("spt", c->manifest.target);
    ASSERT_EQ(2u, c->manifest.devices.size());
    EXPECT_GT(c->extent.hi, c->extent.lo);
    EXPECT_EQ(0u, c->extent.hi % 4096);
    EXPECT_NE(0u, c->elf.entry);
    // The ELF view points into the bytes that were read (and moved into the result).
    EXPECT_EQ(c->file.data(), c->elf.file.data());
    // match() named the unnamed attachments after the manifest.
    EXPECT_EQ("service", devs[0].name);
    EXPECT_EQ("storage", devs[1].name);
}

TEST(TenderImage, Refusals) {
    std::vector<Attachment> none;
    EXPECT_EQ("built for target spt, not hvt", ti::check(kCheck, "hvt", "monitor", k64M, none).error());
    auto small = ti::check(kCheck, "spt", "tender", 4096, none);
    ASSERT_FALSE(small);
    EXPECT_NE(std::string::npos, small.error().find("does not fit in the guest memory")) << small.error();
    auto missing = ti::check(kImages + "/no-such.spt", "spt", "tender", k64M, none);
    ASSERT_FALSE(missing);
    EXPECT_NE(std::string::npos, missing.error().find("No such file")) << missing.error();
    auto devs = attach({{"--block", "/tmp/disk"}});
    auto extra = ti::check(kCheck, "spt", "tender", k64M, devs);
    ASSERT_FALSE(extra);
    EXPECT_NE(std::string::npos, extra.error().find("block")) << extra.error();
    std::vector<Attachment> absent;
    auto need = ti::check(kDev, "spt", "tender", k64M, absent);
    ASSERT_FALSE(need);
    EXPECT_NE(std::string::npos, need.error().find("missing device")) << need.error();
}

TEST(TenderImage, AbiVersionMismatchNamesTheProgram) {
    // Corrupt the manifest's ABI version (see spt_test's CorruptedManifest for the layout).
    auto img = uktest::read_bytes(kCheck);
    size_t note = uktest::phdr_of(img, 4);
    ASSERT_NE(0u, note);
    uktest::poke<uint32_t>(img, uktest::peek<uint64_t>(img, note + 8) + 24, 99);
    std::string p = uktest::write_temp("abi.spt", img);
    std::vector<Attachment> none;
    auto r = ti::check(p, "spt", "monitor", k64M, none);
    ::unlink(p.c_str());
    ASSERT_FALSE(r);
    EXPECT_EQ("built for platform ABI version 99, this monitor implements " + std::to_string(UK_ABI_VERSION), r.error());
}

const unikit::ManifestDevice kNet{"service", UK_DEV_NET};
const unikit::ManifestDevice kBlock{"storage", UK_DEV_BLOCK};
constexpr std::array<uint8_t, 6> kRandom{0x13, 0x22, 0x33, 0x44, 0x55, 0x66};

std::vector<Attachment> named(std::vector<Attachment> v, const char* name) {
    for (auto& a : v) a.name = name;
    return v;
}

TEST(TenderDevices, BlockFileIsWholeBlocks) {
    std::string p = uktest::write_temp("disk", std::vector<uint8_t>(1300, 0));
    auto o = td::open(kBlock, named(attach({{"--block", p}}), "storage"), kRandom, "spt");
    ASSERT_TRUE(o) << o.error();
    EXPECT_GE(o->fd, 0);
    EXPECT_EQ(512u, o->block_size);
    EXPECT_EQ(1024u, o->capacity);  // the partial last block is not part of the device
    EXPECT_EQ(O_RDWR, ::fcntl(o->fd, F_GETFL) & O_ACCMODE);
    EXPECT_TRUE(::fcntl(o->fd, F_GETFD) & FD_CLOEXEC);
    ::close(o->fd);
    ::unlink(p.c_str());
}

TEST(TenderDevices, BlockRefusals) {
    std::string tiny = uktest::write_temp("tiny", std::vector<uint8_t>(100, 0));
    auto r = td::open(kBlock, named(attach({{"--block", tiny}}), "storage"), kRandom, "spt");
    ASSERT_FALSE(r);
    EXPECT_EQ("'" + tiny + "' is smaller than one block (512 bytes)", r.error());
    ::unlink(tiny.c_str());
    auto gone = td::open(kBlock, named(attach({{"--block", tiny}}), "storage"), kRandom, "spt");
    ASSERT_FALSE(gone);
    EXPECT_EQ("cannot open '" + tiny + "': No such file or directory", gone.error());
    // A character device opens read/write but is no regular file.
    auto dev = td::open(kBlock, named(attach({{"--block", "/dev/null"}}), "storage"), kRandom, "spt");
    ASSERT_FALSE(dev);
    EXPECT_EQ("'/dev/null' is not a regular file", dev.error());
    // Nothing attached under that name.
    auto other = td::open(kBlock, named(attach({{"--block", "/dev/null"}}), "disk"), kRandom, "spt");
    ASSERT_FALSE(other);
    EXPECT_EQ("not attached: use --block storage=...", other.error());
}

TEST(TenderDevices, FrameSocketAndMac) {
    int sv[2];
    ASSERT_EQ(0, ::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
    auto user = named(attach({{"--net", "user,fd=" + std::to_string(sv[0])}}), "service");
    auto o = td::open(kNet, user, kRandom, "hvt");
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(sv[0], o->fd);
    EXPECT_EQ(1500, o->mtu);
    // The random MAC, made unicast (bit 0 clear) and locally administered (bit 1 set).
    EXPECT_EQ((std::array<uint8_t, 6>{0x12, 0x22, 0x33, 0x44, 0x55, 0x66}), o->mac);
    auto fixed = named(attach({{"--net", "user,fd=" + std::to_string(sv[0]) + ",mac=02:00:00:00:00:09"}}), "service");
    auto f = td::open(kNet, fixed, kRandom, "hvt");
    ASSERT_TRUE(f) << f.error();
    EXPECT_EQ((std::array<uint8_t, 6>{2, 0, 0, 0, 0, 9}), f->mac);
    ::close(sv[0]);
    ::close(sv[1]);
    // Not a frame socket: devargs' explanation.
    int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(file, 3);
    auto bad = td::open(kNet, named(attach({{"--net", "user,fd=" + std::to_string(file)}}), "service"), kRandom, "hvt");
    ::close(file);
    ASSERT_FALSE(bad);
    EXPECT_NE(std::string::npos, bad.error().find("unikit run")) << bad.error();
}

TEST(TenderDevices, SocketBackendIsRefused) {
    auto r = td::open(kNet, named(attach({{"--net", "socket"}}), "service"), kRandom, "spt");
    ASSERT_FALSE(r);
    EXPECT_EQ("only tap: and user network devices are supported by spt", r.error());
}

}  // namespace
