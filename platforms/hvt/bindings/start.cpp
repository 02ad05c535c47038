// Entry of an hvt image.
//
// The monitor enters _start at CPL3 in 64-bit mode with %rdi = struct hvt_boot* and %rsp = top
// of the guest stack (identity-mapped memory, W^X page tables built by the monitor).
// _start aligns the stack and calls hvt_start(), which
//   1. applies the image's own relocations (platforms/common/self_reloc.h, shared with spt),
//   2. checks the boot block, sets up the clock, runs the runtime's boot (stack guard, heap,
//      static constructors),
//   3. calls uk_main() and passes its result to uk_exit().
// Compiled with -fno-stack-protector: the guard is not seeded before uk_rt_init.
#include <stddef.h>
#include <stdint.h>

#include "hypercall.h"
#include "platforms/common/self_reloc.h"
#include "rt/rt.h"

UNIKIT_DEFINE_START(hvt_start);

namespace {

[[noreturn]] void die_early(const char* msg, size_t len) {
    alignas(8) hvt_console c{reinterpret_cast<uint64_t>(msg), len};
    hvt::hypercall(HVT_CALL_CONSOLE, &c);
    alignas(8) hvt_exit e{UK_EXIT_ABORT, 0};
    for (;;) hvt::hypercall(HVT_CALL_ABORT, &e);
}

}  // namespace

extern "C" {

__attribute__((noreturn, used)) void hvt_start(const struct hvt_boot* boot) {
    unikit::start::relocate_image_or_die(die_early);
    if (!boot || boot->magic != HVT_BOOT_MAGIC || boot->version != HVT_BOOT_VERSION) {
        static const char m[] = "PANIC at hvt/start: bad boot block (monitor and image do not match)\n";
        die_early(m, sizeof m - 1);
    }
    hvt::bind_boot(boot);
    uk_rt_init(&boot->info);
    int status = uk_main(&boot->info);
    uk_exit(status);
}
}
