#include "platforms/virtio/devices/virtqueue.h"

#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

namespace {
constexpr size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }
}  // namespace

void Virtqueue::lie(const char* what, uint64_t value) const {
    Msg m;
    m << what_ << ": queue " << unsigned(index_) << ": device returned " << what << " " << value
      << " (ring of " << unsigned(size_) << ")";
    m.panic();
}

void Virtqueue::init(Transport& t, uint16_t index, uint16_t wanted, const char* what, bool event_idx) {
    t_ = &t;
    event_idx_ = event_idx;
    suppress_ = false;
    notifications_ = 0;
    what_ = what;
    index_ = index;
    uint16_t max = t.queue_max(index);
    if (max == 0) {
        Msg m;
        m << what << ": queue " << unsigned(index) << " is not available";
        m.panic();
    }
    uint16_t n = wanted < max && !t.queue_size_fixed() ? wanted : max;
    uint16_t p = 1;
    while (uint32_t(p) * 2 <= n) p = uint16_t(p * 2);
    if (p > 32768) p = 32768;
    if (t.queue_size_fixed() && p != max) {
        Msg m;
        m << what << ": queue " << unsigned(index) << " has size " << unsigned(max) << ", not a power of two";
        m.panic();
    }
    size_ = p;

    const size_t desc_bytes = sizeof(VirtqDesc) * size_;
    const size_t avail_bytes = 6 + 2 * size_t(size_);
    const size_t used_off = align_up(desc_bytes + avail_bytes, 4096);
    const size_t used_bytes = 6 + sizeof(VirtqUsedElem) * size_;
    auto* base = static_cast<uint8_t*>(dma_alloc(align_up(used_off + used_bytes, 4096), 4096));
    desc_ = reinterpret_cast<VirtqDesc*>(base);
    auto* avail = reinterpret_cast<volatile uint16_t*>(base + desc_bytes);
    avail_flags_ = avail;
    avail_idx_ = avail + 1;
    avail_ring_ = avail + 2;
    auto* used = reinterpret_cast<volatile uint16_t*>(base + used_off);
    used_flags_ = used;
    used_idx_ = used + 1;
    used_ring_ = reinterpret_cast<volatile VirtqUsedElem*>(base + used_off + 4);
    used_event_ = avail_ring_ + size_;
    avail_event_ = reinterpret_cast<volatile uint16_t*>(base + used_off + 4 + sizeof(VirtqUsedElem) * size_);

    next_ = static_cast<uint16_t*>(dma_alloc(2 * size_t(size_), 2));
    chain_len_ = static_cast<uint16_t*>(dma_alloc(2 * size_t(size_), 2));
    writable_ = static_cast<uint32_t*>(dma_alloc(4 * size_t(size_), 4));
    for (uint16_t i = 0; i < size_; ++i) next_[i] = uint16_t(i + 1);
    free_head_ = 0;
    num_free_ = size_;
    avail_shadow_ = 0;
    last_used_ = 0;

    if (!t.queue_setup(index, size_, phys_addr(desc_), phys_addr(base + desc_bytes), phys_addr(base + used_off))) {
        Msg m;
        m << what << ": queue " << unsigned(index) << " setup refused (size " << unsigned(size_) << ")";
        m.panic();
    }
}

int Virtqueue::add(const Buf* bufs, size_t n) {
    if (n == 0 || n > num_free_) return -1;
    const uint16_t head = free_head_;
    uint16_t d = head;
    uint32_t writable = 0;
    for (size_t i = 0; i < n; ++i) {
        desc_[d].addr = bufs[i].addr;
        desc_[d].len = bufs[i].len;
        uint16_t flags = bufs[i].device_writes ? kDescFWrite : 0;
        if (bufs[i].device_writes) writable += bufs[i].len;
        if (i + 1 < n) {
            flags |= kDescFNext;
            desc_[d].next = next_[d];
        } else {
            desc_[d].next = 0;
        }
        desc_[d].flags = flags;
        if (i + 1 < n) d = next_[d];
    }
    free_head_ = next_[d];
    num_free_ = uint16_t(num_free_ - n);
    chain_len_[head] = uint16_t(n);
    writable_[head] = writable;
    avail_ring_[avail_shadow_ & (size_ - 1)] = head;
    ++avail_shadow_;
    return head;
}

void Virtqueue::kick() {
    const uint16_t old = *avail_idx_;
    const uint16_t now = avail_shadow_;
    if (old == now) return;
    barrier();  // descriptors and ring entries before the index (x86: stores stay in order)
    *avail_idx_ = now;
    mb();  // the index store must be visible before we read the device's flags / avail_event
    bool notify;
    if (event_idx_) {
        // 2.7.10: notify when the new entries pass the index the device asked to hear about.
        const uint16_t ev = *avail_event_;
        notify = uint16_t(now - ev - 1) < uint16_t(now - old);
    } else {
        notify = !(*used_flags_ & kUsedFNoNotify);
    }
    if (notify) {
        ++notifications_;
        t_->notify(index_);
    }
}

void Virtqueue::set_used_event() {
    // Interrupt after the next used entry, or (suppressed) at an index the device cannot reach
    // before we move it again: at most size() chains are ever in flight.
    *used_event_ = suppress_ ? uint16_t(last_used_ + 0x7fff) : last_used_;
}

bool Virtqueue::used_pending() const {
    if (event_idx_) mb();  // order the used_event store before the used index load
    return *used_idx_ != last_used_;
}

bool Virtqueue::pop(Used* out) {
    const uint16_t idx = *used_idx_;
    const uint16_t pending = uint16_t(idx - last_used_);
    if (pending == 0) return false;
    if (pending > size_) lie("a used index that moved by", pending);
    barrier();  // read the index before the entry (x86: loads stay in order)
    const uint32_t id = used_ring_[last_used_ & (size_ - 1)].id;
    const uint32_t len = used_ring_[last_used_ & (size_ - 1)].len;
    if (id >= size_) lie("used id", id);
    if (chain_len_[id] == 0) lie("used id not in flight:", id);
    if (len > writable_[id]) {
        Msg m;
        m << what_ << ": queue " << unsigned(index_) << ": device returned used length " << len
          << " for id " << id << ", which has only " << writable_[id] << " writable bytes";
        m.panic();
    }
    ++last_used_;
    if (event_idx_) set_used_event();
    // Free the chain by our own shadow links.
    uint16_t n = chain_len_[id];
    uint16_t last = uint16_t(id);
    for (uint16_t i = 1; i < n; ++i) last = next_[last];
    next_[last] = free_head_;
    free_head_ = uint16_t(id);
    num_free_ = uint16_t(num_free_ + n);
    chain_len_[id] = 0;
    writable_[id] = 0;
    out->id = uint16_t(id);
    out->len = len;
    return true;
}

void Virtqueue::suppress_interrupts(bool on) {
    suppress_ = on;
    if (event_idx_) {
        *avail_flags_ = 0;  // the flags are not used with VIRTIO_F_EVENT_IDX
        set_used_event();
    } else {
        *avail_flags_ = on ? kAvailFNoInterrupt : 0;
    }
}

}  // namespace unikit::virtio
