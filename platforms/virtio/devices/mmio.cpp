#include "platforms/virtio/devices/mmio.h"

#include "platforms/virtio/devices/interrupts.h"
#include "platforms/virtio/devices/mmio_cmdline.h"
#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

namespace {

constexpr uint32_t kMagic = 0x74726976;  // "virt"
// Register offsets (4.2.2; legacy ones from 4.2.4).
constexpr uintptr_t kRMagic = 0x000, kRVersion = 0x004, kRDeviceId = 0x008, kRDeviceFeatures = 0x010,
                    kRDeviceFeaturesSel = 0x014, kRDriverFeatures = 0x020, kRDriverFeaturesSel = 0x024,
                    kRGuestPageSize = 0x028, kRQueueSel = 0x030, kRQueueNumMax = 0x034, kRQueueNum = 0x038,
                    kRQueueAlign = 0x03c, kRQueuePfn = 0x040, kRQueueReady = 0x044, kRQueueNotify = 0x050,
                    kRInterruptStatus = 0x060, kRInterruptAck = 0x064, kRStatus = 0x070, kRQueueDescLow = 0x080,
                    kRQueueDescHigh = 0x084, kRQueueDriverLow = 0x090, kRQueueDriverHigh = 0x094,
                    kRQueueDeviceLow = 0x0a0, kRQueueDeviceHigh = 0x0a4, kRConfigGeneration = 0x0fc,
                    kRConfig = 0x100;

class MmioTransport final : public Transport {
public:
    uintptr_t base_ = 0;
    uint32_t irq_ = 0;
    bool legacy_ = false;
    char where_[24] = {};

    uint32_t rd(uintptr_t r) const { return mmio_read<uint32_t>(base_ + r); }
    void wr(uintptr_t r, uint32_t v) const { mmio_write<uint32_t>(base_ + r, v); }

    const char* where() const override { return where_; }
    bool legacy() const override { return legacy_; }
    void reset() override {
        wr(kRStatus, 0);
        while (rd(kRStatus) != 0) relax();
    }
    uint8_t status() override { return uint8_t(rd(kRStatus)); }
    void set_status(uint8_t s) override { wr(kRStatus, s); }
    uint64_t device_features() override {
        wr(kRDeviceFeaturesSel, 0);
        uint64_t lo = rd(kRDeviceFeatures);
        if (legacy_) return lo;
        wr(kRDeviceFeaturesSel, 1);
        return lo | uint64_t(rd(kRDeviceFeatures)) << 32;
    }
    void set_driver_features(uint64_t f) override {
        wr(kRDriverFeaturesSel, 0);
        wr(kRDriverFeatures, uint32_t(f));
        if (legacy_) return;
        wr(kRDriverFeaturesSel, 1);
        wr(kRDriverFeatures, uint32_t(f >> 32));
    }
    uint16_t queue_max(uint16_t q) override {
        wr(kRQueueSel, q);
        if (rd(legacy_ ? kRQueuePfn : kRQueueReady) != 0) return 0;
        uint32_t m = rd(kRQueueNumMax);
        return m > 32768 ? 32768 : uint16_t(m);
    }
    bool queue_setup(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used) override {
        wr(kRQueueSel, q);
        wr(kRQueueNum, size);
        if (legacy_) {
            if (desc % 4096 || (desc >> 12) > 0xffffffffu) return false;
            wr(kRGuestPageSize, 4096);
            wr(kRQueueAlign, 4096);
            wr(kRQueuePfn, uint32_t(desc >> 12));
            return true;
        }
        wr(kRQueueDescLow, uint32_t(desc));
        wr(kRQueueDescHigh, uint32_t(desc >> 32));
        wr(kRQueueDriverLow, uint32_t(avail));
        wr(kRQueueDriverHigh, uint32_t(avail >> 32));
        wr(kRQueueDeviceLow, uint32_t(used));
        wr(kRQueueDeviceHigh, uint32_t(used >> 32));
        wr(kRQueueReady, 1);
        return rd(kRQueueReady) == 1;
    }
    void notify(uint16_t q) override { wr(kRQueueNotify, q); }
    void config_read(size_t off, void* dst, size_t len) override {
        auto* out = static_cast<uint8_t*>(dst);
        uint32_t gen;
        do {
            gen = legacy_ ? 0 : rd(kRConfigGeneration);
            if (len == 2 && off % 2 == 0) {
                uint16_t v = mmio_read<uint16_t>(base_ + kRConfig + off);
                __builtin_memcpy(out, &v, 2);
            } else if ((len == 4 || len == 8) && off % 4 == 0) {
                for (size_t i = 0; i < len; i += 4) {
                    uint32_t v = mmio_read<uint32_t>(base_ + kRConfig + off + i);
                    __builtin_memcpy(out + i, &v, 4);
                }
            } else {
                for (size_t i = 0; i < len; ++i) out[i] = mmio_read<uint8_t>(base_ + kRConfig + off + i);
            }
        } while (!legacy_ && gen != rd(kRConfigGeneration));
    }
    void relax() override { asm volatile("pause"); }

