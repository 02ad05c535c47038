// A small, strict DEFLATE/gzip decoder for the tests (hosted test code only): checks the encoder
// without depending on an external gzip, and rejects incomplete or over-subscribed codes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace testinflate {

class Inflater {
public:
    explicit Inflater(std::span<const uint8_t> in) : in_(in) {}

    std::optional<std::vector<uint8_t>> run() {
        std::vector<uint8_t> out;
        bool final = false;
        while (!final) {
            final = bits(1);
            unsigned type = bits(2);
            if (bad_) return std::nullopt;
            if (type == 0) {
                bitbuf_ = 0;
                bitcnt_ = 0;
                if (pos_ + 4 > in_.size()) return std::nullopt;
                unsigned len = in_[pos_] | in_[pos_ + 1] << 8;
                unsigned nlen = in_[pos_ + 2] | in_[pos_ + 3] << 8;
                pos_ += 4;
                if ((len ^ 0xffff) != nlen || pos_ + len > in_.size()) return std::nullopt;
                out.insert(out.end(), in_.begin() + pos_, in_.begin() + pos_ + len);
                pos_ += len;
            } else if (type == 1 || type == 2) {
                Huff lit, dist;
                if (type == 1) {
                    std::vector<uint8_t> l(288), d(30, 5);
                    for (int i = 0; i < 288; ++i) l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
                    if (!lit.build(l, true) || !dist.build(d, true)) return std::nullopt;
                } else if (!dynamic(lit, dist)) {
                    return std::nullopt;
                }
                if (!codes(out, lit, dist)) return std::nullopt;
            } else {
                return std::nullopt;
            }
        }
        end_pos_ = pos_;
        return out;
    }
    size_t end_pos() const { return end_pos_; }

private:
    struct Huff {
        std::array<uint16_t, 16> count{};
        std::vector<uint16_t> symbol;
        bool build(const std::vector<uint8_t>& lens, bool allow_incomplete) {
            count.fill(0);
            for (uint8_t l : lens) ++count[l];
            count[0] = 0;
            int left = 1;
            for (int len = 1; len < 16; ++len) {
                left <<= 1;
                left -= count[len];
                if (left < 0) return false;  // over-subscribed
            }
            if (left > 0 && !allow_incomplete) return false;
            std::array<uint16_t, 16> offs{};
            for (int len = 1; len < 15; ++len) offs[len + 1] = offs[len] + count[len];
            symbol.assign(lens.size(), 0);
            for (size_t s = 0; s < lens.size(); ++s)
                if (lens[s]) symbol[offs[lens[s]]++] = uint16_t(s);
            return true;
        }
    };

    unsigned bits(unsigned n) {
        while (bitcnt_ < n) {
            if (pos_ >= in_.size()) {
                bad_ = true;
                return 0;
            }
            bitbuf_ |= uint32_t(in_[pos_++]) << bitcnt_;
            bitcnt_ += 8;
        }
        unsigned v = bitbuf_ & ((1u << n) - 1);
        bitbuf_ >>= n;
        bitcnt_ -= n;
        return v;
    }
    int decode(const Huff& h) {
        int code = 0, first = 0, index = 0;
        for (int len = 1; len < 16; ++len) {
            code |= int(bits(1));
            if (bad_) return -1;
            int count = h.count[len];
            if (code - count < first) return h.symbol[index + (code - first)];
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        return -1;
    }
    bool dynamic(Huff& lit, Huff& dist) {
        static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
        unsigned nlen = bits(5) + 257, ndist = bits(5) + 1, ncode = bits(4) + 4;
        if (bad_ || nlen > 286 || ndist > 30) return false;
        std::vector<uint8_t> cl(19, 0);
        for (unsigned i = 0; i < ncode; ++i) cl[order[i]] = uint8_t(bits(3));
        Huff clh;
        if (bad_ || !clh.build(cl, false)) return false;
        std::vector<uint8_t> lens;
        while (lens.size() < nlen + ndist) {
            int sym = decode(clh);
            if (sym < 0) return false;
            if (sym < 16) {
                lens.push_back(uint8_t(sym));
                continue;
            }
            uint8_t v = 0;
            unsigned rep;
            if (sym == 16) {
                if (lens.empty()) return false;
                v = lens.back();
                rep = 3 + bits(2);
            } else if (sym == 17) {
                rep = 3 + bits(3);
            } else {
                rep = 11 + bits(7);
            }
            if (bad_ || lens.size() + rep > nlen + ndist) return false;
            lens.insert(lens.end(), rep, v);
        }
        if (lens[256] == 0) return false;
        std::vector<uint8_t> ll(lens.begin(), lens.begin() + nlen), dl(lens.begin() + nlen, lens.end());
        return lit.build(ll, false) && dist.build(dl, false);
    }
    bool codes(std::vector<uint8_t>& out, const Huff& lit, const Huff& dist) {
        static const uint16_t lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
                                           31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
        static const uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
        static const uint16_t dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
                                           513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
        static const uint8_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
        for (;;) {
            int sym = decode(lit);
            if (sym < 0) return false;
            if (sym < 256) {
                out.push_back(uint8_t(sym));
            } else if (sym == 256) {
                return true;
            } else {
                sym -= 257;
                if (sym >= 29) return false;
                unsigned len = lbase[sym] + bits(lext[sym]);
                int ds = decode(dist);
                if (ds < 0 || ds >= 30) return false;
                unsigned d = dbase[ds] + bits(dext[ds]);
                if (bad_ || d > out.size()) return false;
                for (unsigned i = 0; i < len; ++i) out.push_back(out[out.size() - d]);
            }
        }
    }

    std::span<const uint8_t> in_;
    size_t pos_ = 0;
    size_t end_pos_ = 0;
    uint32_t bitbuf_ = 0;
    unsigned bitcnt_ = 0;
    bool bad_ = false;
};

inline std::optional<std::vector<uint8_t>> inflate(std::span<const uint8_t> in) { return Inflater(in).run(); }

// Decodes one gzip member (no optional header fields); checks ISIZE (CRC is checked by callers
// that have a CRC function).
inline std::optional<std::vector<uint8_t>> gunzip(std::span<const uint8_t> in) {
    if (in.size() < 18 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 8 || in[3] != 0) return std::nullopt;
    Inflater inf(in.subspan(10));
    auto out = inf.run();
    if (!out) return std::nullopt;
    size_t t = 10 + inf.end_pos();
    if (t + 8 != in.size()) return std::nullopt;
    uint32_t isize = in[t + 4] | in[t + 5] << 8 | in[t + 6] << 16 | uint32_t(in[t + 7]) << 24;
    if (isize != uint32_t(out->size())) return std::nullopt;
    return out;
}

}  // namespace testinflate
