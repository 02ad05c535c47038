// Internals of the virtio kernel shared by its files (not part of the contract with the drivers,
// which is kernel.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio::k {

// ---- CPU ---------------------------------------------------------------------------------------
struct Cpuid {
    uint32_t a, b, c, d;
};
inline Cpuid cpuid(uint32_t leaf, uint32_t sub = 0) {
    Cpuid r;
    asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}
inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}
inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)));
}
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void pause() { asm volatile("pause"); }

// ---- console (console.cpp): COM1 16550 -------------------------------------------------------
void console_init();
void console_write(const char* s, size_t n);
void kputs(const char* s);
void kput_hex(uint64_t v);         // "0x" + 16 digits
void kput_dec(uint64_t v);

// ---- memory (memory.cpp) -----------------------------------------------------------------------
// Reads the PVH memory map (or CMOS sizes), builds the final page tables (W^X image, guard page
// under the boot stack, RAM identity-mapped RW NX, page 0 unmapped) and switches to them.
void memory_init(const void* start_info);
// Hand the rest of free RAM to the heap: [*start, *start + *size), zeroed. Called once, after
// devices_init (whose dma_alloc and map_device_memory allocate from the same free memory).
void memory_take_heap(uintptr_t* start, size_t* size);
uint64_t memory_ram_bytes();

// ---- traps (traps.cpp) -------------------------------------------------------------------------
struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
void traps_init();

// ---- interrupts (irq.cpp) ----------------------------------------------------------------------
// Before memory_init (reads the firmware tables under the early identity map): finds the
// IOAPICs in the ACPI MADT (RSDP from the PVH start info, else the BIOS area scan).
void acpi_scan(uint64_t rsdp_paddr);
// After memory_init and clock_init: masks the 8259s, enables the LAPIC, masks every IOAPIC pin,
// picks the wake-up timer (TSC-deadline, else calibrated one-shot).
void irq_init();
void irq_dispatch(unsigned vector);     // from trap_entry, vectors >= 32
// One-shot wake-up at monotonic time `deadline_ns` (UINT64_MAX: none).
void timer_arm(uint64_t deadline_ns);
const char* irq_timer_mode();           // "tsc-deadline" or "one-shot" (for the boot line)

// ---- clocks (clock.cpp) ------------------------------------------------------------------------
void clock_init();
uint64_t monotonic_ns();
uint64_t wall_ns();
uint64_t tsc_hz();
uint64_t ns_to_tsc(uint64_t ns);
const char* clock_source();             // how the TSC was calibrated

// ---- entropy (entropy.cpp) ---------------------------------------------------------------------
// 32 bytes: RDSEED/RDRAND when CPUID has them, else TSC jitter; *source says which.
void entropy_fill(uint8_t out[32], const char** source);

// ---- exit (platform.cpp) -----------------------------------------------------------------------
[[noreturn]] void vm_exit(int status);

}  // namespace unikit::virtio::k
