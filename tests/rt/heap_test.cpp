// The allocator (src/rt/heap.h) over a buffer: random sequences with content checks, alignment,
// coalescing, fragmentation, out of memory, and the invariant checker after every step.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "rt/heap.h"

using unikit::rt::Heap;

namespace {

struct Region {
    explicit Region(size_t n) : size(n), mem(static_cast<unsigned char*>(std::aligned_alloc(65536, n))) {}
    ~Region() { std::free(mem); }
    size_t size;
    unsigned char* mem;
};

#define EXPECT_HEAP_OK(h) do { const char* why = (h).check(); ASSERT_EQ(nullptr, why) << why; } while (0)

unsigned char tag(uintptr_t id, size_t i) { return static_cast<unsigned char>(id * 31 + i * 7 + 1); }

void fill(void* p, size_t n, uintptr_t id) {
    auto* b = static_cast<unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = tag(id, i);
}

bool intact(const void* p, size_t n, uintptr_t id) {
    auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i)
        if (b[i] != tag(id, i)) return false;
    return true;
}

TEST(Heap, RejectsTinyRegion) {
    Region r(65536);
    Heap h;
    EXPECT_FALSE(h.init(r.mem, 8));
    EXPECT_EQ(nullptr, h.allocate(1));
    EXPECT_TRUE(h.init(r.mem, 4096));
    EXPECT_NE(nullptr, h.allocate(1));
}

TEST(Heap, SmallAndLargeAreAlignedAndUsable) {
    Region r(8 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem + 8, r.size - 8));  // an unaligned region is fine
    for (size_t n : {0u, 1u, 15u, 16u, 17u, 100u, 2048u, 2049u, 5000u, 100000u, 1000000u}) {
        void* p = h.allocate(n);
        ASSERT_NE(nullptr, p) << n;
        EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % 16) << n;
        EXPECT_GE(h.usable_size(p), n);
        EXPECT_TRUE(h.owns(p));
        std::memset(p, 0x5A, h.usable_size(p));
        EXPECT_HEAP_OK(h);
    }
    EXPECT_EQ(nullptr, h.allocate(size_t(1) << 63));
    EXPECT_EQ(nullptr, h.allocate(~size_t(0)));
    EXPECT_HEAP_OK(h);
}

TEST(Heap, AlignedAllocation) {
    Region r(8 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    std::vector<void*> ps;
    for (size_t align = 1; align <= (1u << 16); align <<= 1) {
        for (size_t n : {1u, 24u, 64u, 3000u}) {
            void* p = h.allocate_aligned(align, n);
            ASSERT_NE(nullptr, p);
            EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(p) % align) << "align " << align;
            EXPECT_GE(h.usable_size(p), n);
            fill(p, n, ps.size());
            ps.push_back(p);
            EXPECT_HEAP_OK(h);
        }
    }
    EXPECT_EQ(nullptr, h.allocate_aligned(3, 16));
    EXPECT_EQ(nullptr, h.allocate_aligned(0, 16));
    for (size_t i = 0; i < ps.size(); ++i) h.deallocate(ps[i]);
    EXPECT_HEAP_OK(h);
}

