// kernel_main: from entry.S (64-bit, early page tables, boot stack) to uk_main.
//   console -> start info check -> GDT/IDT -> command line copy and ACPI scan (under the early
//   identity map) -> final page tables (W^X) -> clocks -> interrupts -> entropy -> argv ->
//   devices_init() -> heap -> uk_rt_init -> uk_main -> uk_exit.
// Compiled with -fno-stack-protector: the guard is seeded by uk_rt_init while this frame lives.
#include <unikit/manifest.h>
#include <unikit/platform.h>

#include "platforms/virtio/devices/devices.h"
#include "platforms/virtio/kernel/cmdline.h"
#include "platforms/virtio/kernel/internal.h"
#include "platforms/virtio/kernel/pvh.h"
#include "rt/rt.h"

struct UkManifestNote {
    uint32_t namesz, descsz, type;
    char name[8];
    struct uk_manifest m;
};
extern "C" const UkManifestNote uk_manifest_note;

namespace unikit::virtio {
namespace {

constexpr size_t kCmdlineMax = 4096, kArgsMax = 256;
char g_cmdline[kCmdlineMax];
char g_argbuf[kCmdlineMax];
char g_argv0[UK_MANIFEST_NAME_MAX];
const char* g_argv[kArgsMax + 2];
uk_boot_info g_info;

void copy_cmdline(uint64_t pa) {
    if (!pa) return;
    const char* s = reinterpret_cast<const char*>(pa);
    size_t n = 0;
    while (s[n] && n < kCmdlineMax - 1) {
        g_cmdline[n] = s[n];
        ++n;
    }
    if (s[n]) panic("the kernel command line is longer than 4095 bytes");
    g_cmdline[n] = '\0';
}

}  // namespace

const char* boot_cmdline() { return g_cmdline; }

void panic(const char* msg) {
    k::kputs("PANIC: ");
    k::kputs(msg ? msg : "(no message)");
    k::kputs("\n");
    k::vm_exit(UK_EXIT_ABORT);
}

}  // namespace unikit::virtio

using namespace unikit::virtio;

extern "C" [[noreturn]] __attribute__((used)) void kernel_main(uint32_t start_info) {
    k::console_init();
    const auto* si = reinterpret_cast<const pvh::StartInfo*>(static_cast<uintptr_t>(start_info));
    if (!si || si->magic != pvh::kStartMagic)
        panic("not started by a PVH loader (no hvm_start_info in %ebx); boot with qemu -kernel or Firecracker");
    k::traps_init();
    copy_cmdline(si->cmdline_paddr);
    k::acpi_scan(si->rsdp_paddr);
    k::memory_init(si);
    k::clock_init();
    k::irq_init();

    const char* entropy_source = nullptr;
    k::entropy_fill(g_info.entropy, &entropy_source);
    (void)entropy_source;

    __builtin_memcpy(g_argv0, uk_manifest_note.m.app, UK_MANIFEST_NAME_MAX);
    g_argv0[UK_MANIFEST_NAME_MAX - 1] = '\0';
    g_argv[0] = g_argv0;
    int n = split_cmdline(g_cmdline, g_argbuf, g_argv + 1, kArgsMax);
    if (n == -1) panic("more than 256 arguments on the kernel command line");
    if (n == -2) panic("unterminated quote on the kernel command line");
    g_argv[n + 1] = nullptr;
    g_info.argc = n + 1;
    g_info.argv = g_argv;

    devices_init();
    k::memory_take_heap(&g_info.heap_start, &g_info.heap_size);
    uk_rt_init(&g_info);
    uk_exit(uk_main(&g_info));
}
