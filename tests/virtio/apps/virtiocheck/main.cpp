// virtiocheck: exercises the virtio kernel and the freestanding runtime inside QEMU. The first
// argument picks what to do (tests/virtio/virtio_test.cpp runs each through `unikit run`):
//   ok          the runtime self-checks shared with sptcheck/hvtcheck (tests/support/
//               runtime_checks.h) plus SSE and a 32 MiB malloc; "virtiocheck: ok", 0
//   exit N / args / smash / oom / malloc-oom    as sptcheck (runtime_checks::common_mode)
//   clock       sleeps 1 s through the event loop (uk_yield); prints the monotonic clock's view
//               of it in ms and the wall clock in seconds
//   idle        sleeps 3 s (for the CPU-time check)
//   malloc N    allocates N MiB in one block, writes its first and last byte: "malloc ok", 0
//   panic       uk_panic                                   -> "PANIC at ...", 112
//   write-code  writes to its own code (W^X)                -> page fault report, 112
//   null        reads through a null pointer                -> page fault report, 112
//   exec-data   jumps into its (non-executable) heap        -> page fault report, 112
//   div0        integer division by zero                    -> divide error report, 112
//   stack       unbounded recursion into the guard page     -> page fault report, 112
//   loop        sleeps forever, one second at a time (for --timeout)
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/loop.h>
#include <unikit/platform.h>

#include "rt/panic.h"
#include "support/runtime_checks.h"

namespace {

int fail(const char* what) {
    unikit::println("virtiocheck: FAILED: {}", what);
    return 1;
}

__attribute__((noinline)) int recurse(int n) {
    volatile char pad[4096];
    pad[0] = static_cast<char>(n);
    if (n < 0) return 0;  // never (n counts up from 0), but GCC then sees the recursion can end
    return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) double sse_math(double a, int n) {
    volatile double x = a;
    for (int i = 0; i < n; ++i) x = x * 1.5 + 0.25;
    return x;
}

__attribute__((noinline)) int divide(int a, int b) {
    asm volatile("" : "+r"(a), "+r"(b));  // no constant folding of the division
    return a / b;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view mode = args.size() > 1 ? args[1] : "ok";
    if (mode == "ok") {
        if (int rc = runtime_checks::self_checks("virtiocheck")) co_return rc;
        std::vector<int> v;
        for (int i = 0; i < 100000; ++i) v.push_back(i);
        if (v[99999] != 99999) co_return fail("heap");
        void* big = std::malloc(32 << 20);
        if (!big) co_return fail("32 MiB malloc");
        std::memset(big, 1, 32 << 20);
        std::free(big);
        if (sse_math(1.0, 10) < 50.0) co_return fail("SSE arithmetic");
        uk_time_ns t0 = uk_clock_monotonic();
        co_await unikit::sleep(std::chrono::milliseconds(20));
        uk_time_ns t1 = uk_clock_monotonic();
        if (t1 - t0 < 20000000ull) co_return fail("slept less than asked");
        size_t n = 1;
        if (uk_yield(0, nullptr, 0, &n) != UK_OK || n != 0) co_return fail("uk_yield poll");
        unikit::println("virtiocheck: ok");
        co_return 0;
    }
    if (auto rc = runtime_checks::common_mode("virtiocheck", mode, args)) co_return *rc;
    if (mode == "bracket") {
        for (size_t i = 1; i < args.size(); ++i) unikit::println("[{}]", args[i]);
        co_return 0;
    }
    if (mode == "clock") {
        uk_time_ns t0 = uk_clock_monotonic();
        co_await unikit::sleep(std::chrono::seconds(1));
        uk_time_ns t1 = uk_clock_monotonic();
        unikit::println("slept {} ms", (t1 - t0) / 1000000);
        unikit::println("wall {}", uk_clock_wall() / 1000000000ull);
        co_return 0;
    }
    if (mode == "idle") {
        co_await unikit::sleep(std::chrono::seconds(3));
        unikit::println("virtiocheck: idle done");
        co_return 0;
    }
    if (mode == "malloc" && args.size() > 2) {
        size_t mib = static_cast<size_t>(std::atol(args[2]));
        auto* p = static_cast<volatile uint8_t*>(std::malloc(mib << 20));
        if (!p) co_return fail("malloc");
        p[0] = 1;
        p[(mib << 20) - 1] = 2;
        unikit::println("malloc ok");
        co_return 0;
    }
    if (mode == "panic") UK_PANIC("virtiocheck asked for a panic");
    if (mode == "write-code") {
        volatile uint8_t* code = reinterpret_cast<volatile uint8_t*>(&recurse);
        *code = 0xc3;
        co_return fail("wrote to code");
    }
    if (mode == "null") {
        volatile int* p = nullptr;
        asm volatile("" : "+r"(p));
        co_return *p;
    }
    if (mode == "exec-data") {
        auto* buf = static_cast<uint8_t*>(std::malloc(64));
        buf[0] = 0xc3;  // ret
        asm volatile("" ::: "memory");
        reinterpret_cast<void (*)()>(buf)();
        co_return fail("executed the heap");
    }
    if (mode == "div0") co_return divide(1, 0);
    if (mode == "stack") co_return recurse(0);
    if (mode == "loop") {
        for (;;) co_await unikit::sleep(std::chrono::seconds(1));
    }
    unikit::println("virtiocheck: unknown mode '{}'", mode);
    co_return 2;
}
