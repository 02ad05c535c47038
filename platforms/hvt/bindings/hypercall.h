// Hypercalls of the hvt bindings: one `outl` to HVT_PORT_BASE + call, with the guest address of
// the argument struct in %eax (see platforms/hvt/hvt_abi.h). The guest runs identity-mapped, so
// a pointer is its guest-physical address; argument structs live on the stack or in .bss, both
// below 4 GiB (the monitor caps guest memory at 4 GiB).
#pragma once

#include <stdint.h>

#include "platforms/hvt/hvt_abi.h"

namespace hvt {

inline void hypercall(hvt_call call, void* arg) {
    asm volatile("outl %%eax, %%dx"
                 :
                 : "a"(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(arg))),
                   "d"(static_cast<uint16_t>(HVT_PORT_BASE + call))
                 : "memory");
}

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Record the boot block for the platform ABI functions (platform.cpp).
void bind_boot(const struct hvt_boot* boot);

}  // namespace hvt
