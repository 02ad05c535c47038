// malloc & co. and every operator new/delete, over the one Heap made from the boot info's heap
// region (freestanding images only).
//   malloc/calloc/realloc/aligned_alloc/posix_memalign: nullptr (or ENOMEM) when out of memory.
//   operator new: panics "out of memory" (no exceptions); the nothrow forms return nullptr.
#include <stddef.h>

#include <new>

#include "rt/heap.h"
#include "rt/panic.h"
#include "rt/rt.h"

namespace std {
const nothrow_t nothrow{};
}  // namespace std

namespace {
unikit::rt::Heap g_heap;

[[noreturn]] void oom(size_t n) { UK_PANIC("out of memory in operator new"); }

void* new_or_panic(size_t n) {
    void* p = g_heap.allocate(n);
    if (!p) oom(n);
    return p;
}

void* new_aligned_or_panic(size_t n, std::align_val_t a) {
    void* p = g_heap.allocate_aligned(static_cast<size_t>(a), n);
    if (!p) oom(n);
    return p;
}
}  // namespace

namespace unikit::rt {
Heap* global_heap() { return g_heap.initialized() ? &g_heap : nullptr; }

// Called by uk_rt_init.
void init_global_heap(uintptr_t start, size_t size) {
    if (!g_heap.init(reinterpret_cast<void*>(start), size)) UK_PANIC("heap region too small");
}
}  // namespace unikit::rt

extern "C" {

void* malloc(size_t n) { return g_heap.allocate(n); }
void free(void* p) { g_heap.deallocate(p); }
void* calloc(size_t c, size_t n) { return g_heap.allocate_zeroed(c, n); }
void* realloc(void* p, size_t n) { return g_heap.reallocate(p, n); }
size_t malloc_usable_size(void* p) { return g_heap.usable_size(p); }

void* aligned_alloc(size_t align, size_t n) { return g_heap.allocate_aligned(align, n); }
void* memalign(size_t align, size_t n) { return g_heap.allocate_aligned(align, n); }

int posix_memalign(void** out, size_t align, size_t n) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return 22;  // EINVAL
    void* p = g_heap.allocate_aligned(align, n);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}

}  // extern "C"

void* operator new(size_t n) { return new_or_panic(n); }
void* operator new[](size_t n) { return new_or_panic(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return g_heap.allocate(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return g_heap.allocate(n); }
void* operator new(size_t n, std::align_val_t a) { return new_aligned_or_panic(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return new_aligned_or_panic(n, a); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return g_heap.allocate_aligned(static_cast<size_t>(a), n);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return g_heap.allocate_aligned(static_cast<size_t>(a), n);
}

void operator delete(void* p) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p) noexcept { g_heap.deallocate(p); }
void operator delete(void* p, size_t) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p, size_t) noexcept { g_heap.deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { g_heap.deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p, std::align_val_t) noexcept { g_heap.deallocate(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { g_heap.deallocate(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { g_heap.deallocate(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { g_heap.deallocate(p); }
