// Device layer: pools, queues, loopback, fault injection (determinism), pcap output.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "net/dev/device.h"
#include "net/dev/fault_injector.h"
#include "net/dev/frame_pool.h"
#include "net/dev/loopback.h"
#include "net/dev/pcap.h"
#include "net/dev/tx_queue.h"
#include "net/stack/util/rng.h"
#include "net/stack/util/slot_ring.h"
#include "net/stack/util/static_vector.h"

using namespace unikit;
using namespace unikit::net;
using namespace unikit::net::dev;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes make_frame(uint8_t tag, size_t len = 60) {
    Bytes f(len);
    for (size_t i = 0; i < len; ++i) f[i] = uint8_t(tag + i);
    return f;
}

// A scripted device: frames pushed into `incoming` are received; transmitted frames are kept.
struct FakeDevice final : NetDevice {
    std::vector<Bytes> incoming;
    std::vector<Bytes> sent;
    size_t tx_limit = SIZE_MAX;  // frames taken per transmit call
    Result<size_t> receive(std::span<Frame> frames) override {
        size_t n = 0;
        while (n < frames.size() && !incoming.empty()) {
            Bytes f = incoming.front();
            incoming.erase(incoming.begin());
            if (f.size() > frames[n].cap) continue;
            std::memcpy(frames[n].data, f.data(), f.size());
            frames[n].len = f.size();
            ++n;
        }
        return n;
    }
    Result<size_t> transmit(std::span<const FrameRef> frames) override {
        size_t n = 0;
        for (; n < frames.size() && n < tx_limit; ++n) sent.emplace_back(frames[n].data, frames[n].data + frames[n].len);
        return n;
    }
    MacBytes mac() const override { return {2, 0, 0, 0, 0, 1}; }
    uint16_t mtu() const override { return 1500; }
};

struct Buffers {
    std::vector<Bytes> store;
    std::vector<Frame> frames;
    explicit Buffers(size_t n, size_t cap = 1600) : store(n, Bytes(cap)) {
        for (auto& s : store) frames.push_back(Frame{s.data(), s.size(), 0});
    }
    std::vector<Bytes> take(size_t n) const {
        std::vector<Bytes> out;
        for (size_t i = 0; i < n; ++i) out.emplace_back(frames[i].data, frames[i].data + frames[i].len);
        return out;
    }
};

}  // namespace

TEST(StaticVector, PushEraseBounds) {
    util::StaticVector<int, 3> v;
    EXPECT_TRUE(v.push_back(1));
    EXPECT_TRUE(v.push_back(2));
    EXPECT_TRUE(v.push_back(3));
    EXPECT_FALSE(v.push_back(4));
    v.erase(0);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], 2);
    EXPECT_EQ(v[1], 3);
    v.swap_remove(0);
    EXPECT_EQ(v[0], 3);
}

TEST(SlotRing, FifoOverwriteAndMeta) {
    std::vector<uint8_t> storage(4 * 64);
    util::SlotRing<uint32_t> r(storage, 64);
    EXPECT_EQ(r.capacity(), 4u);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(r.push(i, make_frame(uint8_t(i), 10)));
    EXPECT_FALSE(r.push(9, make_frame(9, 10)));
    EXPECT_TRUE(r.push_overwrite(9, make_frame(9, 10)));
    EXPECT_EQ(r.front().meta, 1u);
    Bytes big(r.slot_payload() + 1);
    EXPECT_FALSE(r.push_overwrite(1, big));
    r.pop();
    auto rec = r.front();
    EXPECT_EQ(rec.meta, 2u);
    EXPECT_EQ(Bytes(rec.data.begin(), rec.data.end()), make_frame(2, 10));
}

TEST(FramePool, AcquireReleaseAll) {
    std::vector<uint8_t> storage(4 * 1600);
    FramePool pool(storage, 1600);
    ASSERT_EQ(pool.capacity(), 4u);
    std::vector<Frame> got;
    while (auto f = pool.acquire()) got.push_back(*f);
    EXPECT_EQ(got.size(), 4u);
    EXPECT_EQ(pool.available(), 0u);
    for (size_t i = 0; i < got.size(); ++i)
        for (size_t j = i + 1; j < got.size(); ++j) EXPECT_NE(got[i].data, got[j].data);
    pool.release(got[2].data);
    auto again = pool.acquire();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->data, got[2].data);
}

