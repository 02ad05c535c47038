// The virtio-net driver against the fake device: configuration, header, batching, a full
// transmit ring, receive refill, oversize frames, ring wrap-around, a lying device.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "platforms/virtio/devices/net.h"
#include "virtio_devices/fake_device.h"

using namespace unikit::virtio;
using unikit::virtio::test::FakeDevice;

namespace {

std::vector<uint8_t> frame_of(size_t len, uint8_t seed) {
    std::vector<uint8_t> f(len);
    for (size_t i = 0; i < len; ++i) f[i] = uint8_t(seed + i * 31);
    return f;
}

struct NetFixture : ::testing::Test {
    FakeDevice dev{kDeviceNet};
    NetDriver net;
    void SetUp() override {
        dev.offered = bit(kFVersion1) | bit(kNetFMac) | bit(kNetFMtu) | bit(kNetFCsum);
        const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
        std::memcpy(dev.config + kNetCfgMac, mac, 6);
        uint16_t mtu = 1500;
        std::memcpy(dev.config + kNetCfgMtu, &mtu, 2);
    }
    void start(uint16_t qmax = 256) {
        dev.queue(0).max = qmax;
        dev.queue(1).max = qmax;
        net.init(dev, 0);
    }
    uk_result send(const std::vector<uint8_t>& f, size_t* sent) {
        uk_frame uf{const_cast<uint8_t*>(f.data()), 0, f.size(), 0};
        return net.write(&uf, 1, sent);
    }
};

TEST_F(NetFixture, ConfigurationFromTheDevice) {
    start();
    EXPECT_EQ(0, std::memcmp(net.mac(), "\x52\x54\x00\x12\x34\x56", 6));
    EXPECT_EQ(net.mtu(), 1500);
    EXPECT_EQ(net.header_len(), 12u);
    EXPECT_EQ(net.features(), bit(kFVersion1) | bit(kNetFMac) | bit(kNetFMtu));  // no CSUM: no offloads
    EXPECT_TRUE(dev.interrupts_attached);
    EXPECT_EQ(dev.status_log.back(), 15);
    // The receive ring is full and published; transmit interrupts are off.
    EXPECT_EQ(dev.available(0), 256);
    EXPECT_EQ(dev.queue(1).avail[0], kAvailFNoInterrupt);
    EXPECT_EQ(dev.queue(0).avail[0], 0);
}

TEST_F(NetFixture, DefaultsWithoutMacAndMtu) {
    dev.offered = bit(kFVersion1);
    dev.queue(0).max = dev.queue(1).max = 16;
    net.init(dev, 2);
    EXPECT_EQ(0, std::memcmp(net.mac(), "\x02\x00\x00\x00\x00\x03", 6));
    EXPECT_EQ(net.mtu(), 1500);
}

TEST_F(NetFixture, JumboMtuIsCappedAtTheStackMaximum) {
    uint16_t mtu = 65000;
    std::memcpy(dev.config + kNetCfgMtu, &mtu, 2);
    start(16);
    EXPECT_EQ(net.mtu(), NetDriver::kMaxMtu);
    // A 9000-byte packet arrives whole.
    auto f = frame_of(9000 + 14, 1);
    ASSERT_TRUE(dev.inject_rx(f));
    std::vector<uint8_t> buf(9100);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got = 0;
    ASSERT_EQ(net.read(&uf, 1, &got), UK_OK);
    EXPECT_EQ(uf.len, f.size());
}

TEST_F(NetFixture, TinyMtuPanics) {
    uint16_t mtu = 60;
    std::memcpy(dev.config + kNetCfgMtu, &mtu, 2);
    EXPECT_DEATH(start(), "PANIC: virtio-net at fake 0: device reports MTU 60 \\(below 68\\)");
}

TEST_F(NetFixture, TransmitPutsAZeroHeaderInFront) {
    start();
    auto f = frame_of(60, 7);
    size_t sent = 0;
    ASSERT_EQ(send(f, &sent), UK_OK);
    EXPECT_EQ(sent, 1u);
    EXPECT_EQ(dev.queue(1).notifies, 1u);
    ASSERT_EQ(dev.process_tx(), 1u);
    EXPECT_EQ(dev.tx[0], f);
    EXPECT_EQ(dev.tx_headers[0], std::vector<uint8_t>(12, 0));
}

TEST_F(NetFixture, LegacyHeaderIsTenBytesInItsOwnDescriptor) {
    dev.is_legacy = true;
    dev.offered = bit(kNetFMac);
    start();
    EXPECT_EQ(net.header_len(), 10u);
    auto f = frame_of(100, 3);
    size_t sent = 0;
    ASSERT_EQ(send(f, &sent), UK_OK);
    uint16_t head;
    std::vector<FakeDevice::Seg> segs;
    ASSERT_TRUE(dev.take(1, &head, &segs));
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].len, 10u);
    EXPECT_EQ(segs[1].len, 100u);
    EXPECT_EQ(0, std::memcmp(segs[1].p, f.data(), 100));
    // And receive strips 10 bytes.
    ASSERT_TRUE(dev.inject_rx(f));
    std::vector<uint8_t> buf(2000);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got = 0;
    ASSERT_EQ(net.read(&uf, 1, &got), UK_OK);
    EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + uf.len), f);
}

