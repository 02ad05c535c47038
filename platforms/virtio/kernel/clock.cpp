// Clocks: monotonic time from the TSC, wall time anchored at boot.
//
// TSC frequency, first source that answers:
//   1. kvmclock (KVM: CPUID 0x40000000 "KVMKVMKVM", feature CLOCKSOURCE2): the pvclock scale;
//   2. CPUID 0x40000010 (hypervisor timing leaf: TSC kHz);
//   3. CPUID 0x15 with a crystal frequency;
//   4. the 8254 PIT (channel 0, 2 ms measurements until two agree; TCG, pc/q35/microvm);
//   5. CPUID 0x16 (base MHz), else a guessed 1 GHz (said on the console).
// Wall time: kvmclock's wall clock when present, else the CMOS RTC read once at boot (1 s
// resolution); after that it advances with the monotonic clock.
#include "platforms/virtio/kernel/internal.h"

namespace unikit::virtio::k {
namespace {

uint64_t g_tsc_hz = 0;
uint64_t g_mult = 0;  // ns per tick, 32.32
uint64_t g_tsc0 = 0;
uint64_t g_last = 0;
uint64_t g_wall0 = 0;  // wall ns at g_tsc0
const char* g_source = "unknown";

struct PvClock {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
};
struct PvWall {
    uint32_t version, sec, nsec;
};
alignas(64) PvClock g_pv;
alignas(16) PvWall g_pvwall;

bool kvmclock(uint64_t* wall_at_tsc0) {
    Cpuid s = cpuid(0x40000000);
    if (!(s.b == 0x4b4d564b && s.c == 0x564b4d56 && s.d == 0x4d)) return false;  // "KVMKVMKVM\0\0\0"
    if (!(cpuid(0x40000001).a & (1u << 3))) return false;                         // CLOCKSOURCE2
    wrmsr(0x4b564d01, reinterpret_cast<uint64_t>(&g_pv) | 1);
    wrmsr(0x4b564d00, reinterpret_cast<uint64_t>(&g_pvwall));
    uint32_t v;
    PvClock c;
    do {
        v = __atomic_load_n(&g_pv.version, __ATOMIC_ACQUIRE);
        c = g_pv;
    } while ((v & 1) || v != __atomic_load_n(&g_pv.version, __ATOMIC_ACQUIRE));
    wrmsr(0x4b564d01, 0);  // stop the updates: only the scale is needed
    if (c.tsc_to_system_mul == 0) return false;
    // ns = ((ticks << shift) * mul) >> 32, so hz = 1e9 * 2^32 / (mul * 2^shift).
    unsigned __int128 hz = (static_cast<unsigned __int128>(1000000000u) << 32) / c.tsc_to_system_mul;
    hz = c.tsc_shift >= 0 ? hz >> c.tsc_shift : hz << -c.tsc_shift;
    g_tsc_hz = static_cast<uint64_t>(hz);
    // Wall clock: the host's wall time at system_time 0, plus the system time at g_tsc0.
    uint64_t d = g_tsc0 - c.tsc_timestamp;
    d = c.tsc_shift >= 0 ? d << c.tsc_shift : d >> -c.tsc_shift;
    uint64_t sys = c.system_time + static_cast<uint64_t>((static_cast<unsigned __int128>(d) * c.tsc_to_system_mul) >> 32);
    if (g_pvwall.sec) *wall_at_tsc0 = uint64_t(g_pvwall.sec) * 1000000000u + g_pvwall.nsec + sys;
    return true;
}

// PIT channel 0 (1193182 Hz), free-running from 0xffff, read by latching. One measurement counts
// ~2 ms of PIT ticks against the TSC. Each end is read between two TSC reads, keeping the
// tightest of a few tries, so a vCPU descheduled mid-read (TCG on a busy host) does not skew it.
// Measurements are repeated until two agree within 0.2% (at most 7; then the median is taken).
// False when no PIT answers (the counter never moves).
uint16_t pit_read() {
    outb(0x43, 0x00);  // latch channel 0
    uint8_t lo = inb(0x40);
    return static_cast<uint16_t>(lo | inb(0x40) << 8);
}

struct PitSample {
    uint64_t tsc;
    uint16_t count;
};

PitSample pit_tight_sample() {
    PitSample best{0, 0};
    uint64_t width = ~0ull;
    for (int i = 0; i < 5; ++i) {
        uint64_t a = rdtsc();
        uint16_t c = pit_read();
        uint64_t b = rdtsc();
        if (b - a < width) {
            width = b - a;
            best = {a + (b - a) / 2, c};
        }
    }
    return best;
}

// One measurement of the TSC frequency; 0 when the PIT does not count.
uint64_t pit_measure() {
    const uint32_t want = 2386;  // 2 ms
    PitSample s0 = pit_tight_sample();
    uint16_t prev = s0.count;
    uint32_t elapsed = 0;
    for (uint64_t spins = 0; elapsed < want; ++spins) {
        if (spins > 20000000 && elapsed == 0) return 0;
        uint16_t cur = pit_read();
        elapsed += static_cast<uint16_t>(prev - cur);  // counts down, wraps at 0xffff
        prev = cur;
    }
    PitSample s1 = pit_tight_sample();
    elapsed += static_cast<uint16_t>(prev - s1.count);
    return elapsed ? (s1.tsc - s0.tsc) * 1193182ull / elapsed : 0;
}

bool pit_calibrate() {
    outb(0x43, 0x34);  // channel 0, lo/hi byte, mode 2 (rate generator)
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint64_t m[7];
    int n = 0;
    for (; n < 7; ++n) {
        m[n] = pit_measure();
        if (m[n] == 0) return false;
        for (int j = 0; j < n; ++j) {
            uint64_t d = m[n] > m[j] ? m[n] - m[j] : m[j] - m[n];
            if (d * 500 <= m[j]) {  // within 0.2%
                g_tsc_hz = (m[n] + m[j]) / 2;
                return true;
            }
        }
    }
    for (int i = 1; i < n; ++i)  // no two agreed: the median
        for (int j = i; j > 0 && m[j] < m[j - 1]; --j) {
            uint64_t t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    g_tsc_hz = m[n / 2];
    return true;
}

uint8_t cmos(uint8_t reg) {
    outb(0x70, reg);
    return inb(0x71);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {  // days since 1970-01-01
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The CMOS RTC in seconds since the epoch, 0 if it reads as nonsense (no RTC).
uint64_t rtc_seconds() {
    struct T {
        uint8_t s, m, h, d, mo, y, c;
        bool operator==(const T&) const = default;
    } a{}, b{};
    auto get = [] {
        for (int i = 0; i < 100000 && (cmos(0x0a) & 0x80); ++i) pause();  // update in progress
        return T{cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32)};
    };
    int tries = 0;
    do {
        a = get();
        b = get();
    } while (!(a == b) && ++tries < 10);
    const uint8_t regb = cmos(0x0b);
    auto bin = [&](uint8_t v) -> unsigned { return (regb & 0x04) ? v : (v & 0x0f) + (v >> 4) * 10; };
    unsigned hour = bin(a.h & 0x7f);
    if (!(regb & 0x02) && (a.h & 0x80)) hour = (hour % 12) + 12;  // 12-hour mode, PM
    unsigned year = bin(a.y) + (a.c && a.c != 0xff ? bin(a.c) * 100 : 2000);
    unsigned mon = bin(a.mo), day = bin(a.d), min = bin(a.m), sec = bin(a.s);
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 || year < 1970) return 0;
    return static_cast<uint64_t>(days_from_civil(year, mon, day)) * 86400 + hour * 3600 + min * 60 + sec;
}

}  // namespace

void clock_init() {
    g_tsc0 = rdtsc();
    uint64_t wall = 0;
    Cpuid max = cpuid(0);
    if (kvmclock(&wall)) {
        g_source = "kvmclock";
    } else if (cpuid(0x40000000).a >= 0x40000010 && cpuid(0x40000010).a) {
        g_tsc_hz = uint64_t(cpuid(0x40000010).a) * 1000;
        g_source = "cpuid 0x40000010";
    } else if (max.a >= 0x15 && cpuid(0x15).a && cpuid(0x15).b && cpuid(0x15).c) {
        Cpuid l = cpuid(0x15);
        g_tsc_hz = uint64_t(l.c) * l.b / l.a;
        g_source = "cpuid 0x15";
    } else if (pit_calibrate()) {
        g_source = "pit";
    } else if (max.a >= 0x16 && (cpuid(0x16).a & 0xffff)) {
        g_tsc_hz = uint64_t(cpuid(0x16).a & 0xffff) * 1000000;
        g_source = "cpuid 0x16";
    } else {
        g_tsc_hz = 1000000000;
        g_source = "guessed";
        kputs("warning: no way to measure the TSC frequency; assuming 1 GHz (clocks may be wrong)\n");
    }
    g_mult = static_cast<uint64_t>((static_cast<unsigned __int128>(1000000000u) << 32) / g_tsc_hz);
    if (!wall) wall = rtc_seconds() * 1000000000ull;
    g_wall0 = wall;
}

uint64_t monotonic_ns() {
    uint64_t d = rdtsc() - g_tsc0;
    uint64_t ns = static_cast<uint64_t>((static_cast<unsigned __int128>(d) * g_mult) >> 32);
    if (ns < g_last) ns = g_last;
    g_last = ns;
    return ns;
}

uint64_t wall_ns() { return g_wall0 + monotonic_ns(); }
uint64_t tsc_hz() { return g_tsc_hz; }
uint64_t ns_to_tsc(uint64_t ns) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * g_tsc_hz / 1000000000u);
}
const char* clock_source() { return g_source; }

}  // namespace unikit::virtio::k
