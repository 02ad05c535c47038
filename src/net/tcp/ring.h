// A byte ring over caller-provided storage: the TCP send and receive buffers.
// Bounded (capacity fixed at creation), never allocates.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace unikit::net::tcp {

class Ring {
public:
    Ring() = default;
    explicit Ring(std::span<uint8_t> storage) : buf_(storage) {}

    std::size_t capacity() const { return buf_.size(); }
    std::size_t size() const { return len_; }
    std::size_t free() const { return buf_.size() - len_; }
    bool empty() const { return len_ == 0; }
    void clear() { head_ = len_ = 0; }

    // Append up to free() bytes; returns how many were taken.
    std::size_t write(std::span<const uint8_t> data) {
        const std::size_t n = write_at(0, data);
        len_ += n;
        return n;
    }
    // Store bytes `offset` past the end of the readable data without making them readable
    // (out-of-order reassembly). Returns how many fit.
    std::size_t write_at(std::size_t offset, std::span<const uint8_t> data) {
        if (offset >= free()) return 0;
        const std::size_t n = std::min(data.size(), free() - offset);
        std::size_t pos = wrap(head_ + len_ + offset);
        for (std::size_t done = 0; done < n;) {
            const std::size_t chunk = std::min(n - done, buf_.size() - pos);
            std::copy_n(data.data() + done, chunk, buf_.data() + pos);
            done += chunk;
            pos = 0;
        }
        return n;
    }
    // Make n bytes previously stored by write_at(0, ...) readable.
    void commit(std::size_t n) { len_ += std::min(n, free()); }

    // The readable bytes [offset, offset + n) as at most two contiguous pieces.
    struct Pieces {
        std::span<const uint8_t> first, second;
        std::size_t size() const { return first.size() + second.size(); }
    };
    Pieces peek(std::size_t offset, std::size_t n) const {
        if (offset >= len_) return {};
        n = std::min(n, len_ - offset);
        const std::size_t pos = wrap(head_ + offset);
        const std::size_t a = std::min(n, buf_.size() - pos);
        return {std::span<const uint8_t>(buf_.data() + pos, a), std::span<const uint8_t>(buf_.data(), n - a)};
    }
    // Copy out and consume up to out.size() bytes.
    std::size_t read(std::span<uint8_t> out) {
        auto p = peek(0, out.size());
        std::copy(p.first.begin(), p.first.end(), out.begin());
        std::copy(p.second.begin(), p.second.end(), out.begin() + std::ptrdiff_t(p.first.size()));
        consume(p.size());
        return p.size();
    }
    void consume(std::size_t n) {
        n = std::min(n, len_);
        head_ = wrap(head_ + n);
        len_ -= n;
        // head_ is not rewound when empty: out-of-order bytes may sit past the end.
    }

private:
    std::size_t wrap(std::size_t i) const { return buf_.empty() ? 0 : i % buf_.size(); }
    std::span<uint8_t> buf_;
    std::size_t head_ = 0;
    std::size_t len_ = 0;
};

// Out-of-order bookkeeping: which byte ranges past the next expected byte have been stored.
// Offsets are relative to RCV.NXT. At most kMaxRanges disjoint, sorted ranges; a segment that
// would need more is not recorded (the peer retransmits it).
class Assembler {
public:
    static constexpr std::size_t kMaxRanges = 8;
    struct Range {
        uint32_t start, end;  // [start, end)
    };

    bool empty() const { return n_ == 0; }
    std::size_t count() const { return n_; }
    const Range& range(std::size_t i) const { return r_[i]; }
    void clear() { n_ = 0; }

    // Record [start, end) (start > 0). Returns false if it could not be recorded.
    bool add(uint32_t start, uint32_t end) {
        if (start >= end) return true;
        std::size_t i = 0;
        while (i < n_ && r_[i].end < start) ++i;  // first range that may touch
        std::size_t j = i;
        uint32_t s = start, e = end;
        while (j < n_ && r_[j].start <= end) {  // merge all touching ranges
            s = std::min(s, r_[j].start);
            e = std::max(e, r_[j].end);
            ++j;
        }
        const std::size_t merged = j - i;
        if (merged == 0) {
            if (n_ == kMaxRanges) return false;
            for (std::size_t k = n_; k > i; --k) r_[k] = r_[k - 1];
            r_[i] = {s, e};
            ++n_;
            return true;
        }
        r_[i] = {s, e};
        for (std::size_t k = j; k < n_; ++k) r_[i + 1 + k - j] = r_[k];
        n_ -= merged - 1;
        return true;
    }

    // In-order data [0, n) arrived. Returns the total contiguous length from 0 (>= n), drops
    // the ranges it covers and shifts the rest down by that length.
    uint32_t advance(uint32_t n) {
        uint32_t len = n;
        std::size_t k = 0;
        while (k < n_ && r_[k].start <= len) {
            len = std::max(len, r_[k].end);
            ++k;
        }
        std::size_t out = 0;
        for (; k < n_; ++k) r_[out++] = {r_[k].start - len, r_[k].end - len};
        n_ = out;
        return len;
    }

private:
    std::array<Range, kMaxRanges> r_{};
    std::size_t n_ = 0;
};

}  // namespace unikit::net::tcp
