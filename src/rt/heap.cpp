// The unikit allocator: small-object runs over a boundary-tag heap. See heap.h for the design.
#include "rt/heap.h"

#include "rt/string.h"

namespace unikit::rt {

namespace {

constexpr size_t kHeader = 16;
constexpr size_t kMinBlock = 48;  // header + two links + footer
constexpr size_t kInUse = 1;
constexpr size_t kPrevInUse = 2;
constexpr size_t kFlags = kInUse | kPrevInUse;

constexpr uintptr_t round_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

// Slot sizes of the small classes.
constexpr uint16_t kClassSize[Heap::kNumClasses] = {
    16,  32,  48,  64,  80,  96,  112, 128,   // step 16
    160, 192, 224, 256,                       // step 32
    320, 384, 448, 512,                       // step 64
    640, 768, 896, 1024,                      // step 128
    1280, 1536, 1792, 2048,                   // step 256
};

// size_to_class[(n + 15) / 16] for n in 1..2048.
struct ClassTable {
    uint8_t v[Heap::kSmallMax / 16 + 1];
    constexpr ClassTable() : v{} {
        unsigned c = 0;
        for (unsigned i = 0; i <= Heap::kSmallMax / 16; ++i) {
            while (kClassSize[c] < i * 16) ++c;
            v[i] = static_cast<uint8_t>(c);
        }
    }
};
constexpr ClassTable kSizeToClass{};

}  // namespace

struct Heap::Block {
    size_t head;  // size | flags
    size_t pad;   // keeps the payload 16-byte aligned
    Block* next;  // free blocks only
    Block* prev;

    size_t size() const { return head & ~kFlags; }
    bool in_use() const { return head & kInUse; }
    bool prev_in_use() const { return head & kPrevInUse; }
    Block* after() { return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(this) + size()); }
    const Block* after() const { return reinterpret_cast<const Block*>(reinterpret_cast<uintptr_t>(this) + size()); }
    size_t& footer() { return *reinterpret_cast<size_t*>(reinterpret_cast<uintptr_t>(this) + size() - sizeof(size_t)); }
    size_t footer() const { return *reinterpret_cast<const size_t*>(reinterpret_cast<uintptr_t>(this) + size() - sizeof(size_t)); }
    Block* before() {  // only when !prev_in_use()
        size_t psize = *reinterpret_cast<size_t*>(reinterpret_cast<uintptr_t>(this) - sizeof(size_t));
        return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(this) - psize);
    }
    void* payload() { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) + kHeader); }
    static Block* of(const void* p) { return reinterpret_cast<Block*>(reinterpret_cast<uintptr_t>(p) - kHeader); }
};

struct Heap::Run {
    Run* next;
    Run* prev;
    void* free;       // singly linked list of freed slots
    uintptr_t bump;   // next never-used slot
    uintptr_t limit;  // end of the run
    uint32_t cls;
    uint32_t live;
    uint32_t capacity;
    uint32_t listed;  // on partial_[cls]
};


bool Heap::init(void* start, size_t size) {
    base_ = end_ = region_ = 0;
    npages_ = 0;
    pagemap_ = nullptr;
    for (auto& b : bins_) b = nullptr;
    for (auto& m : binmap_) m = 0;
    for (auto& r : partial_) r = nullptr;
    live_large_ = live_small_ = 0;
    uintptr_t lo = round_up(reinterpret_cast<uintptr_t>(start), kAlign);
    uintptr_t hi = (reinterpret_cast<uintptr_t>(start) + size) & ~uintptr_t(kAlign - 1);
    if (hi <= lo) return false;
    uintptr_t origin = lo & ~uintptr_t(kPageSize - 1);
    size_t npages = (hi - origin + kPageSize - 1) >> kPageShift;
    uintptr_t base = round_up(lo + npages, kAlign);
    // Room for the page map, one minimum block and the end sentinel.
    if (base + kMinBlock + kHeader > hi) return false;
    region_ = origin;
    npages_ = npages;
    pagemap_ = reinterpret_cast<uint8_t*>(lo);
    uk_memset(pagemap_, 0, npages);
    base_ = base;
    end_ = hi - kHeader;
    Block* first = reinterpret_cast<Block*>(base_);
    first->head = (end_ - base_) | kPrevInUse;
    first->footer() = first->size();
    Block* sentinel = reinterpret_cast<Block*>(end_);
    sentinel->head = kHeader | kInUse;  // previous (first) is free
    insert_free(first);
    return true;
}

