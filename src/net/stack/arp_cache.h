// The ARP cache (RFC 826, RFC 1122 §2.3.2): a bounded table of IPv4 -> MAC entries.
// An entry is either incomplete (a request is out; retried a bounded number of times) or
// reachable until its expiry. When the table is full, a new entry evicts the reachable entry
// that expires first, or else the oldest incomplete one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/wire/addr.h"

namespace unikit::net::stack {

struct ArpEntry {
    enum class State : std::uint8_t { free, incomplete, reachable };
    State state = State::free;
    wire::Ipv4Addr ip;
    wire::MacAddr mac;
    std::uint64_t deadline = 0;  // reachable: expiry; incomplete: next retry
    std::uint64_t created = 0;
    std::uint8_t requests = 0;   // incomplete: requests sent so far
};

class ArpCache {
public:
    static constexpr std::size_t kEntries = 32;

    ArpEntry* find(wire::Ipv4Addr ip) {
        for (auto& e : entries_)
            if (e.state != ArpEntry::State::free && e.ip == ip) return &e;
        return nullptr;
    }
    // The MAC for ip, if reachable and not expired at `now`.
    std::optional<wire::MacAddr> lookup(wire::Ipv4Addr ip, std::uint64_t now) {
        ArpEntry* e = find(ip);
        if (e && e->state == ArpEntry::State::reachable && now < e->deadline) return e->mac;
        return std::nullopt;
    }
    // A free entry for ip (evicting if needed); *evicted receives the IP of an evicted entry.
    ArpEntry& allocate(wire::Ipv4Addr ip, std::uint64_t now, std::optional<wire::Ipv4Addr>* evicted) {
        ArpEntry* victim = nullptr;
        for (auto& e : entries_)
            if (e.state == ArpEntry::State::free) {
                victim = &e;
                break;
            }
        if (!victim) {
            for (auto& e : entries_)
                if (e.state == ArpEntry::State::reachable && (!victim || e.deadline < victim->deadline))
                    victim = &e;
        }
        if (!victim) {
            for (auto& e : entries_)
                if (!victim || e.created < victim->created) victim = &e;
        }
        if (evicted && victim->state != ArpEntry::State::free) *evicted = victim->ip;
        *victim = ArpEntry{};
        victim->ip = ip;
        victim->created = now;
        return *victim;
    }
    void remove(ArpEntry& e) { e = ArpEntry{}; }
    std::size_t size() const {
        std::size_t n = 0;
        for (auto& e : entries_) n += e.state != ArpEntry::State::free;
        return n;
    }
    std::array<ArpEntry, kEntries>& entries() { return entries_; }
    const std::array<ArpEntry, kEntries>& entries() const { return entries_; }

private:
    std::array<ArpEntry, kEntries> entries_{};
};

}  // namespace unikit::net::stack