TEST_F(NetFixture, BatchWriteAndFullRingGivesAgain) {
    start(8);
    std::vector<std::vector<uint8_t>> fs;
    std::vector<uk_frame> ufs;
    for (int i = 0; i < 12; ++i) fs.push_back(frame_of(64 + i, uint8_t(i)));
    for (auto& f : fs) ufs.push_back({f.data(), 0, f.size(), 0});
    size_t sent = 99;
    ASSERT_EQ(net.write(ufs.data(), ufs.size(), &sent), UK_OK);
    EXPECT_EQ(sent, 8u);  // the ring holds 8
    EXPECT_EQ(dev.queue(1).notifies, 1u);  // one notify per batch
    ASSERT_EQ(net.write(ufs.data() + 8, 4, &sent), UK_AGAIN);
    EXPECT_EQ(sent, 0u);
    // The device consumes 3; the driver reclaims them on the next write.
    ASSERT_EQ(dev.process_tx(3), 3u);
    ASSERT_EQ(net.write(ufs.data() + 8, 4, &sent), UK_OK);
    EXPECT_EQ(sent, 3u);
    dev.process_tx();
    net.reclaim_tx();
    ASSERT_EQ(net.write(ufs.data() + 11, 1, &sent), UK_OK);
    dev.process_tx();
    ASSERT_EQ(dev.tx.size(), 12u);
    for (size_t i = 0; i < 12; ++i) EXPECT_EQ(dev.tx[i], fs[i]) << i;
}

TEST_F(NetFixture, WriteArgumentChecks) {
    start(8);
    auto ok = frame_of(1500 + 18, 1);
    auto big = frame_of(1500 + 19, 1);
    uk_frame two[2] = {{ok.data(), 0, ok.size(), 0}, {big.data(), 0, big.size(), 0}};
    size_t sent = 5;
    EXPECT_EQ(net.write(two, 2, &sent), UK_EINVAL);  // nothing taken when one frame is too long
    EXPECT_EQ(sent, 0u);
    EXPECT_EQ(dev.available(1), 0);
    EXPECT_EQ(net.write(two, 1, &sent), UK_OK);  // MTU + 14 + 4 is allowed
    EXPECT_EQ(net.write(two, 0, &sent), UK_OK);
    EXPECT_EQ(sent, 0u);
    EXPECT_EQ(net.write(nullptr, 1, &sent), UK_EINVAL);
    EXPECT_EQ(net.write(two, 1, nullptr), UK_EINVAL);
    dev.process_tx();
    ASSERT_EQ(dev.tx.size(), 1u);
    EXPECT_EQ(dev.tx[0], ok);
}