TEST(Heap, FreeingEverythingCoalescesBackToOneBlock) {
    Region r(4 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    const auto empty = h.stats();
    ASSERT_EQ(1u, empty.free_blocks);
    std::vector<void*> ps;
    for (int i = 0; i < 200; ++i) ps.push_back(h.allocate(3000 + i * 10));
    // Free odd ones, then even ones: every free must merge with its neighbours.
    for (size_t i = 1; i < ps.size(); i += 2) h.deallocate(ps[i]);
    EXPECT_HEAP_OK(h);
    EXPECT_GE(h.stats().free_blocks, 100u);
    for (size_t i = 0; i < ps.size(); i += 2) h.deallocate(ps[i]);
    EXPECT_HEAP_OK(h);
    auto s = h.stats();
    EXPECT_EQ(1u, s.free_blocks);
    EXPECT_EQ(empty.free_bytes, s.free_bytes);
    EXPECT_EQ(0u, s.live_objects);
}

TEST(Heap, FragmentedHeapStillServesLargeRequestAfterCoalescing) {
    Region r(1 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    std::vector<void*> ps;
    while (void* p = h.allocate(4000)) ps.push_back(p);
    ASSERT_GT(ps.size(), 200u);
    EXPECT_EQ(nullptr, h.allocate(4000));
    EXPECT_HEAP_OK(h);
    // Free every other block: lots of free memory, but no 8000-byte hole.
    for (size_t i = 0; i < ps.size(); i += 2) h.deallocate(ps[i]);
    EXPECT_EQ(nullptr, h.allocate(9000));
    // Free one neighbour: now two holes merge around it.
    h.deallocate(ps[1]);
    ps[1] = nullptr;
    void* big = h.allocate(9000);
    EXPECT_NE(nullptr, big);
    EXPECT_HEAP_OK(h);
}

TEST(Heap, OutOfMemoryReturnsNullAndRecovers) {
    Region r(256 << 10);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    std::vector<void*> ps;
    size_t total = 0;
    for (;;) {
        void* p = h.allocate(100);
        if (!p) break;
        ps.push_back(p);
        total += 100;
        ASSERT_LT(total, r.size);
    }
    EXPECT_GT(ps.size(), 1500u);  // small objects fill most of the region
    EXPECT_EQ(nullptr, h.allocate(100000));
    EXPECT_EQ(nullptr, h.allocate_zeroed(size_t(1) << 40, size_t(1) << 40));  // overflow
    EXPECT_HEAP_OK(h);
    for (void* p : ps) h.deallocate(p);
    EXPECT_HEAP_OK(h);
    EXPECT_NE(nullptr, h.allocate(100000));
}

TEST(Heap, ReallocGrowsShrinksAndKeepsContent) {
    Region r(4 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    void* p = h.reallocate(nullptr, 10);
    fill(p, 10, 1);
    size_t n = 10;
    for (size_t to : {20u, 2000u, 3000u, 100000u, 50u, 70000u, 5u}) {
        void* q = h.reallocate(p, to);
        ASSERT_NE(nullptr, q);
        ASSERT_TRUE(intact(q, std::min(n, to), 1)) << "to " << to;
        fill(q, to, 1);
        p = q;
        n = to;
        EXPECT_HEAP_OK(h);
    }
    // In place growth: a large block followed by free space keeps its address.
    void* a = h.allocate(10000);
    void* b = h.allocate(10000);
    h.deallocate(b);
    void* a2 = h.reallocate(a, 15000);
    EXPECT_EQ(a, a2);
    EXPECT_EQ(nullptr, h.reallocate(a2, 0));
    EXPECT_HEAP_OK(h);
    // Realloc that cannot be satisfied leaves the old block alone.
    EXPECT_EQ(nullptr, h.reallocate(p, size_t(1) << 40));
    EXPECT_TRUE(intact(p, n, 1));
    h.deallocate(p);
    EXPECT_EQ(0u, h.stats().live_objects);
}

TEST(Heap, CallocZeroesReusedMemory) {
    Region r(1 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    for (size_t n : {24u, 5000u}) {
        void* p = h.allocate(n);
        std::memset(p, 0xFF, n);
        h.deallocate(p);
        auto* z = static_cast<unsigned char*>(h.allocate_zeroed(1, n));
        ASSERT_NE(nullptr, z);
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(0, z[i]);
        h.deallocate(z);
    }
}

TEST(Heap, EmptySmallRunsGoBack) {
    Region r(4 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    std::vector<void*> ps;
    for (int i = 0; i < 20000; ++i) ps.push_back(h.allocate(48));
    EXPECT_GE(h.stats().small_runs, 14u);
    for (void* p : ps) h.deallocate(p);
    EXPECT_HEAP_OK(h);
    EXPECT_EQ(1u, h.stats().small_runs);  // only the class's last run stays
}

class HeapRandom : public ::testing::TestWithParam<unsigned> {};

TEST_P(HeapRandom, RandomSequencesKeepContentAndInvariants) {
    Region r(16 << 20);
    Heap h;
    ASSERT_TRUE(h.init(r.mem, r.size));
    std::mt19937_64 rng(GetParam());
    struct Live { size_t n; uintptr_t id; };
    std::map<void*, Live> live;
    uintptr_t next_id = 1;
    auto pick_size = [&]() -> size_t {
        switch (rng() % 4) {
            case 0: return rng() % 32;
            case 1: return rng() % 512;
            case 2: return rng() % 4096;
            default: return rng() % 200000;
        }
    };
    for (int step = 0; step < 6000; ++step) {
        unsigned op = rng() % 10;
        if (op < 4 || live.empty()) {
            size_t n = pick_size();
            void* p = (rng() % 8 == 0) ? h.allocate_aligned(size_t(1) << (rng() % 13), n) : h.allocate(n);
            if (!p) continue;  // out of memory is allowed; the heap must stay consistent
            ASSERT_EQ(0u, live.count(p)) << "address handed out twice";
            fill(p, n, next_id);
            live[p] = {n, next_id++};
        } else if (op < 7) {
            auto it = live.begin();
            std::advance(it, rng() % live.size());
            ASSERT_TRUE(intact(it->first, it->second.n, it->second.id)) << "step " << step;
            h.deallocate(it->first);
            live.erase(it);
        } else {
            auto it = live.begin();
            std::advance(it, rng() % live.size());
            size_t n = pick_size() + 1;
            Live l = it->second;
            void* q = h.reallocate(it->first, n);
            if (!q) continue;
            ASSERT_TRUE(intact(q, std::min(n, l.n), l.id)) << "step " << step;
            live.erase(it);
            fill(q, n, l.id);
            live[q] = {n, l.id};
        }
        if (step % 97 == 0) EXPECT_HEAP_OK(h);
    }
    EXPECT_HEAP_OK(h);
    // No two live blocks overlap.
    uintptr_t prev_end = 0;
    for (auto& [p, l] : live) {
        ASSERT_GE(reinterpret_cast<uintptr_t>(p), prev_end);
        prev_end = reinterpret_cast<uintptr_t>(p) + l.n;
        ASSERT_TRUE(intact(p, l.n, l.id));
    }
    for (auto& [p, l] : live) h.deallocate(p);
    EXPECT_HEAP_OK(h);
    EXPECT_EQ(0u, h.stats().live_objects);
    EXPECT_LE(h.stats().small_runs, Heap::kNumClasses);  // at most one kept run per class
}

INSTANTIATE_TEST_SUITE_P(Seeds, HeapRandom, ::testing::Values(1u, 2u, 3u, 42u, 1234u, 99991u));

}  // namespace
