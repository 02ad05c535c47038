#include "platforms/virtio/devices/pci.h"

#include "platforms/virtio/devices/interrupts.h"
#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/devices/virtio_spec.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

namespace {

// ---- configuration space (mechanism #1)

struct Bdf {
    uint8_t bus, dev, fn;
};

uint32_t cfg_address(Bdf b, uint8_t off) {
    return 0x80000000u | uint32_t(b.bus) << 16 | uint32_t(b.dev) << 11 | uint32_t(b.fn) << 8 | (off & 0xfcu);
}
uint32_t cfg32(Bdf b, uint8_t off) {
    outl(0xcf8, cfg_address(b, off));
    return inl(0xcfc);
}
uint16_t cfg16(Bdf b, uint8_t off) {
    outl(0xcf8, cfg_address(b, off));
    return inw(uint16_t(0xcfc + (off & 2)));
}
uint8_t cfg8(Bdf b, uint8_t off) {
    outl(0xcf8, cfg_address(b, off));
    return inb(uint16_t(0xcfc + (off & 3)));
}
void cfg_write16(Bdf b, uint8_t off, uint16_t v) {
    outl(0xcf8, cfg_address(b, off));
    outw(uint16_t(0xcfc + (off & 2)), v);
}

constexpr uint16_t kVendorVirtio = 0x1af4;
constexpr uint8_t kCapVendor = 0x09;
constexpr uint8_t kCapMsix = 0x11;
constexpr uint8_t kCfgCommon = 1, kCfgNotify = 2, kCfgIsr = 3, kCfgDevice = 4;

// Modern common configuration (4.1.4.3).
constexpr size_t kDfSelect = 0, kDf = 4, kGfSelect = 8, kGf = 12, kMsixConfig = 16, kNumQueues = 18, kStatus = 20,
                 kGeneration = 21, kQSelect = 22, kQSize = 24, kQMsix = 26, kQEnable = 28, kQNotifyOff = 30,
                 kQDesc = 32, kQDriver = 40, kQDevice = 48;
// Legacy I/O registers (4.1.4.8), without MSI-X.
constexpr uint16_t kLFeatures = 0, kLGuestFeatures = 4, kLQPfn = 8, kLQNum = 12, kLQSelect = 14, kLQNotify = 16,
                   kLStatus = 18, kLIsr = 19, kLConfig = 20;
constexpr uint16_t kNoVector = 0xffff;
constexpr unsigned kMaxQueues = 4;

// A BAR's address; *io set for I/O BARs.
uint64_t bar_address(Bdf b, unsigned i, bool* io) {
    uint32_t lo = cfg32(b, uint8_t(0x10 + 4 * i));
    *io = lo & 1;
    if (*io) return lo & ~3u;
    uint64_t a = lo & ~0xfu;
    if (((lo >> 1) & 3) == 2 && i < 5) a |= uint64_t(cfg32(b, uint8_t(0x14 + 4 * i))) << 32;
    return a;
}

class PciTransport final : public Transport {
public:
    Bdf bdf{};
    char where_[24] = {};
    bool legacy_ = false;
    uint16_t io_ = 0;  // legacy
    uintptr_t common_ = 0, notify_ = 0, isr_ = 0, devcfg_ = 0;
    uint32_t notify_mult_ = 0;
    uint16_t notify_off_[kMaxQueues] = {};
    uint8_t msix_cap_ = 0;
    bool msix_ = false;

    const char* where() const override { return where_; }
    bool legacy() const override { return legacy_; }
    bool queue_size_fixed() const override { return legacy_; }

    template <class T>
    T rd(size_t off) const { return mmio_read<T>(common_ + off); }
    template <class T>
    void wr(size_t off, T v) const { mmio_write<T>(common_ + off, v); }

