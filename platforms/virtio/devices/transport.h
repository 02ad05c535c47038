// The transport a virtio driver talks through (Virtio 1.2 section 4): virtio-pci (modern or
// legacy), virtio-mmio (version 2 or legacy version 1), or a fake device in the hosted tests.
// The drivers (virtqueue, net, blk) know only this interface.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace unikit::virtio {

class Transport {
public:
    // Where the device is, for messages: "pci 00:03.0", "mmio 0xfeb00e00".
    virtual const char* where() const = 0;
    // The legacy interface (virtio-mmio version 1, legacy virtio-pci): no FEATURES_OK step,
    // 32 feature bits, a page-aligned ring layout given by its page frame number.
    virtual bool legacy() const = 0;

    virtual void reset() = 0;  // writes 0 to the status and waits until it reads back 0
    virtual uint8_t status() = 0;
    virtual void set_status(uint8_t s) = 0;
    virtual uint64_t device_features() = 0;
    virtual void set_driver_features(uint64_t f) = 0;

    // Largest size of queue q, 0 if the queue does not exist (or is already in use).
    virtual uint16_t queue_max(uint16_t q) = 0;
    // Legacy virtio-pci cannot resize queues: the size must be queue_max().
    virtual bool queue_size_fixed() const { return false; }
    // Give queue q its rings (guest-physical addresses; legacy transports need the layout
    // Virtqueue uses: desc at a page boundary, used at the next 4096-aligned offset after the
    // avail ring) and enable it. False if the transport refuses.
    virtual bool queue_setup(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used) = 0;
    virtual void notify(uint16_t q) = 0;

    // Device-specific configuration (little-endian fields), read consistently.
    virtual void config_read(size_t offset, void* dst, size_t len) = 0;

    // Route the device's interrupt (called after feature negotiation, before queue_setup).
    virtual void attach_interrupts() {}
    // Called while spinning for a completion (e.g. `pause`).
    virtual void relax() {}

protected:
    ~Transport() = default;
};

}  // namespace unikit::virtio
