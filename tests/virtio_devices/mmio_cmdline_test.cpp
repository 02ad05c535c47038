// Parsing virtio_mmio.device= tokens from the kernel command line.
#include <gtest/gtest.h>

#include <vector>

#include "platforms/virtio/devices/mmio_cmdline.h"

using namespace unikit::virtio;

namespace {

std::vector<MmioDesc> parse(const char* s) {
    std::vector<MmioDesc> out;
    parse_mmio_cmdline(s, [](void* ctx, const MmioDesc& d) { static_cast<std::vector<MmioDesc>*>(ctx)->push_back(d); },
                       &out);
    return out;
}

TEST(MmioCmdline, QemuMicrovmAndFirecrackerForms) {
    auto v = parse("console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 reboot=k "
                   "virtio_mmio.device=4K@0xd0000000:5:3  virtio_mmio.device=1M@4096:255");
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].size, 512u);
    EXPECT_EQ(v[0].base, 0xfeb00e00u);
    EXPECT_EQ(v[0].irq, 12u);
    EXPECT_EQ(v[1].size, 4096u);
    EXPECT_EQ(v[1].base, 0xd0000000u);
    EXPECT_EQ(v[1].irq, 5u);
    EXPECT_EQ(v[2].size, 1u << 20);
    EXPECT_EQ(v[2].base, 4096u);
    EXPECT_EQ(v[2].irq, 255u);
}

TEST(MmioCmdline, NothingToFind) {
    EXPECT_TRUE(parse("").empty());
    EXPECT_TRUE(parse(nullptr).empty());
    EXPECT_TRUE(parse("virtio_mmio.devices=512@0x1000:5 xvirtio_mmio.device=512@0x1000:5 virtio_mmio.device").empty());
}

TEST(MmioCmdline, MalformedTokensPanicQuotingThem) {
    EXPECT_DEATH(parse("virtio_mmio.device=512"), "PANIC: virtio: bad virtio_mmio.device 'virtio_mmio.device=512' on the "
                                                  "command line: expected '@' after the size");
    EXPECT_DEATH(parse("virtio_mmio.device=@0x1000:5"), "expected <size>@<base>:<irq>");
    EXPECT_DEATH(parse("virtio_mmio.device=512@0x1000"), "expected ':<irq>' after the base");
    EXPECT_DEATH(parse("virtio_mmio.device=512@0x1000:300"), "interrupt number");
    EXPECT_DEATH(parse("virtio_mmio.device=512@0x1000:5x"), "trailing characters");
    EXPECT_DEATH(parse("virtio_mmio.device=0@0x1000:5"), "size 0");
    EXPECT_DEATH(parse("virtio_mmio.device=512@0xffffffffffffff00:5"), "wraps around");
    EXPECT_DEATH(parse("virtio_mmio.device=512@0x1ffffffffffffffff:5"), "expected a base address");
}

}  // namespace
