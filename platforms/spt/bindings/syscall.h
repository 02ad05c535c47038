// Raw Linux x86-64 system calls for the spt bindings (no libc in an image). Only the calls the
// tender's seccomp filter allows are used; see docs/spt.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace spt::sys {

enum : long {
    nr_readv = 19,
    nr_writev = 20,
    nr_write = 1,
    nr_pread64 = 17,
    nr_pwrite64 = 18,
    nr_clock_gettime = 228,
    nr_exit_group = 231,
    nr_epoll_pwait = 281,
    nr_epoll_pwait2 = 441,
};

constexpr long eintr = 4;
constexpr long eagain = 11;

inline long call1(long n, long a) {
    long r;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
    return r;
}
inline long call2(long n, long a, long b) {
    long r;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}
inline long call3(long n, long a, long b, long c) {
    long r;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
inline long call4(long n, long a, long b, long c, long d) {
    long r;
    register long r10 asm("r10") = d;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}
inline long call6(long n, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    register long r9 asm("r9") = f;
    asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return r;
}

[[noreturn]] inline void exit_group(int status) {
    for (;;) call1(nr_exit_group, status);
}

struct timespec {
    long tv_sec;
    long tv_nsec;
};

struct iovec {
    void* base;
    size_t len;
};

struct __attribute__((packed)) epoll_event {
    uint32_t events;
    uint64_t data;
};

}  // namespace spt::sys
