// devprobe: a test unikernel that needs a network device "service" and a block device
// "storage". It looks both up through the platform ABI and prints what it finds, and writes then
// reads back the first block, so tests can check the start code's device attachment end to end.
#include <unikit/unikit.h>

#include <cstring>

unikit::Task<int> app_main(std::span<const char* const> args) {
    uk_handle net, blk;
    if (uk_device_lookup("service", UK_DEV_NET, &net) != UK_OK) {
        unikit::println("devprobe: no service");
        co_return 3;
    }
    if (uk_device_lookup("storage", UK_DEV_BLOCK, &blk) != UK_OK) {
        unikit::println("devprobe: no storage");
        co_return 3;
    }
    struct uk_net_info ni;
    struct uk_block_info bi;
    if (uk_net_get_info(net, &ni) != UK_OK || uk_block_get_info(blk, &bi) != UK_OK) co_return 4;
    unsigned m[6];
    for (int i = 0; i < 6; ++i) m[i] = ni.mac[i];
    unikit::println("service: net mtu={} mac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", unsigned{ni.mtu}, m[0], m[1],
                    m[2], m[3], m[4], m[5]);
    unikit::println("storage: block size={} capacity={}", bi.block_size, static_cast<unsigned long long>(bi.capacity));
    static unsigned char out[512], in[512];
    std::memcpy(out, "devprobe was here", 17);
    if (uk_block_write(blk, 0, out, sizeof out) != UK_OK) co_return 5;
    if (uk_block_read(blk, 0, in, sizeof in) != UK_OK || std::memcmp(in, out, sizeof in) != 0) co_return 6;
    unikit::println("storage: ok");
    co_return 0;
}
