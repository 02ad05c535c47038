// DEFLATE compressor (RFC 1951) and gzip framing (RFC 1952). See deflate.h.
#include "deflate.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace unikit::kvbake {
namespace {

constexpr unsigned kWindow = 32768;
constexpr unsigned kWindowMask = kWindow - 1;
constexpr unsigned kHashBits = 15;
constexpr unsigned kMinMatch = 3;
constexpr unsigned kMaxMatch = 258;
constexpr unsigned kMaxChain = 256;
constexpr unsigned kLazyLimit = 64;        // do not look for a better match past this length
constexpr size_t kBlockSymbols = 1 << 15;  // symbols per block before a new block starts

constexpr std::array<uint16_t, 29> kLenBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,
                                               15, 17, 19, 23, 27, 31, 35, 43, 51,  59,
                                               67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLenExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistBase = {1,    2,    3,    4,    5,    7,     9,     13,
                                                17,   25,   33,   49,   65,   97,    129,   193,
                                                257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                                4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr std::array<uint8_t, 19> kCodeLenOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                   11, 4,  12, 3, 13, 2, 14, 1, 15};

unsigned len_code(unsigned len) {  // index into kLenBase (symbol = 257 + index)
    unsigned i = 28;
    while (kLenBase[i] > len) --i;
    return i;
}
unsigned dist_code(unsigned dist) {
    unsigned i = 29;
    while (kDistBase[i] > dist) --i;
    return i;
}

struct Symbol {
    uint16_t value;  // literal byte, or match length (3..258) when dist != 0
    uint16_t dist;   // 0: literal
};

class BitWriter {
public:
    explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
    void put(uint32_t bits, unsigned n) {  // LSB first
        acc_ |= uint64_t(bits) << nbits_;
        nbits_ += n;
        while (nbits_ >= 8) {
            out_.push_back(uint8_t(acc_));
            acc_ >>= 8;
            nbits_ -= 8;
        }
    }
    void align() {
        if (nbits_ > 0) put(0, 8 - nbits_);
    }

private:
    std::vector<uint8_t>& out_;
    uint64_t acc_ = 0;
    unsigned nbits_ = 0;
};

uint32_t reverse_bits(uint32_t code, unsigned len) {
    uint32_t r = 0;
    for (unsigned i = 0; i < len; ++i) r |= ((code >> i) & 1u) << (len - 1 - i);
    return r;
}

// Canonical codes (already bit-reversed for the LSB-first writer) from lengths.
std::vector<uint32_t> canonical_codes(std::span<const uint8_t> lens) {
    std::array<uint32_t, 16> count{}, next{};
    for (uint8_t l : lens) ++count[l];
    count[0] = 0;
    uint32_t code = 0;
    for (unsigned bits = 1; bits < 16; ++bits) {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    std::vector<uint32_t> codes(lens.size());
    for (size_t i = 0; i < lens.size(); ++i)
        if (lens[i]) codes[i] = reverse_bits(next[lens[i]]++, lens[i]);
    return codes;
}

struct Coder {
    std::vector<uint8_t> lens;
    std::vector<uint32_t> codes;
    void put(BitWriter& w, unsigned sym) const { w.put(codes[sym], lens[sym]); }
};

Coder make_coder(std::vector<uint8_t> lens) {
    Coder c;
    c.codes = canonical_codes(lens);
    c.lens = std::move(lens);
    return c;
}

// ---- LZ77 ------------------------------------------------------------------------------------

class Matcher {
public:
    explicit Matcher(std::span<const uint8_t> in) : in_(in), head_(size_t(1) << kHashBits, -1), prev_(kWindow, -1) {}

    // Inserts every position before `pos` into the hash chains.
    void insert_upto(size_t pos) {
        for (; next_ < pos; ++next_) {
            if (next_ + kMinMatch > in_.size()) continue;
            uint32_t h = hash(next_);
            prev_[next_ & kWindowMask] = head_[h];
            head_[h] = int32_t(next_);
        }
    }
    // Longest earlier match for the bytes at pos (positions < pos must be inserted).
    std::pair<unsigned, unsigned> longest(size_t pos) const {
        if (pos + kMinMatch > in_.size()) return {0, 0};
        const size_t max_len = std::min<size_t>(kMaxMatch, in_.size() - pos);
        unsigned best = 0, best_dist = 0;
        int32_t cand = head_[hash(pos)];
        for (unsigned chain = kMaxChain; cand >= 0 && chain > 0; --chain) {
            size_t c = size_t(cand);
            if (pos - c > kWindow) break;
            if (in_[c + best] == in_[pos + best]) {
                unsigned len = 0;
                while (len < max_len && in_[c + len] == in_[pos + len]) ++len;
                if (len > best) {
                    best = len;
                    best_dist = unsigned(pos - c);
                    if (len == max_len) break;
                }
            }
            int32_t nxt = prev_[c & kWindowMask];
            if (nxt >= cand) break;  // overwritten slot: the chain ends here
            cand = nxt;
        }
        if (best < kMinMatch) return {0, 0};
        return {best, best_dist};
    }

private:
    uint32_t hash(size_t p) const {
        uint32_t v = uint32_t(in_[p]) << 16 | uint32_t(in_[p + 1]) << 8 | in_[p + 2];
        return (v * 2654435761u) >> (32 - kHashBits);
    }
    std::span<const uint8_t> in_;
    std::vector<int32_t> head_;
    std::vector<int32_t> prev_;
    size_t next_ = 0;
};

// ---- blocks ----------------------------------------------------------------------------------

struct Freqs {
    std::array<uint32_t, 286> lit{};
    std::array<uint32_t, 30> dist{};
};

Freqs count(std::span<const Symbol> syms) {
    Freqs f;
    for (const Symbol& s : syms) {
        if (s.dist == 0) {
            ++f.lit[s.value];
        } else {
            ++f.lit[257 + len_code(s.value)];
            ++f.dist[dist_code(s.dist)];
        }
    }
    f.lit[256] = 1;
    return f;
}

uint64_t data_bits(const Freqs& f, std::span<const uint8_t> ll, std::span<const uint8_t> dl) {
    uint64_t bits = 0;
    for (size_t i = 0; i < 286; ++i) bits += uint64_t(f.lit[i]) * (ll[i] + (i >= 257 ? kLenExtra[i - 257] : 0));
    for (size_t i = 0; i < 30; ++i) bits += uint64_t(f.dist[i]) * (dl[i] + kDistExtra[i]);
    return bits;
}

std::vector<uint8_t> fixed_lit_lens() {
    std::vector<uint8_t> l(288);
    for (size_t i = 0; i < 288; ++i) l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    return l;
}

// Code-length alphabet stream (RFC 1951 3.2.7): (symbol, extra value) pairs.
struct ClSym {
    uint8_t sym;
    uint8_t extra;
};
std::vector<ClSym> rle_lengths(std::span<const uint8_t> lens) {
    std::vector<ClSym> out;
    size_t i = 0;
    while (i < lens.size()) {
        uint8_t v = lens[i];
        size_t run = 1;
        while (i + run < lens.size() && lens[i + run] == v) ++run;
        size_t left = run;
        if (v == 0) {
            while (left >= 11) {
                size_t r = std::min<size_t>(left, 138);
                out.push_back({18, uint8_t(r - 11)});
                left -= r;
            }
            if (left >= 3) {
                out.push_back({17, uint8_t(left - 3)});
                left = 0;
            }
            for (; left > 0; --left) out.push_back({0, 0});
        } else {
            out.push_back({v, 0});
            --left;
            while (left >= 3) {
                size_t r = std::min<size_t>(left, 6);
                out.push_back({16, uint8_t(r - 3)});
                left -= r;
            }
            for (; left > 0; --left) out.push_back({v, 0});
        }
        i += run;
    }
    return out;
}

struct DynamicPlan {
    std::vector<uint8_t> ll, dl;      // litlen (286) and distance (30) code lengths
    unsigned hlit = 257, hdist = 1, hclen = 4;
    std::vector<ClSym> cl;            // RLE of ll[0..hlit) ++ dl[0..hdist)
    std::vector<uint8_t> cl_lens;     // 19 code-length code lengths
    uint64_t bits = 0;                // whole block, header included
};

DynamicPlan plan_dynamic(const Freqs& f) {
    DynamicPlan p;
    p.ll = huffman_lengths(f.lit, 15);
    p.dl = huffman_lengths(f.dist, 15);
    p.hlit = 286;
    while (p.hlit > 257 && p.ll[p.hlit - 1] == 0) --p.hlit;
    p.hdist = 30;
    while (p.hdist > 1 && p.dl[p.hdist - 1] == 0) --p.hdist;
    std::vector<uint8_t> all(p.ll.begin(), p.ll.begin() + p.hlit);
    all.insert(all.end(), p.dl.begin(), p.dl.begin() + p.hdist);
    p.cl = rle_lengths(all);
    std::array<uint32_t, 19> clf{};
    for (const ClSym& s : p.cl) ++clf[s.sym];
    p.cl_lens = huffman_lengths(clf, 7);
    p.hclen = 19;
    while (p.hclen > 4 && p.cl_lens[kCodeLenOrder[p.hclen - 1]] == 0) --p.hclen;
    uint64_t bits = 3 + 5 + 5 + 4 + 3 * p.hclen;
    for (const ClSym& s : p.cl) bits += p.cl_lens[s.sym] + (s.sym == 16 ? 2 : s.sym == 17 ? 3 : s.sym == 18 ? 7 : 0);
    p.bits = bits + data_bits(f, p.ll, p.dl);
    return p;
}

void write_symbols(BitWriter& w, std::span<const Symbol> syms, const Coder& lit, const Coder& dist) {
    for (const Symbol& s : syms) {
        if (s.dist == 0) {
            lit.put(w, s.value);
            continue;
        }
        unsigned lc = len_code(s.value);
        lit.put(w, 257 + lc);
        if (kLenExtra[lc]) w.put(s.value - kLenBase[lc], kLenExtra[lc]);
        unsigned dc = dist_code(s.dist);
        dist.put(w, dc);
        if (kDistExtra[dc]) w.put(s.dist - kDistBase[dc], kDistExtra[dc]);
    }
    lit.put(w, 256);
}

void write_stored(BitWriter& w, std::span<const uint8_t> raw, bool final) {
    size_t off = 0;
    do {
        size_t n = std::min<size_t>(raw.size() - off, 65535);
        bool last = final && off + n == raw.size();
        w.put(last ? 1 : 0, 1);
        w.put(0, 2);
        w.align();
        w.put(uint32_t(n), 16);
        w.put(uint32_t(~n & 0xffff), 16);
        for (size_t i = 0; i < n; ++i) w.put(raw[off + i], 8);
        off += n;
    } while (off < raw.size());
}

void write_block(BitWriter& w, std::span<const Symbol> syms, std::span<const uint8_t> raw, bool final) {
    Freqs f = count(syms);
    DynamicPlan dyn = plan_dynamic(f);
    static const std::vector<uint8_t> fixed_ll = fixed_lit_lens();
    static const std::vector<uint8_t> fixed_dl(30, 5);
    uint64_t fixed_bits = 3 + data_bits(f, fixed_ll, fixed_dl);
    uint64_t stored_bits = (raw.size() / 65535 + 1) * (3 + 7 + 32) + 8 * uint64_t(raw.size());

    if (stored_bits < dyn.bits && stored_bits < fixed_bits) {
        write_stored(w, raw, final);
    } else if (fixed_bits <= dyn.bits) {
        w.put(final ? 1 : 0, 1);
        w.put(1, 2);
        static const Coder fl = make_coder(fixed_ll);
        static const Coder fd = make_coder(fixed_dl);
        write_symbols(w, syms, fl, fd);
    } else {
        w.put(final ? 1 : 0, 1);
        w.put(2, 2);
        w.put(dyn.hlit - 257, 5);
        w.put(dyn.hdist - 1, 5);
        w.put(dyn.hclen - 4, 4);
        for (unsigned i = 0; i < dyn.hclen; ++i) w.put(dyn.cl_lens[kCodeLenOrder[i]], 3);
        Coder clc = make_coder(dyn.cl_lens);
        for (const ClSym& s : dyn.cl) {
            clc.put(w, s.sym);
            if (s.sym == 16) w.put(s.extra, 2);
            else if (s.sym == 17) w.put(s.extra, 3);
            else if (s.sym == 18) w.put(s.extra, 7);
        }
        write_symbols(w, syms, make_coder(dyn.ll), make_coder(dyn.dl));
    }
}

}  // namespace

std::vector<uint8_t> huffman_lengths(std::span<const uint32_t> freq_in, unsigned max_bits) {
    const size_t n = freq_in.size();
    std::vector<uint32_t> freq(freq_in.begin(), freq_in.end());
    size_t used = 0;
    for (uint32_t f : freq) used += f != 0;
    for (size_t i = 0; used < 2 && i < n; ++i) {
        if (freq[i] == 0) {
            freq[i] = 1;
            ++used;
        }
    }
    std::vector<uint8_t> lens(n, 0);
    for (;;) {
        // Nodes: leaves 0..n-1, internal nodes after. Deterministic ties: (weight, node index).
        struct Node {
            uint64_t weight;
            int32_t left, right;
        };
        std::vector<Node> nodes;
        std::vector<std::pair<uint64_t, int32_t>> heap;
        for (size_t i = 0; i < n; ++i) {
            nodes.push_back({freq[i], -1, -1});
            if (freq[i]) heap.push_back({freq[i], int32_t(i)});
        }
        auto cmp = [](const auto& a, const auto& b) { return a > b; };
        std::make_heap(heap.begin(), heap.end(), cmp);
        while (heap.size() > 1) {
            std::pop_heap(heap.begin(), heap.end(), cmp);
            auto a = heap.back();
            heap.pop_back();
            std::pop_heap(heap.begin(), heap.end(), cmp);
            auto b = heap.back();
            heap.pop_back();
            nodes.push_back({a.first + b.first, a.second, b.second});
            heap.push_back({a.first + b.first, int32_t(nodes.size() - 1)});
            std::push_heap(heap.begin(), heap.end(), cmp);
        }
        std::fill(lens.begin(), lens.end(), 0);
        unsigned max_len = 0;
        std::vector<std::pair<int32_t, unsigned>> stack{{heap[0].second, 0}};
        while (!stack.empty()) {
            auto [node, depth] = stack.back();
            stack.pop_back();
            if (nodes[node].left < 0) {
                lens[node] = uint8_t(std::min(depth, 255u));
                max_len = std::max(max_len, depth);
            } else {
                stack.push_back({nodes[node].left, depth + 1});
                stack.push_back({nodes[node].right, depth + 1});
            }
        }
        if (max_len <= max_bits) return lens;
        for (uint32_t& f : freq)  // flatten the distribution and try again
            if (f) f = std::max<uint32_t>(1, f >> 1);
    }
}

uint32_t crc32(std::span<const uint8_t> in, uint32_t crc) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (uint8_t b : in) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::vector<uint8_t> deflate(std::span<const uint8_t> in) {
    std::vector<uint8_t> out;
    BitWriter w(out);
    if (in.empty()) {
        w.put(1, 1);  // final, fixed codes, just the end-of-block symbol (7 zero bits)
        w.put(1, 2);
        w.put(0, 7);
        w.align();
        return out;
    }
    Matcher m(in);
    std::vector<Symbol> syms;
    size_t block_start = 0;
    size_t p = 0;
    while (p < in.size()) {
        m.insert_upto(p);
        auto [len, dist] = m.longest(p);
        if (len >= kMinMatch && len < kLazyLimit && p + 1 < in.size()) {
            m.insert_upto(p + 1);
            if (m.longest(p + 1).first > len) len = 0;  // a literal now buys a longer match next
        }
        if (len >= kMinMatch) {
            syms.push_back({uint16_t(len), uint16_t(dist)});
            p += len;
        } else {
            syms.push_back({in[p], 0});
            ++p;
        }
        if (syms.size() >= kBlockSymbols && p < in.size()) {
            write_block(w, syms, in.subspan(block_start, p - block_start), false);
            syms.clear();
            block_start = p;
        }
    }
    write_block(w, syms, in.subspan(block_start), true);
    w.align();
    return out;
}

std::vector<uint8_t> gzip(std::span<const uint8_t> in) {
    std::vector<uint8_t> out = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    std::vector<uint8_t> body = deflate(in);
    out.insert(out.end(), body.begin(), body.end());
    uint32_t crc = crc32(in);
    uint32_t size = uint32_t(in.size());
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(crc >> (8 * i)));
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(size >> (8 * i)));
    return out;
}

}  // namespace unikit::kvbake
