// TcpStack: demultiplexes TCP segments to connections (by 4-tuple) and listeners (by local
// address and port), answers for closed ports with RST, and serializes what connections emit.
//
// Driving it (the IPv4 layer / socket API does this):
//   - an IPv4 datagram with protocol 6 arrives:  stack.input(src, dst, tcp_bytes, now)
//   - the loop's deadline passes:                 stack.on_timer(now)
//   - before blocking:                            schedule stack.next_deadline()
//   - segments to send arrive at TcpOutput::transmit(src, dst, bytes) (checksum filled in),
//     synchronously, during any of the calls above or a user call on a connection.
//   - TcpOutput::notify(conn) / notify_listener(idx) tell the socket layer something changed.
//
// Memory is the caller's: connection slots (each with its own send/receive buffers) and
// listener slots are spans given at construction. No allocation, no clock, no randomness: the
// ISN secret is a constructor argument, time is an argument of every call.
//
// SYN-flood resistance: a bounded half-open queue with eviction. Each listener admits at most
// `backlog` connections waiting for accept() (established or half-open); of those at most
// `max_half_open` may be in SYN-RECEIVED, and a new SYN beyond that evicts the oldest half-open
// one. When no slot is free, the oldest TIME-WAIT connection is recycled, then the oldest
// half-open connection of any listener is evicted; otherwise the SYN is dropped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "net/tcp/connection.h"
#include "net/tcp/isn.h"

namespace unikit::net::tcp {

class TcpOutput {
public:
    // One complete TCP segment (header + payload, checksum filled) for IPv4 src -> dst.
    virtual void transmit(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) = 0;
    // A connection changed (data readable, space writable, state changed). Optional.
    virtual void notify(TcpConnection&) {}
    // A listener has a connection ready for accept(). Optional.
    virtual void notify_listener(int /*listener*/) {}

protected:
    ~TcpOutput() = default;
};

struct TcpListener {
    bool in_use = false;
    Ipv4Addr addr;  // any() = every local address
    uint16_t port = 0;
    uint16_t backlog = 0;
    uint16_t max_half_open = 0;
};

struct TcpStackStats {
    uint32_t segs_in = 0, bad_segments = 0, rst_sent = 0;
    uint32_t syn_dropped = 0;    // backlog full / no slot
    uint32_t syn_evicted = 0;    // half-open connections evicted for a new SYN
    uint32_t tw_recycled = 0;    // TIME-WAIT slots reused
};

class TcpStack final : private SegmentSink {
public:
    TcpStack(const TcpConfig& cfg, const IsnSecret& secret, std::span<TcpConnection> slots,
             std::span<TcpListener> listeners, TcpOutput& out);
    TcpStack(const TcpStack&) = delete;
    TcpStack& operator=(const TcpStack&) = delete;

    // Listen on (addr, port); addr may be Ipv4Addr::any(). Returns the listener index.
    // max_half_open = 0 means "same as backlog".
    std::expected<int, TcpErrc> listen(Ipv4Addr addr, uint16_t port, uint16_t backlog, uint16_t max_half_open = 0);
    void unlisten(int listener, Instant now);  // aborts connections not yet accepted
    // The oldest connection ready for accept() on this listener, or nullptr.
    TcpConnection* accept(int listener);
    // Active open. local_port 0 picks an ephemeral port.
    std::expected<TcpConnection*, TcpErrc> connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                                   uint16_t remote_port, Instant now);
    // The user is done with a connection: it closes gracefully (or is aborted if unread data
    // remains, RFC 2525 §2.17) and its slot is reused once it reaches CLOSED.
    void release(TcpConnection* c, Instant now);

    // A TCP segment from IPv4 src to local address dst. Verifies the checksum unless
    // csum_valid (the device vouched for it: receive offload).
    void input(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment, Instant now, bool csum_valid = false);
    // The same for an already parsed and verified segment.
    void input_parsed(Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg, Instant now);
    void on_timer(Instant now);
    // Sends the ACKs connections deferred while TcpConfig::stretch_acks is on. Call it after
    // each batch of input.
    void flush_acks(Instant now);
    Instant next_deadline() const;

    const TcpConfig& config() const { return cfg_; }
    const TcpStackStats& stats() const { return stats_; }
    std::size_t connections_in_use() const;
    std::span<TcpConnection> slots() { return slots_; }

private:
    void emit(const TcpConnection& conn, const wire::TcpRepr& hdr, Ring::Pieces payload) override;
    void send_rst_for(Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg);
    void transmit_repr(Ipv4Addr src, Ipv4Addr dst, const wire::TcpRepr& hdr, Ring::Pieces payload);
    TcpConnection* find(const FourTuple& t);
    int find_listener(Ipv4Addr addr, uint16_t port) const;
    TcpConnection* alloc_slot();
    void free_slot(TcpConnection& c);
    void reap(TcpConnection& c);  // free a CLOSED connection nobody holds
    void on_listener_syn(int li, Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg, Instant now);
    uint32_t isn_for(const FourTuple& t, Instant now) const;

    TcpConfig cfg_;
    IsnSecret secret_;
    std::span<TcpConnection> slots_;
    std::span<TcpListener> listeners_;
    TcpOutput& out_;
    TcpStackStats stats_{};
    uint64_t order_ = 0;
    uint16_t next_ephemeral_ = 49152;
    std::array<uint8_t, wire::kTcpHeaderMax + kMaxMss> scratch_{};
};

}  // namespace unikit::net::tcp
