// DhcpClient: the client side of DHCP (RFC 2131) as a pure state machine over an Interface.
//
//   INIT -> (DISCOVER) SELECTING -> OFFER -> (REQUEST) REQUESTING -> ACK -> BOUND
//   BOUND -> T1 -> RENEWING (REQUEST unicast to the server) -> ACK -> BOUND
//   RENEWING -> T2 -> REBINDING (REQUEST broadcast) -> ACK -> BOUND
//   REBINDING -> lease expiry -> address removed, INIT
//   NAK in REQUESTING/RENEWING/REBINDING -> address removed, INIT
// Retransmissions (DISCOVER, REQUEST while selecting) back off exponentially from 4 s to 64 s,
// each randomized by +-1 s from the caller's Rng (RFC 2131 §4.1); while renewing/rebinding the
// client retransmits after half the time left until T2/expiry, at least 60 s (§4.4.5).
//
// It talks through a UdpSocket bound to port 68 (memory is the caller's) and applies what it
// learns (address/mask, router, DNS) to the Interface. Driving: call poll(now) when a datagram
// may have arrived on the socket or when next_deadline() passes. Nothing reads a clock or draws
// randomness on its own: the transaction IDs and jitter come from the Rng given.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include <unikit/error.h>

#include "net/stack/interface.h"
#include "net/stack/util/rng.h"
#include "net/wire/dhcp.h"

namespace unikit::net::stack {

struct DhcpConfig {
    std::uint64_t initial_retransmit_ns = 4 * kSecond;
    std::uint64_t max_retransmit_ns = 64 * kSecond;
    std::uint64_t jitter_ns = 1 * kSecond;          // +- this on every retransmission delay
    std::uint8_t max_request_attempts = 4;          // REQUESTs (selecting) before starting over
    std::uint64_t min_renew_retransmit_ns = 60 * kSecond;
    std::uint64_t initial_delay_max_ns = 0;         // random wait before the first DISCOVER (RFC: 1-10 s)
    std::uint32_t default_lease_s = 3600;           // if an ACK carries no lease time
};

enum class DhcpState : std::uint8_t { init, selecting, requesting, bound, renewing, rebinding };

constexpr const char* to_string(DhcpState s) {
    switch (s) {
        case DhcpState::init: return "init";
        case DhcpState::selecting: return "selecting";
        case DhcpState::requesting: return "requesting";
        case DhcpState::bound: return "bound";
        case DhcpState::renewing: return "renewing";
        case DhcpState::rebinding: return "rebinding";
    }
    return "?";
}

struct DhcpLease {
    Ipv4Cidr address;
    std::optional<Ipv4Addr> router;
    std::array<Ipv4Addr, wire::kDhcpMaxDnsServers> dns{};
    std::uint8_t dns_count = 0;
    Ipv4Addr server;
    std::uint32_t lease_s = 0;    // 0xffffffff: infinite
    std::uint64_t acquired = 0;   // when the REQUEST that got it was sent
    std::uint64_t t1 = kNever, t2 = kNever, expiry = kNever;  // absolute ns
};

struct DhcpCounters {
    std::uint64_t discovers = 0, requests = 0, offers = 0, acks = 0, naks = 0;
    std::uint64_t ignored = 0;    // unparsable, not for us, wrong xid, unexpected in this state
    std::uint64_t restarts = 0;   // back to INIT (NAK, expiry, too many REQUESTs)
    std::uint64_t send_errors = 0;
};

class DhcpClient {
public:
    // The socket must be unbound; the client binds it to port 68.
    DhcpClient(Interface& ifc, UdpSocket& socket, util::Rng& rng, const DhcpConfig& cfg = {});
    ~DhcpClient();
    DhcpClient(const DhcpClient&) = delete;
    DhcpClient& operator=(const DhcpClient&) = delete;

    bool ok() const { return bound_ok_; }  // false if port 68 could not be bound

    // Reads what arrived on the socket and runs the timers.
    void poll(std::uint64_t now);
    // One received DHCP message (the UDP payload), e.g. straight from a test.
    void input(std::span<const std::uint8_t> message, std::uint64_t now);
    std::uint64_t next_deadline() const { return deadline_; }

    DhcpState state() const { return state_; }
    const std::optional<DhcpLease>& lease() const { return lease_; }
    std::uint32_t xid() const { return xid_; }
    DhcpCounters counters;

private:
    void timer(std::uint64_t now);
    void restart(std::uint64_t now);
    void send_discover(std::uint64_t now);
    void send_request(std::uint64_t now);
    void bind(const wire::DhcpRepr& ack, std::uint64_t now);
    void send(const wire::DhcpRepr& msg, Ipv4Addr dst, std::uint64_t now);
    std::uint64_t backoff(std::uint32_t attempt);
    std::uint64_t renew_wait(std::uint64_t now, std::uint64_t until) const;

    Interface& ifc_;
    UdpSocket& sock_;
    util::Rng& rng_;
    DhcpConfig cfg_;
    bool bound_ok_ = false;
    bool started_ = false;

    DhcpState state_ = DhcpState::init;
    std::uint32_t xid_ = 0;
    std::uint32_t attempt_ = 0;
    std::uint64_t deadline_ = 0;          // next timer (0: at once)
    std::uint64_t exchange_start_ = 0;    // when the REQUEST the lease times count from was sent
    Ipv4Addr offered_;
    Ipv4Addr server_;
    std::optional<DhcpLease> lease_;
};

}  // namespace unikit::net::stack
