// What the virtio kernel (platforms/virtio/kernel) offers the device drivers
// (platforms/virtio/devices). This is the contract between the two halves of the virtio target:
// the kernel owns boot, memory, interrupts, clocks and the console; the drivers own every virtio
// device and the device half of the platform ABI (see devices/devices.h).
//
// Nothing above the platform ABI includes this header.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace unikit::virtio {

// ---- port and memory-mapped I/O ------------------------------------------------------------

inline uint8_t inb(uint16_t port) {
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint16_t inw(uint16_t port) {
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint32_t inl(uint16_t port) {
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

template <class T>
inline T mmio_read(uintptr_t addr) {
    return *reinterpret_cast<volatile const T*>(addr);
}
template <class T>
inline void mmio_write(uintptr_t addr, T v) {
    *reinterpret_cast<volatile T*>(addr) = v;
}

// Compiler and CPU ordering between ring memory and device registers. x86 stores are ordered
// with other stores, and uncached MMIO accesses are ordered with everything, so a compiler
// barrier is enough except where a store must be seen before a later load (mb()).
inline void barrier() { asm volatile("" ::: "memory"); }
inline void mb() { asm volatile("mfence" ::: "memory"); }

// ---- memory ----------------------------------------------------------------------------------
// All RAM is identity-mapped (virtual address == guest-physical address), so any pointer into the
// heap, the image or DMA memory can be handed to a device as is (phys_addr()).

inline uint64_t phys_addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// Map [phys, phys + len) as uncached device memory (e.g. a PCI BAR or a virtio-mmio window)
// and return its virtual address (== phys), or 0 if the range cannot be mapped (it overlaps RAM
// or the image, or lies above what the page tables can reach). Mapping the same range twice is
// allowed.
uintptr_t map_device_memory(uint64_t phys, size_t len);

// Memory for rings and device buffers: zeroed, aligned to `align` (a power of two, at most
// 4096), physically contiguous, never freed. Ends the VM through panic() when memory runs out.
void* dma_alloc(size_t len, size_t align);

// ---- interrupts ------------------------------------------------------------------------------
// Interrupts only ever wake the CPU from uk_yield's halt. Handlers run with interrupts disabled;
// they must acknowledge the device (e.g. read the virtio ISR register) and note what is ready,
// nothing else: no allocation, no console output. The kernel sends the end-of-interrupt after the
// handler returns.
using IrqHandler = void (*)(void* ctx);

// Route IOAPIC input `gsi` to `handler`. PCI INTx lines are level-triggered, active-low;
// virtio-mmio lines (QEMU microvm, Firecracker) are edge-triggered, active-high.
// Returns false if the GSI does not exist or the handler table is full.
bool irq_attach_gsi(unsigned gsi, bool level_triggered, bool active_low, IrqHandler handler, void* ctx);

// Allocate a vector for one MSI / MSI-X message to `handler`: sets *addr and *data to what the
// device must write. Returns false when no vector is left.
bool irq_alloc_msi(IrqHandler handler, void* ctx, uint64_t* addr, uint32_t* data);

// ---- boot information and failure ------------------------------------------------------------

// The whole kernel command line given by the loader (PVH start info), "" if none. QEMU microvm
// and Firecracker describe virtio-mmio devices here ("virtio_mmio.device=512@0xfeb00e00:12").
const char* boot_cmdline();

// Print "PANIC: <msg>" on the console and end the VM abnormally (exit status UK_EXIT_ABORT
// as seen by `unikit run`). Usable from the first line of devices_init().
[[noreturn]] void panic(const char* msg);

}  // namespace unikit::virtio
