// Interrupts: the local APIC (xAPIC, MMIO), the IOAPICs, MSI vectors, and the wake-up timer.
//
// The kernel runs with interrupts disabled except inside uk_yield's `sti; hlt`, so handlers only
// ever interrupt that halt. Vectors: 0x20 the timer, 0x30..0xef allocated to devices (GSI or
// MSI), 0xff spurious. The legacy 8259 PICs are remapped out of the exception range and fully
// masked (and LINT0/LINT1 masked), so only the IOAPIC and MSIs deliver device interrupts.
#include "platforms/virtio/kernel/internal.h"

namespace unikit::virtio::k {
namespace {

constexpr unsigned kTimerVector = 0x20, kFirstDeviceVector = 0x30, kLastDeviceVector = 0xef, kSpurious = 0xff;
constexpr uint32_t kLapicId = 0x20, kLapicTpr = 0x80, kLapicEoi = 0xb0, kLapicSvr = 0xf0, kLvtTimer = 0x320,
                   kLvtLint0 = 0x350, kLvtLint1 = 0x360, kLvtError = 0x370, kTimerInit = 0x380, kTimerCur = 0x390,
                   kTimerDiv = 0x3e0;
constexpr uint32_t kMsrApicBase = 0x1b, kMsrTscDeadline = 0x6e0;

struct IoApic {
    uint64_t addr;
    uint32_t gsi_base;
    uint32_t pins;
};
IoApic g_ioapic[8];
size_t g_nioapic = 0;
uint64_t g_lapic_phys = 0xfee00000;
uintptr_t g_lapic = 0;
uint32_t g_apic_id = 0;
bool g_tsc_deadline = false;
uint64_t g_apic_hz = 0;  // one-shot mode: LAPIC timer ticks per second (divide by 1)

struct Handler {
    IrqHandler fn;
    void* ctx;
};
Handler g_handlers[256];
unsigned g_next_vector = kFirstDeviceVector;

uint32_t lapic_read(uint32_t reg) { return mmio_read<uint32_t>(g_lapic + reg); }
void lapic_write(uint32_t reg, uint32_t v) { mmio_write<uint32_t>(g_lapic + reg, v); }

uint32_t ioapic_read(const IoApic& a, uint32_t reg) {
    mmio_write<uint32_t>(a.addr, reg);
    return mmio_read<uint32_t>(a.addr + 0x10);
}
void ioapic_write(const IoApic& a, uint32_t reg, uint32_t v) {
    mmio_write<uint32_t>(a.addr, reg);
    mmio_write<uint32_t>(a.addr + 0x10, v);
}

bool sig_is(const uint8_t* p, const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != static_cast<uint8_t>(s[i])) return false;
    return true;
}
uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint64_t le64(const uint8_t* p) { return le32(p) | uint64_t(le32(p + 4)) << 32; }

void scan_madt(const uint8_t* madt) {
    const uint32_t len = le32(madt + 4);
    g_lapic_phys = le32(madt + 36);
    for (uint32_t off = 44; off + 2 <= len;) {
        const uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len) break;
        if (type == 1 && elen >= 12 && g_nioapic < 8) g_ioapic[g_nioapic++] = {le32(madt + off + 4), le32(madt + off + 8), 0};
        if (type == 5 && elen >= 12) g_lapic_phys = le64(madt + off + 4);
        off += elen;
    }
}

uint64_t find_rsdp() {
    for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
        if (sig_is(reinterpret_cast<const uint8_t*>(a), "RSD PTR ", 8)) return a;
    return 0;
}

unsigned alloc_vector(IrqHandler fn, void* ctx) {
    if (!fn || g_next_vector > kLastDeviceVector) return 0;
    unsigned v = g_next_vector++;
    g_handlers[v] = {fn, ctx};
    return v;
}

}  // namespace

void acpi_scan(uint64_t rsdp) {
    if (!rsdp) rsdp = find_rsdp();
    if (rsdp && rsdp < (1ull << 32)) {
        const auto* r = reinterpret_cast<const uint8_t*>(rsdp);
        if (sig_is(r, "RSD PTR ", 8)) {
            const bool x = r[15] >= 2 && le64(r + 24) != 0;
            const uint64_t sdt = x ? le64(r + 24) : le32(r + 16);
            if (sdt && sdt < (1ull << 32)) {
                const auto* h = reinterpret_cast<const uint8_t*>(sdt);
                const uint32_t len = le32(h + 4), esz = x ? 8 : 4;
                for (uint32_t off = 36; off + esz <= len; off += esz) {
                    uint64_t t = x ? le64(h + off) : le32(h + off);
                    if (t && t < (1ull << 32) && sig_is(reinterpret_cast<const uint8_t*>(t), "APIC", 4)) {
                        scan_madt(reinterpret_cast<const uint8_t*>(t));
                        break;
                    }
                }
            }
        }
    }
    if (g_nioapic == 0) g_ioapic[g_nioapic++] = {0xfec00000, 0, 0};  // the PC's fixed address
}

