#include "platforms/virtio/devices/mmio_cmdline.h"

#include "platforms/virtio/devices/util.h"

namespace unikit::virtio {

namespace {

constexpr char kKey[] = "virtio_mmio.device=";

bool starts_with_key(const char* t) {
    for (size_t i = 0; i + 1 < sizeof kKey; ++i)
        if (t[i] != kKey[i]) return false;
    return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Parses an unsigned number (0x hex or decimal) at *p; false if none or it overflows.
bool number(const char*& p, const char* end, uint64_t* out) {
    uint64_t v = 0;
    unsigned base = 10;
    if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char* start = p;
    while (p < end) {
        unsigned d;
        char c = *p;
        if (c >= '0' && c <= '9') d = unsigned(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
        else break;
        if (v > (UINT64_MAX - d) / base) return false;
        v = v * base + d;
        ++p;
    }
    *out = v;
    return p != start;
}

[[noreturn]] void bad(const char* tok, const char* end, const char* why) {
    Msg m;
    m << "virtio: bad virtio_mmio.device '";
    char tmp[80];
    size_t n = size_t(end - tok) < sizeof tmp - 1 ? size_t(end - tok) : sizeof tmp - 1;
    __builtin_memcpy(tmp, tok, n);
    tmp[n] = 0;
    m << tmp << "' on the command line: " << why;
    m.panic();
}

}  // namespace

size_t parse_mmio_cmdline(const char* s, void (*fn)(void*, const MmioDesc&), void* ctx) {
    size_t count = 0;
    const size_t klen = sizeof kKey - 1;
    while (s && *s) {
        while (is_space(*s)) ++s;
        const char* tok = s;
        while (*s && !is_space(*s)) ++s;
        const char* end = s;
        if (size_t(end - tok) < klen || !starts_with_key(tok)) continue;
        const char* p = tok + klen;
        MmioDesc d{};
        uint64_t v;
        if (!number(p, end, &d.size)) bad(tok, end, "expected <size>@<base>:<irq>");
        if (p < end && (*p == 'K' || *p == 'k' || *p == 'M' || *p == 'm' || *p == 'G' || *p == 'g')) {
            unsigned shift = (*p == 'K' || *p == 'k') ? 10 : (*p == 'M' || *p == 'm') ? 20 : 30;
            if (d.size > (UINT64_MAX >> shift)) bad(tok, end, "size too large");
            d.size <<= shift;
            ++p;
        }
        if (d.size == 0) bad(tok, end, "size 0");
        if (p >= end || *p++ != '@') bad(tok, end, "expected '@' after the size");
        if (!number(p, end, &d.base)) bad(tok, end, "expected a base address after '@'");
        if (d.base + d.size < d.base) bad(tok, end, "window wraps around");
        if (p >= end || *p++ != ':') bad(tok, end, "expected ':<irq>' after the base");
        if (!number(p, end, &v) || v > 255) bad(tok, end, "expected an interrupt number (0..255) after ':'");
        d.irq = uint32_t(v);
        if (p < end && *p == ':') {  // optional platform device id (Linux); ignored
            ++p;
            if (!number(p, end, &v)) bad(tok, end, "expected a device id after the second ':'");
        }
        if (p != end) bad(tok, end, "trailing characters");
        ++count;
        fn(ctx, d);
    }
    return count;
}

}  // namespace unikit::virtio
