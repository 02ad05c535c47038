// unikit runtime: the general-purpose allocator, as a class over a region of memory it is given.
//
// The freestanding flavour makes one Heap over the region in uk_boot_info and defines malloc,
// free, operator new, ... on it (src/rt/fs/malloc.cpp). The class itself touches nothing but its
// region, so the hosted unit tests run it over a buffer, under AddressSanitizer.
//
// Design
//  - The region is cut into 64 KiB "pages". A page map (one byte per page, at the start of the
//    region) says whether a page is a small-object run, and of which size class.
//  - Small requests (<= 2048 bytes) round up to one of 24 size classes. Each class keeps a list
//    of runs (whole 64 KiB pages) that have free slots; a run hands out slots from its own free
//    list, then from never-used space. Allocation and free are a handful of instructions and
//    need no per-object header. A run whose slots are all free goes back to the large heap
//    (unless it is the class's only run).
//  - Large requests (and the runs themselves) come from a boundary-tag heap: a 16-byte header
//    before every block, a footer in free blocks, immediate coalescing with both neighbours on
//    free, and segregated free lists (4 bins per power of two, with a bitmap) searched
//    good-fit-first. realloc grows and shrinks in place when the neighbour allows.
//  - All results are 16-byte aligned; aligned_alloc with a larger alignment carves an aligned
//    block out of a larger free block and gives the slack back.
//  - Out of memory: allocate() returns nullptr; the heap is left consistent.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace unikit::rt {

class Heap {
public:
    static constexpr size_t kAlign = 16;
    static constexpr size_t kPageShift = 16;
    static constexpr size_t kPageSize = size_t(1) << kPageShift;  // 64 KiB
    static constexpr size_t kSmallMax = 2048;
    static constexpr unsigned kNumClasses = 24;

    Heap() = default;
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // Manage [start, start + size). The memory need not be zeroed. Returns false if the region
    // is too small to hold anything (a few hundred bytes are enough).
    bool init(void* start, size_t size);
    bool initialized() const { return base_ != 0; }

    void* allocate(size_t n);                    // malloc; n == 0 gives a unique pointer
    void* allocate_aligned(size_t align, size_t n);  // align: power of two; nullptr otherwise
    void* allocate_zeroed(size_t count, size_t n);   // calloc; nullptr on overflow
    void* reallocate(void* p, size_t n);         // realloc; p may be nullptr; n == 0 frees p
    void deallocate(void* p);                    // free; nullptr is ignored

    // Bytes usable at p (>= what was asked for).
    size_t usable_size(const void* p) const;
    bool owns(const void* p) const { return uintptr_t(p) >= base_ && uintptr_t(p) < end_; }

    struct Stats {
        size_t capacity = 0;      // bytes managed after the page map
        size_t free_bytes = 0;    // bytes in free large blocks (headers included)
        size_t free_blocks = 0;   // number of free large blocks
        size_t largest_free = 0;  // largest free large block
        size_t small_runs = 0;    // 64 KiB pages used as small-object runs
        size_t live_objects = 0;  // live allocations (small + large)
    };
    Stats stats() const;

    // Walk every block and list and check the invariants (sizes, flags, footers, no two adjacent
    // free blocks, every free block on the right list, run counts). Returns nullptr when all
    // hold, or a description of the first violation. For tests; O(heap).
    const char* check() const;

private:
    struct Block;
    struct Run;

    // large heap
    void* large_alloc(size_t n, size_t align);
    void large_free(Block* b);
    Block* find_fit(size_t size);
    void insert_free(Block* b);
    void remove_free(Block* b);
    Block* split(Block* b, size_t size);  // keep `size` bytes in b, free the rest
    static unsigned bin_of(size_t size);

    // small objects
    void* small_alloc(unsigned cls);
    void small_free(Run* r, void* p);
    Run* new_run(unsigned cls);
    uint8_t page_class(uintptr_t p) const;  // 0: large, else class + 1

    static constexpr unsigned kBins = 256;
    uintptr_t base_ = 0;  // first byte of the managed blocks
    uintptr_t end_ = 0;   // end of the managed blocks (the end sentinel lives here)
    uintptr_t region_ = 0;  // start of the region (page map)
    size_t npages_ = 0;
    uint8_t* pagemap_ = nullptr;
    Block* bins_[kBins] = {};
    uint64_t binmap_[kBins / 64] = {};
    Run* partial_[kNumClasses] = {};  // runs of each class with at least one free slot
    size_t live_large_ = 0;
    size_t live_small_ = 0;
};

}  // namespace unikit::rt
