// unikit runtime: boot-time entry for freestanding backends.
//
// A freestanding backend's start code calls uk_rt_init() once, after relocation and before
// uk_main(): it seeds the stack-protector guard from the boot entropy, puts the heap over the
// boot info's heap region, and runs the static constructors (.init_array, in order).
// (The hosted flavour has none of this: the host C runtime does it.)
#pragma once

#include <unikit/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

void uk_rt_init(const struct uk_boot_info* info);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
namespace unikit::rt {
class Heap;
// The heap behind malloc/new in a freestanding image (nullptr before uk_rt_init / on unix).
Heap* global_heap();
}  // namespace unikit::rt
#endif
