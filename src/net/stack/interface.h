// Interface: one Ethernet interface's IP layer as a pure state machine - ARP (resolution with
// bounded queues, retries and expiry; replies; gratuitous ARP), IPv4 input validation and output
// routing (on-link or via the gateway, fragmentation of large datagrams), reassembly, ICMP echo
// and rate-limited errors, UDP sockets, and a protocol hook for TCP (or anything else).
//
// Frames in, frames out: receive(frame, now) consumes one received Ethernet frame; frames to
// send are handed to the FrameSink given at construction, synchronously, during any call.
// Time is an argument of every call that may need it (ns, monotonic); poll(now) runs timers and
// next_deadline() says when poll must run next. Nothing here reads a clock, draws randomness or
// allocates: all storage is inline (the object is large - create it once, statically or at
// startup) or belongs to the caller (UDP sockets).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <unikit/error.h>

#include "net/dev/device.h"
#include "net/stack/arp_cache.h"
#include "net/stack/reassembly.h"
#include "net/stack/udp_socket.h"
#include "net/stack/util/static_vector.h"
#include "net/wire/addr.h"

namespace unikit::net::stack {

using wire::Ipv4Addr;
using wire::Ipv4Cidr;
using wire::MacAddr;

inline constexpr std::uint64_t kMillisecond = 1'000'000ULL;
inline constexpr std::uint64_t kSecond = 1'000'000'000ULL;
inline constexpr std::uint64_t kNever = UINT64_MAX;

struct InterfaceConfig {
    std::uint16_t mtu = 1500;                      // largest IP packet; at most kMaxMtu
    std::uint8_t default_ttl = 64;
    std::uint16_t ident_seed = 0;                  // first IPv4 identification (the caller may randomize)
    std::uint64_t arp_reachable_ns = 60 * kSecond; // lifetime of a resolved entry
    std::uint64_t arp_retry_ns = 1 * kSecond;      // between requests for an unresolved address
    std::uint8_t arp_max_requests = 3;             // requests before giving up (pending dropped)
    std::size_t arp_queue_per_dest = 4;            // packets waiting per address (oldest dropped)
    Reassembler::Config reassembly{};
    // ICMP errors (port/protocol unreachable): a token bucket of `burst` tokens, one token
    // added every icmp_error_interval_ns.
    std::uint32_t icmp_error_burst = 10;
    std::uint64_t icmp_error_interval_ns = 100 * kMillisecond;
    bool reply_to_broadcast_echo = false;
    // The device hands over receive-offload frames (NetDevice::max_rx_frame() > the MTU's):
    // accept unfragmented IPv4 packets up to 65535 bytes. Otherwise a packet longer than the
    // MTU is dropped (drop_too_long).
    bool rx_large = false;
};

// Counters: plain fields, read them directly.
struct InterfaceCounters {
    std::uint64_t rx_frames = 0, tx_frames = 0, tx_sink_full = 0;
    // Frames/packets dropped on input, by reason.
    std::uint64_t drop_not_for_us_mac = 0;   // unicast to another MAC, multicast
    std::uint64_t drop_ethertype = 0;        // not IPv4/ARP
    std::uint64_t drop_malformed = 0;        // Ethernet/ARP/IPv4/ICMP/UDP failed to check or parse
    std::uint64_t drop_bad_checksum = 0;     // IPv4 header, ICMP or UDP checksum
    std::uint64_t drop_too_long = 0;         // IPv4 packet longer than the MTU (see rx_large)
    std::uint64_t rx_large = 0;              // accepted IPv4 packets longer than the MTU
    std::uint64_t rx_csum_valid = 0;         // frames flagged kRxCsumValid (L4 checksum not verified)
    std::uint64_t drop_not_for_us_ip = 0;    // IPv4 destination not ours
    std::uint64_t drop_bad_src = 0;          // IPv4 source broadcast/multicast/ours
    std::uint64_t drop_ttl = 0;              // TTL 0
    std::uint64_t drop_fragment = 0;         // a fragment refused by reassembly
    std::uint64_t drop_no_protocol = 0;      // no handler for the protocol
    std::uint64_t drop_udp_no_socket = 0;    // UDP to a closed port
    std::uint64_t drop_udp_queue_full = 0;   // the socket's queue was full / datagram too big
    std::uint64_t drop_icmp_other = 0;       // ICMP types we do not act on
    std::uint64_t drop_arp_other = 0;        // ARP not for us / conflicting sender
    // Output.
    std::uint64_t arp_requests_sent = 0, arp_replies_sent = 0;
    std::uint64_t arp_queue_dropped = 0;     // pending packets dropped (queue full)
    std::uint64_t arp_failed = 0;            // pending packets dropped (resolution gave up)
    std::uint64_t icmp_echo_replies = 0;
    std::uint64_t icmp_errors_sent = 0, icmp_errors_limited = 0;
    std::uint64_t tx_no_route = 0, tx_too_big = 0, tx_fragments = 0;
    std::uint64_t udp_rx = 0, udp_tx = 0;
};

// An IPv4 datagram delivered to a protocol handler.
struct IpDatagram {
    Ipv4Addr src;
    Ipv4Addr dst;       // ours, or a broadcast address
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 0;
    std::span<const std::uint8_t> payload;  // valid during the call only
    // The device vouched for the L4 checksum (Interface::kRxCsumValid): do not verify it.
    bool l4_csum_valid = false;
};

// A protocol on top of IPv4 (TCP: protocol 6). Called synchronously from receive(); it may
// send with Interface::send_ipv4 during the call.
class IpProtocolHandler {
public:
    virtual void ip_input(const IpDatagram& d, std::uint64_t now) = 0;

protected:
    ~IpProtocolHandler() = default;
};

struct SendOptions {
    std::optional<Ipv4Addr> src;  // default: the interface address (0.0.0.0 when unconfigured)
    std::uint8_t ttl = 0;         // 0: the configured default
    std::uint8_t dscp_ecn = 0;
    bool dont_frag = false;       // refuse (Error::overflow) instead of fragmenting
};

class Interface {
public:
    static constexpr std::uint16_t kMaxMtu = 9000;  // jumbo frames (the device says what it takes)
    static constexpr std::size_t kMaxFrame = 14 + kMaxMtu;
    static constexpr std::size_t kPendingSlots = 16;  // packets waiting for ARP, all addresses
    static constexpr std::size_t kMaxUdpSockets = 16;
    static constexpr std::size_t kMaxHandlers = 4;

