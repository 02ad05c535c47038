// Binding devices to the manifest and the device half of the platform ABI over the drivers.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "platforms/virtio/devices/devices.h"
#include "platforms/virtio/devices/registry.h"
#include "virtio_devices/fake_device.h"

using namespace unikit::virtio;
using unikit::virtio::test::FakeDevice;

namespace {

uk_manifest_device entry(const char* name, uint32_t kind) {
    uk_manifest_device d{};
    std::strncpy(d.name, name, sizeof d.name - 1);
    d.kind = kind;
    return d;
}

struct RegistryFixture : ::testing::Test {
    std::vector<std::unique_ptr<FakeDevice>> devs;
    std::vector<Found> found;
    void TearDown() override { registry_reset_for_tests(); }
    FakeDevice& add(uint32_t type, uint8_t mac_last = 0) {
        devs.push_back(std::make_unique<FakeDevice>(type, "fake " + std::to_string(devs.size())));
        auto& d = *devs.back();
        d.offered = bit(kFVersion1) | (type == kDeviceNet ? bit(kNetFMac) : 0);
        d.queue(0).max = 16;
        if (type == kDeviceNet) {
            d.queue(1).max = 16;
            d.config[5] = mac_last;
        } else {
            uint64_t s = 64;
            std::memcpy(d.config, &s, 8);
            d.disk.assign(64 * 512, 0);
        }
        return d;
    }
    Found* chain() {
        found.resize(devs.size());
        for (size_t i = 0; i < devs.size(); ++i)
            found[i] = {0, devs[i].get(), i + 1 < devs.size() ? &found[i + 1] : nullptr};
        return found.empty() ? nullptr : &found[0];
    }
    void set_types(std::vector<uint32_t> t) {
        for (size_t i = 0; i < t.size(); ++i) found[i].type = t[i];
    }
};

TEST_F(RegistryFixture, KthNetEntryGetsTheKthNetDevice) {
    add(kDeviceBlock);
    add(kDeviceNet, 0xa1);
    add(kDeviceNet, 0xa2);
    add(kDeviceNet, 0xa3);  // not in the manifest: left alone
    Found* f = chain();
    set_types({kDeviceBlock, kDeviceNet, kDeviceNet, kDeviceNet});
    uk_manifest_device m[3] = {entry("service", UK_DEV_NET), entry("storage", UK_DEV_BLOCK), entry("admin", UK_DEV_NET)};
    bind_devices(m, 3, f);

    uk_handle h = -1;
    ASSERT_EQ(uk_device_lookup("admin", UK_DEV_NET, &h), UK_OK);
    EXPECT_EQ(h, 2);
    uk_net_info ni{};
    ASSERT_EQ(uk_net_get_info(h, &ni), UK_OK);
    EXPECT_EQ(ni.mac[5], 0xa2);
    EXPECT_EQ(ni.mtu, 1500);
    ASSERT_EQ(uk_device_lookup("service", UK_DEV_NET, &h), UK_OK);
    ASSERT_EQ(uk_net_get_info(h, &ni), UK_OK);
    EXPECT_EQ(ni.mac[5], 0xa1);
    EXPECT_TRUE(devs[3]->status_log.empty());  // never reset, never driven

    ASSERT_EQ(uk_device_lookup("storage", UK_DEV_BLOCK, &h), UK_OK);
    uk_block_info bi{};
    ASSERT_EQ(uk_block_get_info(h, &bi), UK_OK);
    EXPECT_EQ(bi.capacity, 64u * 512);
    EXPECT_EQ(bi.block_size, 512u);

    EXPECT_EQ(uk_device_lookup("storage", UK_DEV_NET, &h), UK_ENOENT);
    EXPECT_EQ(uk_device_lookup("nope", UK_DEV_NET, &h), UK_ENOENT);
    EXPECT_EQ(uk_device_lookup(nullptr, UK_DEV_NET, &h), UK_EINVAL);
    EXPECT_EQ(uk_device_lookup("admin", UK_DEV_NET, nullptr), UK_EINVAL);
}

TEST_F(RegistryFixture, AbiRefusesWrongKindsAndBadHandles) {
    add(kDeviceNet, 1);
    add(kDeviceBlock);
    Found* f = chain();
    set_types({kDeviceNet, kDeviceBlock});
    uk_manifest_device m[2] = {entry("service", UK_DEV_NET), entry("storage", UK_DEV_BLOCK)};
    bind_devices(m, 2, f);
    uint8_t buf[512] = {};
    uk_frame fr{buf, sizeof buf, 60};
    size_t n = 0;
    uk_net_info ni;
    uk_block_info bi;
    EXPECT_EQ(uk_net_write(1, &fr, 1, &n), UK_EINVAL);
    EXPECT_EQ(uk_net_read(1, &fr, 1, &n), UK_EINVAL);
    EXPECT_EQ(uk_net_get_info(1, &ni), UK_EINVAL);
    EXPECT_EQ(uk_net_get_info(0, nullptr), UK_EINVAL);
    EXPECT_EQ(uk_block_get_info(0, &bi), UK_EINVAL);
    EXPECT_EQ(uk_block_read(0, 0, buf, 512), UK_EINVAL);
    EXPECT_EQ(uk_block_write(0, 0, buf, 512), UK_EINVAL);
    EXPECT_EQ(uk_net_write(7, &fr, 1, &n), UK_EINVAL);
    EXPECT_EQ(uk_net_write(-1, &fr, 1, &n), UK_EINVAL);
    EXPECT_EQ(uk_block_read(2, 0, buf, 512), UK_EINVAL);
    // And the right kinds work through the ABI.
    EXPECT_EQ(uk_net_write(0, &fr, 1, &n), UK_OK);
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(uk_net_read(0, &fr, 1, &n), UK_AGAIN);
    EXPECT_EQ(uk_block_write(1, 512, buf, 512), UK_OK);
    EXPECT_EQ(uk_block_read(1, 0, buf, 512), UK_OK);
}

TEST_F(RegistryFixture, PollReportsNetDevicesWithInputAndReclaimsTransmit) {
    auto& a = add(kDeviceNet, 1);
    auto& b = add(kDeviceNet, 2);
    Found* f = chain();
    set_types({kDeviceNet, kDeviceNet});
    uk_manifest_device m[2] = {entry("a", UK_DEV_NET), entry("b", UK_DEV_NET)};
    bind_devices(m, 2, f);
    uk_handle ready[4];
    EXPECT_EQ(devices_poll(ready, 4), 0u);
    ASSERT_TRUE(b.inject_rx(std::vector<uint8_t>(60, 1)));
    ASSERT_EQ(devices_poll(ready, 4), 1u);
    EXPECT_EQ(ready[0], 1);
    ASSERT_EQ(devices_poll(ready, 4), 1u);  // level-triggered: still ready until drained
    ASSERT_TRUE(a.inject_rx(std::vector<uint8_t>(60, 1)));
    EXPECT_EQ(devices_poll(ready, 4), 2u);
    // With room for one, both are reported over successive calls.
    uk_handle one[1];
    ASSERT_EQ(devices_poll(one, 1), 1u);
    uk_handle first = one[0];
    ASSERT_EQ(devices_poll(one, 1), 1u);
    EXPECT_NE(one[0], first);
    EXPECT_EQ(devices_poll(nullptr, 0), 0u);
    // Transmit: fill device a's ring; once the device has consumed, a poll frees the slots.
    uint8_t fb[60] = {};
    uk_frame fr{fb, 0, 60};
    size_t n = 0;
    while (uk_net_write(0, &fr, 1, &n) == UK_OK) {
    }
    EXPECT_EQ(net_driver(0)->txq().num_free(), 0);
    a.process_tx();
    devices_poll(ready, 4);
    EXPECT_EQ(net_driver(0)->txq().num_free(), 16);
}

TEST_F(RegistryFixture, MissingDevicePanicsNamingIt) {
    add(kDeviceNet, 1);
    Found* f = chain();
    set_types({kDeviceNet});
    uk_manifest_device m[2] = {entry("service", UK_DEV_NET), entry("admin", UK_DEV_NET)};
    EXPECT_DEATH(bind_devices(m, 2, f),
                 "PANIC: virtio: no device for the manifest's net device 'admin' \\(the 2nd virtio-net device; found 1\\)");
    uk_manifest_device s[1] = {entry("storage", UK_DEV_BLOCK)};
    EXPECT_DEATH(bind_devices(s, 1, f),
                 "no device for the manifest's block device 'storage' \\(the 1st virtio-blk device; found 0\\)");
    EXPECT_DEATH(bind_devices(s, 1, nullptr), "found 0");
}

TEST_F(RegistryFixture, NoManifestDevicesBindsNothing) {
    add(kDeviceNet, 1);
    Found* f = chain();
    set_types({kDeviceNet});
    bind_devices(nullptr, 0, f);
    uk_handle h;
    EXPECT_EQ(uk_device_lookup("service", UK_DEV_NET, &h), UK_ENOENT);
    EXPECT_TRUE(devs[0]->status_log.empty());
    uk_handle ready[1];
    EXPECT_EQ(devices_poll(ready, 1), 0u);
}

}  // namespace
