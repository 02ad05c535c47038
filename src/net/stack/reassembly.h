// IPv4 fragment reassembly (RFC 791 §3.2, RFC 815), with the strict overlap rule of RFC 5722
// applied to IPv4: a fragment that overlaps data already received for the same datagram (other
// than an exact duplicate, which is ignored) drops the whole datagram.
//
// Because overlaps are refused, the received fragments of a datagram are disjoint ranges kept
// sorted by offset; the holes of RFC 815 are the gaps between them (and after the last one up to
// the total length, known once the fragment without MF arrives). A datagram is complete when
// its total length is known and the ranges cover it.
//
// Bounds: at most kSlots datagrams at once (config may lower it; a new datagram evicts the
// oldest), at most kMaxFragments fragments each, 65515 payload bytes each, and a timeout
// (30 s by default) after the first fragment. Storage is inline: no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/stack/util/static_vector.h"
#include "net/wire/addr.h"

namespace unikit::net::stack {

struct FragKey {
    wire::Ipv4Addr src;
    wire::Ipv4Addr dst;
    std::uint8_t protocol = 0;
    std::uint16_t ident = 0;
    friend bool operator==(const FragKey&, const FragKey&) = default;
};

struct ReassemblyStats {
    std::uint64_t fragments = 0;     // fragments offered
    std::uint64_t completed = 0;     // datagrams reassembled
    std::uint64_t duplicates = 0;    // exact duplicate fragments ignored
    std::uint64_t overlaps = 0;      // datagrams dropped for overlapping fragments
    std::uint64_t too_big = 0;       // fragments reaching past 65515 bytes / past the known end
    std::uint64_t malformed = 0;     // MF fragment whose length is not a multiple of 8, empty...
    std::uint64_t too_many = 0;      // datagrams dropped for more than kMaxFragments fragments
    std::uint64_t timeouts = 0;      // datagrams dropped at their deadline
    std::uint64_t evicted = 0;       // datagrams dropped to make room for a new one
};

class Reassembler {
public:
    static constexpr std::size_t kSlots = 4;
    static constexpr std::size_t kMaxFragments = 64;
    static constexpr std::size_t kMaxPayload = 65535 - 20;

    struct Config {
        std::size_t max_datagrams = kSlots;          // concurrent reassemblies (<= kSlots)
        std::uint64_t timeout_ns = 30'000'000'000ULL;  // from the first fragment
    };

    enum class Status : std::uint8_t { incomplete, complete, dropped };
    struct Outcome {
        Status status = Status::incomplete;
        // When complete: the datagram's payload, valid until the next call on the Reassembler.
        std::span<const std::uint8_t> payload;
    };

    Reassembler() = default;
    explicit Reassembler(Config cfg) : cfg_(cfg) {}
    void configure(Config cfg) { cfg_ = cfg; }

    // One fragment: its key, byte offset, MF flag and data (the IPv4 payload of the fragment).
    Outcome add(const FragKey& key, std::uint16_t offset, bool more, std::span<const std::uint8_t> data,
                std::uint64_t now);
    // Drops datagrams whose deadline passed. Returns how many.
    std::size_t expire(std::uint64_t now);
    // The earliest deadline, or UINT64_MAX.
    std::uint64_t next_deadline() const;
    std::size_t in_progress() const;

    ReassemblyStats stats;

private:
    struct Range {
        std::uint32_t begin = 0, end = 0;
    };
    struct Slot {
        bool used = false;
        bool done = false;  // completed: freed at the next call
        bool have_last = false;
        FragKey key;
        std::uint64_t deadline = 0;
        std::uint64_t started = 0;
        std::uint32_t total = 0;     // payload length, once have_last
        std::uint32_t received = 0;  // bytes covered
        util::StaticVector<Range, kMaxFragments> ranges;
        std::array<std::uint8_t, kMaxPayload> data;
    };
    void free_done();
    static void drop(Slot& s) {
        s.used = false;
        s.done = false;
        s.ranges.clear();
    }

    Config cfg_{};
    std::array<Slot, kSlots> slots_{};
};

}  // namespace unikit::net::stack
