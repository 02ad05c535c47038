#include "net/stack/reassembly.h"

#include <cstring>

namespace unikit::net::stack {

void Reassembler::free_done() {
    for (auto& s : slots_)
        if (s.used && s.done) drop(s);
}

std::size_t Reassembler::in_progress() const {
    std::size_t n = 0;
    for (auto& s : slots_) n += s.used && !s.done;
    return n;
}

Reassembler::Outcome Reassembler::add(const FragKey& key, std::uint16_t offset, bool more,
                                      std::span<const std::uint8_t> data, std::uint64_t now) {
    free_done();
    expire(now);
    ++stats.fragments;
    const std::size_t limit = cfg_.max_datagrams < kSlots ? cfg_.max_datagrams : kSlots;

    // Find the datagram, or make room for it.
    Slot* slot = nullptr;
    for (std::size_t i = 0; i < limit; ++i)
        if (slots_[i].used && slots_[i].key == key) slot = &slots_[i];

    const std::uint32_t begin = offset, end = std::uint32_t(offset) + std::uint32_t(data.size());
    // Checks that need no state: every fragment but the last carries a multiple of 8 bytes
    // (offsets are in 8-byte units), and nothing reaches past the largest datagram.
    bool malformed = data.empty() ? more : (more && data.size() % 8 != 0);
    if (malformed || end > kMaxPayload) {
        if (malformed) ++stats.malformed; else ++stats.too_big;
        if (slot) drop(*slot);
        return {Status::dropped, {}};
    }

    if (!slot) {
        for (std::size_t i = 0; i < limit && !slot; ++i)
            if (!slots_[i].used) slot = &slots_[i];
        if (!slot) {  // evict the oldest
            if (limit == 0) return {Status::dropped, {}};
            slot = &slots_[0];
            for (std::size_t i = 1; i < limit; ++i)
                if (slots_[i].started < slot->started) slot = &slots_[i];
            ++stats.evicted;
            drop(*slot);
        }
        slot->used = true;
        slot->done = false;
        slot->have_last = false;
        slot->key = key;
        slot->started = now;
        slot->deadline = now + cfg_.timeout_ns;
        slot->total = 0;
        slot->received = 0;
        slot->ranges.clear();
    }
    Slot& s = *slot;

    // The end of the datagram: fixed by the last fragment; nothing may lie beyond it.
    if (!more) {
        if ((s.have_last && s.total != end) ||
            (!s.ranges.empty() && s.ranges.back().end > end)) {
            ++stats.too_big;
            drop(s);
            return {Status::dropped, {}};
        }
        s.have_last = true;
        s.total = end;
    } else if (s.have_last && end > s.total) {
        ++stats.too_big;
        drop(s);
        return {Status::dropped, {}};
    }

    // Where the range goes (sorted by begin); reject overlaps, ignore exact duplicates.
    std::size_t pos = 0;
    while (pos < s.ranges.size() && s.ranges[pos].begin < begin) ++pos;
    if (pos < s.ranges.size() && s.ranges[pos].begin == begin && s.ranges[pos].end == end &&
        begin != end) {
        // Same place and length: a duplicate only if the bytes are the same too.
        if (std::memcmp(s.data.data() + begin, data.data(), data.size()) == 0) {
            ++stats.duplicates;
            return {Status::incomplete, {}};
        }
        ++stats.overlaps;
        drop(s);
        return {Status::dropped, {}};
    }
    bool overlap = (pos > 0 && s.ranges[pos - 1].end > begin) ||
                   (pos < s.ranges.size() && s.ranges[pos].begin < end);
    if (overlap) {
        ++stats.overlaps;
        drop(s);
        return {Status::dropped, {}};
    }
    if (begin != end) {
        if (s.ranges.full()) {
            ++stats.too_many;
            drop(s);
            return {Status::dropped, {}};
        }
        s.ranges.push_back(Range{});
        for (std::size_t i = s.ranges.size() - 1; i > pos; --i) s.ranges[i] = s.ranges[i - 1];
        s.ranges[pos] = Range{begin, end};
        std::memcpy(s.data.data() + begin, data.data(), data.size());
        s.received += end - begin;
    }

    if (s.have_last && s.received == s.total) {
        s.done = true;
        ++stats.completed;
        return {Status::complete, {s.data.data(), s.total}};
    }
    return {Status::incomplete, {}};
}

std::size_t Reassembler::expire(std::uint64_t now) {
    std::size_t n = 0;
    for (auto& s : slots_) {
        if (s.used && !s.done && now >= s.deadline) {
            drop(s);
            ++stats.timeouts;
            ++n;
        }
    }
    return n;
}

std::uint64_t Reassembler::next_deadline() const {
    std::uint64_t d = UINT64_MAX;
    for (auto& s : slots_)
        if (s.used && !s.done && s.deadline < d) d = s.deadline;
    return d;
}

}  // namespace unikit::net::stack