    void reset() override {
        // The device is driven from here on: I/O and memory decoding, bus mastering.
        cfg_write16(bdf, 0x04, uint16_t(cfg16(bdf, 0x04) | 0x7));
        set_status(0);
        while (status() != 0) relax();
    }
    uint8_t status() override { return legacy_ ? inb(uint16_t(io_ + kLStatus)) : rd<uint8_t>(kStatus); }
    void set_status(uint8_t s) override {
        if (legacy_) outb(uint16_t(io_ + kLStatus), s);
        else wr<uint8_t>(kStatus, s);
    }
    uint64_t device_features() override {
        if (legacy_) return inl(uint16_t(io_ + kLFeatures));
        wr<uint32_t>(kDfSelect, 0);
        uint64_t lo = rd<uint32_t>(kDf);
        wr<uint32_t>(kDfSelect, 1);
        return lo | uint64_t(rd<uint32_t>(kDf)) << 32;
    }
    void set_driver_features(uint64_t f) override {
        if (legacy_) {
            outl(uint16_t(io_ + kLGuestFeatures), uint32_t(f));
            return;
        }
        wr<uint32_t>(kGfSelect, 0);
        wr<uint32_t>(kGf, uint32_t(f));
        wr<uint32_t>(kGfSelect, 1);
        wr<uint32_t>(kGf, uint32_t(f >> 32));
    }
    uint16_t queue_max(uint16_t q) override {
        if (q >= kMaxQueues) return 0;
        if (legacy_) {
            outw(uint16_t(io_ + kLQSelect), q);
            if (inl(uint16_t(io_ + kLQPfn)) != 0) return 0;
            return inw(uint16_t(io_ + kLQNum));
        }
        if (q >= rd<uint16_t>(kNumQueues)) return 0;
        wr<uint16_t>(kQSelect, q);
        if (rd<uint16_t>(kQEnable)) return 0;
        return rd<uint16_t>(kQSize);
    }
    bool queue_setup(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used) override {
        if (q >= kMaxQueues) return false;
        if (legacy_) {
            outw(uint16_t(io_ + kLQSelect), q);
            if (inw(uint16_t(io_ + kLQNum)) != size || desc % 4096) return false;
            outl(uint16_t(io_ + kLQPfn), uint32_t(desc >> 12));
            return true;
        }
        wr<uint16_t>(kQSelect, q);
        wr<uint16_t>(kQSize, size);
        if (msix_) {
            wr<uint16_t>(kQMsix, 0);
            if (rd<uint16_t>(kQMsix) != 0) return false;
        }
        wr<uint32_t>(kQDesc, uint32_t(desc));
        wr<uint32_t>(kQDesc + 4, uint32_t(desc >> 32));
        wr<uint32_t>(kQDriver, uint32_t(avail));
        wr<uint32_t>(kQDriver + 4, uint32_t(avail >> 32));
        wr<uint32_t>(kQDevice, uint32_t(used));
        wr<uint32_t>(kQDevice + 4, uint32_t(used >> 32));
        notify_off_[q] = rd<uint16_t>(kQNotifyOff);
        wr<uint16_t>(kQEnable, 1);
        return true;
    }
    void notify(uint16_t q) override {
        if (legacy_) outw(uint16_t(io_ + kLQNotify), q);
        else mmio_write<uint16_t>(notify_ + uintptr_t(notify_off_[q < kMaxQueues ? q : 0]) * notify_mult_, q);
    }
    void config_read(size_t off, void* dst, size_t len) override {
        auto* out = static_cast<uint8_t*>(dst);
        if (legacy_) {
            for (size_t i = 0; i < len; ++i) out[i] = inb(uint16_t(io_ + kLConfig + off + i));
            return;
        }
        uint8_t gen;
        do {
            gen = rd<uint8_t>(kGeneration);
            if (len == 2 && off % 2 == 0) {
                uint16_t v = mmio_read<uint16_t>(devcfg_ + off);
                __builtin_memcpy(out, &v, 2);
            } else if ((len == 4 || len == 8) && off % 4 == 0) {
                for (size_t i = 0; i < len; i += 4) {
                    uint32_t v = mmio_read<uint32_t>(devcfg_ + off + i);
                    __builtin_memcpy(out + i, &v, 4);
                }
            } else {
                for (size_t i = 0; i < len; ++i) out[i] = mmio_read<uint8_t>(devcfg_ + off + i);
            }
        } while (gen != rd<uint8_t>(kGeneration));
    }
    void relax() override { asm volatile("pause"); }

