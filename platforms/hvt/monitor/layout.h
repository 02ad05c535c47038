// Guest memory layout and page tables of the hvt monitor. Pure code (no KVM), so it is unit
// tested on any machine (tests/hvt/layout_test.cpp).
//
// Guest physical == guest virtual (identity map). Low to high (docs/hvt.md has the picture):
//   [0, 4K)                    not mapped: a null pointer faults
//   GDT, TSS (+ I/O bitmap)    supervisor-only pages: the CPU uses them, the CPL3 guest cannot
//   page tables                not mapped at all
//   image segments             at image_base + link address; R / R+X / R+W+NX per segment
//   guard page                 not mapped
//   heap                       R+W+NX
//   guard page                 not mapped (a stack overflow faults here)
//   stack (1 MiB)              R+W+NX, grows down
//   boot block                 R+NX: struct hvt_boot, device table, argv
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

namespace unikit::hvt {

inline constexpr uint64_t kPage = 4096;
inline constexpr uint64_t kStackSize = 1 << 20;
inline constexpr uint64_t kMinHeap = 1 << 20;
inline constexpr uint64_t kMaxMem = uint64_t(4) << 30;  // hypercall arguments are 32-bit addresses
inline constexpr uint64_t kGdtAddr = 0x1000;
inline constexpr uint64_t kTssAddr = 0x2000;
inline constexpr uint64_t kPageTables = 0x10000;
// MSR_LSTAR points here: a never-mapped page, so a `syscall` (which PVM performs even with
// EFER.SCE clear) faults at a known address and the crash report can name it.
inline constexpr uint64_t kSyscallTrap = 0x5000;

// Page-table entry bits.
inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWrite = 1ull << 1;
inline constexpr uint64_t kPteUser = 1ull << 2;
inline constexpr uint64_t kPteNx = 1ull << 63;

// Segment selectors of the GDT the monitor builds.
inline constexpr uint16_t kSelKernelCode = 0x08, kSelKernelData = 0x10, kSelUserCode = 0x1b, kSelUserData = 0x23,
                          kSelTss = 0x28;
inline constexpr uint32_t kTssIoBitmapOffset = 104;
inline constexpr uint32_t kTssIoBitmapBytes = 256;  // ports 0..2047; larger ports are denied

enum Access : uint32_t { kRead = 1, kWrite = 2, kExec = 4, kUser = 8 };

struct Mapping {
    uint64_t lo = 0, hi = 0;  // page-aligned [lo, hi)
    uint32_t access = 0;      // Access bits
    std::string what;         // "code", "heap", ... for fault reports
};

struct LoadSegment {
    uint64_t vaddr = 0, memsz = 0;
    uint32_t flags = 0;  // ELF PF_R | PF_W | PF_X
};

struct Layout {
    uint64_t mem = 0;
    uint64_t pt_lo = 0, pt_hi = 0;
    uint64_t image_base = 0, image_hi = 0;
    uint64_t heap_lo = 0, heap_hi = 0;
    uint64_t stack_lo = 0, stack_hi = 0;
    uint64_t boot_lo = 0;
    std::vector<Mapping> maps;  // sorted by address, disjoint

    // The mapping holding addr, or nullptr.
    const Mapping* find(uint64_t addr) const;
    // True if every byte of [addr, addr+len) is in user mappings with all of `need` (kRead,
    // kWrite). len == 0 is accepted for any addr. Never overflows.
    bool user_range_ok(uint64_t addr, uint64_t len, uint32_t need) const;
    // What a guard or unmapped address is, for fault reports ("null page", "stack guard page", ...).
    std::string describe(uint64_t addr) const;
};

// Plan the layout for `mem` bytes of guest memory, an image whose loadable extent ends at
// `image_extent` (link addresses from 0) with the given PT_LOAD segments, and a boot block of
// `boot_bytes`. Error: "--mem N MiB is too small for this image (...)".
std::expected<Layout, std::string> plan(uint64_t mem, uint64_t image_extent, std::span<const LoadSegment> segs,
                                         uint64_t boot_bytes);

// Write the 4-level page tables for `l` into guest memory (mem.size() == l.mem) at
// [l.pt_lo, l.pt_hi). Returns the CR3 value.
uint64_t build_page_tables(std::span<uint8_t> mem, const Layout& l);

// Walk the page tables in guest memory: the leaf PTE for addr (0 when not mapped).
uint64_t lookup_pte(std::span<const uint8_t> mem, uint64_t cr3, uint64_t addr);

// GDT (null, kernel code/data, user code/data at DPL3, a 64-bit TSS) and the TSS whose I/O
// bitmap allows a 32-bit `out` to each port in [port_lo, port_hi) (so ports up to port_hi + 2
// are open: a 4-byte access checks 4 bits). Written at kGdtAddr / kTssAddr.
void build_gdt_tss(std::span<uint8_t> mem, uint16_t port_lo, uint16_t port_hi);
inline constexpr uint16_t kGdtLimit = 7 * 8 - 1;
inline constexpr uint32_t kTssLimit = kTssIoBitmapOffset + kTssIoBitmapBytes;  // last byte: 0xff

}  // namespace unikit::hvt
