// uk_rt_init: the runtime's part of booting a freestanding image (see rt/rt.h).
#include <stddef.h>
#include <stdint.h>

#include "rt/panic.h"
#include "rt/rt.h"
#include "rt/string.h"

extern "C" uintptr_t __stack_chk_guard;

// Provided by the platform's linker script (platforms/*/image.ld).
extern "C" {
typedef void (*uk_init_fn)();
extern uk_init_fn __init_array_start[] __attribute__((weak, visibility("hidden")));
extern uk_init_fn __init_array_end[] __attribute__((weak, visibility("hidden")));
}

namespace unikit::rt {
void init_global_heap(uintptr_t start, size_t size);
}

// No canary here: this function changes the guard while its frame is live.
extern "C" __attribute__((no_stack_protector)) void uk_rt_init(const struct uk_boot_info* info) {
    uintptr_t g;
    uk_memcpy(&g, info->entropy, sizeof g);
    g &= ~uintptr_t(0xff);  // keep a NUL byte: string over-reads stop before the canary
    if (g == 0) g = 0x2f5d1a9e3c00;
    __stack_chk_guard = g;
    unikit::rt::init_global_heap(info->heap_start, info->heap_size);
    for (uk_init_fn* f = __init_array_start; f && f < __init_array_end; ++f) (*f)();
}