TEST(TxQueue, FlushKeepsWhatDeviceRefuses) {
    std::vector<uint8_t> storage(8 * 1600);
    TxQueue q(storage, 1600);
    FakeDevice dev;
    dev.tx_limit = 2;
    for (uint8_t i = 0; i < 5; ++i) EXPECT_TRUE(q.send_frame(make_frame(i)));
    auto r = q.flush(dev);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2u);
    EXPECT_EQ(q.size(), 3u);
    dev.tx_limit = SIZE_MAX;
    ASSERT_TRUE(q.flush(dev));
    ASSERT_EQ(dev.sent.size(), 5u);
    for (uint8_t i = 0; i < 5; ++i) EXPECT_EQ(dev.sent[i], make_frame(i));
}

TEST(LoopbackPair, FramesCrossInOrderWithBackPressure) {
    std::vector<uint8_t> storage(LoopbackPair::storage_for(3));
    LoopbackPair lp(storage, {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2});
    EXPECT_EQ(lp.a().mac()[5], 1);
    EXPECT_EQ(lp.b().mac()[5], 2);
    std::vector<Bytes> fr = {make_frame(1), make_frame(2), make_frame(3), make_frame(4)};
    std::vector<FrameRef> refs;
    for (auto& f : fr) refs.emplace_back(f);
    auto sent = lp.a().transmit(refs);
    ASSERT_TRUE(sent);
    EXPECT_EQ(*sent, 3u);  // queue of 3
    Buffers bufs(8);
    auto got = lp.b().receive(bufs.frames);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, 3u);
    auto rx = bufs.take(3);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rx[i], fr[i]);
    EXPECT_EQ(*lp.a().receive(bufs.frames), 0u);  // nothing the other way
    Bytes too_big(1600);
    FrameRef tb(too_big);
    EXPECT_FALSE(lp.a().transmit({&tb, 1}));
}

namespace {
std::vector<Bytes> run_faults(uint64_t seed, FaultConfig cfg, FaultStats* stats_out) {
    FakeDevice dev;
    for (int i = 0; i < 200; ++i) dev.incoming.push_back(make_frame(uint8_t(i), 60 + i % 7));
    util::Xoshiro256 rng(seed);
    std::vector<uint8_t> storage(64 * 1600);
    FaultInjector fi(dev, rng, storage, cfg, cfg);
    std::vector<Bytes> out;
    Buffers bufs(16);
    for (int round = 0; round < 40; ++round) {
        auto r = fi.receive(bufs.frames);
        EXPECT_TRUE(r);
        for (auto& f : bufs.take(*r)) out.push_back(f);
    }
    *stats_out = fi.rx_stats;
    return out;
}
}  // namespace

