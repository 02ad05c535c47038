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

}  // extern "C"
