// Small freestanding helpers for the drivers: a fixed-size message builder for panics, and
// byte-string helpers (the drivers link nothing but the kernel contract, so they are testable
// hosted without the runtime).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>

#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

// Msg m; m << "queue " << q << " id " << id; panic(m.c_str());
class Msg {
public:
    Msg& operator<<(const char* s) {
        while (s && *s) put(*s++);
        return *this;
    }
    Msg& operator<<(uint64_t v) {
        char tmp[24];
        size_t n = 0;
        do {
            tmp[n++] = char('0' + v % 10);
            v /= 10;
        } while (v);
        while (n) put(tmp[--n]);
        return *this;
    }
    Msg& operator<<(unsigned v) { return *this << uint64_t(v); }
    Msg& operator<<(int v) {
        if (v < 0) {
            put('-');
            return *this << uint64_t(-(int64_t)v);
        }
        return *this << uint64_t(v);
    }
    Msg& hex(uint64_t v) {
        *this << "0x";
        bool started = false;
        for (int s = 60; s >= 0; s -= 4) {
            unsigned d = (v >> s) & 0xf;
            if (!d && !started && s) continue;
            started = true;
            put("0123456789abcdef"[d]);
        }
        return *this;
    }
    const char* c_str() const { return buf_; }
    [[noreturn]] void panic() const { ::unikit::virtio::panic(buf_); }

private:
    void put(char c) {
        if (len_ + 1 < sizeof buf_) {
            buf_[len_++] = c;
            buf_[len_] = 0;
        }
    }
    char buf_[200] = {};
    size_t len_ = 0;
};

inline size_t str_len(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}
inline bool str_eq_n(const char* a, const char* b, size_t max) {
    for (size_t i = 0; i < max; ++i) {
        if (a[i] != b[i]) return false;
        if (!a[i]) return true;
    }
    return true;
}

// dma_alloc'd, placement-constructed object (never freed; devices live for the whole run).
template <class T>
T* make_object() {
    void* p = dma_alloc(sizeof(T), alignof(T) < 4096 ? alignof(T) : 4096);
    return new (p) T();
}

}  // namespace unikit::virtio
