// Reassembler on its own: order, duplicates, overlaps, timeouts, limits.
#include <gtest/gtest.h>

#include <vector>

#include "net/stack/reassembly.h"

using namespace unikit::net;
using namespace unikit::net::stack;
using Bytes = std::vector<uint8_t>;

namespace {
Bytes pat(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 13 + (i >> 8));
    return b;
}
const FragKey kKey{wire::Ipv4Addr{10, 0, 0, 2}, wire::Ipv4Addr{10, 0, 0, 1}, 17, 77};
std::span<const uint8_t> piece(const Bytes& b, size_t off, size_t len) { return {b.data() + off, len}; }
constexpr uint64_t kS = 1'000'000'000ULL;

struct Frag {
    size_t off, len;
    bool more;
};
// Feeds fragments; returns the reassembled payload if the last call completed it.
std::optional<Bytes> feed(Reassembler& r, const Bytes& data, std::vector<Frag> frags, uint64_t now = 0,
                          FragKey key = kKey) {
    std::optional<Bytes> out;
    for (auto& f : frags) {
        auto o = r.add(key, uint16_t(f.off), f.more, piece(data, f.off, f.len), now);
        if (o.status == Reassembler::Status::complete) out = Bytes(o.payload.begin(), o.payload.end());
    }
    return out;
}
}  // namespace

TEST(Reassembly, InOrder) {
    Reassembler r;
    Bytes d = pat(3000);
    auto out = feed(r, d, {{0, 1480, true}, {1480, 1480, true}, {2960, 40, false}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, d);
    EXPECT_EQ(r.stats.completed, 1u);
    EXPECT_EQ(r.in_progress(), 0u);
}

TEST(Reassembly, OutOfOrderAndLastFirst) {
    Reassembler r;
    Bytes d = pat(4000);
    auto out = feed(r, d, {{3200, 800, false}, {1600, 800, true}, {0, 800, true}, {2400, 800, true}, {800, 800, true}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, d);
}

TEST(Reassembly, ExactDuplicatesIgnored) {
    Reassembler r;
    Bytes d = pat(2400);
    auto out = feed(r, d, {{0, 800, true}, {0, 800, true}, {1600, 800, false}, {1600, 800, false}, {800, 800, true}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, d);
    EXPECT_EQ(r.stats.duplicates, 2u);
}

TEST(Reassembly, OverlapDropsDatagram) {
    Reassembler r;
    Bytes d = pat(2400);
    // 0..800, then 400..1200 overlaps.
    auto out = feed(r, d, {{0, 800, true}, {400, 800, true}, {1200, 1200, false}});
    EXPECT_FALSE(out);
    EXPECT_EQ(r.stats.overlaps, 1u);
    // The rest starts a new datagram that never completes.
    EXPECT_EQ(r.in_progress(), 1u);

    Reassembler r2;
    // Same offset, different length: overlap too; and same range with other bytes.
    EXPECT_FALSE(feed(r2, d, {{0, 800, true}, {0, 1600, true}}));
    EXPECT_EQ(r2.stats.overlaps, 1u);
    Reassembler r3;
    Bytes other = d;
    other[5] ^= 1;
    r3.add(kKey, 0, true, piece(d, 0, 800), 0);
    auto o = r3.add(kKey, 0, true, piece(other, 0, 800), 0);
    EXPECT_EQ(o.status, Reassembler::Status::dropped);
    // Overlap at the end: a later fragment reaching into an earlier one.
    Reassembler r4;
    EXPECT_FALSE(feed(r4, d, {{800, 800, true}, {8, 800, true}}));
    EXPECT_EQ(r4.stats.overlaps, 1u);
}

TEST(Reassembly, TimeoutDropsPartialDatagram) {
    Reassembler r(Reassembler::Config{.max_datagrams = 4, .timeout_ns = 30 * kS});
    Bytes d = pat(1600);
    r.add(kKey, 0, true, piece(d, 0, 800), 0);
    EXPECT_EQ(r.next_deadline(), 30 * kS);
    EXPECT_EQ(r.expire(30 * kS - 1), 0u);
    EXPECT_EQ(r.expire(30 * kS), 1u);
    EXPECT_EQ(r.stats.timeouts, 1u);
    EXPECT_EQ(r.next_deadline(), UINT64_MAX);
    // The late second half alone does not complete anything.
    auto o = r.add(kKey, 800, false, piece(d, 800, 800), 31 * kS);
    EXPECT_EQ(o.status, Reassembler::Status::incomplete);
}

TEST(Reassembly, ConcurrencyLimitEvictsOldest) {
    Reassembler r(Reassembler::Config{.max_datagrams = 2, .timeout_ns = 30 * kS});
    Bytes d = pat(1600);
    for (uint16_t id = 1; id <= 3; ++id) {
        FragKey k = kKey;
        k.ident = id;
        r.add(k, 0, true, piece(d, 0, 800), id);
    }
    EXPECT_EQ(r.in_progress(), 2u);
    EXPECT_EQ(r.stats.evicted, 1u);
    FragKey k1 = kKey;
    k1.ident = 1;  // evicted: its second half starts over
    EXPECT_EQ(r.add(k1, 800, false, piece(d, 800, 800), 5).status, Reassembler::Status::incomplete);
    FragKey k3 = kKey;
    k3.ident = 3;
    EXPECT_EQ(r.add(k3, 800, false, piece(d, 800, 800), 5).status, Reassembler::Status::complete);
}

TEST(Reassembly, SizeAndShapeLimits) {
    Reassembler r;
    Bytes d = pat(65536);
    // Past 65515 bytes of payload.
    EXPECT_EQ(r.add(kKey, 65000, false, piece(d, 0, 600), 0).status, Reassembler::Status::dropped);
    EXPECT_EQ(r.stats.too_big, 1u);
    // A non-last fragment whose length is not a multiple of 8.
    EXPECT_EQ(r.add(kKey, 0, true, piece(d, 0, 801), 0).status, Reassembler::Status::dropped);
    EXPECT_EQ(r.stats.malformed, 1u);
    // Data beyond the end fixed by the last fragment.
    r.add(kKey, 800, false, piece(d, 800, 800), 0);
    EXPECT_EQ(r.add(kKey, 1600, true, piece(d, 1600, 800), 0).status, Reassembler::Status::dropped);
    // Two different ends.
    r.add(kKey, 800, false, piece(d, 800, 800), 0);
    EXPECT_EQ(r.add(kKey, 800, false, piece(d, 800, 400), 0).status, Reassembler::Status::dropped);
    // Too many fragments: 65 pieces of 8 bytes.
    Reassembler r2;
    Reassembler::Status last = Reassembler::Status::incomplete;
    for (uint16_t i = 0; i <= Reassembler::kMaxFragments; ++i)
        last = r2.add(kKey, uint16_t(i * 8), true, piece(d, i * 8, 8), 0).status;
    EXPECT_EQ(last, Reassembler::Status::dropped);
    EXPECT_EQ(r2.stats.too_many, 1u);
    // The largest datagram fits.
    Reassembler r3;
    Bytes big = pat(Reassembler::kMaxPayload);
    std::vector<Frag> fr;
    for (size_t off = 0; off < big.size(); off += 1480)
        fr.push_back({off, std::min<size_t>(1480, big.size() - off), off + 1480 < big.size()});
    auto out = feed(r3, big, fr);
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, big);
}
