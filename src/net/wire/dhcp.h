// unikit::net::wire - DHCP messages (RFC 2131) and the options a client needs (RFC 2132).
//
// The fixed BOOTP part, the magic cookie, and the options, read as TLVs (pad and end handled;
// option overload and long-option concatenation are not). Ethernet hardware addresses only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "net/wire/addr.h"
#include "net/wire/common.h"

namespace unikit::net::wire {

inline constexpr size_t kDhcpFixedLen = 236;      // op .. file
inline constexpr size_t kDhcpOptionsOffset = 240;  // after the magic cookie
inline constexpr size_t kDhcpMinMessageLen = 300;  // BOOTP minimum; emit pads up to it
inline constexpr uint32_t kDhcpMagicCookie = 0x63825363;
inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;
inline constexpr size_t kDhcpMaxDnsServers = 3;

enum class DhcpOp : uint8_t { Request = 1, Reply = 2 };

enum class DhcpMessageType : uint8_t {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
};

namespace dhcp_option {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kDnsServer = 6;
inline constexpr uint8_t kHostname = 12;
inline constexpr uint8_t kRequestedIp = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerId = 54;
inline constexpr uint8_t kParameterRequestList = 55;
inline constexpr uint8_t kRenewalTime = 58;
inline constexpr uint8_t kRebindingTime = 59;
inline constexpr uint8_t kClientId = 61;
inline constexpr uint8_t kEnd = 255;
}  // namespace dhcp_option

// What a client usually asks for: subnet mask, router, DNS, lease/renewal/rebinding times.
inline constexpr std::array<uint8_t, 6> kDhcpDefaultParameterRequests = {
    dhcp_option::kSubnetMask, dhcp_option::kRouter,      dhcp_option::kDnsServer,
    dhcp_option::kLeaseTime,  dhcp_option::kRenewalTime, dhcp_option::kRebindingTime};

struct DhcpOption {
    uint8_t code = 0;
    std::span<const uint8_t> data;
};

// Walks the options area. Pad bytes are skipped; End stops. Every read is bounds-checked.
class DhcpOptionReader {
public:
    explicit DhcpOptionReader(std::span<const uint8_t> options) : buf_(options) {}
    // The next option, or nullopt after End. Truncated: the area ends before End, or an
    // option's length runs past it. After an error or End, keeps returning the same.
    WireResult<std::optional<DhcpOption>> next();

private:
    std::span<const uint8_t> buf_;
    size_t pos_ = 0;
    bool done_ = false;
    bool failed_ = false;
};

// A checked view of a DHCP message (the UDP payload): 240 bytes (fixed part + cookie) present
// and the cookie right. The options are checked lazily (option_reader, DhcpRepr::parse).
class DhcpPacket {
public:
    // Truncated: shorter than 240 bytes. Unsupported: no DHCP magic cookie (plain BOOTP).
    static WireResult<DhcpPacket> check(std::span<const uint8_t> bytes);

    uint8_t op() const { return buf_[0]; }
    uint8_t hardware_type() const { return buf_[1]; }
    uint8_t hardware_len() const { return buf_[2]; }
    uint8_t hops() const { return buf_[3]; }
    uint32_t xid() const { return be::get32(buf_.data() + 4); }
    uint16_t secs() const { return be::get16(buf_.data() + 8); }
    uint16_t flags() const { return be::get16(buf_.data() + 10); }
    bool broadcast() const { return (flags() & 0x8000) != 0; }
    Ipv4Addr ciaddr() const { return Ipv4Addr::from_bytes(buf_.data() + 12); }
    Ipv4Addr yiaddr() const { return Ipv4Addr::from_bytes(buf_.data() + 16); }
    Ipv4Addr siaddr() const { return Ipv4Addr::from_bytes(buf_.data() + 20); }
    Ipv4Addr giaddr() const { return Ipv4Addr::from_bytes(buf_.data() + 24); }
    std::span<const uint8_t> chaddr() const { return buf_.subspan(28, 16); }
    std::span<const uint8_t> sname() const { return buf_.subspan(44, 64); }
    std::span<const uint8_t> file() const { return buf_.subspan(108, 128); }
    std::span<const uint8_t> options() const { return buf_.subspan(kDhcpOptionsOffset); }
    DhcpOptionReader option_reader() const { return DhcpOptionReader(options()); }
    std::span<const uint8_t> bytes() const { return buf_; }

private:
    explicit DhcpPacket(std::span<const uint8_t> b) : buf_(b) {}
    std::span<const uint8_t> buf_;
};

// A DHCP message with the options the client uses. Spans and the hostname view into the parsed
// buffer (after parse) or caller-owned storage (for emit).
struct DhcpRepr {
    DhcpOp op = DhcpOp::Request;
    DhcpMessageType message_type = DhcpMessageType::Discover;
    uint32_t xid = 0;
    uint16_t secs = 0;
    bool broadcast = false;
    Ipv4Addr ciaddr, yiaddr, siaddr, giaddr;
    MacAddr client_hw;

    std::optional<Ipv4Addr> requested_ip;  // 50
    std::optional<Ipv4Addr> server_id;     // 54
    std::optional<Ipv4Addr> subnet_mask;   // 1
    std::optional<Ipv4Addr> router;        // 3 (the first one listed)
    std::optional<uint32_t> lease_time;    // 51, seconds
    std::optional<uint32_t> renewal_time;  // 58, T1 seconds
    std::optional<uint32_t> rebinding_time;  // 59, T2 seconds
    std::array<Ipv4Addr, kDhcpMaxDnsServers> dns_servers{};  // 6 (the first few listed)
    uint8_t dns_count = 0;
    std::span<const uint8_t> parameter_request_list;  // 55; empty = absent
    std::span<const uint8_t> client_id;               // 61; empty = absent (else >= 2 bytes)
    std::string_view hostname;                        // 12; empty = absent

    // Unsupported: not Ethernet (htype 1, hlen 6), or no/unknown message type (53).
    // Malformed: op not 1/2, or a known option with a wrong length.
    // Truncated: the options area ends before End or inside an option.
    static WireResult<DhcpRepr> parse(const DhcpPacket& packet);

    // Bytes emit() writes (at least kDhcpMinMessageLen; the options are padded to it).
    size_t len() const;
    // Writes the message: fixed fields, cookie, options (53 first), End, pad.
    // Malformed: a field that cannot be encoded (message type, dns_count, option lengths).
    WireResult<size_t> emit(std::span<uint8_t> out) const;

    // Client messages (RFC 2131 section 4.4). Parameter request list: the defaults above.
    static DhcpRepr discover(uint32_t xid, MacAddr mac);
    // REQUEST in SELECTING state: requested_ip and server_id from the chosen OFFER.
    static DhcpRepr request(uint32_t xid, MacAddr mac, Ipv4Addr requested_ip, Ipv4Addr server_id);
    // REQUEST in RENEWING/REBINDING state: ciaddr set, no requested_ip/server_id.
    static DhcpRepr renew(uint32_t xid, MacAddr mac, Ipv4Addr ciaddr);
    static DhcpRepr release(uint32_t xid, MacAddr mac, Ipv4Addr ciaddr, Ipv4Addr server_id);

    // Field-wise; spans compared by content.
    friend bool operator==(const DhcpRepr& a, const DhcpRepr& b);
};

}  // namespace unikit::net::wire