// ---- large heap ---------------------------------------------------------------------------

unsigned Heap::bin_of(size_t size) {
    if (size < 256) return static_cast<unsigned>(size >> 4);
    unsigned fl = 63u - static_cast<unsigned>(__builtin_clzll(size));
    unsigned sl = static_cast<unsigned>(size >> (fl - 2)) & 3u;
    return 16u + (fl - 8u) * 4u + sl;
}

void Heap::insert_free(Block* b) {
    unsigned i = bin_of(b->size());
    b->prev = nullptr;
    b->next = bins_[i];
    if (b->next) b->next->prev = b;
    bins_[i] = b;
    binmap_[i / 64] |= uint64_t(1) << (i % 64);
}

void Heap::remove_free(Block* b) {
    unsigned i = bin_of(b->size());
    if (b->prev) b->prev->next = b->next;
    else bins_[i] = b->next;
    if (b->next) b->next->prev = b->prev;
    if (!bins_[i]) binmap_[i / 64] &= ~(uint64_t(1) << (i % 64));
}

Heap::Block* Heap::find_fit(size_t size) {
    unsigned i = bin_of(size);
    for (Block* b = bins_[i]; b; b = b->next)
        if (b->size() >= size) return b;
    // Any block of a higher bin is large enough.
    for (unsigned w = (i + 1) / 64; w < kBins / 64; ++w) {
        uint64_t m = binmap_[w];
        if (w == (i + 1) / 64) m &= ~uint64_t(0) << ((i + 1) % 64);
        if (m) return bins_[w * 64 + static_cast<unsigned>(__builtin_ctzll(m))];
    }
    return nullptr;
}

// b is in use (or about to be); give back everything after its first `size` bytes.
Heap::Block* Heap::split(Block* b, size_t size) {
    size_t total = b->size();
    if (total - size < kMinBlock) return b;
    b->head = size | (b->head & kFlags);
    Block* rest = b->after();
    rest->head = (total - size) | kPrevInUse | kInUse;
    rest->after()->head |= kPrevInUse;
    large_free(rest);
    return b;
}

void* Heap::large_alloc(size_t n, size_t align) {
    if (n > (size_t(1) << 62)) return nullptr;
    size_t size = round_up(n + kHeader, kAlign);
    if (size < kMinBlock) size = kMinBlock;
    size_t need = size;
    if (align > kAlign) need += align + kMinBlock;
    Block* b = find_fit(need);
    if (!b) return nullptr;
    remove_free(b);
    if (align > kAlign) {
        uintptr_t u = round_up(reinterpret_cast<uintptr_t>(b) + kHeader, align);
        size_t gap = u - kHeader - reinterpret_cast<uintptr_t>(b);
        if (gap != 0 && gap < kMinBlock) {
            u = round_up(reinterpret_cast<uintptr_t>(b) + kHeader + kMinBlock, align);
            gap = u - kHeader - reinterpret_cast<uintptr_t>(b);
        }
        if (gap) {
            // Free the front piece; b's predecessor is in use (free blocks are coalesced).
            Block* nb = reinterpret_cast<Block*>(u - kHeader);
            nb->head = (b->size() - gap);  // previous (the front piece) is free
            b->head = gap | (b->head & kPrevInUse);
            b->footer() = gap;
            insert_free(b);
            b = nb;
        }
    }
    b->head |= kInUse;
    b->after()->head |= kPrevInUse;
    split(b, size);
    ++live_large_;
    return b->payload();
}

void Heap::large_free(Block* b) {
    b->head &= ~kInUse;
    if (!b->prev_in_use()) {
        Block* p = b->before();
        remove_free(p);
        p->head = (p->size() + b->size()) | (p->head & kPrevInUse);
        b = p;
    }
    Block* nx = b->after();
    if (!nx->in_use()) {
        remove_free(nx);
        b->head = (b->size() + nx->size()) | (b->head & kPrevInUse);
    }
    b->footer() = b->size();
    b->after()->head &= ~kPrevInUse;
    insert_free(b);
}

// ---- small objects ------------------------------------------------------------------------

