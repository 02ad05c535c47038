// The Xen PVH boot ABI as QEMU and Firecracker implement it (xen/include/public/arch-x86/
// hvm/start_info.h describes it; written here from that description): the loader enters the
// image in 32-bit protected mode with %ebx = the physical address of struct hvm_start_info.
#pragma once

#include <stdint.h>

namespace unikit::virtio::pvh {

inline constexpr uint32_t kStartMagic = 0x336ec578;

struct StartInfo {
    uint32_t magic;          // kStartMagic
    uint32_t version;        // 0, or 1 when the memory map fields are present
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;  // NUL-terminated ASCII, 0 if none
    uint64_t rsdp_paddr;     // ACPI RSDP, 0 if none
    // version >= 1
    uint64_t memmap_paddr;   // array of MemmapEntry
    uint32_t memmap_entries;
    uint32_t reserved;
};

enum MemType : uint32_t { kRam = 1, kReserved = 2, kAcpi = 3, kNvs = 4, kUnusable = 5 };

struct MemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

static_assert(sizeof(StartInfo) == 56);
static_assert(sizeof(MemmapEntry) == 24);

}  // namespace unikit::virtio::pvh
