// What the C++ compiler and the header-only parts of libstdc++ expect from a runtime, for
// freestanding images (no libc, no libstdc++, no exceptions). Every failure is a clean panic.
#include <stddef.h>
#include <stdint.h>

#include <bits/functexcept.h>

#include "rt/panic.h"

extern "C" {

// Guard for function-local statics (also used if code is built with thread-safe statics).
// Single-threaded: the first byte of the guard says "initialised"; the second "in progress".
int __cxa_guard_acquire(uint64_t* g) {
    auto* b = reinterpret_cast<uint8_t*>(g);
    if (b[0]) return 0;
    if (b[1]) UK_PANIC("recursive initialisation of a function-local static");
    b[1] = 1;
    return 1;
}
void __cxa_guard_release(uint64_t* g) {
    auto* b = reinterpret_cast<uint8_t*>(g);
    b[0] = 1;
    b[1] = 0;
}
void __cxa_guard_abort(uint64_t* g) { reinterpret_cast<uint8_t*>(g)[1] = 0; }

void __cxa_pure_virtual() { UK_PANIC("pure virtual function called"); }
void __cxa_deleted_virtual() { UK_PANIC("deleted virtual function called"); }

// Destructors of statics never run: a unikernel ends with uk_exit. Registration succeeds.
void* __dso_handle = &__dso_handle;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
int atexit(void (*)(void)) { return 0; }

// -mstack-protector-guard=global: the canary; uk_rt_init seeds it from the boot entropy. The
// initial value has a NUL low byte (stops string over-reads) and is never used after boot.
uintptr_t __stack_chk_guard = 0x595e9fbd94fda700ull;
__attribute__((noreturn)) void __stack_chk_fail() { UK_PANIC("stack smashing detected"); }
__attribute__((noreturn)) void __stack_chk_fail_local() { UK_PANIC("stack smashing detected"); }

__attribute__((noreturn)) void abort() { UK_PANIC("abort() called"); }

__attribute__((noreturn)) void __assert_fail(const char* expr, const char* file, unsigned line, const char*) {
    // "assertion failed: EXPR" at the assert's own location.
    char buf[256];
    const char* pre = "assertion failed: ";
    size_t i = 0;
    for (const char* p = pre; *p && i < sizeof buf - 1; ++p) buf[i++] = *p;
    for (const char* p = expr; p && *p && i < sizeof buf - 1; ++p) buf[i++] = *p;
    buf[i] = 0;
    uk_panic(file, static_cast<int>(line), buf);
}

}  // extern "C"

namespace std {

void terminate() noexcept { UK_PANIC("std::terminate called"); }

void __throw_bad_exception() { UK_PANIC("std::bad_exception"); }
void __throw_bad_alloc() { UK_PANIC("std::bad_alloc (out of memory)"); }
void __throw_bad_array_new_length() { UK_PANIC("std::bad_array_new_length"); }
void __throw_bad_cast() { UK_PANIC("std::bad_cast"); }
void __throw_bad_typeid() { UK_PANIC("std::bad_typeid"); }
void __throw_logic_error(const char* s) { UK_PANIC(s); }
void __throw_domain_error(const char* s) { UK_PANIC(s); }
void __throw_invalid_argument(const char* s) { UK_PANIC(s); }
void __throw_length_error(const char* s) { UK_PANIC(s); }
void __throw_out_of_range(const char* s) { UK_PANIC(s); }
void __throw_out_of_range_fmt(const char* s, ...) { UK_PANIC(s); }  // the format, unexpanded
void __throw_runtime_error(const char* s) { UK_PANIC(s); }
void __throw_range_error(const char* s) { UK_PANIC(s); }
void __throw_overflow_error(const char* s) { UK_PANIC(s); }
void __throw_underflow_error(const char* s) { UK_PANIC(s); }
void __throw_system_error(int) { UK_PANIC("std::system_error"); }
void __throw_future_error(int) { UK_PANIC("std::future_error"); }
void __throw_bad_function_call() { UK_PANIC("std::bad_function_call (empty std::function)"); }

}  // namespace std