uint8_t Heap::page_class(uintptr_t p) const { return pagemap_[(p - region_) >> kPageShift]; }

Heap::Run* Heap::new_run(unsigned cls) {
    void* mem = large_alloc(kPageSize, kPageSize);
    if (!mem) return nullptr;
    --live_large_;  // counted as a run, not a large object
    auto* r = static_cast<Run*>(mem);
    uintptr_t page = reinterpret_cast<uintptr_t>(mem);
    r->next = r->prev = nullptr;
    r->free = nullptr;
    r->bump = page + round_up(sizeof(Run), kAlign);
    r->limit = page + kPageSize;
    r->cls = cls;
    r->live = 0;
    r->capacity = static_cast<uint32_t>((r->limit - r->bump) / kClassSize[cls]);
    r->listed = 1;
    r->next = partial_[cls];
    if (r->next) r->next->prev = r;
    partial_[cls] = r;
    pagemap_[(page - region_) >> kPageShift] = static_cast<uint8_t>(cls + 1);
    return r;
}

void* Heap::small_alloc(unsigned cls) {
    Run* r = partial_[cls];
    if (!r) {
        r = new_run(cls);
        if (!r) return nullptr;
    }
    void* p;
    if (r->free) {
        p = r->free;
        r->free = *static_cast<void**>(p);
    } else {
        p = reinterpret_cast<void*>(r->bump);
        r->bump += kClassSize[cls];
    }
    ++r->live;
    ++live_small_;
    if (!r->free && r->bump + kClassSize[cls] > r->limit) {  // full: off the partial list
        partial_[cls] = r->next;
        if (r->next) r->next->prev = nullptr;
        r->next = r->prev = nullptr;
        r->listed = 0;
    }
    return p;
}

void Heap::small_free(Run* r, void* p) {
    *static_cast<void**>(p) = r->free;
    r->free = p;
    --r->live;
    --live_small_;
    unsigned cls = r->cls;
    if (!r->listed) {
        r->listed = 1;
        r->prev = nullptr;
        r->next = partial_[cls];
        if (r->next) r->next->prev = r;
        partial_[cls] = r;
    } else if (r->live == 0 && (r->prev || r->next)) {
        // Empty and not the class's only run: give the page back.
        if (r->prev) r->prev->next = r->next;
        else partial_[cls] = r->next;
        if (r->next) r->next->prev = r->prev;
        uintptr_t page = reinterpret_cast<uintptr_t>(r);
        pagemap_[(page - region_) >> kPageShift] = 0;
        large_free(Block::of(r));
    }
}

// ---- public -------------------------------------------------------------------------------

void* Heap::allocate(size_t n) {
    if (!base_) return nullptr;
    if (n <= kSmallMax) {
        unsigned cls = kSizeToClass.v[(n + 15) >> 4];
        if (void* p = small_alloc(cls)) return p;
        // No room for a whole run: a large block of that size may still fit.
    }
    return large_alloc(n, kAlign);
}

void* Heap::allocate_aligned(size_t align, size_t n) {
    if (align == 0 || (align & (align - 1)) != 0) return nullptr;
    if (align <= kAlign) return allocate(n);
    if (!base_ || align > (size_t(1) << 40)) return nullptr;
    return large_alloc(n, align);
}

void* Heap::allocate_zeroed(size_t count, size_t n) {
    size_t total;
    if (__builtin_mul_overflow(count, n, &total)) return nullptr;
    void* p = allocate(total);
    if (p) uk_memset(p, 0, total);
    return p;
}

size_t Heap::usable_size(const void* p) const {
    if (!p) return 0;
    uint8_t c = page_class(reinterpret_cast<uintptr_t>(p));
    if (c) return kClassSize[c - 1];
    return Block::of(p)->size() - kHeader;
}

void Heap::deallocate(void* p) {
    if (!p) return;
    uint8_t c = page_class(reinterpret_cast<uintptr_t>(p));
    if (c) {
        small_free(reinterpret_cast<Run*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(kPageSize - 1)), p);
        return;
    }
    --live_large_;
    large_free(Block::of(p));
}

