// Boot entropy (uk_boot_info.entropy: stack guard, TCP ISN secret, DHCP ids).
// RDSEED, else RDRAND, when CPUID has them (QEMU TCG with -cpu max, KVM on most hosts). Without
// either, TSC jitter: the low bits of the time taken by I/O-port reads, folded through a
// 64-bit mixer. That is weak (an observer of the host can predict much of it); docs/virtio.md
// says so.
#include "platforms/virtio/kernel/internal.h"

namespace unikit::virtio::k {
namespace {

bool rdseed(uint64_t* v) {
    for (int i = 0; i < 100; ++i) {
        unsigned char ok;
        asm volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok) return true;
        pause();
    }
    return false;
}
bool rdrand(uint64_t* v) {
    for (int i = 0; i < 100; ++i) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok) return true;
    }
    return false;
}
uint64_t mix(uint64_t x) {  // a 64-bit finaliser (xorshift-multiply)
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
uint64_t jitter_word() {
    uint64_t acc = rdtsc();
    for (int i = 0; i < 256; ++i) {
        uint64_t t0 = rdtsc();
        (void)inb(0x71);  // CMOS data port: an exit (KVM) or device emulation (TCG)
        uint64_t t1 = rdtsc();
        acc = mix(acc ^ ((t1 - t0) << (i % 56)) ^ t1);
    }
    return acc;
}

}  // namespace

void entropy_fill(uint8_t out[32], const char** source) {
    const bool has_seed = cpuid(0).a >= 7 && (cpuid(7).b & (1u << 18));
    const bool has_rand = cpuid(1).c & (1u << 30);
    const char* src = has_seed ? "rdseed" : has_rand ? "rdrand" : "tsc-jitter";
    for (int i = 0; i < 4; ++i) {
        uint64_t w = 0;
        bool ok = (has_seed && rdseed(&w)) || (has_rand && rdrand(&w));
        if (!ok) {
            w = jitter_word();
            src = "tsc-jitter";
        }
        __builtin_memcpy(out + 8 * i, &w, 8);
    }
    *source = src;
}

}  // namespace unikit::virtio::k
