// The kernel's half of the platform ABI (include/unikit/platform.h): console, exit, abort,
// clocks, uk_yield. The device half (uk_device_lookup, uk_net_*, uk_block_*) is the drivers'
// (devices/), with weak stand-ins in no_devices.cpp.
#include <unikit/platform.h>

#include "platforms/virtio/devices/devices.h"
#include "platforms/virtio/kernel/internal.h"

namespace unikit::virtio::k {

// Ending the VM. QEMU (as `unikit run` starts it): the status goes out as text ("exit=N\n") on
// an isa-debugcon at port 0x4f0 (not 0x402: SeaBIOS logs there), which the runner reads back
// (exact for 0-255), then to the isa-debug-exit device at port 0xf4, which ends QEMU with exit
// code (N << 1) | 1. Without those devices (Firecracker, a hand-written QEMU command line) both
// writes do nothing: the status is printed on the console, then an i8042 reset (Firecracker
// ends the VM on it; QEMU with -no-reboot exits), then halt for good.
void vm_exit(int status) {
    cli();
    const unsigned s = static_cast<unsigned>(status) & 0xff;
    char line[16] = "exit=";
    size_t n = 5;
    if (s >= 100) line[n++] = static_cast<char>('0' + s / 100);
    if (s >= 10) line[n++] = static_cast<char>('0' + s / 10 % 10);
    line[n++] = static_cast<char>('0' + s % 10);
    line[n++] = '\n';
    for (size_t i = 0; i < n; ++i) outb(0x4f0, static_cast<uint8_t>(line[i]));
    outl(0xf4, s);
    kputs("unikit: exit status ");
    kput_dec(s);
    kputs(" (no isa-debug-exit device: resetting)\n");
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); ++i) pause();
    outb(0x64, 0xfe);  // i8042: pulse the reset line
    for (;;) asm volatile("cli; hlt");
}

}  // namespace unikit::virtio::k

using namespace unikit::virtio;

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    if (buf && len) k::console_write(buf, len);
}

void uk_exit(int status) { k::vm_exit(status); }

void uk_abort(void) { k::vm_exit(UK_EXIT_ABORT); }

uk_time_ns uk_clock_monotonic(void) { return k::monotonic_ns(); }

uk_time_ns uk_clock_wall(void) { return k::wall_ns(); }

// Poll the devices with interrupts off; if nothing is ready and the deadline is ahead, arm the
// timer and halt with interrupts on (`sti; hlt` cannot lose a wake-up: an interrupt that is
// pending when sti runs is taken only after hlt has started, and ends it). The handlers run
// inside the halt; then poll again.
uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    if (!nready || (!ready && cap > 0)) return UK_EINVAL;
    *nready = 0;
    for (;;) {
        k::cli();
        size_t n = devices_poll(ready, cap);
        if (n > 0) {
            *nready = n <= cap ? n : cap;
            return UK_OK;
        }
        if (k::monotonic_ns() >= deadline) return UK_OK;
        k::timer_arm(deadline);
        asm volatile("sti; hlt; cli" ::: "memory");
    }
}

}  // extern "C"