    static void ack(void* ctx) {
        auto* t = static_cast<MmioTransport*>(ctx);
        uint32_t s = t->rd(kRInterruptStatus);
        if (s) t->wr(kRInterruptAck, s);
    }
    void attach_interrupts() override { share_gsi(irq_, false, false, ack, this, where_); }
};

struct Ctx {
    Found**& tail;
};

Msg window_name(uint64_t base) {
    Msg w;
    w << "mmio ";
    w.hex(base);
    return w;
}

void append(Found**& tail, uintptr_t base, uint32_t irq, uint32_t version, uint32_t type, const Msg& w) {
    auto* t = make_object<MmioTransport>();
    t->base_ = base;
    t->irq_ = irq;
    t->legacy_ = version == 1;
    __builtin_memcpy(t->where_, w.c_str(), sizeof t->where_ - 1);
    auto* f = static_cast<Found*>(dma_alloc(sizeof(Found), alignof(Found)));
    f->type = type;
    f->transport = t;
    f->next = nullptr;
    *tail = f;
    tail = &f->next;
}

void add(void* vctx, const MmioDesc& d) {
    auto* ctx = static_cast<Ctx*>(vctx);
    const Msg w = window_name(d.base);
    uintptr_t base = map_device_memory(d.base, d.size < 0x200 ? 0x200 : d.size);
    if (!base) {
        Msg m;
        m << "virtio at " << w.c_str() << ": cannot map the device window (size " << d.size << ")";
        m.panic();
    }
    if (mmio_read<uint32_t>(base + kRMagic) != kMagic) {
        Msg m;
        m << "virtio at " << w.c_str() << ": no virtio-mmio magic value";
        m.panic();
    }
    const uint32_t version = mmio_read<uint32_t>(base + kRVersion);
    if (version != 1 && version != 2) {
        Msg m;
        m << "virtio at " << w.c_str() << ": unsupported virtio-mmio version " << version;
        m.panic();
    }
    const uint32_t type = mmio_read<uint32_t>(base + kRDeviceId);
    if (type == 0) return;  // an empty transport slot
    append(ctx->tail, base, d.irq, version, type, w);
}

}  // namespace

size_t mmio_discover(const char* cmdline, Found**& tail) {
    Ctx ctx{tail};
    return parse_mmio_cmdline(cmdline, add, &ctx);
}

void mmio_probe_microvm(Found**& tail) {
    constexpr uint64_t kBase = 0xfeb00000;
    constexpr unsigned kMax = 24, kSize = 0x200;
    uintptr_t win = map_device_memory(kBase, kMax * kSize);
    if (!win) return;
    unsigned n = 0;
    while (n < kMax && mmio_read<uint32_t>(win + n * kSize + kRMagic) == kMagic) ++n;
    const uint32_t irq_base = n > 8 ? 24 : 5;
    for (unsigned i = 0; i < n; ++i) {
        const uintptr_t base = win + i * kSize;
        const uint32_t version = mmio_read<uint32_t>(base + kRVersion);
        const uint32_t type = mmio_read<uint32_t>(base + kRDeviceId);
        if (type == 0 || (version != 1 && version != 2)) continue;
        append(tail, base, irq_base + i, version, type, window_name(kBase + i * kSize));
    }
}

}  // namespace unikit::virtio
