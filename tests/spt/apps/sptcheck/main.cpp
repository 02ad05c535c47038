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
// (exit, args, smash, oom, malloc-oom and the self-checks are tests/support/runtime_checks.h.)
#include <cstdint>
#include <span>
#include <string_view>

#include <unikit/app.h>
#include <unikit/format.h>
#include <unikit/platform.h>

#include "rt/panic.h"
#include "support/runtime_checks.h"

namespace {

constexpr const char* kName = "sptcheck";

int fail(const char* what) { return runtime_checks::fail(kName, what); }

int self_checks() {
    if (int r = runtime_checks::self_checks(kName)) return r;
    unikit::println("sptcheck: ok");
    return 0;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view mode = args.size() > 1 ? args[1] : "ok";
    if (mode == "ok") co_return self_checks();
    if (auto r = runtime_checks::common_mode(kName, mode, args)) co_return *r;
    if (mode == "syscall") {
        unikit::println("sptcheck: calling open()");
        long r;
        static const char path[] = "/etc/passwd";
        asm volatile("syscall" : "=a"(r) : "a"(2L), "D"(path), "S"(0L), "d"(0L) : "rcx", "r11", "memory");
        unikit::println("sptcheck: open returned {} (the sandbox let it through!)", r);
        co_return 0;
    }
    if (mode == "panic") UK_PANIC("sptcheck asked for a panic");
    if (mode == "segv") {
        auto* code = reinterpret_cast<volatile uint8_t*>(&self_checks);
        *code = 0xcc;
        co_return fail("wrote to code");
    }
    co_return fail("unknown mode");
}
