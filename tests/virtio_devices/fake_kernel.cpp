// The kernel half of the contract (platforms/virtio/kernel/kernel.h) for hosted tests: memory
// from the C++ heap (kept reachable until the process ends), panic() prints and aborts (tests
// check it with death tests). Interrupt and mapping calls are not used by the portable drivers.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "virtio_devices/fake_kernel.h"

namespace unikit::virtio {

namespace {
// Never destroyed, so the blocks stay reachable (no leak reports) for the whole process.
std::vector<void*>& allocations() {
    static auto* v = new std::vector<void*>;
    return *v;
}
}  // namespace

void* dma_alloc(size_t len, size_t align) {
    if (align < alignof(std::max_align_t)) align = alignof(std::max_align_t);
    size_t rounded = (len + align - 1) / align * align;
    void* p = std::aligned_alloc(align, rounded ? rounded : align);
    if (!p) panic("dma_alloc: out of memory");
    std::memset(p, 0, rounded);
    allocations().push_back(p);
    return p;
}

uintptr_t map_device_memory(uint64_t, size_t) { return 0; }
std::vector<FakeGsi>& fake_gsis() {
    static auto* v = new std::vector<FakeGsi>;
    return *v;
}

bool irq_attach_gsi(unsigned gsi, bool level, bool active_low, IrqHandler handler, void* ctx) {
    if (gsi >= 64) return false;  // "no such GSI"
    fake_gsis().push_back({gsi, level, active_low, handler, ctx});
    return true;
}
bool irq_alloc_msi(IrqHandler, void*, uint64_t*, uint32_t*) { return false; }
const char* boot_cmdline() { return ""; }

void panic(const char* msg) {
    std::fprintf(stderr, "PANIC: %s\n", msg);
    std::fflush(stderr);
    std::abort();
}

}  // namespace unikit::virtio
