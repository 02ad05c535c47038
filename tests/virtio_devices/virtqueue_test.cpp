// The split virtqueue and device initialisation against the fake device.
#include <gtest/gtest.h>

#include "platforms/virtio/devices/negotiate.h"
#include "platforms/virtio/devices/virtqueue.h"
#include "platforms/virtio/kernel/kernel.h"
#include "virtio_devices/fake_device.h"

using namespace unikit::virtio;
using unikit::virtio::test::FakeDevice;

namespace {

// A net-typed fake (two queues) driven directly through a Virtqueue.
struct VqFixture : ::testing::Test {
    FakeDevice dev{kDeviceNet};
    Virtqueue vq;
    uint8_t data[4][64] = {};
    void SetUp() override { dev.queue(0).max = 8; }
    int add_writable(int i) {
        Virtqueue::Buf b{phys_addr(data[i]), 64, true};
        return vq.add(&b, 1);
    }
};

TEST_F(VqFixture, SizeIsAPowerOfTwoWithinTheDeviceMaximum) {
    dev.queue(0).max = 100;
    vq.init(dev, 0, 256, "t");
    EXPECT_EQ(vq.size(), 64);
    EXPECT_EQ(dev.queue(0).size, 64);
    EXPECT_EQ(vq.num_free(), 64);
    Virtqueue q1;
    dev.queue(1).max = 256;
    q1.init(dev, 1, 16, "t");
    EXPECT_EQ(q1.size(), 16);
}

TEST_F(VqFixture, LegacyLayoutIsPageAligned) {
    dev.is_legacy = true;  // the fake refuses rings that are not page-aligned
    vq.init(dev, 0, 8, "t");
    auto& q = dev.queue(0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q.desc) % 4096, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q.used) % 4096, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q.avail), reinterpret_cast<uintptr_t>(q.desc) + 16 * 8);
}

TEST_F(VqFixture, MissingQueuePanics) {
    EXPECT_DEATH(vq.init(dev, 5, 8, "virtio-x at fake 0"), "PANIC: virtio-x at fake 0: queue 5 is not available");
}

TEST_F(VqFixture, ChainsUseAndReturnDescriptors) {
    vq.init(dev, 0, 8, "t");
    Virtqueue::Buf b[3] = {{phys_addr(data[0]), 16, false}, {phys_addr(data[1]), 64, true}, {phys_addr(data[2]), 1, true}};
    int head = vq.add(b, 3);
    ASSERT_GE(head, 0);
    EXPECT_EQ(vq.num_free(), 5);
    EXPECT_FALSE(vq.used_pending());
    EXPECT_EQ(dev.available(0), 0);  // not published before kick
    vq.kick();
    EXPECT_EQ(dev.queue(0).notifies, 1u);
    uint16_t h;
    std::vector<FakeDevice::Seg> segs;
    ASSERT_TRUE(dev.take(0, &h, &segs));
    EXPECT_EQ(h, head);
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_FALSE(segs[0].write);
    EXPECT_TRUE(segs[1].write);
    EXPECT_EQ(segs[1].p, data[1]);
    EXPECT_EQ(segs[2].len, 1u);
    dev.push_used(0, h, 65);
    EXPECT_TRUE(vq.used_pending());
    Virtqueue::Used u;
    ASSERT_TRUE(vq.pop(&u));
    EXPECT_EQ(u.id, head);
    EXPECT_EQ(u.len, 65u);
    EXPECT_EQ(vq.num_free(), 8);
    EXPECT_FALSE(vq.pop(&u));
    // A full ring refuses a chain it cannot hold.
    Virtqueue::Buf nine[9] = {};
    EXPECT_EQ(vq.add(nine, 9), -1);
}

TEST_F(VqFixture, KickSkipsTheNotifyWhenTheDeviceAsksNot) {
    dev.no_notify = true;
    vq.init(dev, 0, 8, "t");
    add_writable(0);
    vq.kick();
    EXPECT_EQ(dev.queue(0).notifies, 0u);
    EXPECT_EQ(dev.available(0), 1);
}

TEST_F(VqFixture, UsedIdOutOfRangePanics) {
    vq.init(dev, 0, 8, "virtio-net at fake 0");
    add_writable(0);
    vq.kick();
    dev.push_used(0, 99, 0);
    Virtqueue::Used u;
    EXPECT_DEATH(vq.pop(&u), "PANIC: virtio-net at fake 0: queue 0: device returned used id 99 \\(ring of 8\\)");
}

TEST_F(VqFixture, UsedIdNotInFlightPanics) {
    vq.init(dev, 0, 8, "t");
    int head = add_writable(0);
    vq.kick();
    dev.push_used(0, uint32_t(head), 0);
    dev.push_used(0, uint32_t(head), 0);  // the same chain twice
    Virtqueue::Used u;
    ASSERT_TRUE(vq.pop(&u));
    EXPECT_DEATH(vq.pop(&u), "used id not in flight: 0");
}