    Interface(MacAddr mac, dev::FrameSink& tx, const InterfaceConfig& cfg = {});
    Interface(const Interface&) = delete;
    Interface& operator=(const Interface&) = delete;

    // --- configuration ---------------------------------------------------------------------
    // Sets the address (and optional default gateway) and announces it with a gratuitous ARP.
    void set_ipv4(Ipv4Cidr addr, std::optional<Ipv4Addr> gateway, std::uint64_t now);
    void clear_ipv4();
    std::optional<Ipv4Cidr> ipv4() const { return addr_; }
    std::optional<Ipv4Addr> gateway() const { return gateway_; }
    // DNS servers (from DHCP or static), kept for the resolver.
    void set_dns(std::span<const Ipv4Addr> servers);
    std::span<const Ipv4Addr> dns() const { return dns_.span(); }
    MacAddr mac() const { return mac_; }
    std::uint16_t mtu() const { return cfg_.mtu; }
    const InterfaceConfig& config() const { return cfg_; }

    // --- driving -----------------------------------------------------------------------------
    // One received Ethernet frame (without FCS). flags: kRxCsumValid when the device vouched for
    // the frame's TCP/UDP checksum (dev::kFrameCsumValid): it is then not verified.
    static constexpr std::uint32_t kRxCsumValid = 0x1;
    void receive(std::span<const std::uint8_t> frame, std::uint64_t now, std::uint32_t flags = 0);
    // Runs timers (ARP retries and expiry, reassembly timeouts).
    void poll(std::uint64_t now);
    // When poll() must run next (kNever if nothing is pending).
    std::uint64_t next_deadline() const;

    // --- IPv4 output -----------------------------------------------------------------------
    // Sends an IPv4 datagram whose payload is head followed by body (e.g. a transport header and
    // its data). Routes on-link or via the gateway; broadcasts need no ARP; an unresolved next
    // hop queues the frame(s) and starts ARP. Errors: not_found (no route / no address),
    // overflow (larger than the MTU with dont_frag, or than 65535), invalid.
    Result<void> send_ipv4(Ipv4Addr dst, std::uint8_t protocol, std::span<const std::uint8_t> head,
                           std::span<const std::uint8_t> body, std::uint64_t now, const SendOptions& opt = {});

