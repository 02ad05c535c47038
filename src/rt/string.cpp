// Memory and string primitives, word-at-a-time.
//
// This file is compiled with -fno-builtin -fno-tree-loop-distribute-patterns (see
// src/rt/CMakeLists.txt) so GCC never turns these loops back into calls to memcpy/memset —
// which, in the freestanding flavour, are these very functions.
//
// Loads and stores of 8-byte words go through may_alias, byte-aligned types: plain unaligned
// moves on x86-64, and no call to memcpy even at -O0.
#include "rt/string.h"

#include <stdint.h>

namespace {

typedef uint64_t __attribute__((may_alias, aligned(1))) u64u;
typedef uint32_t __attribute__((may_alias, aligned(1))) u32u;
typedef uint16_t __attribute__((may_alias, aligned(1))) u16u;

inline uint64_t ld64(const unsigned char* p) { return *reinterpret_cast<const u64u*>(p); }
inline void st64(unsigned char* p, uint64_t v) { *reinterpret_cast<u64u*>(p) = v; }
inline uint32_t ld32(const unsigned char* p) { return *reinterpret_cast<const u32u*>(p); }
inline void st32(unsigned char* p, uint32_t v) { *reinterpret_cast<u32u*>(p) = v; }
inline uint16_t ld16(const unsigned char* p) { return *reinterpret_cast<const u16u*>(p); }
inline void st16(unsigned char* p, uint16_t v) { *reinterpret_cast<u16u*>(p) = v; }

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Non-zero iff some byte of v is zero.
inline uint64_t has_zero(uint64_t v) { return (v - kOnes) & ~v & kHighs; }

// Copy n < 32 bytes: every load happens before any store, so overlap is harmless.
inline void copy_small(unsigned char* d, const unsigned char* s, size_t n) {
    if (n >= 16) {
        uint64_t a = ld64(s), b = ld64(s + 8), c = ld64(s + n - 16), e = ld64(s + n - 8);
        st64(d, a); st64(d + 8, b); st64(d + n - 16, c); st64(d + n - 8, e);
    } else if (n >= 8) {
        uint64_t a = ld64(s), b = ld64(s + n - 8);
        st64(d, a); st64(d + n - 8, b);
    } else if (n >= 4) {
        uint32_t a = ld32(s), b = ld32(s + n - 4);
        st32(d, a); st32(d + n - 4, b);
    } else if (n >= 2) {
        uint16_t a = ld16(s), b = ld16(s + n - 2);
        st16(d, a); st16(d + n - 2, b);
    } else if (n == 1) {
        *d = *s;
    }
}

// Forward copy, n >= 32. Safe when d <= s (or no overlap): the last 32 source bytes are read
// before the loop can overwrite them, and the loop reads every block before writing it.
inline void copy_fwd(unsigned char* d, const unsigned char* s, size_t n) {
    uint64_t t0 = ld64(s + n - 32), t1 = ld64(s + n - 24), t2 = ld64(s + n - 16), t3 = ld64(s + n - 8);
    size_t i = 0;
    for (; i + 32 < n; i += 32) {
        uint64_t a = ld64(s + i), b = ld64(s + i + 8), c = ld64(s + i + 16), e = ld64(s + i + 24);
        st64(d + i, a); st64(d + i + 8, b); st64(d + i + 16, c); st64(d + i + 24, e);
    }
    st64(d + n - 32, t0); st64(d + n - 24, t1); st64(d + n - 16, t2); st64(d + n - 8, t3);
}

// Backward copy, n >= 32, for d > s with overlap: mirror image of copy_fwd.
inline void copy_bwd(unsigned char* d, const unsigned char* s, size_t n) {
    uint64_t h0 = ld64(s), h1 = ld64(s + 8), h2 = ld64(s + 16), h3 = ld64(s + 24);
    size_t i = n;
    for (; i > 32; i -= 32) {
        uint64_t a = ld64(s + i - 8), b = ld64(s + i - 16), c = ld64(s + i - 24), e = ld64(s + i - 32);
        st64(d + i - 8, a); st64(d + i - 16, b); st64(d + i - 24, c); st64(d + i - 32, e);
    }
    st64(d, h0); st64(d + 8, h1); st64(d + 16, h2); st64(d + 24, h3);
}

}  // namespace

extern "C" {

void* uk_memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (n < 32) copy_small(d, s, n);
    else copy_fwd(d, s, n);
    return dst;
}

