#include <gtest/gtest.h>

#include <vector>

#include "net/tcp/isn.h"
#include "net/tcp/ring.h"
#include "net/tcp/seq.h"

using namespace unikit::net::tcp;

TEST(Seq, ComparesAcrossTheWrap) {
    EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10u));
    EXPECT_TRUE(seq_gt(0x10u, 0xfffffff0u));
    EXPECT_TRUE(seq_le(5u, 5u));
    EXPECT_FALSE(seq_lt(5u, 5u));
    EXPECT_EQ(seq_diff(0x10u, 0xfffffff0u), 0x20);
    EXPECT_EQ(seq_max(0xffffffffu, 0u), 0u);
    EXPECT_EQ(seq_min(0xffffffffu, 0u), 0xffffffffu);
    EXPECT_TRUE(seq_in(0u, 0xfffffff0u, 0x10u));
    EXPECT_TRUE(seq_in(0xfffffff0u, 0xfffffff0u, 0x10u));
    EXPECT_FALSE(seq_in(0x10u, 0xfffffff0u, 0x10u));
    EXPECT_FALSE(seq_in(0x80000000u, 0xfffffff0u, 0x10u));
}

TEST(Ring, WrapsAndPeeksInTwoPieces) {
    std::vector<uint8_t> mem(8);
    Ring r(mem);
    std::vector<uint8_t> a = {1, 2, 3, 4, 5, 6};
    EXPECT_EQ(r.write(a), 6u);
    r.consume(4);
    std::vector<uint8_t> b = {7, 8, 9, 10, 11, 12, 13};
    EXPECT_EQ(r.write(b), 6u);  // 2 + 6 = full
    EXPECT_EQ(r.free(), 0u);
    auto p = r.peek(1, 100);
    EXPECT_EQ(p.size(), 7u);
    EXPECT_EQ(p.first.size() + p.second.size(), 7u);
    std::vector<uint8_t> out(8);
    EXPECT_EQ(r.read(out), 8u);
    EXPECT_EQ(out, (std::vector<uint8_t>{5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(Ring, WriteAtThenCommit) {
    std::vector<uint8_t> mem(8);
    Ring r(mem);
    std::vector<uint8_t> late = {3, 4};
    EXPECT_EQ(r.write_at(2, late), 2u);
    EXPECT_EQ(r.size(), 0u);
    std::vector<uint8_t> early = {1, 2};
    EXPECT_EQ(r.write_at(0, early), 2u);
    r.commit(4);
    std::vector<uint8_t> out(4);
    r.read(out);
    EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3, 4}));
    EXPECT_EQ(r.write_at(8, late), 0u);  // past capacity
    EXPECT_EQ(r.write_at(7, late), 1u);  // bounded
}

TEST(Assembler, MergesAndAdvances) {
    Assembler a;
    EXPECT_TRUE(a.add(10, 20));
    EXPECT_TRUE(a.add(30, 40));
    EXPECT_TRUE(a.add(20, 30));  // bridges both
    ASSERT_EQ(a.count(), 1u);
    EXPECT_EQ(a.range(0).start, 10u);
    EXPECT_EQ(a.range(0).end, 40u);
    EXPECT_TRUE(a.add(50, 60));
    EXPECT_EQ(a.advance(5), 5u);  // hole at [5,10) stays
    ASSERT_EQ(a.count(), 2u);
    EXPECT_EQ(a.range(0).start, 5u);
    EXPECT_EQ(a.advance(5), 35u);  // fills to 35, which was 40 before the shift
    ASSERT_EQ(a.count(), 1u);
    EXPECT_EQ(a.range(0).start, 10u);
}

TEST(Assembler, BoundedRanges) {
    Assembler a;
    for (uint32_t i = 0; i < Assembler::kMaxRanges; ++i) EXPECT_TRUE(a.add(10 * (i + 1), 10 * (i + 1) + 5));
    EXPECT_FALSE(a.add(1000, 1001));
    EXPECT_TRUE(a.add(12, 14));  // inside an existing range: fine
}

TEST(Isn, KeyedAndClockDriven) {
    IsnSecret k1{}, k2{};
    k2[0] = 1;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    std::span<const uint8_t, 4> sa(a), sb(b);
    const uint32_t x = make_isn(k1, sa, 1, sb, 2, 0);
    EXPECT_NE(x, make_isn(k2, sa, 1, sb, 2, 0));
    EXPECT_NE(x, make_isn(k1, sa, 1, sb, 3, 0));
    EXPECT_EQ(make_isn(k1, sa, 1, sb, 2, 4000) - x, 1u);  // 4 us tick
    // SipHash-2-4 reference vector (key 00..0f, empty message).
    IsnSecret key{};
    for (int i = 0; i < 16; ++i) key[i] = uint8_t(i);
    EXPECT_EQ(siphash24(key, {}), 0x726fdb47dd0e0e31ull);
}

TEST(Ring, OutOfOrderBytesSurviveDrainingTheReadableData) {
    std::vector<uint8_t> mem(8);
    Ring r(mem);
    std::vector<uint8_t> a = {1, 2}, late = {5, 6};
    r.write(a);
    r.write_at(2, late);  // bytes 4..5 of the stream
    std::vector<uint8_t> out(2);
    r.read(out);          // drains the readable part
    std::vector<uint8_t> mid = {3, 4};
    r.write_at(0, mid);
    r.commit(4);
    std::vector<uint8_t> all(4);
    r.read(all);
    EXPECT_EQ(all, (std::vector<uint8_t>{3, 4, 5, 6}));
}