TEST_F(NetFixture, ReadBatchesAndRefills) {
    start(8);
    size_t got = 7;
    std::vector<uint8_t> b[3];
    uk_frame uf[3];
    for (int i = 0; i < 3; ++i) {
        b[i].resize(1600);
        uf[i] = {b[i].data(), b[i].size(), 0, 0};
    }
    EXPECT_EQ(net.read(uf, 3, &got), UK_AGAIN);
    EXPECT_EQ(got, 0u);
    EXPECT_FALSE(net.rx_ready());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(dev.inject_rx(frame_of(100 + i, uint8_t(i))));
    EXPECT_TRUE(net.rx_ready());
    EXPECT_EQ(dev.available(0), 5);
    ASSERT_EQ(net.read(uf, 2, &got), UK_OK);
    EXPECT_EQ(got, 2u);
    EXPECT_EQ(uf[0].len, 100u);
    EXPECT_EQ(std::vector<uint8_t>(b[1].begin(), b[1].begin() + 101), frame_of(101, 1));
    EXPECT_EQ(dev.available(0), 7);  // the two buffers went back at once
    ASSERT_EQ(net.read(uf, 3, &got), UK_OK);
    EXPECT_EQ(got, 1u);
    EXPECT_EQ(uf[0].len, 102u);
    EXPECT_EQ(dev.available(0), 8);
    EXPECT_FALSE(net.rx_ready());
    EXPECT_EQ(net.rx_frames, 3u);
}

TEST_F(NetFixture, OversizeFrameIsDroppedNotTruncated) {
    start(8);
    ASSERT_TRUE(dev.inject_rx(frame_of(200, 1)));
    ASSERT_TRUE(dev.inject_rx(frame_of(50, 2)));
    std::vector<uint8_t> buf(100, 0xee);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got = 0;
    ASSERT_EQ(net.read(&uf, 1, &got), UK_OK);
    EXPECT_EQ(got, 1u);
    EXPECT_EQ(uf.len, 50u);
    EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + 50), frame_of(50, 2));
    EXPECT_EQ(net.rx_dropped_oversize, 1u);
    EXPECT_EQ(dev.available(0), 8);  // the dropped frame's buffer was refilled too
    // Only an oversize frame waiting: dropped, and nothing to report.
    ASSERT_TRUE(dev.inject_rx(frame_of(200, 3)));
    EXPECT_EQ(net.read(&uf, 1, &got), UK_AGAIN);
    EXPECT_EQ(net.rx_dropped_oversize, 2u);
}

TEST_F(NetFixture, RingsWrapAroundTheSixteenBitIndex) {
    start(8);
    // 70000 frames each way through 8-entry rings: the ring positions wrap thousands of times
    // and the 16-bit indices wrap once.
    std::vector<uint8_t> buf(1600);
    uk_frame in{buf.data(), buf.size(), 0, 0};
    size_t n = 0;
    for (uint32_t i = 0; i < 70000; ++i) {
        uint8_t f[64];
        std::memcpy(f, &i, 4);
        std::memset(f + 4, uint8_t(i), 60);
        uk_frame out{f, 0, sizeof f, 0};
        ASSERT_EQ(net.write(&out, 1, &n), UK_OK) << i;
        if (i % 5 == 4) {
            ASSERT_EQ(dev.process_tx(), 5u);
        }
        std::vector<uint8_t> rf(f, f + 64);
        ASSERT_TRUE(dev.inject_rx(rf)) << i;
        ASSERT_EQ(net.read(&in, 1, &n), UK_OK) << i;
        uint32_t back;
        std::memcpy(&back, buf.data(), 4);
        ASSERT_EQ(back, i);
    }
    EXPECT_EQ(dev.tx.size(), 70000u);
    uint32_t last;
    std::memcpy(&last, dev.tx.back().data(), 4);
    EXPECT_EQ(last, 69999u);
    EXPECT_EQ(uint16_t(dev.queue(1).avail[1]), uint16_t(70000));
}

TEST_F(NetFixture, InterruptsFollowTheFlagsWithoutEventIdx) {
    start(8);
    EXPECT_FALSE(net.rxq().event_idx());
    ASSERT_TRUE(dev.inject_rx(frame_of(60, 1)));
    ASSERT_TRUE(dev.inject_rx(frame_of(60, 2)));
    EXPECT_EQ(dev.queue(0).interrupts, 2u);  // receive: every entry
    size_t sent;
    auto f = frame_of(60, 3);
    ASSERT_EQ(send(f, &sent), UK_OK);
    dev.process_tx();
    EXPECT_EQ(dev.queue(1).interrupts, 0u);  // transmit: suppressed
}

