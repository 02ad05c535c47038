// The standard C names of the memory and string functions, for freestanding images only (the
// compiler itself emits calls to memcpy/memset/memmove/memcmp). Compiled with -fno-builtin.
#include <stddef.h>

#include "rt/string.h"

extern "C" {

void* memcpy(void* __restrict d, const void* __restrict s, size_t n) { return uk_memcpy(d, s, n); }
void* memmove(void* d, const void* s, size_t n) { return uk_memmove(d, s, n); }
void* memset(void* d, int c, size_t n) { return uk_memset(d, c, n); }
int memcmp(const void* a, const void* b, size_t n) { return uk_memcmp(a, b, n); }
int bcmp(const void* a, const void* b, size_t n) { return uk_memcmp(a, b, n); }
void* memchr(const void* s, int c, size_t n) { return uk_memchr(s, c, n); }
size_t strlen(const char* s) { return uk_strlen(s); }
size_t strnlen(const char* s, size_t n) { return uk_strnlen(s, n); }
int strcmp(const char* a, const char* b) { return uk_strcmp(a, b); }
int strncmp(const char* a, const char* b, size_t n) { return uk_strncmp(a, b, n); }
char* strchr(const char* s, int c) { return uk_strchr(s, c); }
char* strrchr(const char* s, int c) { return uk_strrchr(s, c); }
char* strcpy(char* __restrict d, const char* __restrict s) { return uk_strcpy(d, s); }
char* strncpy(char* __restrict d, const char* __restrict s, size_t n) { return uk_strncpy(d, s, n); }

// strtol & co. (atoi and friends in <stdlib.h> are inline calls to these). Bases 0 and 2..36;
// out-of-range values clamp to the type's limits (no errno in an image).
namespace {
unsigned long long parse_unsigned(const char* s, char** end, int base, bool& neg, bool& overflow) {
    const char* p = s;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) ++p;
    neg = false;
    overflow = false;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        ((p[2] >= '0' && p[2] <= '9') || ((p[2] | 32) >= 'a' && (p[2] | 32) <= 'f'))) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long long v = 0;
    const char* digits = p;
    if (base >= 2 && base <= 36) {
        for (;; ++p) {
            int d;
            if (*p >= '0' && *p <= '9') d = *p - '0';
            else if ((*p | 32) >= 'a' && (*p | 32) <= 'z') d = (*p | 32) - 'a' + 10;
            else break;
            if (d >= base) break;
            if (__builtin_mul_overflow(v, static_cast<unsigned long long>(base), &v) ||
                __builtin_add_overflow(v, static_cast<unsigned long long>(d), &v))
                overflow = true;
        }
    }
    if (end) *end = const_cast<char*>(p == digits ? s : p);
    return v;
}
}  // namespace

long long strtoll(const char* s, char** end, int base) {
    bool neg, ovf;
    unsigned long long v = parse_unsigned(s, end, base, neg, ovf);
    if (neg) return (ovf || v > 1ull + static_cast<unsigned long long>(__LONG_LONG_MAX__)) ? -__LONG_LONG_MAX__ - 1 : -static_cast<long long>(v);
    return (ovf || v > static_cast<unsigned long long>(__LONG_LONG_MAX__)) ? __LONG_LONG_MAX__ : static_cast<long long>(v);
}
unsigned long long strtoull(const char* s, char** end, int base) {
    bool neg, ovf;
    unsigned long long v = parse_unsigned(s, end, base, neg, ovf);
    if (ovf) return ~0ull;
    return neg ? -v : v;
}
long strtol(const char* s, char** end, int base) { return strtoll(s, end, base); }
unsigned long strtoul(const char* s, char** end, int base) { return strtoull(s, end, base); }
int atoi(const char* s) { return static_cast<int>(strtol(s, nullptr, 10)); }
long atol(const char* s) { return strtol(s, nullptr, 10); }

}  // extern "C"