TEST(FaultInjector, SameSeedSameFaults) {
    FaultConfig cfg{.drop_ppm = 100'000, .duplicate_ppm = 100'000, .reorder_ppm = 100'000,
                    .corrupt_ppm = 100'000};
    FaultStats s1, s2, s3;
    auto a = run_faults(42, cfg, &s1);
    auto b = run_faults(42, cfg, &s2);
    auto c = run_faults(43, cfg, &s3);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_EQ(s1.frames, 200u);
    EXPECT_GT(s1.dropped, 0u);
    EXPECT_GT(s1.duplicated, 0u);
    EXPECT_GT(s1.reordered, 0u);
    EXPECT_GT(s1.corrupted, 0u);
    // Every frame arrives once, minus drops, plus duplicates.
    EXPECT_EQ(a.size(), 200 - s1.dropped + s1.duplicated);
}

TEST(FaultInjector, ZeroProbabilitiesArePassThrough) {
    FaultStats s;
    auto out = run_faults(7, FaultConfig{}, &s);
    ASSERT_EQ(out.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(out[i], make_frame(uint8_t(i), 60 + i % 7));
}

TEST(FaultInjector, TransmitDropAndReorder) {
    auto run = [](uint64_t seed) {
        FakeDevice dev;
        util::Xoshiro256 rng(seed);
        std::vector<uint8_t> storage(48 * 1600);
        FaultConfig tx{.drop_ppm = 200'000, .duplicate_ppm = 100'000, .reorder_ppm = 200'000,
                       .corrupt_ppm = 100'000};
        FaultInjector fi(dev, rng, storage, FaultConfig{}, tx);
        for (int i = 0; i < 50; ++i) {
            Bytes f = make_frame(uint8_t(i));
            FrameRef r(f);
            auto n = fi.transmit({&r, 1});
            EXPECT_TRUE(n);
            EXPECT_EQ(*n, 1u);
        }
        FrameRef none;
        fi.transmit({&none, 0});  // releases frames held by the last call
        EXPECT_EQ(fi.tx_held(), 0u);
        EXPECT_EQ(dev.sent.size(), 50 - fi.tx_stats.dropped + fi.tx_stats.duplicated);
        return dev.sent;
    };
    auto a = run(5), b = run(5);
    EXPECT_EQ(a, b);
}

namespace {
struct MemSink final : PcapSink {
    Bytes bytes;
    void write(std::span<const uint8_t> b) override { bytes.insert(bytes.end(), b.begin(), b.end()); }
};
uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
}  // namespace

TEST(PcapWriter, WritesParsableClassicPcap) {
    FakeDevice dev;
    dev.incoming.push_back(make_frame(1, 60));
    dev.incoming.push_back(make_frame(2, 100));
    MemSink sink;
    PcapWriter pw(dev, sink, PcapResolution::nano);
    pw.set_time(1'700'000'000'123'456'789ULL);
    Buffers bufs(4);
    ASSERT_EQ(*pw.receive(bufs.frames), 2u);
    pw.set_time(1'700'000'001'000'000'001ULL);
    Bytes out = make_frame(3, 1514);
    FrameRef r(out);
    ASSERT_EQ(*pw.transmit({&r, 1}), 1u);

    const Bytes& b = sink.bytes;
    ASSERT_GE(b.size(), 24u);
    EXPECT_EQ(le32(&b[0]), kPcapMagicNano);
    EXPECT_EQ(b[4] | b[5] << 8, 2);
    EXPECT_EQ(b[6] | b[7] << 8, 4);
    EXPECT_EQ(le32(&b[16]), 65535u);
    EXPECT_EQ(le32(&b[20]), 1u);
    size_t off = 24;
    std::vector<size_t> lens;
    std::vector<std::pair<uint32_t, uint32_t>> ts;
    while (off < b.size()) {
        ASSERT_LE(off + 16, b.size());
        uint32_t incl = le32(&b[off + 8]), orig = le32(&b[off + 12]);
        EXPECT_EQ(incl, orig);
        ts.emplace_back(le32(&b[off]), le32(&b[off + 4]));
        lens.push_back(incl);
        off += 16 + incl;
    }
    EXPECT_EQ(off, b.size());
    EXPECT_EQ(lens, (std::vector<size_t>{60, 100, 1514}));
    EXPECT_EQ(ts[0], (std::pair<uint32_t, uint32_t>{1'700'000'000u, 123'456'789u}));
    EXPECT_EQ(ts[2], (std::pair<uint32_t, uint32_t>{1'700'000'001u, 1u}));
    EXPECT_EQ(Bytes(b.end() - 1514, b.end()), out);
}

TEST(PcapWriter, MicrosecondsAndSnaplen) {
    MemSink sink;
    PcapFormat fmt(sink, PcapResolution::micro, 64);
    fmt.write_header();
    fmt.write_record(2'000'001'999ULL, make_frame(0, 100));
    ASSERT_EQ(sink.bytes.size(), 24u + 16u + 64u);
    EXPECT_EQ(le32(&sink.bytes[0]), kPcapMagicMicro);
    EXPECT_EQ(le32(&sink.bytes[24]), 2u);
    EXPECT_EQ(le32(&sink.bytes[28]), 1u);  // 1999 ns -> 1 us
    EXPECT_EQ(le32(&sink.bytes[32]), 64u);
    EXPECT_EQ(le32(&sink.bytes[36]), 100u);
}

// If a pcap reader is installed, it must accept the file.
TEST(PcapWriter, ReadableByTsharkOrTcpdump) {
    const char* tool = nullptr;
    if (std::system("command -v tshark >/dev/null 2>&1") == 0) tool = "tshark -r";
    else if (std::system("command -v tcpdump >/dev/null 2>&1") == 0) tool = "tcpdump -n -r";
    if (!tool) GTEST_SKIP() << "neither tshark nor tcpdump is installed";
    MemSink sink;
    PcapFormat fmt(sink, PcapResolution::nano);
    fmt.write_header();
    Bytes f = make_frame(0, 60);
    for (int i = 0; i < 6; ++i) f[i] = 0xff;  // broadcast dst
    f[12] = 0x08;
    f[13] = 0x06;  // ARP ethertype
    fmt.write_record(1'000'000'000ULL, f);
    std::string path = ::testing::TempDir() + "unikit_pcap_test.pcap";
    FILE* fp = std::fopen(path.c_str(), "wb");
    ASSERT_TRUE(fp);
    std::fwrite(sink.bytes.data(), 1, sink.bytes.size(), fp);
    std::fclose(fp);
    std::string cmd = std::string(tool) + " " + path + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::remove(path.c_str());
}
