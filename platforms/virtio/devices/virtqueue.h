// A split virtqueue (Virtio 1.2 section 2.7), driver side.
//
// Rings live in dma_alloc'd memory laid out as the legacy interface requires (so one layout
// serves every transport): the descriptor table at a page boundary, the available ring right
// after it, the used ring at the next 4096-byte boundary. Descriptors are kept on a free list;
// the driver's own shadow of each chain (length, next links, device-writable bytes) is what
// it trusts, never the shared memory. Used-ring entries are checked before use: an index that
// moves by more than the ring size, an id out of range or not in flight, or a length larger
// than the chain's device-writable bytes ends the VM through panic() with a message naming the
// queue and the value.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "platforms/virtio/devices/transport.h"
#include "platforms/virtio/devices/virtio_spec.h"

namespace unikit::virtio {

class Virtqueue {
public:
    struct Buf {
        uint64_t addr;   // guest-physical
        uint32_t len;
        bool device_writes;
    };
    struct Used {
        uint16_t id;   // head of the chain (what add() returned)
        uint32_t len;  // bytes the device wrote (checked against the chain)
    };

    // Sets up queue `index` with min(wanted, the transport's maximum) entries, rounded down to
    // a power of two. `what` names the device in messages ("virtio-net at pci 00:03.0").
    // Panics if the queue does not exist or the transport refuses it.
    // `event_idx`: VIRTIO_F_EVENT_IDX was negotiated (2.7.7.2, 2.7.10): notifications follow the
    // device's avail_event and interrupts are asked for through used_event instead of the flags.
    void init(Transport& t, uint16_t index, uint16_t wanted, const char* what, bool event_idx = false);

    uint16_t size() const { return size_; }
    uint16_t num_free() const { return num_free_; }
    // The id the next add() will return (only meaningful when num_free() > 0).
    uint16_t next_head() const { return free_head_; }

    // Adds a chain of n buffers (readable ones first, then device-writable ones). Returns its
    // head id, or -1 when fewer than n descriptors are free. The device sees it after kick().
    int add(const Buf* bufs, size_t n);
    // Publishes added chains and notifies the device unless it asked not to be.
    void kick();
    // True when the device has returned at least one chain not yet popped. With event_idx
    // this is ordered after the last used_event update, so a chain the device returned before
    // that update is seen here and one returned after it raises an interrupt.
    bool used_pending() const;
    // Pops one returned chain (checked), freeing its descriptors. False when none is waiting.
    bool pop(Used* out);
    // Ask the device not to interrupt for this queue (a hint; 2.7.7).
    void suppress_interrupts(bool on);
    bool event_idx() const { return event_idx_; }
    uint64_t notifications() const { return notifications_; }

    // Test access to the shared rings.
    VirtqDesc* desc_table() const { return desc_; }
    uint16_t index() const { return index_; }

private:
    [[noreturn]] void lie(const char* what, uint64_t value) const;

    Transport* t_ = nullptr;
    const char* what_ = "";
    uint16_t index_ = 0;
    uint16_t size_ = 0;
    VirtqDesc* desc_ = nullptr;
    volatile uint16_t* avail_flags_ = nullptr;
    volatile uint16_t* avail_idx_ = nullptr;
    volatile uint16_t* avail_ring_ = nullptr;
    volatile uint16_t* used_flags_ = nullptr;
    volatile uint16_t* used_idx_ = nullptr;
    volatile VirtqUsedElem* used_ring_ = nullptr;

    volatile uint16_t* used_event_ = nullptr;   // in the avail ring, after ring[size]
    volatile uint16_t* avail_event_ = nullptr;  // in the used ring, after ring[size]
    bool event_idx_ = false;
    bool suppress_ = false;
    uint64_t notifications_ = 0;
    void set_used_event();

    uint16_t free_head_ = 0;
    uint16_t num_free_ = 0;
    uint16_t avail_shadow_ = 0;  // next avail index to publish
    uint16_t last_used_ = 0;     // next used index to consume
    uint16_t* next_ = nullptr;   // shadow of the descriptor links
    uint16_t* chain_len_ = nullptr;  // per head: descriptors in the chain, 0 = not in flight
    uint32_t* writable_ = nullptr;   // per head: device-writable bytes of the chain
};

}  // namespace unikit::virtio
