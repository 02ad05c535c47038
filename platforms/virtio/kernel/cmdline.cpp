#include "platforms/virtio/kernel/cmdline.h"

namespace unikit::virtio {
namespace {
bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

bool is_kernel_token(const char* t) {
    const char* p = "virtio_mmio.";
    for (; *p; ++p, ++t)
        if (*t != *p) return false;
    return true;
}

int split_cmdline(const char* line, char* buf, const char** argv, size_t max) {
    size_t n = 0, o = 0;
    const char* p = line;
    for (;;) {
        while (blank(*p)) ++p;
        if (!*p) break;
        if (n == max) return -1;
        argv[n] = buf + o;
        bool quoted = false;
        while (*p && (quoted || !blank(*p))) {
            if (*p == '\\' && p[1]) {
                buf[o++] = p[1];
                p += 2;
            } else if (*p == '"') {
                quoted = !quoted;
                ++p;
            } else {
                buf[o++] = *p++;
            }
        }
        if (quoted) return -2;
        buf[o++] = '\0';
        if (is_kernel_token(argv[n])) continue;  // the kernel's, not the app's
        ++n;
    }
    return static_cast<int>(n);
}

}  // namespace unikit::virtio
