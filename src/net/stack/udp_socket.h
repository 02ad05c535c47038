// UdpSocket: a bound UDP port's receive queue. The socket's memory is the caller's (a span cut
// into fixed-size slots, one datagram per slot); the Interface delivers into it and the owner
// reads from it. A datagram that finds the queue full, or that does not fit in a slot, is
// dropped and counted. Sockets know nothing of interfaces except through bind/unbind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/stack/util/slot_ring.h"
#include "net/wire/addr.h"

namespace unikit::net::stack {

struct UdpDatagram {
    wire::Ipv4Addr src;
    std::uint16_t src_port = 0;
    wire::Ipv4Addr dst;  // our address, or a broadcast address
    std::uint16_t dst_port = 0;
    std::span<const std::uint8_t> data;  // valid until pop()
};

class UdpSocket {
public:
    // slot_size: bytes per queued datagram, including 32 bytes of bookkeeping.
    UdpSocket(std::span<std::uint8_t> storage, std::size_t slot_size = 2048) : ring_(storage, slot_size) {}
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    bool bound() const { return port_ != 0; }
    std::uint16_t local_port() const { return port_; }
    std::size_t queued() const { return ring_.size(); }
    std::size_t max_datagram() const { return ring_.slot_payload(); }

    // The oldest queued datagram, if any.
    std::optional<UdpDatagram> front() const {
        if (ring_.empty()) return std::nullopt;
        auto rec = ring_.front();
        return UdpDatagram{rec.meta.src, rec.meta.src_port, rec.meta.dst, rec.meta.dst_port, rec.data};
    }
    void pop() { ring_.pop(); }

    std::uint64_t received = 0;
    std::uint64_t dropped_full = 0;
    std::uint64_t dropped_too_big = 0;

    // Used by Interface.
    bool deliver(const UdpDatagram& d) {
        if (d.data.size() > ring_.slot_payload()) {
            ++dropped_too_big;
            return false;
        }
        if (!ring_.push(Meta{d.src, d.dst, d.src_port, d.dst_port}, d.data)) {
            ++dropped_full;
            return false;
        }
        ++received;
        return true;
    }
    void set_port(std::uint16_t p) { port_ = p; }

private:
    struct Meta {
        wire::Ipv4Addr src, dst;
        std::uint16_t src_port, dst_port;
    };
    util::SlotRing<Meta> ring_;
    std::uint16_t port_ = 0;
};

}  // namespace unikit::net::stack
