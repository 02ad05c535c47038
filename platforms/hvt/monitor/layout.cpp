#include "layout.h"

#include <algorithm>
#include <cstring>

namespace unikit::hvt {
namespace {

constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t round_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

std::string mib(uint64_t b) { return std::to_string(b >> 20); }

template <class T>
void store(std::span<uint8_t> m, uint64_t off, T v) {
    std::memcpy(m.data() + off, &v, sizeof v);
}
template <class T>
T load(std::span<const uint8_t> m, uint64_t off) {
    T v;
    std::memcpy(&v, m.data() + off, sizeof v);
    return v;
}

}  // namespace

const Mapping* Layout::find(uint64_t addr) const {
    for (const auto& m : maps)
        if (addr >= m.lo && addr < m.hi) return &m;
    return nullptr;
}

bool Layout::user_range_ok(uint64_t addr, uint64_t len, uint32_t need) const {
    if (len == 0) return true;
    if (addr >= mem || len > mem - addr) return false;
    const uint64_t end = addr + len;
    uint64_t at = addr;
    while (at < end) {
        const Mapping* m = find(at);
        if (!m || !(m->access & kUser) || (m->access & need) != need) return false;
        at = m->hi;  // the next mapping must start exactly here (checked by find)
    }
    return true;
}

std::string Layout::describe(uint64_t addr) const {
    if (const Mapping* m = find(addr)) return m->what;
    if (addr < kPage) return "the null page";
    if (addr >= image_hi && addr < heap_lo) return "the guard page after the image";
    if (addr >= heap_hi && addr < stack_lo) return "the guard page below the stack (stack overflow?)";
    if (addr >= pt_lo && addr < pt_hi) return "the page tables";
    if (addr >= image_base && addr < image_hi) return "a gap between image segments";
    if (addr >= mem) return "beyond guest memory";
    return "unmapped memory";
}

std::expected<Layout, std::string> plan(uint64_t mem, uint64_t image_extent, std::span<const LoadSegment> segs,
                                        uint64_t boot_bytes) {
    Layout l;
    l.mem = mem;
    // Page tables: PML4 + PDPT + one PD per GiB + one PT per 2 MiB.
    const uint64_t npt = 2 + round_up(mem, 1ull << 30) / (1ull << 30) + round_up(mem, 2ull << 20) / (2ull << 20);
    l.pt_lo = kPageTables;
    l.pt_hi = l.pt_lo + npt * kPage;
    l.image_base = std::max<uint64_t>(round_up(l.pt_hi, 2ull << 20), 2ull << 20);
    l.image_hi = l.image_base + round_up(image_extent, kPage);
    l.boot_lo = mem - round_up(boot_bytes, kPage);
    l.stack_hi = l.boot_lo;
    l.heap_lo = l.image_hi + kPage;
    const uint64_t need = l.image_hi + 2 * kPage + kStackSize + kMinHeap + (mem - l.boot_lo);
    if (boot_bytes > mem || need > mem)
        return std::unexpected("--mem " + mib(mem) + " MiB is too small for this image (image " +
                               std::to_string(round_up(image_extent, kPage) >> 10) + " KiB at " +
                               std::to_string(l.image_base >> 20) + " MiB + 1 MiB stack + 1 MiB heap)");
    l.stack_lo = l.stack_hi - kStackSize;
    l.heap_hi = l.stack_lo - kPage;

    l.maps.push_back({kGdtAddr, kGdtAddr + kPage, kRead | kWrite, "the GDT (monitor-owned)"});
    l.maps.push_back({kTssAddr, kTssAddr + kPage, kRead | kWrite, "the TSS (monitor-owned)"});
    for (const auto& s : segs) {
        if (s.memsz == 0) continue;
        uint32_t a = kUser;
        if (s.flags & kPfR) a |= kRead;
        if (s.flags & kPfW) a |= kWrite | kRead;
        if (s.flags & kPfX) a |= kExec | kRead;
        const char* what = (s.flags & kPfX) ? "image code" : (s.flags & kPfW) ? "image data" : "image read-only data";
        l.maps.push_back({l.image_base + round_down(s.vaddr, kPage), l.image_base + round_up(s.vaddr + s.memsz, kPage),
                          a, what});
    }
    l.maps.push_back({l.heap_lo, l.heap_hi, kUser | kRead | kWrite, "the heap"});
    l.maps.push_back({l.stack_lo, l.stack_hi, kUser | kRead | kWrite, "the stack"});
    l.maps.push_back({l.boot_lo, mem, kUser | kRead, "the boot block (read-only)"});
    std::sort(l.maps.begin(), l.maps.end(), [](const Mapping& a, const Mapping& b) { return a.lo < b.lo; });
    return l;
}

uint64_t build_page_tables(std::span<uint8_t> mem, const Layout& l) {
    std::memset(mem.data() + l.pt_lo, 0, l.pt_hi - l.pt_lo);
    uint64_t next = l.pt_lo;
    auto alloc = [&] {
        uint64_t t = next;
        next += kPage;
        return t;
    };
    const uint64_t pml4 = alloc();
    // Intermediate entries allow everything; the leaf decides (permissions combine as AND).
    const uint64_t dir_flags = kPtePresent | kPteWrite | kPteUser;
    auto child = [&](uint64_t table, unsigned idx) {
        uint64_t e = load<uint64_t>(mem, table + idx * 8);
        if (!(e & kPtePresent)) {
            e = alloc() | dir_flags;
            store<uint64_t>(mem, table + idx * 8, e);
        }
        return e & 0x000ffffffffff000ull;
    };
    for (const auto& m : l.maps) {
        uint64_t flags = kPtePresent;
        if (m.access & kWrite) flags |= kPteWrite;
        if (m.access & kUser) flags |= kPteUser;
        if (!(m.access & kExec)) flags |= kPteNx;
        for (uint64_t a = m.lo; a < m.hi; a += kPage) {
            uint64_t pdpt = child(pml4, (a >> 39) & 511);
            uint64_t pd = child(pdpt, (a >> 30) & 511);
            uint64_t pt = child(pd, (a >> 21) & 511);
            store<uint64_t>(mem, pt + ((a >> 12) & 511) * 8, a | flags);
        }
    }
    return pml4;
}

uint64_t lookup_pte(std::span<const uint8_t> mem, uint64_t cr3, uint64_t addr) {
    uint64_t table = cr3 & 0x000ffffffffff000ull;
    for (int shift = 39; shift >= 12; shift -= 9) {
        uint64_t off = table + ((addr >> shift) & 511) * 8;
        if (off + 8 > mem.size()) return 0;
        uint64_t e = load<uint64_t>(mem, off);
        if (!(e & kPtePresent)) return 0;
        if (shift == 12) return e;
        table = e & 0x000ffffffffff000ull;
    }
    return 0;
}

void build_gdt_tss(std::span<uint8_t> mem, uint16_t port_lo, uint16_t port_hi) {
    // Descriptors with the accessed bit preset, so the CPU never needs to write them.
    store<uint64_t>(mem, kGdtAddr + 0x00, 0);
    store<uint64_t>(mem, kGdtAddr + 0x08, 0x00af9b000000ffffull);  // code, 64-bit, DPL0
    store<uint64_t>(mem, kGdtAddr + 0x10, 0x00cf93000000ffffull);  // data, DPL0
    store<uint64_t>(mem, kGdtAddr + 0x18, 0x00affb000000ffffull);  // code, 64-bit, DPL3
    store<uint64_t>(mem, kGdtAddr + 0x20, 0x00cff3000000ffffull);  // data, DPL3
    const uint64_t base = kTssAddr, limit = kTssLimit;
    uint64_t lo = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |  // busy 64-bit TSS, present
                  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    store<uint64_t>(mem, kGdtAddr + 0x28, lo);
    store<uint64_t>(mem, kGdtAddr + 0x30, base >> 32);
    // TSS: all zero (no ring-0 stacks: the guest never enters ring 0 on purpose), then the I/O
    // bitmap: 1 = denied; our hypercall ports are allowed; the byte after the bitmap is 0xff.
    std::memset(mem.data() + kTssAddr, 0, kPage);
    store<uint16_t>(mem, kTssAddr + 102, static_cast<uint16_t>(kTssIoBitmapOffset));
    std::memset(mem.data() + kTssAddr + kTssIoBitmapOffset, 0xff, kTssIoBitmapBytes + 1);
    for (unsigned p = port_lo; port_lo < port_hi && p < port_hi + 3u && p < kTssIoBitmapBytes * 8; ++p)
        mem[kTssAddr + kTssIoBitmapOffset + p / 8] &= static_cast<uint8_t>(~(1u << (p % 8)));
}

}  // namespace unikit::hvt
