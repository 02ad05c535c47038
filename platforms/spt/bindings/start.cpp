// Entry of an spt image.
//
// The tender jumps to _start with %rdi = struct spt_boot* and %rsp = top of the guest stack.
// _start aligns the stack and calls spt_start(), which
//   1. applies the image's own R_X86_64_RELATIVE relocations (the image is a static PIE loaded
//      wherever the tender mapped it; the linker script keeps every relocated word in the RW
//      segment, so no protection has to change),
//   2. checks the boot block, runs the runtime's boot (stack guard, heap, static constructors),
//   3. calls uk_main() and passes its result to uk_exit().
// Nothing here may use a relocated pointer before step 1 is done, nor a stack canary before the
// guard is seeded: this file is compiled with -fno-stack-protector.
#include <stddef.h>
#include <stdint.h>

#include "platforms/common/self_reloc.h"
#include "platforms/spt/spt_abi.h"
#include "rt/rt.h"
#include "spt_bindings.h"
#include "syscall.h"

UNIKIT_DEFINE_START(spt_start);

namespace {

[[noreturn]] void die_early(const char* msg, size_t len) {
    spt::sys::call3(spt::sys::nr_write, 1, reinterpret_cast<long>(msg), static_cast<long>(len));
    spt::sys::exit_group(UK_EXIT_ABORT);
}

}  // namespace

extern "C" {

__attribute__((noreturn, used)) void spt_start(const struct spt_boot* boot) {
    unikit::start::relocate_image_or_die(die_early);
    if (!boot || boot->magic != SPT_BOOT_MAGIC || boot->version != SPT_BOOT_VERSION) {
        static const char m[] = "PANIC at spt/start: bad boot block (tender and image do not match)\n";
        die_early(m, sizeof m - 1);
    }
    spt::bind_boot(boot);
    uk_rt_init(&boot->info);
    int status = uk_main(&boot->info);
    uk_exit(status);
}
}