void irq_init() {
    // 8259s: remap to 0xf0/0xf8 (away from the exceptions), then mask every line.
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0xf0); outb(0xa1, 0xf8);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);

    // Local APIC: enabled, xAPIC MMIO.
    uint64_t base = rdmsr(kMsrApicBase);
    wrmsr(kMsrApicBase, (base | (1u << 11)) & ~uint64_t(1u << 10));
    g_lapic_phys = base & 0xfffffffff000ull;  // the MSR is authoritative (the MADT says the same)
    g_lapic = map_device_memory(g_lapic_phys, 4096);
    if (!g_lapic) panic("cannot map the local APIC");
    g_apic_id = lapic_read(kLapicId) >> 24;
    lapic_write(kLapicTpr, 0);
    lapic_write(kLvtLint0, 1u << 16);
    lapic_write(kLvtLint1, 1u << 16);
    lapic_write(kLvtError, 1u << 16);
    lapic_write(kLapicSvr, 0x100 | kSpurious);

    for (size_t i = 0; i < g_nioapic; ++i) {
        IoApic& a = g_ioapic[i];
        if (!map_device_memory(a.addr, 4096)) panic("cannot map an IOAPIC");
        a.pins = ((ioapic_read(a, 1) >> 16) & 0xff) + 1;
        for (uint32_t p = 0; p < a.pins; ++p) {
            ioapic_write(a, 0x10 + 2 * p, 1u << 16);  // masked
            ioapic_write(a, 0x11 + 2 * p, 0);
        }
    }

    // Timer: TSC-deadline when the CPU has it, else one-shot counted in LAPIC ticks, calibrated
    // here against the TSC over 1 ms.
    g_tsc_deadline = cpuid(1).c & (1u << 24);
    if (g_tsc_deadline) {
        lapic_write(kLvtTimer, kTimerVector | (2u << 17));
    } else {
        lapic_write(kTimerDiv, 0xb);  // divide by 1
        lapic_write(kLvtTimer, kTimerVector | (1u << 16));  // one-shot, masked while calibrating
        lapic_write(kTimerInit, 0xffffffffu);
        const uint64_t t0 = rdtsc(), span = tsc_hz() / 1000;
        while (rdtsc() - t0 < span) pause();
        const uint32_t ticks = 0xffffffffu - lapic_read(kTimerCur);
        const uint64_t t1 = rdtsc();
        lapic_write(kTimerInit, 0);
        g_apic_hz = t1 > t0 ? uint64_t(ticks) * tsc_hz() / (t1 - t0) : 0;
        if (g_apic_hz == 0) panic("the local APIC timer does not count");
        lapic_write(kLvtTimer, kTimerVector);
    }
}

const char* irq_timer_mode() { return g_tsc_deadline ? "tsc-deadline" : "one-shot"; }

void timer_arm(uint64_t deadline) {
    if (deadline == UINT64_MAX) {
        if (g_tsc_deadline) wrmsr(kMsrTscDeadline, 0);
        else lapic_write(kTimerInit, 0);
        return;
    }
    const uint64_t now = monotonic_ns();
    const uint64_t left = deadline > now ? deadline - now : 0;
    if (g_tsc_deadline) {
        wrmsr(kMsrTscDeadline, rdtsc() + ns_to_tsc(left) + 1);
    } else {
        // Wake a little early rather than late (the calibration is not exact): uk_yield re-arms
        // for what is left.
        unsigned __int128 t = static_cast<unsigned __int128>(left) * g_apic_hz / 1000000000u;
        t -= t / 64;
        lapic_write(kTimerInit, t == 0 ? 1u : t > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(t));
    }
}

void irq_dispatch(unsigned vector) {
    if (vector == kSpurious || vector >= 0xf0) return;  // spurious (LAPIC or a masked 8259): no EOI
    if (vector != kTimerVector && g_handlers[vector].fn) g_handlers[vector].fn(g_handlers[vector].ctx);
    lapic_write(kLapicEoi, 0);
}

}  // namespace unikit::virtio::k

namespace unikit::virtio {

bool irq_attach_gsi(unsigned gsi, bool level_triggered, bool active_low, IrqHandler handler, void* ctx) {
    using namespace k;
    for (size_t i = 0; i < g_nioapic; ++i) {
        const IoApic& a = g_ioapic[i];
        if (gsi < a.gsi_base || gsi >= a.gsi_base + a.pins) continue;
        unsigned v = alloc_vector(handler, ctx);
        if (!v) return false;
        const uint32_t pin = gsi - a.gsi_base;
        ioapic_write(a, 0x11 + 2 * pin, g_apic_id << 24);
        ioapic_write(a, 0x10 + 2 * pin, v | (active_low ? 1u << 13 : 0) | (level_triggered ? 1u << 15 : 0));
        return true;
    }
    return false;
}

bool irq_alloc_msi(IrqHandler handler, void* ctx, uint64_t* addr, uint32_t* data) {
    using namespace k;
    if (!addr || !data) return false;
    unsigned v = alloc_vector(handler, ctx);
    if (!v) return false;
    *addr = 0xfee00000u | (g_apic_id << 12);
    *data = v;  // fixed delivery, edge, assert
    return true;
}

}  // namespace unikit::virtio
