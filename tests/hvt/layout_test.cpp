// The hvt monitor's guest layout and page tables, checked without KVM: W^X per segment, user
// bit on guest memory only, guards unmapped, and the range checks hypercalls rely on.
#include <gtest/gtest.h>

#include <vector>

#include "layout.h"

using namespace unikit::hvt;

namespace {

constexpr uint32_t R = 4, W = 2, X = 1;

struct Planned {
    Layout l;
    std::vector<uint8_t> mem;
    uint64_t cr3;
};

Planned make(uint64_t mem = 64 << 20) {
    std::vector<LoadSegment> segs = {{0, 0x1800, R}, {0x2000, 0x3000, R | X}, {0x5000, 0x2100, R | W}};
    auto l = plan(mem, 0x8000, segs, 5000);
    EXPECT_TRUE(l.has_value());
    Planned p{*l, std::vector<uint8_t>(mem), 0};
    p.cr3 = build_page_tables(p.mem, p.l);
    return p;
}

TEST(HvtLayout, OrderAndGuards) {
    auto p = make();
    const Layout& l = p.l;
    EXPECT_EQ(0u, l.image_base % (2 << 20));
    EXPECT_GE(l.image_base, l.pt_hi);
    EXPECT_EQ(l.image_base + 0x8000, l.image_hi);
    EXPECT_EQ(l.image_hi + kPage, l.heap_lo);
    EXPECT_EQ(l.heap_hi + kPage, l.stack_lo);
    EXPECT_EQ(l.stack_lo + kStackSize, l.stack_hi);
    EXPECT_EQ(l.stack_hi, l.boot_lo);
    EXPECT_EQ(uint64_t(64 << 20) - 8192, l.boot_lo);
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, 0));                // null page
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, l.image_hi));       // guard after the image
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, l.heap_hi));        // guard below the stack
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, l.pt_lo));          // page tables are not mapped
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, l.mem));            // beyond memory
    EXPECT_EQ("the guard page below the stack (stack overflow?)", l.describe(l.heap_hi));
    EXPECT_EQ("the null page", l.describe(8));
}

TEST(HvtLayout, WriteXorExecutePerSegment) {
    auto p = make();
    const uint64_t b = p.l.image_base;
    uint64_t ro = lookup_pte(p.mem, p.cr3, b), code = lookup_pte(p.mem, p.cr3, b + 0x2000),
             data = lookup_pte(p.mem, p.cr3, b + 0x6000), heap = lookup_pte(p.mem, p.cr3, p.l.heap_lo),
             stack = lookup_pte(p.mem, p.cr3, p.l.stack_hi - 8), boot = lookup_pte(p.mem, p.cr3, p.l.boot_lo),
             gdt = lookup_pte(p.mem, p.cr3, kGdtAddr);
    for (uint64_t e : {ro, code, data, heap, stack, boot, gdt}) EXPECT_TRUE(e & kPtePresent);
    for (uint64_t e : {ro, code, data, heap, stack, boot}) EXPECT_TRUE(e & kPteUser);
    EXPECT_FALSE(gdt & kPteUser);  // the CPL3 guest cannot touch the GDT/TSS
    EXPECT_FALSE(code & kPteWrite);
    EXPECT_FALSE(code & kPteNx);
    for (uint64_t e : {ro, data, heap, stack, boot, gdt}) EXPECT_TRUE(e & kPteNx);
    EXPECT_FALSE(ro & kPteWrite);
    EXPECT_FALSE(boot & kPteWrite);
    for (uint64_t e : {data, heap, stack}) EXPECT_TRUE(e & kPteWrite);
    EXPECT_EQ(b + 0x2000, code & 0x000ffffffffff000ull);  // identity map
    EXPECT_EQ(0u, lookup_pte(p.mem, p.cr3, b + 0x8000));  // past the last segment
}

TEST(HvtLayout, GuestRangeChecks) {
    auto p = make();
    const Layout& l = p.l;
    EXPECT_TRUE(l.user_range_ok(l.heap_lo, 100, kRead | kWrite));
    EXPECT_TRUE(l.user_range_ok(l.image_base + 0x2000, 0x3000, kRead));       // code is readable
    EXPECT_FALSE(l.user_range_ok(l.image_base + 0x2000, 8, kWrite));          // but not writable
    EXPECT_TRUE(l.user_range_ok(l.image_base + 0x1ff0, 0x20, kRead));         // two adjacent segments
    EXPECT_FALSE(l.user_range_ok(l.image_base + 0x6ff0, 0x2000, kRead));      // runs into a gap
    EXPECT_FALSE(l.user_range_ok(l.heap_hi - 8, 16, kRead));                  // into the guard page
    EXPECT_FALSE(l.user_range_ok(kGdtAddr, 8, kRead));                        // monitor-owned
    EXPECT_FALSE(l.user_range_ok(l.pt_lo, 8, kRead));
    EXPECT_FALSE(l.user_range_ok(0, 8, kRead));
    EXPECT_FALSE(l.user_range_ok(l.boot_lo, 8, kWrite));
    EXPECT_TRUE(l.user_range_ok(l.boot_lo, 8, kRead));
    EXPECT_FALSE(l.user_range_ok(l.mem - 8, 16, kRead));
    EXPECT_FALSE(l.user_range_ok(~0ull - 4, 100, kRead));
    EXPECT_FALSE(l.user_range_ok(l.heap_lo, ~0ull, kRead));
    EXPECT_TRUE(l.user_range_ok(12345, 0, kWrite));
}

TEST(HvtLayout, TooSmall) {
    std::vector<LoadSegment> segs = {{0, 0x1000, R | X}};
    auto l = plan(4 << 20, 0x1000, segs, 100);
    ASSERT_FALSE(l.has_value());
    EXPECT_NE(std::string::npos, l.error().find("--mem 4 MiB is too small for this image")) << l.error();
    EXPECT_TRUE(plan(8 << 20, 0x1000, segs, 100).has_value());
}

TEST(HvtLayout, LargeMemoryPageTablesFit) {
    std::vector<LoadSegment> segs = {{0, 0x1000, R | X}};
    auto l = plan(uint64_t(4) << 30, 0x1000, segs, 100);
    ASSERT_TRUE(l.has_value());
    EXPECT_GE(l->image_base, l->pt_hi);
    EXPECT_LE(l->stack_hi, uint64_t(4) << 30);
}

TEST(HvtLayout, TssAllowsOnlyHypercallPorts) {
    std::vector<uint8_t> mem(1 << 20);
    build_gdt_tss(mem, 0x500, 0x509);
    auto allowed = [&](unsigned port) {
        return !(mem[kTssAddr + kTssIoBitmapOffset + port / 8] & (1u << (port % 8)));
    };
    EXPECT_TRUE(allowed(0x500));
    EXPECT_TRUE(allowed(0x508));
    EXPECT_TRUE(allowed(0x50b));  // outl to 0x508 checks 0x508..0x50b
    EXPECT_FALSE(allowed(0x50c));
    EXPECT_FALSE(allowed(0x4ff));
    EXPECT_FALSE(allowed(0x3f8));
    EXPECT_EQ(0xff, mem[kTssAddr + kTssIoBitmapOffset + kTssIoBitmapBytes]);
    EXPECT_EQ(kTssIoBitmapOffset, mem[kTssAddr + 102] | (mem[kTssAddr + 103] << 8));
}

}  // namespace
