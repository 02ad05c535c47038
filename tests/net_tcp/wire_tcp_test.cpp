#include <gtest/gtest.h>

#include <vector>

#include "net/wire/tcp.h"

using namespace unikit::net::wire;

namespace {

const Ipv4Addr kA{192, 168, 1, 1};
const Ipv4Addr kB{192, 168, 1, 2};

std::vector<uint8_t> header(uint8_t data_off_words, std::vector<uint8_t> opts = {}, std::size_t payload = 0) {
    std::vector<uint8_t> b(20 + opts.size() + payload, 0);
    b[0] = 0x12; b[1] = 0x34;  // src 4660
    b[2] = 0x00; b[3] = 0x50;  // dst 80
    b[4] = 0xde; b[5] = 0xad; b[6] = 0xbe; b[7] = 0xef;
    b[8] = 0; b[9] = 0; b[10] = 0; b[11] = 1;
    b[12] = uint8_t(data_off_words << 4);
    b[13] = tcp_flags::syn | tcp_flags::ack;
    b[14] = 0xff; b[15] = 0xf0;
    b[18] = 0; b[19] = 7;
    std::copy(opts.begin(), opts.end(), b.begin() + 20);
    return b;
}

}  // namespace

TEST(WireTcp, ParsesFixedHeader) {
    auto b = header(5, {}, 3);
    auto p = TcpPacket::check(b);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->src_port(), 0x1234);
    EXPECT_EQ(p->dst_port(), 80);
    EXPECT_EQ(p->seq(), 0xdeadbeefu);
    EXPECT_EQ(p->ack(), 1u);
    EXPECT_EQ(p->header_len(), 20u);
    EXPECT_EQ(p->flags(), tcp_flags::syn | tcp_flags::ack);
    EXPECT_EQ(p->window(), 0xfff0);
    EXPECT_EQ(p->urgent(), 7);
    EXPECT_EQ(p->payload().size(), 3u);
    auto r = TcpRepr::parse(*p);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->has(tcp_flags::syn));
    EXPECT_FALSE(r->has(tcp_flags::fin));
}

TEST(WireTcp, RejectsShortAndBadDataOffset) {
    std::vector<uint8_t> short_buf(19, 0);
    EXPECT_EQ(TcpPacket::check(short_buf).error(), WireError::Truncated);
    auto b = header(4);
    EXPECT_EQ(TcpPacket::check(b).error(), WireError::Malformed);
    b = header(6);  // claims 24 bytes, has 20
    EXPECT_EQ(TcpPacket::check(b).error(), WireError::Truncated);
    b = header(15, std::vector<uint8_t>(40, 1));
    EXPECT_TRUE(TcpPacket::check(b));
}

TEST(WireTcp, ParsesAllOptions) {
    std::vector<uint8_t> o = {
        2, 4, 0x05, 0xb4,                    // MSS 1460
        1,                                   // NOP
        3, 3, 7,                             // WS 7
        4, 2,                                // SACK permitted
        8, 10, 0, 0, 0, 1, 0, 0, 0, 2,       // TS 1, 2
        99, 4, 0xaa, 0xbb,                   // unknown, skipped
        5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40,  // SACK 2 blocks
        0, 0,                                // EOL + pad
    };
    ASSERT_EQ(o.size() % 4, 0u);
    auto opts = parse_tcp_options(o);
    ASSERT_TRUE(opts);
    EXPECT_EQ(opts->mss, 1460);
    EXPECT_EQ(opts->window_scale, 7);
    EXPECT_TRUE(opts->sack_permitted);
    ASSERT_TRUE(opts->timestamps);
    EXPECT_EQ(opts->timestamps->value, 1u);
    EXPECT_EQ(opts->timestamps->echo, 2u);
    ASSERT_EQ(opts->sack_count, 2);
    EXPECT_EQ(opts->sack[0], (TcpSackBlock{10, 20}));
    EXPECT_EQ(opts->sack[1], (TcpSackBlock{30, 40}));
}

TEST(WireTcp, StopsAtEol) {
    std::vector<uint8_t> o = {0, 2, 0, 0};  // EOL, then garbage that must be ignored
    auto opts = parse_tcp_options(o);
    ASSERT_TRUE(opts);
    EXPECT_FALSE(opts->mss);
}

