// Memory: the RAM map, the final page tables, and the allocators behind dma_alloc and the heap.
//
// Page tables (4-level, identity: virtual == physical):
//   - page 0 is not mapped (a NULL dereference faults);
//   - the image's three segments get their own protections: rodata R+NX, text R+X, data/bss
//     RW+NX (CR0.WP makes read-only binding for the kernel too), and the page under the boot
//     stack is not mapped (a stack overflow faults instead of overwriting .bss);
//   - every other RAM page is RW+NX (2 MiB pages where a whole aligned 2 MiB is plain RAM);
//   - device windows (LAPIC, IOAPIC, PCI BARs, virtio-mmio) are mapped on demand, uncached.
// Free memory is the largest RAM range above the image: page tables and dma_alloc take pages
// from its bottom, the heap takes what is left at boot, minus a reserve kept for allocations
// made after boot (late dma_alloc, late map_device_memory).
#include <unikit/platform.h>

#include "platforms/virtio/kernel/internal.h"
#include "platforms/virtio/kernel/pvh.h"

extern "C" char __image_start[], __rodata_start[], __rodata_end[], __text_start[], __text_end[], __data_start[],
    __image_end[], boot_stack_guard[];

namespace unikit::virtio::k {
namespace {

constexpr uint64_t kPage = 4096, kLarge = 2 << 20;
constexpr uint64_t kP = 1, kRW = 2, kPWT = 8, kPCD = 0x10, kPS = 0x80, kNX = 1ull << 63;
constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;
constexpr size_t kMaxRanges = 32;
constexpr uint64_t kLateReserve = 2 << 20;

struct Range {
    uint64_t base, end;
};
Range g_ram[kMaxRanges];
size_t g_nram = 0;
uint64_t g_nx = 0;           // kNX when the CPU has NX, else 0 (the bit would be reserved)
unsigned g_phys_bits = 36;
uint64_t* g_pml4 = nullptr;
uint64_t g_free_lo = 0, g_free_hi = 0;  // the free region [lo, hi)

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t img(const char* p) { return reinterpret_cast<uint64_t>(p); }

void add_ram(uint64_t base, uint64_t size) {
    uint64_t b = align_up(base, kPage), e = (base + size) & ~(kPage - 1);
    if (e <= b || g_nram == kMaxRanges) return;
    g_ram[g_nram++] = {b, e};
}

// CMOS memory sizes, for a loader that passes no memory map (as QEMU and SeaBIOS set them).
uint8_t cmos(uint8_t reg) {
    outb(0x70, reg);
    return inb(0x71);
}
void ram_from_cmos() {
    add_ram(0, 640 << 10);
    uint64_t above16 = (uint64_t(cmos(0x35)) << 8 | cmos(0x34)) << 16;
    uint64_t ext_kib = uint64_t(cmos(0x31)) << 8 | cmos(0x30);
    if (above16) add_ram(1 << 20, (15 << 20) + above16);
    else add_ram(1 << 20, ext_kib << 10);
    uint64_t above4g = (uint64_t(cmos(0x5d)) << 16 | uint64_t(cmos(0x5c)) << 8 | cmos(0x5b)) << 16;
    if (above4g) add_ram(1ull << 32, above4g);
}

void* zero_page_alloc() {
    uint64_t p = align_up(g_free_lo, kPage);
    if (p + kPage > g_free_hi) panic("out of memory for page tables");
    g_free_lo = p + kPage;
    __builtin_memset(reinterpret_cast<void*>(p), 0, kPage);
    return reinterpret_cast<void*>(p);
}

uint64_t* next_level(uint64_t* table, unsigned idx) {
    if (!(table[idx] & kP)) table[idx] = reinterpret_cast<uint64_t>(zero_page_alloc()) | kP | kRW;
    if (table[idx] & kPS) return nullptr;
    return reinterpret_cast<uint64_t*>(table[idx] & kAddrMask);
}

bool map_4k(uint64_t va, uint64_t flags) {
    uint64_t* pdpt = next_level(g_pml4, (va >> 39) & 511);
    uint64_t* pd = pdpt ? next_level(pdpt, (va >> 30) & 511) : nullptr;
    uint64_t* pt = pd ? next_level(pd, (va >> 21) & 511) : nullptr;
    if (!pt) return false;
    pt[(va >> 12) & 511] = va | flags;
    return true;
}

bool map_2m(uint64_t va, uint64_t flags) {
    uint64_t* pdpt = next_level(g_pml4, (va >> 39) & 511);
    uint64_t* pd = pdpt ? next_level(pdpt, (va >> 30) & 511) : nullptr;
    if (!pd) return false;
    pd[(va >> 21) & 511] = va | flags | kPS;
    return true;
}

bool overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return a < d && c < b; }

// Protection of one page of the image; 0 = leave unmapped.
uint64_t image_flags(uint64_t va) {
    if (va >= img(__text_start) && va < img(__text_end)) return kP;
    if (va < img(__data_start)) return kP | g_nx;  // notes, rodata (and the gap before text)
    if (va >= img(boot_stack_guard) && va < img(boot_stack_guard) + kPage) return 0;
    return kP | kRW | g_nx;
}

void map_ram_range(const Range& r) {
    const uint64_t ib = img(__image_start), ie = align_up(img(__image_end), kPage);
    uint64_t a = r.base;
    while (a < r.end) {
        if (a % kLarge == 0 && a + kLarge <= r.end && a != 0 && !overlaps(a, a + kLarge, ib, ie)) {
            if (!map_2m(a, kP | kRW | g_nx)) panic("page tables: cannot map RAM");
            a += kLarge;
            continue;
        }
        if (a != 0 && !overlaps(a, a + kPage, ib, ie) && !map_4k(a, kP | kRW | g_nx)) panic("page tables: cannot map RAM");
        a += kPage;
    }
}

}  // namespace

