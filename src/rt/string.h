// unikit runtime: memory and string primitives.
//
// The implementations carry uk_ names so the hosted build (unix target, unit tests) can link and
// test them beside the host libc. The freestanding flavour additionally defines the standard C
// names (memcpy, strlen, ...) in src/rt/fs/libc.cpp, forwarding to these.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* uk_memcpy(void* __restrict dst, const void* __restrict src, size_t n);
void* uk_memmove(void* dst, const void* src, size_t n);
void* uk_memset(void* dst, int c, size_t n);
int uk_memcmp(const void* a, const void* b, size_t n);
void* uk_memchr(const void* s, int c, size_t n);
size_t uk_strlen(const char* s);
size_t uk_strnlen(const char* s, size_t max);
int uk_strcmp(const char* a, const char* b);
int uk_strncmp(const char* a, const char* b, size_t n);
char* uk_strchr(const char* s, int c);
char* uk_strrchr(const char* s, int c);
char* uk_strcpy(char* __restrict dst, const char* __restrict src);
char* uk_strncpy(char* __restrict dst, const char* __restrict src, size_t n);

#ifdef __cplusplus
}
#endif