TEST_F(VqFixture, UsedLengthBeyondTheChainPanics) {
    vq.init(dev, 0, 8, "t");
    int head = add_writable(0);
    vq.kick();
    dev.push_used(0, uint32_t(head), 65);
    Virtqueue::Used u;
    EXPECT_DEATH(vq.pop(&u), "used length 65 for id 0, which has only 64 writable bytes");
}

TEST_F(VqFixture, UsedIndexJumpPanics) {
    vq.init(dev, 0, 8, "t");
    add_writable(0);
    vq.kick();
    dev.set_used_idx(0, 9);
    Virtqueue::Used u;
    EXPECT_DEATH(vq.pop(&u), "a used index that moved by 9");
}

TEST_F(VqFixture, OutOfOrderCompletionKeepsTheFreeListWhole) {
    vq.init(dev, 0, 8, "t");
    // Fill the ring with chains of 2, complete them in reverse order, repeat: every descriptor
    // must come back each round.
    for (int round = 0; round < 5; ++round) {
        std::vector<int> heads;
        for (int i = 0; i < 4; ++i) {
            Virtqueue::Buf b[2] = {{phys_addr(data[i]), 8, false}, {phys_addr(data[i]) + 8, 8, true}};
            int h = vq.add(b, 2);
            ASSERT_GE(h, 0);
            heads.push_back(h);
        }
        EXPECT_EQ(vq.num_free(), 0);
        vq.kick();
        uint16_t h;
        std::vector<FakeDevice::Seg> segs;
        std::vector<uint16_t> taken;
        while (dev.take(0, &h, &segs)) taken.push_back(h);
        ASSERT_EQ(taken.size(), 4u);
        for (auto it = taken.rbegin(); it != taken.rend(); ++it) dev.push_used(0, *it, 8);
        Virtqueue::Used u;
        for (int i = 3; i >= 0; --i) {
            ASSERT_TRUE(vq.pop(&u));
            EXPECT_EQ(u.id, heads[i]);
        }
        EXPECT_EQ(vq.num_free(), 8);
    }
}

// ---- negotiation

TEST(Negotiate, StatusSequenceModern) {
    FakeDevice dev{kDeviceNet};
    dev.offered = bit(kFVersion1) | bit(kNetFMac) | bit(kNetFCsum) | bit(kFEventIdx);
    uint64_t f = negotiate(dev, "virtio-net at fake 0", 0, bit(kNetFMac) | bit(kNetFMtu));
    EXPECT_EQ(f, bit(kFVersion1) | bit(kNetFMac));  // only what was both wanted and offered
    EXPECT_EQ(dev.driver_features, f);
    driver_ok(dev);
    EXPECT_EQ(dev.status_log, (std::vector<uint8_t>{0, 1, 3, 11, 15}));
}

TEST(Negotiate, StatusSequenceLegacyHasNoFeaturesOk) {
    FakeDevice dev{kDeviceNet};
    dev.is_legacy = true;
    dev.offered = bit(kNetFMac);
    uint64_t f = negotiate(dev, "virtio-net at fake 0", 0, bit(kNetFMac));
    EXPECT_EQ(f, bit(kNetFMac));
    driver_ok(dev);
    EXPECT_EQ(dev.status_log, (std::vector<uint8_t>{0, 1, 3, 7}));
}

TEST(Negotiate, MissingVersion1Fails) {
    FakeDevice dev{kDeviceNet};
    dev.offered = bit(kNetFMac);
    EXPECT_DEATH(negotiate(dev, "virtio-net at pci 00:03.0", 0, 0),
                 "PANIC: virtio-net at pci 00:03.0: the device lacks VIRTIO_F_VERSION_1 \\(bit 32\\)");
}

TEST(Negotiate, MissingRequiredDeviceFeatureIsNamed) {
    FakeDevice dev{kDeviceBlock};
    EXPECT_DEATH(negotiate(dev, "virtio-blk at fake 0", bit(kBlkFFlush), 0), "lacks VIRTIO_BLK_F_FLUSH \\(bit 9\\)");
}

TEST(Negotiate, FailedStatusIsSetBeforeThePanic) {
    // Run in a child that reports the status it saw as its exit code.
    EXPECT_EXIT(
        {
            struct Probe : FakeDevice {
                using FakeDevice::FakeDevice;
                void set_status(uint8_t s) override {
                    FakeDevice::set_status(s);
                    if (s & kStatusFailed) std::_Exit(42);
                }
            } p{kDeviceNet};
            p.offered = 0;
            negotiate(p, "virtio-net at fake 0", 0, 0);
        },
        ::testing::ExitedWithCode(42), "");
}

TEST(Negotiate, RefusedFeaturesOkFails) {
    FakeDevice dev{kDeviceNet};
    dev.offered = bit(kFVersion1) | bit(kNetFMac);
    dev.accept_features = false;
    EXPECT_DEATH(negotiate(dev, "virtio-net at fake 0", 0, bit(kNetFMac)),
                 "did not accept \\(FEATURES_OK\\) the features VIRTIO_NET_F_MAC \\(bit 5\\) VIRTIO_F_VERSION_1");
}

}  // namespace
