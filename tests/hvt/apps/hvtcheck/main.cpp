// hvtcheck: exercises the hvt platform, the monitor and the freestanding runtime from inside a
// KVM guest. The first argument picks what to do (tests/hvt/hvt_test.cpp runs each):
//   ok          runtime self-checks (constructors, heap, SSE, clocks, yield); "hvtcheck: ok", 0
//   exit N      exits with status N
//   args        prints its arguments, one per line
//   clock       prints the wall clock in seconds and the monotonic clock's view of a 50 ms sleep
//   panic / smash / oom / malloc-oom    as sptcheck: PANIC lines and status 112 (malloc: 0)
//   write-code  writes to its own code (W^X)              -> page fault, SIGSEGV
//   null        reads through a null pointer                -> page fault, SIGSEGV
//   exec-data   jumps into its (non-executable) heap        -> page fault, SIGSEGV
//   stack       unbounded recursion into the guard page     -> page fault, SIGSEGV
//   ud2         an invalid instruction                       -> triple fault, SIGILL
//   syscall     a system call instruction                    -> triple fault, SIGILL
//   port        `out` to a port that is not a hypercall      -> refused, non-zero
//   loop        spins forever (for --timeout)
//   cost        prints the cost of a hypercall (HVT_CALL_CLOCK) and of a TSC clock read, in ns
//   hostile     hypercalls with bad pointers and lengths; the monitor must refuse each and keep
//               running: "hvtcheck: hostile ok", 0
// (exit, args, smash, oom, malloc-oom and most self-checks are tests/support/runtime_checks.h.)
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/loop.h>
#include <unikit/platform.h>

#include "platforms/hvt/hvt_abi.h"
#include "rt/panic.h"
#include "support/runtime_checks.h"