TEST(WireTcp, RejectsMalformedOptions) {
    const std::vector<std::vector<uint8_t>> bad = {
        {2},                     // kind without length
        {2, 1, 0, 0},            // length < 2
        {2, 0, 0, 0},            // length 0 (would loop forever)
        {2, 5, 0, 0},            // runs past the area
        {2, 3, 0, 1},            // MSS wrong length
        {3, 4, 1, 0},            // WS wrong length
        {4, 3, 0, 1},            // SACK-permitted wrong length
        {8, 6, 0, 0, 0, 0, 1, 1},  // TS wrong length
        {5, 2, 1, 1},            // SACK with no blocks
        {5, 7, 0, 0, 0, 0, 0, 1},  // SACK not a multiple of 8
        {99, 9, 1, 1},           // unknown option running past the end
    };
    for (const auto& o : bad) EXPECT_EQ(parse_tcp_options(o).error(), WireError::Malformed) << int(o[0]);
    std::vector<uint8_t> five(2 + 40, 0);  // 5 SACK blocks
    five[0] = 5;
    five[1] = 42;
    EXPECT_FALSE(parse_tcp_options(five));
}

TEST(WireTcp, EmitParseRoundTripWithChecksum) {
    TcpRepr r;
    r.src_port = 40000;
    r.dst_port = 443;
    r.seq = 0xfffffff0;
    r.ack = 12345;
    r.flags = tcp_flags::ack | tcp_flags::psh;
    r.window = 5000;
    r.options.mss = 1400;
    r.options.window_scale = 9;
    r.options.sack_permitted = true;
    r.options.timestamps = TcpTimestamps{100, 200};
    r.options.sack_count = 1;
    r.options.sack[0] = {1, 2};
    EXPECT_EQ(r.header_len() % 4, 0u);
    EXPECT_LE(r.header_len(), kTcpHeaderMax);
    std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
    std::vector<uint8_t> buf(100, 0xee);
    auto n = r.emit(buf, payload, kA, kB);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, r.header_len() + payload.size());
    std::span<const uint8_t> seg(buf.data(), *n);
    std::span<const uint8_t> pl;
    auto back = parse_tcp(seg, kA, kB, &pl);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, r);
    EXPECT_TRUE(std::equal(pl.begin(), pl.end(), payload.begin(), payload.end()));
    // Wrong pseudo-header or a flipped bit fails the checksum.
    EXPECT_EQ(parse_tcp(seg, kA, Ipv4Addr{192, 168, 1, 3}).error(), WireError::BadChecksum);
    buf[*n - 1] ^= 1;
    EXPECT_EQ(parse_tcp(seg, kA, kB).error(), WireError::BadChecksum);
}

TEST(WireTcp, EmitOddLengthAndTooSmall) {
    TcpRepr r;
    r.flags = tcp_flags::syn;
    std::vector<uint8_t> payload = {9, 9, 9};
    std::vector<uint8_t> buf(23);
    auto n = r.emit(buf, payload, kA, kB);
    ASSERT_TRUE(n);
    EXPECT_TRUE(parse_tcp(std::span<const uint8_t>(buf.data(), *n), kA, kB));
    std::vector<uint8_t> small(22);
    EXPECT_EQ(r.emit(small, payload, kA, kB).error(), WireError::BufferTooSmall);
    r.options.sack_count = 4;
    r.options.timestamps = TcpTimestamps{};
    EXPECT_EQ(r.emit(buf, {}, kA, kB).error(), WireError::Malformed);  // > 40 bytes of options
}

TEST(WireTcp, RepeatedSackOptionReplacesEarlierOne) {
    std::vector<uint8_t> o = {5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6,
                              5, 10, 0, 0, 0, 7, 0, 0, 0, 8};
    auto opts = parse_tcp_options(o);
    ASSERT_TRUE(opts);
    ASSERT_EQ(opts->sack_count, 1);
    EXPECT_EQ(opts->sack[0], (TcpSackBlock{7, 8}));
    EXPECT_EQ(opts->sack[1], (TcpSackBlock{}));
}