void memory_init(const void* si_raw) {
    const auto* si = static_cast<const pvh::StartInfo*>(si_raw);
    if (cpuid(0x80000000).a >= 0x80000001 && (cpuid(0x80000001).d & (1u << 20))) g_nx = kNX;
    if (cpuid(0x80000000).a >= 0x80000008) g_phys_bits = cpuid(0x80000008).a & 0xff;
    if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        const auto* e = reinterpret_cast<const pvh::MemmapEntry*>(si->memmap_paddr);
        for (uint32_t i = 0; i < si->memmap_entries; ++i)
            if (e[i].type == pvh::kRam) add_ram(e[i].addr, e[i].size);
    } else {
        ram_from_cmos();
    }
    // Free memory: the largest part of a RAM range above the image and below 4 GiB (the early
    // tables of entry.S map only 0-4 GiB, and the new tables are built in it).
    const uint64_t ie = align_up(img(__image_end), kPage);
    for (size_t i = 0; i < g_nram; ++i) {
        uint64_t lo = g_ram[i].base < ie ? ie : g_ram[i].base;
        uint64_t hi = g_ram[i].end < (1ull << 32) ? g_ram[i].end : (1ull << 32);
        if (lo < hi && hi - lo > g_free_hi - g_free_lo) {
            g_free_lo = lo;
            g_free_hi = hi;
        }
    }
    if (g_free_hi - g_free_lo < (4 << 20)) panic("less than 4 MiB of RAM above the image below 4 GiB");

    g_pml4 = static_cast<uint64_t*>(zero_page_alloc());
    for (size_t i = 0; i < g_nram; ++i) map_ram_range(g_ram[i]);
    for (uint64_t a = img(__image_start); a < ie; a += kPage) {
        uint64_t f = image_flags(a);
        if (f && !map_4k(a, f)) panic("page tables: cannot map the image");
    }
    asm volatile("mov %0, %%cr3" : : "r"(reinterpret_cast<uint64_t>(g_pml4)) : "memory");
}

void memory_take_heap(uintptr_t* start, size_t* size) {
    uint64_t lo = align_up(g_free_lo, kPage);
    uint64_t hi = g_free_hi > lo + 2 * kLateReserve ? g_free_hi - kLateReserve : lo;
    // RAM above 4 GiB (q35/pc put what does not fit under their PCI hole there) is not used by
    // the allocators above; the heap takes the largest such range when it beats the rest.
    uint64_t best_lo = 0, best_hi = 0;
    for (size_t i = 0; i < g_nram; ++i) {
        uint64_t b = g_ram[i].base < (1ull << 32) ? (1ull << 32) : g_ram[i].base;
        if (b < g_ram[i].end && g_ram[i].end - b > best_hi - best_lo) {
            best_lo = b;
            best_hi = g_ram[i].end;
        }
    }
    if (best_hi - best_lo > hi - lo) {
        *start = best_lo;
        *size = best_hi - best_lo;
        return;  // the free region below 4 GiB stays for later allocations
    }
    *start = lo;
    *size = hi - lo;
    g_free_lo = hi;  // later allocations come from the reserve
}

uint64_t memory_ram_bytes() {
    uint64_t n = 0;
    for (size_t i = 0; i < g_nram; ++i) n += g_ram[i].end - g_ram[i].base;
    return n;
}

}  // namespace unikit::virtio::k

namespace unikit::virtio {

uintptr_t map_device_memory(uint64_t phys, size_t len) {
    using namespace k;
    if (len == 0) return 0;
    uint64_t b = phys & ~(kPage - 1), e = align_up(phys + len, kPage);
    if (e < b || e > (1ull << g_phys_bits) || e > (1ull << 47)) return 0;
    for (size_t i = 0; i < g_nram; ++i)
        if (overlaps(b, e, g_ram[i].base, g_ram[i].end)) return 0;
    if (overlaps(b, e, img(__image_start), align_up(img(__image_end), kPage))) return 0;
    for (uint64_t a = b; a < e; a += kPage)
        if (!map_4k(a, kP | kRW | kPCD | kPWT | g_nx)) return 0;
    asm volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
    return phys;
}

void* dma_alloc(size_t len, size_t align) {
    using namespace k;
    if (align == 0 || (align & (align - 1)) || align > kPage) panic("dma_alloc: alignment must be a power of two <= 4096");
    uint64_t p = align_up(g_free_lo, align);
    if (p + len > g_free_hi || p + len < p) panic("dma_alloc: out of memory");
    g_free_lo = p + len;
    __builtin_memset(reinterpret_cast<void*>(p), 0, len);
    return reinterpret_cast<void*>(p);
}

}  // namespace unikit::virtio
