// The console: the 16550 UART at COM1 (I/O port 0x3f8), polled, 115200 8N1. QEMU connects it to
// the runner's stdout (-serial stdio); Firecracker emulates the same UART. Bytes go out as given
// (no "\n" -> "\r\n"), so the console output is byte-for-byte what the app printed.
#include "platforms/virtio/kernel/internal.h"

namespace unikit::virtio::k {
namespace {
constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kThr = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kDll = 0, kDlm = 1;
constexpr uint8_t kLsrThre = 0x20;
}  // namespace

void console_init() {
    outb(kCom1 + kIer, 0x00);  // no UART interrupts: the console is written by polling
    outb(kCom1 + kLcr, 0x80);  // DLAB: set the divisor
    outb(kCom1 + kDll, 0x01);  // 115200 baud
    outb(kCom1 + kDlm, 0x00);
    outb(kCom1 + kLcr, 0x03);  // 8N1
    outb(kCom1 + kFcr, 0xc7);  // FIFOs on and cleared
    outb(kCom1 + kMcr, 0x03);  // DTR, RTS
}

void console_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        // Bounded wait: a machine without a UART must not hang the image.
        for (int spin = 0; spin < 100000 && !(inb(kCom1 + kLsr) & kLsrThre); ++spin) pause();
        outb(kCom1 + kThr, static_cast<uint8_t>(s[i]));
    }
}

void kputs(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    console_write(s, n);
}

void kput_hex(uint64_t v) {
    char buf[18] = {'0', 'x'};
    for (int i = 0; i < 16; ++i) buf[17 - i] = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
    console_write(buf, sizeof buf);
}

void kput_dec(uint64_t v) {
    char buf[20];
    int i = 20;
    do {
        buf[--i] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    console_write(buf + i, 20 - i);
}

}  // namespace unikit::virtio::k