    // --- protocols -------------------------------------------------------------------------
    // Registers (or, with nullptr, removes) the handler for an IP protocol other than ICMP/UDP.
    Result<void> set_protocol_handler(std::uint8_t protocol, IpProtocolHandler* h);

    // --- UDP -------------------------------------------------------------------------------
    // Binds a socket to a local port (0: an ephemeral port, 49152..65535). Errors: invalid (the
    // socket is bound already), again (port in use), overflow (too many sockets).
    Result<std::uint16_t> udp_bind(UdpSocket& s, std::uint16_t port);
    void udp_unbind(UdpSocket& s);
    // Sends a datagram from src_port to dst:dst_port (checksummed).
    Result<void> udp_send(std::uint16_t src_port, Ipv4Addr dst, std::uint16_t dst_port,
                          std::span<const std::uint8_t> payload, std::uint64_t now, const SendOptions& opt = {});

    // --- introspection -----------------------------------------------------------------------
    InterfaceCounters counters;
    const ArpCache& arp_cache() const { return arp_; }
    const ReassemblyStats& reassembly_stats() const { return reasm_.stats; }
    std::size_t arp_pending() const;

private:
    struct Pending {
        bool used = false;
        Ipv4Addr next_hop;
        std::uint64_t seq = 0;
        std::uint16_t len = 0;
        std::array<std::uint8_t, kMaxFrame> frame;
    };
    struct Handler {
        std::uint8_t protocol = 0;
        IpProtocolHandler* h = nullptr;
    };

    void arp_input(std::span<const std::uint8_t> payload, std::uint64_t now);
    void ipv4_input(std::span<const std::uint8_t> payload, bool link_broadcast, std::uint64_t now, bool csum_valid);
    void deliver(const IpDatagram& d, std::span<const std::uint8_t> quote, bool to_broadcast, std::uint64_t now);
    void icmp_input(const IpDatagram& d, bool to_broadcast, std::uint64_t now);
    void udp_input(const IpDatagram& d, std::span<const std::uint8_t> quote, bool to_broadcast, std::uint64_t now);
    void send_icmp_error(Ipv4Addr to, std::uint8_t type, std::uint8_t code, std::span<const std::uint8_t> quote,
                         std::uint64_t now);
    bool icmp_error_allowed(std::uint64_t now);

    bool is_our_address(Ipv4Addr a) const { return addr_ && addr_->address() == a; }
    bool is_broadcast_for_us(Ipv4Addr a) const;
    void send_arp(std::uint16_t op, MacAddr dst_mac, MacAddr target_hw, Ipv4Addr target_ip, Ipv4Addr sender_ip);
    // Sends a frame whose Ethernet header is filled except for the destination MAC.
    void output_frame(std::span<std::uint8_t> frame, Ipv4Addr next_hop, bool broadcast, std::uint64_t now);
    void emit(std::span<const std::uint8_t> frame);
    void queue_pending(std::span<const std::uint8_t> frame, Ipv4Addr next_hop);
    void flush_pending(Ipv4Addr ip, MacAddr mac);
    void drop_pending(Ipv4Addr ip);
    void arp_learn(Ipv4Addr ip, MacAddr mac, bool create, std::uint64_t now);

    MacAddr mac_;
    dev::FrameSink& tx_;
    InterfaceConfig cfg_;
    std::optional<Ipv4Cidr> addr_;
    std::optional<Ipv4Addr> gateway_;
    util::StaticVector<Ipv4Addr, 4> dns_;
    std::uint16_t next_ident_;
    std::uint16_t next_ephemeral_ = 49152;
    std::uint64_t pending_seq_ = 0;
    std::uint32_t icmp_tokens_;
    std::uint64_t icmp_last_refill_ = 0;
    bool icmp_clock_started_ = false;

    ArpCache arp_;
    Reassembler reasm_;
    std::array<Pending, kPendingSlots> pending_{};
    util::StaticVector<UdpSocket*, kMaxUdpSockets> udp_;
    util::StaticVector<Handler, kMaxHandlers> handlers_;
    std::array<std::uint8_t, kMaxFrame> txbuf_{};
};

}  // namespace unikit::net::stack
