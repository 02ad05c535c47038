// Parsing the virtio-mmio device descriptions on the kernel command line, in Linux's syntax
// (QEMU microvm and Firecracker write them): virtio_mmio.device=<size>@<base>:<irq>[:<id>],
// size with an optional K/M/G suffix, base and irq in C notation (0x.. hex or decimal).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace unikit::virtio {

struct MmioDesc {
    uint64_t base;
    uint64_t size;
    uint32_t irq;
};

// Calls `fn(ctx, desc)` for each token in command-line order and returns how many there were.
// A malformed token ends the VM through panic(), quoting the token.
size_t parse_mmio_cmdline(const char* cmdline, void (*fn)(void* ctx, const MmioDesc& d), void* ctx);

}  // namespace unikit::virtio
