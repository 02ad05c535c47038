// Self-relocation of a static-PIE unikit image, shared by the spt and hvt start code.
//
// The loader (tender or monitor) places the image anywhere; the image's start code calls
// uk_self_relocate() before it uses any relocated pointer. It walks _DYNAMIC for DT_RELA /
// DT_RELASZ and applies every R_X86_64_RELATIVE relocation against the load address
// (__ehdr_start). The linker script keeps every relocated word in the RW segment (-z text), so
// no protection has to change. Header-only, freestanding, no stack protector needed.
#pragma once

#include <stdint.h>

namespace unikit::start {

struct Elf64Dyn {
    int64_t tag;
    uint64_t val;
};
struct Elf64Rela {
    uint64_t offset;
    uint64_t info;
    int64_t addend;
};

enum class RelocStatus { ok, bad_entry_size, unsupported_type };

inline RelocStatus self_relocate(uint64_t base, const Elf64Dyn* dynamic) {
    constexpr int64_t DT_NULL = 0, DT_RELA = 7, DT_RELASZ = 8, DT_RELAENT = 9;
    constexpr uint32_t R_X86_64_RELATIVE = 8;
    uint64_t rela = 0, relasz = 0;
    for (const Elf64Dyn* d = dynamic; d->tag != DT_NULL; ++d) {
        if (d->tag == DT_RELA) rela = d->val;
        else if (d->tag == DT_RELASZ) relasz = d->val;
        else if (d->tag == DT_RELAENT && d->val != sizeof(Elf64Rela)) return RelocStatus::bad_entry_size;
    }
    const auto* r = reinterpret_cast<const Elf64Rela*>(base + rela);
    for (uint64_t i = 0; i < relasz / sizeof(Elf64Rela); ++i) {
        if (static_cast<uint32_t>(r[i].info) != R_X86_64_RELATIVE) return RelocStatus::unsupported_type;
        *reinterpret_cast<uint64_t*>(base + r[i].offset) = base + static_cast<uint64_t>(r[i].addend);
    }
    return RelocStatus::ok;
}

// The image's load address and dynamic section, from the linker.
extern "C" const char __ehdr_start[] __attribute__((visibility("hidden")));
extern "C" Elf64Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

// Relocate the running image; a relocation table the image cannot apply ends it at once
// through die(msg, len) (the target's earliest way to print and abort: no runtime exists yet).
template <class Die>
inline void relocate_image_or_die(Die die) {
    switch (self_relocate(reinterpret_cast<uint64_t>(__ehdr_start), _DYNAMIC)) {
    case RelocStatus::ok:
        return;
    case RelocStatus::bad_entry_size: {
        static const char m[] = "PANIC at image start: bad relocation entry size\n";
        die(m, sizeof m - 1);
        break;
    }
    case RelocStatus::unsupported_type: {
        static const char m[] = "PANIC at image start: unsupported relocation type\n";
        die(m, sizeof m - 1);
        break;
    }
    }
}

}  // namespace unikit::start

// The entry point of a freestanding image: clear the frame pointer, align the stack the loader
// gave us, and call ENTRY(boot block pointer in %rdi), which never returns.
#define UNIKIT_DEFINE_START(ENTRY)                         \
    asm(".section .text._start,\"ax\",@progbits\n"         \
        ".globl _start\n"                                  \
        ".type _start, @function\n"                        \
        "_start:\n"                                        \
        "    xorl %ebp, %ebp\n"                            \
        "    andq $-16, %rsp\n"                            \
        "    call " #ENTRY "\n"                             \
        "    ud2\n"                                        \
        ".size _start, . - _start\n"                       \
        ".text\n")
