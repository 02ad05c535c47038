#include "rt/panic.h"

#include <unikit/platform.h>

#include "rt/string.h"

namespace {

// Appends s to buf[pos..cap), truncating; returns the new position.
size_t put(char* buf, size_t pos, size_t cap, const char* s) {
    size_t n = s ? uk_strlen(s) : 0;
    if (n > cap - pos) n = cap - pos;
    uk_memcpy(buf + pos, s, n);
    return pos + n;
}

}  // namespace

extern "C" void uk_panic(const char* file, int line, const char* msg) {
    // One console write, so the line is never interleaved.
    char buf[512];
    const size_t cap = sizeof buf - 1;
    size_t pos = put(buf, 0, cap, "PANIC at ");
    pos = put(buf, pos, cap, file ? file : "?");
    pos = put(buf, pos, cap, ":");
    char num[16];
    int i = 15;
    num[i] = 0;
    unsigned v = line < 0 ? 0u : static_cast<unsigned>(line);
    do {
        num[--i] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    pos = put(buf, pos, cap, num + i);
    pos = put(buf, pos, cap, ": ");
    pos = put(buf, pos, cap, msg ? msg : "(no message)");
    buf[pos++] = '\n';
    uk_console_write(buf, pos);
    uk_abort();
}