    static void ack_isr(void* ctx) {
        auto* t = static_cast<PciTransport*>(ctx);
        if (t->legacy_) (void)inb(uint16_t(t->io_ + kLIsr));
        else (void)mmio_read<uint8_t>(t->isr_);
    }
    static void ack_msix(void*) {}

    void attach_interrupts() override {
        if (!legacy_ && msix_cap_ && setup_msix()) return;
        const uint8_t pin = cfg8(bdf, 0x3d);
        const uint8_t line = cfg8(bdf, 0x3c);
        if (pin == 0 || line == 0xff) {
            Msg m;
            m << "virtio at " << where_ << ": no MSI-X and no INTx interrupt line";
            m.panic();
        }
        uint16_t cmd = cfg16(bdf, 0x04);
        cfg_write16(bdf, 0x04, uint16_t(cmd & ~(1u << 10)));  // INTx enabled
        // QEMU's firmware routes INTx to ISA IRQs and its ACPI tables call them level, active high.
        share_gsi(line, true, false, ack_isr, this, where_);
    }

    bool setup_msix() {
        const uint16_t ctrl = cfg16(bdf, uint8_t(msix_cap_ + 2));
        const uint32_t table = cfg32(bdf, uint8_t(msix_cap_ + 4));
        bool io = false;
        uint64_t bar = bar_address(bdf, table & 7, &io);
        if (io || bar == 0) return false;
        const size_t entries = (ctrl & 0x7ff) + 1;
        uintptr_t t = map_device_memory(bar + (table & ~7u), entries * 16);
        if (!t) return false;
        uint64_t addr = 0;
        uint32_t data = 0;
        if (!irq_alloc_msi(ack_msix, this, &addr, &data)) return false;
        mmio_write<uint32_t>(t + 0, uint32_t(addr));
        mmio_write<uint32_t>(t + 4, uint32_t(addr >> 32));
        mmio_write<uint32_t>(t + 8, data);
        mmio_write<uint32_t>(t + 12, 0);  // unmasked
        // Enable MSI-X, function not masked.
        cfg_write16(bdf, uint8_t(msix_cap_ + 2), uint16_t((ctrl | 0x8000) & ~0x4000));
        msix_ = true;
        wr<uint16_t>(kMsixConfig, kNoVector);  // no configuration-change interrupts
        return true;
    }
};

void name_bdf(char* out, Bdf b) {
    Msg m;
    m << "pci ";
    const char* hex = "0123456789abcdef";
    char s[8] = {hex[b.bus >> 4], hex[b.bus & 15], ':', hex[b.dev >> 4], hex[b.dev & 15], '.', char('0' + b.fn), 0};
    m << s;
    __builtin_memcpy(out, m.c_str(), 23);
}

// Finds the modern capabilities; false if any is missing or cannot be mapped.
bool setup_modern(PciTransport& t) {
    const Bdf b = t.bdf;
    if (!(cfg16(b, 0x06) & (1u << 4))) return false;  // no capability list
    bool have_common = false, have_notify = false, have_isr = false, have_dev = false;
    uint8_t ptr = cfg8(b, 0x34) & 0xfc;
    for (int guard = 0; ptr && guard < 48; ++guard) {
        const uint8_t id = cfg8(b, ptr);
        const uint8_t next = cfg8(b, uint8_t(ptr + 1)) & 0xfc;
        if (id == kCapMsix) t.msix_cap_ = ptr;
        if (id == kCapVendor) {
            const uint8_t type = cfg8(b, uint8_t(ptr + 3));
            const uint8_t barno = cfg8(b, uint8_t(ptr + 4));
            const uint32_t off = cfg32(b, uint8_t(ptr + 8));
            const uint32_t len = cfg32(b, uint8_t(ptr + 12));
            uintptr_t* slot = nullptr;
            bool* have = nullptr;
            switch (type) {
                case kCfgCommon: slot = &t.common_; have = &have_common; break;
                case kCfgNotify: slot = &t.notify_; have = &have_notify; break;
                case kCfgIsr: slot = &t.isr_; have = &have_isr; break;
                case kCfgDevice: slot = &t.devcfg_; have = &have_dev; break;
                default: break;
            }
            if (slot && !*have && barno < 6) {  // the first capability of each type is the preferred one
                bool io = false;
                uint64_t base = bar_address(b, barno, &io);
                if (io || base == 0) return false;
                uintptr_t v = map_device_memory(base + off, len ? len : 1);
                if (!v) return false;
                *slot = v;
                *have = true;
                if (type == kCfgNotify) t.notify_mult_ = cfg32(b, uint8_t(ptr + 16));
            }
        }
        ptr = next;
    }
    return have_common && have_notify && have_isr && have_dev;
}

void probe(Bdf b, Found**& tail, uint8_t* buses, unsigned* nbuses) {
    const uint32_t id = cfg32(b, 0x00);
    const uint16_t vendor = uint16_t(id);
    if (vendor == 0xffff) return;
    const uint8_t header = cfg8(b, 0x0e) & 0x7f;
    if (header == 1) {  // PCI-to-PCI bridge: scan its secondary bus later
        const uint8_t sec = cfg8(b, 0x19);
        bool seen = false;
        for (unsigned i = 0; i < *nbuses; ++i) seen |= buses[i] == sec;
        if (sec && !seen && *nbuses < 256) buses[(*nbuses)++] = sec;
        return;
    }
    const uint16_t device = uint16_t(id >> 16);
    if (vendor != kVendorVirtio || device < 0x1000 || device > 0x107f) return;
    uint32_t type = device >= 0x1040 ? uint32_t(device - 0x1040) : cfg16(b, 0x2e);
    auto* t = make_object<PciTransport>();
    t->bdf = b;
    name_bdf(t->where_, b);
    if (!setup_modern(*t)) {
        bool io = false;
        uint64_t bar0 = bar_address(b, 0, &io);
        if (device >= 0x1040 || !io || bar0 == 0 || bar0 > 0xffff) {
            Msg m;
            m << "virtio at " << t->where_ << ": neither the modern interface (capabilities in mappable BARs)"
              << " nor a legacy I/O BAR";
            m.panic();
        }
        t->legacy_ = true;
        t->io_ = uint16_t(bar0);
        t->msix_cap_ = 0;
    }
    auto* f = static_cast<Found*>(dma_alloc(sizeof(Found), alignof(Found)));
    f->type = type;
    f->transport = t;
    f->next = nullptr;
    *tail = f;
    tail = &f->next;
}

}  // namespace

bool pci_discover(Found**& tail) {
    if (uint16_t(cfg32(Bdf{0, 0, 0}, 0x00)) == 0xffff) return false;
    // Buses in ascending order (bridges' secondary buses are appended, then sorted), so devices
    // come out in bus/device/function order.
    uint8_t buses[256];
    unsigned nbuses = 1, done = 0;
    buses[0] = 0;
    while (done < nbuses) {
        // Take the smallest bus not yet scanned.
        unsigned best = done;
        for (unsigned i = done + 1; i < nbuses; ++i)
            if (buses[i] < buses[best]) best = i;
        uint8_t tmp = buses[done];
        buses[done] = buses[best];
        buses[best] = tmp;
        const uint8_t bus = buses[done++];
        for (uint8_t dev = 0; dev < 32; ++dev) {
            if (uint16_t(cfg32(Bdf{bus, dev, 0}, 0x00)) == 0xffff) continue;
            const bool multi = cfg8(Bdf{bus, dev, 0}, 0x0e) & 0x80;
            for (uint8_t fn = 0; fn < (multi ? 8 : 1); ++fn) probe(Bdf{bus, dev, fn}, tail, buses, &nbuses);
        }
    }
    return true;
}

}  // namespace unikit::virtio
