// sptdev: an image that needs devices (net 'service', block 'storage'). With only the block
// device given it cannot start (the tender refuses); the tests use it for manifest mismatches.
// When it does run it writes a pattern to the block device, reads it back and reports.
#include <cstdint>
#include <cstring>
#include <span>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/platform.h>

unikit::Task<int> app_main(std::span<const char* const>) {
    uk_handle net, blk;
    if (uk_device_lookup("service", UK_DEV_NET, &net) != UK_OK) co_return 10;
    if (uk_device_lookup("storage", UK_DEV_BLOCK, &blk) != UK_OK) co_return 11;
    struct uk_net_info ni;
    if (uk_net_get_info(net, &ni) != UK_OK) co_return 12;
    struct uk_block_info bi;
    if (uk_block_get_info(blk, &bi) != UK_OK) co_return 13;
    static uint8_t buf[1024], back[1024];
    for (size_t i = 0; i < sizeof buf; ++i) buf[i] = static_cast<uint8_t>(i * 7);
    if (uk_block_write(blk, bi.block_size, buf, sizeof buf) != UK_OK) co_return 14;
    if (uk_block_read(blk, bi.block_size, back, sizeof back) != UK_OK) co_return 15;
    if (std::memcmp(buf, back, sizeof buf) != 0) co_return 16;
    if (uk_block_read(blk, 1, back, 512) != UK_EINVAL) co_return 17;
    if (uk_block_read(blk, bi.capacity, back, 512) != UK_EINVAL) co_return 18;
    unikit::println("sptdev: mtu {} capacity {} block {}", ni.mtu, bi.capacity, bi.block_size);
    co_return 0;
}
