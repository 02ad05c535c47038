// sptcheck: exercises the spt platform and the freestanding runtime from inside an image.
// The first argument picks what to do (tests/spt/spt_test.cpp runs each under the tender):
//   ok        runtime self-checks (static constructors, heap, containers, clocks, yield), prints
//             "sptcheck: ok" and exits 0
//   exit N    exits with status N
//   syscall   makes a system call the sandbox forbids (open) -> killed by SIGSYS
//   panic     uk_panic -> "PANIC at ...", status 112
//   smash     overflows a stack buffer -> "PANIC ... stack smashing detected", status 112
//   oom       operator new larger than the heap -> "PANIC ... out of memory", status 112
//   malloc-oom  malloc larger than the heap returns nullptr; prints and exits 0
//   segv      writes to its own code -> killed by SIGSEGV (W^X)
//   args      prints its arguments, one per line
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/platform.h>

#include "rt/panic.h"

namespace {

int g_constructed = 0;
struct Ctor {
    Ctor() { g_constructed = 42; }
};
Ctor g_ctor;

struct Base {
    virtual ~Base() = default;
    virtual int f() const = 0;
};
struct Derived : Base {
    int f() const override { return 7; }
};

int fail(const char* what) {
    unikit::println("sptcheck: FAILED: {}", what);
    return 1;
}

__attribute__((noinline)) void smash(const char* s, size_t n) {
    char buf[16];
    std::memcpy(buf, s, n);  // n > 16: overruns the canary
    asm volatile("" ::"r"(buf) : "memory");
}

int self_checks() {
    if (g_constructed != 42) return fail("static constructor did not run");
    // Heap: many sizes, contents survive.
    std::vector<std::vector<uint32_t>> vs;
    for (uint32_t i = 0; i < 300; ++i) {
        vs.emplace_back(i * 37 % 5000 + 1, i);
    }
    for (uint32_t i = 0; i < vs.size(); ++i)
        for (uint32_t v : vs[i])
            if (v != i) return fail("heap contents");
    void* a = std::aligned_alloc(4096, 10000);
    if (!a || reinterpret_cast<uintptr_t>(a) % 4096) return fail("aligned_alloc");
    std::free(a);
    void* r = std::realloc(nullptr, 10);
    std::memset(r, 'x', 10);
    r = std::realloc(r, 100000);
    if (!r || static_cast<char*>(r)[9] != 'x') return fail("realloc");
    std::free(r);
    Base* b = new Derived;
    if (b->f() != 7) return fail("virtual call (relocated vtable)");
    delete b;
    auto* big = new (std::nothrow) char[size_t(1) << 40];
    if (big) return fail("nothrow new of 1 TiB succeeded");
    // Clocks and yield.
    uk_time_ns t0 = uk_clock_monotonic();
    if (uk_clock_wall() < 1600000000ull * 1000000000ull) return fail("wall clock");
    size_t n = 99;
    if (uk_yield(t0 + 2000000, nullptr, 0, &n) != UK_OK || n != 0) return fail("yield");
    uk_time_ns t1 = uk_clock_monotonic();
    if (t1 < t0 + 2000000) return fail("yield returned before its deadline");
    if (uk_yield(0, nullptr, 0, nullptr) != UK_EINVAL) return fail("yield with nready == NULL");
    uk_handle h;
    if (uk_device_lookup("nothing", UK_DEV_NET, &h) != UK_ENOENT) return fail("lookup of a missing device");
    unikit::println("sptcheck: ok");
    return 0;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view mode = args.size() > 1 ? args[1] : "ok";
    if (mode == "ok") co_return self_checks();
    if (mode == "exit") co_return args.size() > 2 ? std::atoi(args[2]) : 0;
    if (mode == "args") {
        for (auto a : args) unikit::println("{}", a);
        co_return 0;
    }
    if (mode == "syscall") {
        unikit::println("sptcheck: calling open()");
        long r;
        static const char path[] = "/etc/passwd";
        asm volatile("syscall" : "=a"(r) : "a"(2L), "D"(path), "S"(0L), "d"(0L) : "rcx", "r11", "memory");
        unikit::println("sptcheck: open returned {} (the sandbox let it through!)", r);
        co_return 0;
    }
    if (mode == "panic") UK_PANIC("sptcheck asked for a panic");
    if (mode == "smash") {
        char src[64];
        std::memset(src, 'A', sizeof src);
        smash(src, sizeof src);
        co_return fail("stack smash went unnoticed");
    }
    if (mode == "oom") {
        auto* p = new char[size_t(1) << 40];
        p[0] = 1;
        co_return fail("operator new of 1 TiB returned");
    }
    if (mode == "malloc-oom") {
        void* p = std::malloc(size_t(1) << 40);
        unikit::println("sptcheck: malloc(1 TiB) = {}", p ? "non-null" : "null");
        co_return p ? 1 : 0;
    }
    if (mode == "segv") {
        auto* code = reinterpret_cast<volatile uint8_t*>(&self_checks);
        *code = 0xcc;
        co_return fail("wrote to code");
    }
    co_return fail("unknown mode");
}