namespace {

constexpr const char* kName = "hvtcheck";

int fail(const char* what) { return runtime_checks::fail(kName, what); }

__attribute__((noinline)) int recurse(int n) {
    volatile char pad[4096];
    pad[0] = static_cast<char>(n);
    return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) double sse_math(double a, int n) {
    volatile double x = a;
    for (int i = 0; i < n; ++i) x = x * 1.5 + 0.25;
    return x;
}

void hypercall(unsigned call, uint64_t arg) {
    asm volatile("outl %%eax, %%dx" : : "a"(static_cast<uint32_t>(arg)), "d"(static_cast<uint16_t>(HVT_PORT_BASE + call))
                 : "memory");
}

int self_checks() {
    if (int r = runtime_checks::self_checks(kName)) return r;
    if (sse_math(1.0, 3) != 1.0 * 1.5 * 1.5 * 1.5 + 0.25 * 1.5 * 1.5 + 0.25 * 1.5 + 0.25) return fail("SSE arithmetic");
    unikit::println("hvtcheck: ok");
    return 0;
}

// Each call below is wrong in one way; the monitor must refuse it without dying, and the guest
// must still be able to print afterwards.
int hostile() {
    const uint64_t code = reinterpret_cast<uint64_t>(&self_checks);
    alignas(8) static hvt_console c;
    alignas(8) static hvt_block_io bio;
    alignas(8) static hvt_net_io nio;
    alignas(8) static hvt_yield y;
    alignas(8) static hvt_clock clk;
    // Argument struct pointers: unaligned, null, in code (read-only), monitor-owned (GDT),
    // page tables, beyond guest memory, at the 4 GiB edge.
    for (uint64_t bad : {uint64_t(reinterpret_cast<uint64_t>(&c) + 1), uint64_t(0), uint64_t(code & ~7ull), uint64_t(0x1000),
                         uint64_t(0x10000), uint64_t(0xfffffff8u), uint64_t(0x80000000u)}) {
        for (unsigned call : {HVT_CALL_CONSOLE, HVT_CALL_CLOCK, HVT_CALL_YIELD, HVT_CALL_NET_WRITE, HVT_CALL_NET_READ,
                              HVT_CALL_BLOCK_READ, HVT_CALL_BLOCK_WRITE})
            hypercall(call, bad);
    }
    // Console buffers: out of memory, overflowing length, monitor-owned memory, page tables.
    c = {0xfffff000ull, 4096};
    hypercall(HVT_CALL_CONSOLE, reinterpret_cast<uint64_t>(&c));
    c = {reinterpret_cast<uint64_t>("x"), ~0ull};
    hypercall(HVT_CALL_CONSOLE, reinterpret_cast<uint64_t>(&c));
    c = {0x1000, 64};
    hypercall(HVT_CALL_CONSOLE, reinterpret_cast<uint64_t>(&c));
    c = {0x10000, 4096};
    hypercall(HVT_CALL_CONSOLE, reinterpret_cast<uint64_t>(&c));
    c = {~0ull - 10, 100};
    hypercall(HVT_CALL_CONSOLE, reinterpret_cast<uint64_t>(&c));
    // Block and net calls on devices that do not exist, or into code.
    bio = {0, 0, 0, code, 512};
    hypercall(HVT_CALL_BLOCK_READ, reinterpret_cast<uint64_t>(&bio));
    if (bio.result != UK_EINVAL) return fail("block read without a device");
    bio = {-5, 0, 0, code, 512};
    hypercall(HVT_CALL_BLOCK_WRITE, reinterpret_cast<uint64_t>(&bio));
    if (bio.result != UK_EINVAL) return fail("block write with a negative handle");
    nio = {0, 0, code, ~0ull, 0};
    hypercall(HVT_CALL_NET_READ, reinterpret_cast<uint64_t>(&nio));
    if (nio.result != UK_EINVAL) return fail("net read without a device");
    // Yield whose ready array points into code, with a huge cap: nothing to write (no devices).
    y = {};
    y.deadline = 0;
    y.ready = code;
    y.cap = ~0ull;
    hypercall(HVT_CALL_YIELD, reinterpret_cast<uint64_t>(&y));
    // The monitor still serves good calls.
    clk = {};
    hypercall(HVT_CALL_CLOCK, reinterpret_cast<uint64_t>(&clk));
    if (clk.monotonic == 0) return fail("clock after the hostile calls");
    unikit::println("hvtcheck: hostile ok");
    return 0;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view mode = args.size() > 1 ? args[1] : "ok";
    if (mode == "ok") co_return self_checks();
    if (auto r = runtime_checks::common_mode(kName, mode, args)) co_return *r;
    if (mode == "clock") {
        uk_time_ns t0 = uk_clock_monotonic();
        co_await unikit::sleep(std::chrono::milliseconds(50));
        uk_time_ns t1 = uk_clock_monotonic();
        unikit::println("wall {}", uk_clock_wall() / 1000000000ull);
        unikit::println("slept {} ms", (t1 - t0) / 1000000ull);
        co_return 0;
    }
    if (mode == "panic") UK_PANIC("hvtcheck asked for a panic");
    if (mode == "write-code") {
        unikit::println("hvtcheck: writing to code");
        auto* code = reinterpret_cast<volatile uint8_t*>(&self_checks);
        *code = 0xcc;
        co_return fail("wrote to code");
    }
    if (mode == "null") {
        unikit::println("hvtcheck: reading through a null pointer");
        volatile uint64_t* p = nullptr;
        asm volatile("" : "+r"(p));
        co_return static_cast<int>(*p);
    }
    if (mode == "exec-data") {
        auto* heap = static_cast<uint8_t*>(std::malloc(64));
        heap[0] = 0xc3;  // ret
        reinterpret_cast<void (*)()>(heap)();
        co_return fail("executed the heap");
    }
    if (mode == "stack") co_return recurse(0);
    if (mode == "ud2") {
        asm volatile("ud2");
        co_return fail("ud2 returned");
    }
    if (mode == "syscall") {
        long r;
        asm volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
        co_return fail("syscall returned");
    }
    if (mode == "port") {
        asm volatile("outb %%al, %%dx" : : "a"(0), "d"(static_cast<uint16_t>(0x3f8)));
        co_return fail("out to port 0x3f8 returned");
    }
    if (mode == "loop") {
        unikit::println("hvtcheck: looping");
        for (;;) asm volatile("" ::: "memory");
    }
    if (mode == "hostile") co_return hostile();
    if (mode == "cost") {
        alignas(8) static hvt_clock clk;
        constexpr int kCalls = 2000, kReads = 1000000;
        uk_time_ns t0 = uk_clock_monotonic();
        for (int i = 0; i < kCalls; ++i) hypercall(HVT_CALL_CLOCK, reinterpret_cast<uint64_t>(&clk));
        uk_time_ns t1 = uk_clock_monotonic();
        uk_time_ns sink = 0;
        for (int i = 0; i < kReads; ++i) sink += uk_clock_monotonic();
        uk_time_ns t2 = uk_clock_monotonic();
        unikit::println("hypercall {} ns", (t1 - t0) / kCalls);
        unikit::println("clock read {} ns", (t2 - t1) / kReads);
        co_return sink == 0 ? 1 : 0;
    }
    co_return fail("unknown mode");
}
