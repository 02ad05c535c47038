// Shared by the check images of the tender tests (tests/spt/apps/sptcheck, tests/hvt/apps/hvtcheck):
// the freestanding runtime's self-checks and the modes every target answers the same way.
// Freestanding image code: header-only, one include per image.
//
//   runtime_checks::self_checks("sptcheck")   0, or 1 after "sptcheck: FAILED: <what>"
//   runtime_checks::common_mode("sptcheck", mode, args)
//       exit N      status N
//       args        prints its arguments, one per line; 0
//       smash       overflows a stack buffer -> "PANIC ... stack smashing detected", status 112
//       oom         operator new larger than the heap -> "PANIC ... out of memory", status 112
//       malloc-oom  malloc larger than the heap returns nullptr; "NAME: malloc(1 TiB) = null", 0
//     nullopt for any other mode (the image handles it).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <unikit/format.h>
#include <unikit/platform.h>

namespace runtime_checks {

inline int g_constructed = 0;
struct Ctor {
    Ctor() { g_constructed = 42; }
};
inline Ctor g_ctor;

struct Base {
    virtual ~Base() = default;
    virtual int f() const = 0;
};
struct Derived : Base {
    int f() const override { return 7; }
};

inline int fail(const char* name, const char* what) {
    unikit::println("{}: FAILED: {}", name, what);
    return 1;
}

__attribute__((noinline)) inline void smash(const char* s, size_t n) {
    char buf[16];
    std::memcpy(buf, s, n);  // n > 16: overruns the canary
    asm volatile("" ::"r"(buf) : "memory");
}

// Static constructors, the heap (many sizes, aligned, realloc), virtual calls through relocated
// vtables, nothrow new, clocks, uk_yield and device lookup.
inline int self_checks(const char* name) {
    if (g_constructed != 42) return fail(name, "static constructor did not run");
    std::vector<std::vector<uint32_t>> vs;
    for (uint32_t i = 0; i < 300; ++i) vs.emplace_back(i * 37 % 5000 + 1, i);
    for (uint32_t i = 0; i < vs.size(); ++i)
        for (uint32_t v : vs[i])
            if (v != i) return fail(name, "heap contents");
    void* a = std::aligned_alloc(4096, 10000);
    if (!a || reinterpret_cast<uintptr_t>(a) % 4096) return fail(name, "aligned_alloc");
    std::free(a);
    void* r = std::realloc(nullptr, 10);
    if (!r) return fail(name, "realloc from nullptr");
    std::memset(r, 'x', 10);
    r = std::realloc(r, 100000);
    if (!r || static_cast<char*>(r)[9] != 'x') return fail(name, "realloc");
    std::free(r);
    Base* b = new Derived;
    if (b->f() != 7) return fail(name, "virtual call (relocated vtable)");
    delete b;
    auto* big = new (std::nothrow) char[size_t(1) << 40];
    asm volatile("" : "+r"(big));  // the compiler may not fold the test away
    if (big) return fail(name, "nothrow new of 1 TiB succeeded");
    uk_time_ns t0 = uk_clock_monotonic();
    if (uk_clock_wall() < 1600000000ull * 1000000000ull) return fail(name, "wall clock");
    size_t n = 99;
    if (uk_yield(t0 + 2000000, nullptr, 0, &n) != UK_OK || n != 0) return fail(name, "yield");
    uk_time_ns t1 = uk_clock_monotonic();
    if (t1 < t0 + 2000000) return fail(name, "yield returned before its deadline");
    if (t1 > t0 + 2000000000ull) return fail(name, "yield of 2 ms took more than 2 s");
    for (int i = 0; i < 1000; ++i) {
        uk_time_ns t = uk_clock_monotonic();
        if (t < t1) return fail(name, "monotonic clock went back");
        t1 = t;
    }
    if (uk_yield(0, nullptr, 0, nullptr) != UK_EINVAL) return fail(name, "yield with nready == NULL");
    uk_handle h;
    if (uk_device_lookup("nothing", UK_DEV_NET, &h) != UK_ENOENT) return fail(name, "lookup of a missing device");
    return 0;
}

inline std::optional<int> common_mode(const char* name, std::string_view mode, std::span<const char* const> args) {
    if (mode == "exit") return args.size() > 2 ? std::atoi(args[2]) : 0;
    if (mode == "args") {
        for (auto a : args) unikit::println("{}", a);
        return 0;
    }
    if (mode == "smash") {
        char src[64];
        std::memset(src, 'A', sizeof src);
        smash(src, sizeof src);
        return fail(name, "stack smash went unnoticed");
    }
    if (mode == "oom") {
        auto* p = new char[size_t(1) << 40];
        asm volatile("" ::"r"(p) : "memory");  // used: the compiler may not leave the allocation out
        p[0] = 1;
        return fail(name, "operator new of 1 TiB returned");
    }
    if (mode == "malloc-oom") {
        void* p = std::malloc(size_t(1) << 40);
        unikit::println("{}: malloc(1 TiB) = {}", name, p ? "non-null" : "null");
        return p ? 1 : 0;
    }
    return std::nullopt;
}

}  // namespace runtime_checks
