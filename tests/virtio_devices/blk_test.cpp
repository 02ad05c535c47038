// The virtio-blk driver against the fake device: geometry, round trips, splitting, argument
// checks, I/O errors, read-only devices.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "platforms/virtio/devices/blk.h"
#include "virtio_devices/fake_device.h"

using namespace unikit::virtio;
using unikit::virtio::test::FakeDevice;

namespace {

struct BlkFixture : ::testing::Test {
    FakeDevice dev{kDeviceBlock};
    BlkDriver blk;
    void SetUp() override {
        dev.offered = bit(kFVersion1);
        set_sectors(2048);  // 1 MiB
    }
    void set_sectors(uint64_t s) {
        std::memcpy(dev.config + kBlkCfgCapacity, &s, 8);
        dev.disk.assign(s * 512, 0);
        for (size_t i = 0; i < dev.disk.size(); ++i) dev.disk[i] = uint8_t(i / 512 + i);
    }
};

TEST_F(BlkFixture, Geometry) {
    blk.init(dev);
    EXPECT_EQ(blk.capacity(), 2048u * 512);
    EXPECT_EQ(blk.block_size(), 512u);
    EXPECT_FALSE(blk.read_only());
    EXPECT_EQ(dev.status_log.back(), 15);
    EXPECT_TRUE(dev.interrupts_attached);
}

TEST_F(BlkFixture, BlockSizeFromTheDeviceRoundsTheCapacityDown) {
    dev.offered |= bit(kBlkFBlkSize);
    set_sectors(2049);
    uint32_t bs = 4096;
    std::memcpy(dev.config + kBlkCfgBlkSize, &bs, 4);
    blk.init(dev);
    EXPECT_EQ(blk.block_size(), 4096u);
    EXPECT_EQ(blk.capacity(), 2048u * 512);
    std::vector<uint8_t> buf(4096);
    EXPECT_EQ(blk.read(512, buf.data(), 4096), UK_EINVAL);  // not a multiple of 4096
    EXPECT_EQ(blk.read(4096, buf.data(), 4096), UK_OK);
    EXPECT_EQ(dev.blk_requests.back().sector, 8u);  // sectors are always 512 bytes
}

TEST_F(BlkFixture, BadBlockSizePanics) {
    dev.offered |= bit(kBlkFBlkSize);
    uint32_t bs = 1000;
    std::memcpy(dev.config + kBlkCfgBlkSize, &bs, 4);
    EXPECT_DEATH(blk.init(dev), "PANIC: virtio-blk at fake 0: device reports block size 1000");
}

TEST_F(BlkFixture, WriteThenReadBack) {
    blk.init(dev);
    std::vector<uint8_t> out(3 * 512), back(3 * 512);
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(i * 7 + 3);
    ASSERT_EQ(blk.write(5 * 512, out.data(), out.size()), UK_OK);
    EXPECT_EQ(0, std::memcmp(dev.disk.data() + 5 * 512, out.data(), out.size()));
    ASSERT_EQ(blk.read(5 * 512, back.data(), back.size()), UK_OK);
    EXPECT_EQ(back, out);
    ASSERT_EQ(dev.blk_requests.size(), 2u);
    EXPECT_EQ(dev.blk_requests[0].type, kBlkTOut);
    EXPECT_EQ(dev.blk_requests[0].sector, 5u);
    EXPECT_EQ(dev.blk_requests[1].type, kBlkTIn);
    // The last block of the device.
    ASSERT_EQ(blk.read(blk.capacity() - 512, back.data(), 512), UK_OK);
    EXPECT_EQ(0, std::memcmp(back.data(), dev.disk.data() + dev.disk.size() - 512, 512));
}

TEST_F(BlkFixture, LargeTransfersAreSplitAtSizeMax) {
    dev.offered |= bit(kBlkFSizeMax);
    uint32_t sm = 4096 + 100;  // rounded down to whole blocks: 4096
    std::memcpy(dev.config + kBlkCfgSizeMax, &sm, 4);
    blk.init(dev);
    std::vector<uint8_t> buf(20 * 512);
    ASSERT_EQ(blk.read(512, buf.data(), buf.size()), UK_OK);
    EXPECT_EQ(0, std::memcmp(buf.data(), dev.disk.data() + 512, buf.size()));
    ASSERT_EQ(dev.blk_requests.size(), 3u);  // 8 + 8 + 4 sectors
    EXPECT_EQ(dev.blk_requests[0].sector, 1u);
    EXPECT_EQ(dev.blk_requests[1].sector, 9u);
    EXPECT_EQ(dev.blk_requests[2].sector, 17u);
}

TEST_F(BlkFixture, ArgumentChecks) {
    blk.init(dev);
    std::vector<uint8_t> buf(1024);
    EXPECT_EQ(blk.read(1, buf.data(), 512), UK_EINVAL);
    EXPECT_EQ(blk.read(0, buf.data(), 100), UK_EINVAL);
    EXPECT_EQ(blk.read(blk.capacity(), buf.data(), 512), UK_EINVAL);
    EXPECT_EQ(blk.read(blk.capacity() - 512, buf.data(), 1024), UK_EINVAL);
    EXPECT_EQ(blk.read(UINT64_MAX - 511, buf.data(), 512), UK_EINVAL);
    EXPECT_EQ(blk.write(0, nullptr, 512), UK_EINVAL);
    EXPECT_EQ(blk.read(0, buf.data(), 0), UK_OK);
    EXPECT_TRUE(dev.blk_requests.empty());
}

TEST_F(BlkFixture, IoErrorIsEio) {
    blk.init(dev);
    std::vector<uint8_t> buf(512);
    dev.blk_status = kBlkSIoErr;
    EXPECT_EQ(blk.read(0, buf.data(), 512), UK_EIO);
    EXPECT_EQ(blk.write(0, buf.data(), 512), UK_EIO);
    dev.blk_status = kBlkSUnsupp;
    EXPECT_EQ(blk.read(0, buf.data(), 512), UK_EIO);
    dev.blk_status = 0x7f;  // not a status the spec defines
    EXPECT_EQ(blk.read(0, buf.data(), 512), UK_EIO);
    dev.blk_status = kBlkSOk;
    EXPECT_EQ(blk.read(0, buf.data(), 512), UK_OK);
}

TEST_F(BlkFixture, ReadOnlyDeviceRefusesWrites) {
    dev.offered |= bit(kBlkFRo);
    blk.init(dev);
    EXPECT_TRUE(blk.read_only());
    std::vector<uint8_t> buf(512, 0xab);
    auto before = dev.disk;
    EXPECT_EQ(blk.write(0, buf.data(), 512), UK_EIO);
    EXPECT_TRUE(dev.blk_requests.empty());  // never sent
    EXPECT_EQ(dev.disk, before);
    EXPECT_EQ(blk.read(0, buf.data(), 512), UK_OK);
    EXPECT_EQ(0, std::memcmp(buf.data(), before.data(), 512));
}

TEST_F(BlkFixture, EventIdxRequestsStillComplete) {
    dev.offered |= bit(kFEventIdx);
    blk.init(dev);
    EXPECT_TRUE(blk.queue().event_idx());
    std::vector<uint8_t> out(4096, 0x3c), back(4096);
    for (int i = 0; i < 40; ++i) {  // more requests than the ring has entries
        ASSERT_EQ(blk.write(uint64_t(i) * 4096, out.data(), out.size()), UK_OK);
        ASSERT_EQ(blk.read(uint64_t(i) * 4096, back.data(), back.size()), UK_OK);
    }
    EXPECT_EQ(back, out);
    EXPECT_EQ(dev.queue(0).interrupts, 0u);  // completions are polled, never interrupt
}

TEST_F(BlkFixture, CompletionOfAnotherIdPanics) {
    dev.auto_blk = false;
    blk.init(dev);
    // The device "completes" a chain that is not in flight (id 5; the request's head is 0).
    std::vector<uint8_t> buf(512);
    dev.push_used(0, 5, 1);
    EXPECT_DEATH(blk.read(0, buf.data(), 512), "used id not in flight: 5");
}

}  // namespace