TEST_F(NetFixture, EventIdxAsksForOneInterruptPerDrainedRing) {
    dev.offered |= bit(kFEventIdx);
    start(8);
    ASSERT_TRUE(net.rxq().event_idx());
    EXPECT_TRUE(net.features() & bit(kFEventIdx));
    EXPECT_EQ(dev.queue(0).avail[0], 0);  // flags unused with EVENT_IDX
    EXPECT_EQ(dev.queue(1).avail[0], 0);
    ASSERT_TRUE(dev.inject_rx(frame_of(60, 1)));
    ASSERT_TRUE(dev.inject_rx(frame_of(60, 2)));
    EXPECT_EQ(dev.queue(0).interrupts, 1u);  // the second waits until the driver has read
    std::vector<uint8_t> buf(1600);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got;
    ASSERT_EQ(net.read(&uf, 1, &got), UK_OK);
    ASSERT_EQ(net.read(&uf, 1, &got), UK_OK);
    EXPECT_FALSE(net.rx_ready());
    ASSERT_TRUE(dev.inject_rx(frame_of(60, 3)));
    EXPECT_EQ(dev.queue(0).interrupts, 2u);
    EXPECT_TRUE(net.rx_ready());
    // Transmit completions never interrupt, through many wraps of the ring.
    for (int i = 0; i < 100; ++i) {
        size_t sent;
        auto f = frame_of(60, uint8_t(i));
        ASSERT_EQ(send(f, &sent), UK_OK);
        dev.process_tx();
        net.reclaim_tx();
    }
    EXPECT_EQ(dev.queue(1).interrupts, 0u);
}

TEST_F(NetFixture, EventIdxNotifiesWhenThePublishedIndexPassesAvailEvent) {
    dev.offered |= bit(kFEventIdx);
    start(8);
    const uint64_t base = dev.queue(1).notifies;
    dev.set_avail_event(1, 2);  // "tell me when entry 2 is published"
    size_t sent;
    auto f = frame_of(60, 1);
    ASSERT_EQ(send(f, &sent), UK_OK);  // entry 0
    ASSERT_EQ(send(f, &sent), UK_OK);  // entry 1
    EXPECT_EQ(dev.queue(1).notifies, base);
    ASSERT_EQ(send(f, &sent), UK_OK);  // entry 2
    EXPECT_EQ(dev.queue(1).notifies, base + 1);
    ASSERT_EQ(send(f, &sent), UK_OK);  // entry 3: the device did not ask again
    EXPECT_EQ(dev.queue(1).notifies, base + 1);
    EXPECT_EQ(net.txq().notifications(), 1u);
    // A batch that jumps over the asked index notifies once.
    dev.process_tx();  // (a device asking for every entry again: avail_event 4)
    dev.set_avail_event(1, 5);
    uk_frame three[3] = {{f.data(), 0, f.size(), 0}, {f.data(), 0, f.size(), 0}, {f.data(), 0, f.size(), 0}};
    ASSERT_EQ(net.write(three, 3, &sent), UK_OK);  // entries 4, 5, 6
    EXPECT_EQ(dev.queue(1).notifies, base + 2);
}

TEST_F(NetFixture, UsedLengthShorterThanTheHeaderPanics) {
    start(8);
    uint16_t head;
    std::vector<FakeDevice::Seg> segs;
    ASSERT_TRUE(dev.take(0, &head, &segs));
    dev.push_used(0, head, 5);
    std::vector<uint8_t> buf(1600);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got;
    EXPECT_DEATH(net.read(&uf, 1, &got), "used length 5 for id .*shorter than the 12-byte header");
}

TEST_F(NetFixture, ReceiveLengthBeyondTheBufferPanics) {
    start(8);
    uint16_t head;
    std::vector<FakeDevice::Seg> segs;
    ASSERT_TRUE(dev.take(0, &head, &segs));
    dev.push_used(0, head, 12 + 1500 + 18 + 1);
    std::vector<uint8_t> buf(1600);
    uk_frame uf{buf.data(), buf.size(), 0, 0};
    size_t got;
    EXPECT_DEATH(net.read(&uf, 1, &got), "used length 1531 for id [0-9]+, which has only 1530 writable bytes");
}

}  // namespace
