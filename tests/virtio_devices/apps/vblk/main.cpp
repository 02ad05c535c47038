// vblk: exercises a block device through the platform ABI (the virtio-blk driver in the
// virtio tests). Regions: block 1, a 600 KiB run from block 3 (more than one device request),
// and the last block; the byte at offset o is pattern(o, seed).
//   vblk rw SEED     write the regions, read them back, check; argument checks
//   vblk check SEED  read the regions and check (what an earlier boot wrote)
//   vblk ro          writes must fail with UK_EIO (a read-only device); reads work
// Exit 0 when all is well; a distinct status and a message for each failure.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/platform.h>

namespace {

uint8_t pattern(uint64_t o, unsigned seed) { return uint8_t(o * 131 + seed + (o >> 9)); }

constexpr size_t kRun = 600 * 1024;
uint8_t g_buf[kRun];

struct Region {
    uint64_t off;
    size_t len;
};

int fail(int code, std::string_view what) {
    unikit::println("vblk: FAIL {}", what);
    return code;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view mode = args.size() > 1 ? args[1] : "";
    unsigned seed = 0;
    if (args.size() > 2) std::from_chars(args[2], args[2] + std::strlen(args[2]), seed);
    uk_handle blk;
    if (uk_device_lookup("storage", UK_DEV_BLOCK, &blk) != UK_OK) co_return fail(10, "lookup");
    uk_block_info bi{};
    if (uk_block_get_info(blk, &bi) != UK_OK) co_return fail(11, "get_info");
    const uint64_t bs = bi.block_size;
    if (bs == 0 || bi.capacity < 4 * bs + kRun) co_return fail(12, "device too small");
    const Region regions[3] = {{bs, size_t(bs)}, {3 * bs, kRun}, {bi.capacity - bs, size_t(bs)}};

    if (mode == "ro") {
        std::memset(g_buf, 0x5a, bs);
        if (uk_block_write(blk, bs, g_buf, bs) != UK_EIO) co_return fail(20, "write to a read-only device did not fail with UK_EIO");
        if (uk_block_read(blk, 0, g_buf, bs) != UK_OK) co_return fail(21, "read from a read-only device");
        unikit::println("vblk: read-only ok");
        co_return 0;
    }
    if (mode == "rw") {
        for (const auto& r : regions) {
            for (size_t i = 0; i < r.len; ++i) g_buf[i] = pattern(r.off + i, seed);
            if (uk_block_write(blk, r.off, g_buf, r.len) != UK_OK) co_return fail(30, "write");
        }
        // Argument checks.
        if (uk_block_read(blk, 1, g_buf, bs) != UK_EINVAL) co_return fail(31, "misaligned offset accepted");
        if (uk_block_read(blk, 0, g_buf, bs + 1) != UK_EINVAL) co_return fail(32, "misaligned length accepted");
        if (uk_block_read(blk, bi.capacity, g_buf, bs) != UK_EINVAL) co_return fail(33, "read past the end accepted");
        if (uk_block_write(blk, bi.capacity - bs, g_buf, 2 * bs) != UK_EINVAL) co_return fail(34, "write past the end accepted");
    } else if (mode != "check") {
        unikit::println("usage: vblk rw SEED | check SEED | ro");
        co_return 2;
    }
    for (const auto& r : regions) {
        std::memset(g_buf, 0, r.len);
        if (uk_block_read(blk, r.off, g_buf, r.len) != UK_OK) co_return fail(40, "read");
        for (size_t i = 0; i < r.len; ++i)
            if (g_buf[i] != pattern(r.off + i, seed)) {
                unikit::println("vblk: FAIL byte at offset {} is {}, expected {}", r.off + i, g_buf[i], pattern(r.off + i, seed));
                co_return 41;
            }
    }
    unikit::println("vblk: capacity {} block {} {} ok", bi.capacity, bi.block_size, mode);
    co_return 0;
}