void* Heap::reallocate(void* p, size_t n) {
    if (!p) return allocate(n);
    if (n == 0) {
        deallocate(p);
        return nullptr;
    }
    uint8_t c = page_class(reinterpret_cast<uintptr_t>(p));
    size_t have;
    if (c) {
        have = kClassSize[c - 1];
        if (n <= have && (have <= 64 || n * 2 > have)) return p;  // shrinking a lot moves to a smaller class
    } else {
        Block* b = Block::of(p);
        have = b->size() - kHeader;
        if (n <= (size_t(1) << 62)) {
            size_t need = round_up(n + kHeader, kAlign);
            if (need < kMinBlock) need = kMinBlock;
            if (need <= b->size()) {
                split(b, need);
                return p;
            }
            Block* nx = b->after();
            if (!nx->in_use() && b->size() + nx->size() >= need) {
                remove_free(nx);
                b->head = (b->size() + nx->size()) | (b->head & kFlags);
                b->after()->head |= kPrevInUse;
                split(b, need);
                return p;
            }
        }
    }
    void* q = allocate(n);
    if (!q) return nullptr;  // p is left untouched, as C requires
    uk_memcpy(q, p, n < have ? n : have);
    deallocate(p);
    return q;
}

Heap::Stats Heap::stats() const {
    Stats s;
    if (!base_) return s;
    s.capacity = end_ - base_;
    for (const Block* b = reinterpret_cast<const Block*>(base_); reinterpret_cast<uintptr_t>(b) < end_; b = b->after()) {
        if (!b->in_use()) {
            s.free_bytes += b->size();
            ++s.free_blocks;
            if (b->size() > s.largest_free) s.largest_free = b->size();
        }
    }
    for (size_t i = 0; i < npages_; ++i)
        if (pagemap_[i]) ++s.small_runs;
    s.live_objects = live_large_ + live_small_;
    return s;
}

const char* Heap::check() const {
    if (!base_) return "not initialised";
    size_t free_walk = 0;
    bool prev_used = true;
    const Block* b = reinterpret_cast<const Block*>(base_);
    while (reinterpret_cast<uintptr_t>(b) < end_) {
        size_t sz = b->size();
        if (sz < kMinBlock || sz % kAlign) return "block size invalid";
        if (reinterpret_cast<uintptr_t>(b) + sz > end_) return "block runs past the end";
        if (b->prev_in_use() != prev_used) return "prev-in-use flag wrong";
        if (!b->in_use()) {
            if (!prev_used) return "two adjacent free blocks";
            if (b->footer() != sz) return "free block footer wrong";
            ++free_walk;
        }
        prev_used = b->in_use();
        b = b->after();
    }
    if (reinterpret_cast<uintptr_t>(b) != end_) return "walk does not end at the sentinel";
    if (b->prev_in_use() != prev_used) return "sentinel prev-in-use flag wrong";
    size_t free_listed = 0;
    for (unsigned i = 0; i < kBins; ++i) {
        bool bit = binmap_[i / 64] >> (i % 64) & 1;
        if (bit != (bins_[i] != nullptr)) return "bin bitmap out of date";
        const Block* prev = nullptr;
        for (const Block* f = bins_[i]; f; f = f->next) {
            if (f->in_use()) return "block in use on a free list";
            if (bin_of(f->size()) != i) return "free block in the wrong bin";
            if (f->prev != prev) return "free list back link wrong";
            prev = f;
            if (++free_listed > free_walk) return "free lists hold more blocks than the heap";
        }
    }
    if (free_listed != free_walk) return "free block missing from the free lists";
    size_t live = 0;
    for (size_t i = 0; i < npages_; ++i) {
        if (!pagemap_[i]) continue;
        const Run* r = reinterpret_cast<const Run*>(region_ + (i << kPageShift));
        if (r->cls + 1 != pagemap_[i]) return "run class does not match the page map";
        if (r->live > r->capacity) return "run holds more objects than it can";
        size_t nfree = 0;
        for (void* f = r->free; f; f = *static_cast<void* const*>(f))
            if (++nfree > r->capacity) return "run free list loops";
        size_t used = (r->bump - (reinterpret_cast<uintptr_t>(r) + round_up(sizeof(Run), kAlign))) / kClassSize[r->cls];
        if (used != r->live + nfree) return "run count mismatch";
        live += r->live;
    }
    if (live != live_small_) return "small object count mismatch";
    return nullptr;
}

}  // namespace unikit::rt