void* uk_memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (n < 32) copy_small(d, s, n);
    else if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n) copy_fwd(d, s, n);  // d <= s, or no overlap
    else copy_bwd(d, s, n);
    return dst;
}

void* uk_memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    uint64_t v = kOnes * static_cast<unsigned char>(c);
    if (n >= 32) {
        size_t i = 0;
        for (; i + 32 < n; i += 32) {
            st64(d + i, v); st64(d + i + 8, v); st64(d + i + 16, v); st64(d + i + 24, v);
        }
        st64(d + n - 32, v); st64(d + n - 24, v); st64(d + n - 16, v); st64(d + n - 8, v);
    } else if (n >= 16) {
        st64(d, v); st64(d + 8, v); st64(d + n - 16, v); st64(d + n - 8, v);
    } else if (n >= 8) {
        st64(d, v); st64(d + n - 8, v);
    } else if (n >= 4) {
        st32(d, static_cast<uint32_t>(v)); st32(d + n - 4, static_cast<uint32_t>(v));
    } else {
        for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
    }
    return dst;
}

int uk_memcmp(const void* a, const void* b, size_t n) {
    auto* p = static_cast<const unsigned char*>(a);
    auto* q = static_cast<const unsigned char*>(b);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = ld64(p + i), y = ld64(q + i);
        if (x != y) {
            // The first differing byte decides: compare as big-endian numbers.
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
            return x < y ? -1 : 1;
        }
    }
    for (; i < n; ++i)
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    return 0;
}

void* uk_memchr(const void* s, int c, size_t n) {
    auto* p = static_cast<const unsigned char*>(s);
    const unsigned char ch = static_cast<unsigned char>(c);
    const uint64_t pat = kOnes * ch;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (has_zero(ld64(p + i) ^ pat)) break;
    for (; i < n; ++i)
        if (p[i] == ch) return const_cast<unsigned char*>(p + i);
    return nullptr;
}

// Reads whole aligned words, which may extend past the terminating NUL but never past the
// aligned word holding it (so never into another page). AddressSanitizer would flag those
// harmless bytes, hence the attribute.
__attribute__((no_sanitize("address")))
size_t uk_strlen(const char* str) {
    const char* p = str;
    while (reinterpret_cast<uintptr_t>(p) & 7) {
        if (*p == 0) return static_cast<size_t>(p - str);
        ++p;
    }
    const uint64_t* w = reinterpret_cast<const uint64_t*>(__builtin_assume_aligned(p, 8));
    while (!has_zero(*w)) ++w;
    p = reinterpret_cast<const char*>(w);
    while (*p) ++p;
    return static_cast<size_t>(p - str);
}

size_t uk_strnlen(const char* s, size_t max) {
    const void* z = uk_memchr(s, 0, max);
    return z ? static_cast<size_t>(static_cast<const char*>(z) - s) : max;
}

int uk_strcmp(const char* a, const char* b) {
    auto* p = reinterpret_cast<const unsigned char*>(a);
    auto* q = reinterpret_cast<const unsigned char*>(b);
    while (*p && *p == *q) { ++p; ++q; }
    return (*p > *q) - (*p < *q);
}

int uk_strncmp(const char* a, const char* b, size_t n) {
    auto* p = reinterpret_cast<const unsigned char*>(a);
    auto* q = reinterpret_cast<const unsigned char*>(b);
    for (; n; --n, ++p, ++q) {
        if (*p != *q) return *p < *q ? -1 : 1;
        if (!*p) return 0;
    }
    return 0;
}

char* uk_strchr(const char* s, int c) {
    const char ch = static_cast<char>(c);
    for (;; ++s) {
        if (*s == ch) return const_cast<char*>(s);
        if (!*s) return nullptr;
    }
}

char* uk_strrchr(const char* s, int c) {
    const char ch = static_cast<char>(c);
    const char* last = nullptr;
    for (;; ++s) {
        if (*s == ch) last = s;
        if (!*s) return const_cast<char*>(last);
    }
}

char* uk_strcpy(char* __restrict dst, const char* __restrict src) {
    uk_memcpy(dst, src, uk_strlen(src) + 1);
    return dst;
}

char* uk_strncpy(char* __restrict dst, const char* __restrict src, size_t n) {
    size_t len = uk_strnlen(src, n);
    uk_memcpy(dst, src, len);
    uk_memset(dst + len, 0, n - len);
    return dst;
}

}  // extern "C"
