// hvtdev: checks the net and block devices of the hvt platform (an hvt image needs both
// attached): reports the MTU and block geometry, writes a pattern to block 1 and reads it
// back, reads and writes the network device once (argument checks included). Exit 0 when all is well.
#include <cstdint>
#include <cstring>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/platform.h>

unikit::Task<int> app_main(std::span<const char* const>) {
    uk_handle net, blk;
    if (uk_device_lookup("service", UK_DEV_NET, &net) != UK_OK) co_return 10;
    if (uk_device_lookup("storage", UK_DEV_BLOCK, &blk) != UK_OK) co_return 11;
    uk_net_info ni{};
    uk_block_info bi{};
    if (uk_net_get_info(net, &ni) != UK_OK || uk_block_get_info(blk, &bi) != UK_OK) co_return 12;
    static uint8_t buf[512], back[512];
    for (int i = 0; i < 512; ++i) buf[i] = static_cast<uint8_t>(i * 7);
    if (uk_block_write(blk, 512, buf, 512) != UK_OK) co_return 13;
    if (uk_block_read(blk, 512, back, 512) != UK_OK || std::memcmp(buf, back, 512) != 0) co_return 14;
    if (uk_block_read(blk, 1, back, 512) != UK_EINVAL) co_return 15;
    if (uk_block_read(blk, bi.capacity, back, 512) != UK_EINVAL) co_return 16;
    static uint8_t fb[2048];
    uk_frame f{fb, sizeof fb, 0, 0};
    size_t got = 0;
    uk_result r = uk_net_read(net, &f, 1, &got);
    if (r != UK_AGAIN && r != UK_OK) co_return 17;
    // A broadcast frame out of the TAP device.
    static uint8_t frame[60];
    std::memset(frame, 0xff, 6);
    std::memcpy(frame + 6, ni.mac, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;  // local experimental EtherType
    uk_frame out{frame, 0, sizeof frame, 0};
    size_t sent = 0;
    r = uk_net_write(net, &out, 1, &sent);  // the TAP link is down in the test: EIO
    if (!((r == UK_OK && sent == 1) || (r == UK_EIO && sent == 0))) co_return 18;
    uk_frame big{frame, 0, size_t(ni.mtu) + 19, 0};
    if (uk_net_write(net, &big, 1, &sent) != UK_EINVAL) co_return 20;
    if (uk_net_write(blk, &out, 1, &sent) != UK_EINVAL) co_return 21;
    size_t nready = 0;
    uk_handle ready[4];
    if (uk_yield(uk_clock_monotonic() + 1000000, ready, 4, &nready) != UK_OK) co_return 19;
    unikit::println("hvtdev: mtu {} capacity {} block {}", ni.mtu, bi.capacity, bi.block_size);
    co_return 0;
}
