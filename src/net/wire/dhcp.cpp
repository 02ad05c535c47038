#include "net/wire/dhcp.h"

#include <algorithm>
#include <cstring>

namespace unikit::net::wire {

namespace {
constexpr uint8_t kHwEthernet = 1;
constexpr uint16_t kFlagBroadcast = 0x8000;
}  // namespace

WireResult<std::optional<DhcpOption>> DhcpOptionReader::next() {
    if (failed_) return wire_fail(WireError::Truncated);
    if (done_) return std::optional<DhcpOption>{};
    while (pos_ < buf_.size() && buf_[pos_] == dhcp_option::kPad) ++pos_;
    if (pos_ >= buf_.size()) {
        failed_ = true;  // no End
        return wire_fail(WireError::Truncated);
    }
    uint8_t code = buf_[pos_];
    if (code == dhcp_option::kEnd) {
        done_ = true;
        return std::optional<DhcpOption>{};
    }
    if (buf_.size() - pos_ < 2) {
        failed_ = true;
        return wire_fail(WireError::Truncated);
    }
    size_t len = buf_[pos_ + 1];
    if (buf_.size() - pos_ - 2 < len) {
        failed_ = true;
        return wire_fail(WireError::Truncated);
    }
    DhcpOption opt{code, buf_.subspan(pos_ + 2, len)};
    pos_ += 2 + len;
    return opt;
}

WireResult<DhcpPacket> DhcpPacket::check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kDhcpOptionsOffset) return wire_fail(WireError::Truncated);
    if (be::get32(bytes.data() + kDhcpFixedLen) != kDhcpMagicCookie) return wire_fail(WireError::Unsupported);
    return DhcpPacket(bytes);
}

WireResult<DhcpRepr> DhcpRepr::parse(const DhcpPacket& p) {
    if (p.op() != uint8_t(DhcpOp::Request) && p.op() != uint8_t(DhcpOp::Reply))
        return wire_fail(WireError::Malformed);
    if (p.hardware_type() != kHwEthernet || p.hardware_len() != 6) return wire_fail(WireError::Unsupported);
    DhcpRepr r;
    r.op = DhcpOp(p.op());
    r.xid = p.xid();
    r.secs = p.secs();
    r.broadcast = p.broadcast();
    r.ciaddr = p.ciaddr();
    r.yiaddr = p.yiaddr();
    r.siaddr = p.siaddr();
    r.giaddr = p.giaddr();
    r.client_hw = MacAddr::from_bytes(p.chaddr().data());
    uint8_t type = 0;

    auto addr4 = [](std::span<const uint8_t> d) -> WireResult<Ipv4Addr> {
        if (d.size() != 4) return wire_fail(WireError::Malformed);
        return Ipv4Addr::from_bytes(d.data());
    };
    auto u32 = [](std::span<const uint8_t> d) -> WireResult<uint32_t> {
        if (d.size() != 4) return wire_fail(WireError::Malformed);
        return be::get32(d.data());
    };

    DhcpOptionReader rd = p.option_reader();
    for (;;) {
        auto o = rd.next();
        if (!o) return wire_fail(o.error());
        if (!*o) break;
        const DhcpOption& opt = **o;
        const auto d = opt.data;
        switch (opt.code) {
            case dhcp_option::kMessageType:
                if (d.size() != 1) return wire_fail(WireError::Malformed);
                type = d[0];
                break;
            case dhcp_option::kRequestedIp: {
                auto a = addr4(d);
                if (!a) return wire_fail(a.error());
                r.requested_ip = *a;
                break;
            }
            case dhcp_option::kServerId: {
                auto a = addr4(d);
                if (!a) return wire_fail(a.error());
                r.server_id = *a;
                break;
            }
            case dhcp_option::kSubnetMask: {
                auto a = addr4(d);
                if (!a) return wire_fail(a.error());
                r.subnet_mask = *a;
                break;
            }
            case dhcp_option::kRouter:
                if (d.empty() || d.size() % 4 != 0) return wire_fail(WireError::Malformed);
                r.router = Ipv4Addr::from_bytes(d.data());
                break;
            case dhcp_option::kDnsServer:
                if (d.empty() || d.size() % 4 != 0) return wire_fail(WireError::Malformed);
                r.dns_count = uint8_t(std::min(d.size() / 4, kDhcpMaxDnsServers));
                for (size_t i = 0; i < r.dns_count; ++i) r.dns_servers[i] = Ipv4Addr::from_bytes(d.data() + 4 * i);
                for (size_t i = r.dns_count; i < kDhcpMaxDnsServers; ++i) r.dns_servers[i] = Ipv4Addr{};
                break;
            case dhcp_option::kLeaseTime: {
                auto v = u32(d);
                if (!v) return wire_fail(v.error());
                r.lease_time = *v;
                break;
            }
            case dhcp_option::kRenewalTime: {
                auto v = u32(d);
                if (!v) return wire_fail(v.error());
                r.renewal_time = *v;
                break;
            }
            case dhcp_option::kRebindingTime: {
                auto v = u32(d);
                if (!v) return wire_fail(v.error());
                r.rebinding_time = *v;
                break;
            }
            case dhcp_option::kParameterRequestList:
                if (d.empty()) return wire_fail(WireError::Malformed);
                r.parameter_request_list = d;
                break;
            case dhcp_option::kClientId:
                if (d.size() < 2) return wire_fail(WireError::Malformed);
                r.client_id = d;
                break;
            case dhcp_option::kHostname:
                if (d.empty()) return wire_fail(WireError::Malformed);
                r.hostname = std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
                break;
            default:
                break;  // options the client does not use
        }
    }
    if (type < uint8_t(DhcpMessageType::Discover) || type > uint8_t(DhcpMessageType::Inform))
        return wire_fail(WireError::Unsupported);
    r.message_type = DhcpMessageType(type);
    return r;
}

size_t DhcpRepr::len() const {
    size_t n = kDhcpOptionsOffset + 3;  // message type
    if (!client_id.empty()) n += 2 + client_id.size();
    if (requested_ip) n += 6;
    if (server_id) n += 6;
    if (lease_time) n += 6;
    if (renewal_time) n += 6;
    if (rebinding_time) n += 6;
    if (subnet_mask) n += 6;
    if (router) n += 6;
    if (dns_count) n += 2 + 4 * size_t(dns_count);
    if (!hostname.empty()) n += 2 + hostname.size();
    if (!parameter_request_list.empty()) n += 2 + parameter_request_list.size();
    n += 1;  // End
    return std::max(n, kDhcpMinMessageLen);
}

WireResult<size_t> DhcpRepr::emit(std::span<uint8_t> out) const {
    if ((op != DhcpOp::Request && op != DhcpOp::Reply) || uint8_t(message_type) < 1 || uint8_t(message_type) > 8 ||
        dns_count > kDhcpMaxDnsServers || client_id.size() == 1 || client_id.size() > 255 || hostname.size() > 255 ||
        parameter_request_list.size() > 255)
        return wire_fail(WireError::Malformed);
    size_t n = len();
    if (out.size() < n) return wire_fail(WireError::BufferTooSmall);
    uint8_t* p = out.data();
    std::memset(p, 0, n);
    p[0] = uint8_t(op);
    p[1] = kHwEthernet;
    p[2] = 6;
    be::put32(p + 4, xid);
    be::put16(p + 8, secs);
    be::put16(p + 10, broadcast ? kFlagBroadcast : 0);
    ciaddr.write(p + 12);
    yiaddr.write(p + 16);
    siaddr.write(p + 20);
    giaddr.write(p + 24);
    client_hw.write(p + 28);
    be::put32(p + kDhcpFixedLen, kDhcpMagicCookie);

    uint8_t* o = p + kDhcpOptionsOffset;
    auto opt = [&](uint8_t code, std::span<const uint8_t> d) {
        o[0] = code;
        o[1] = uint8_t(d.size());
        if (!d.empty()) std::memcpy(o + 2, d.data(), d.size());
        o += 2 + d.size();
    };
    auto opt_addr = [&](uint8_t code, Ipv4Addr a) { opt(code, a.octets); };
    auto opt_u32 = [&](uint8_t code, uint32_t v) {
        uint8_t b[4];
        be::put32(b, v);
        opt(code, b);
    };
    const uint8_t mt = uint8_t(message_type);
    opt(dhcp_option::kMessageType, std::span<const uint8_t>(&mt, 1));
    if (!client_id.empty()) opt(dhcp_option::kClientId, client_id);
    if (requested_ip) opt_addr(dhcp_option::kRequestedIp, *requested_ip);
    if (server_id) opt_addr(dhcp_option::kServerId, *server_id);
    if (lease_time) opt_u32(dhcp_option::kLeaseTime, *lease_time);
    if (renewal_time) opt_u32(dhcp_option::kRenewalTime, *renewal_time);
    if (rebinding_time) opt_u32(dhcp_option::kRebindingTime, *rebinding_time);
    if (subnet_mask) opt_addr(dhcp_option::kSubnetMask, *subnet_mask);
    if (router) opt_addr(dhcp_option::kRouter, *router);
    if (dns_count) {
        o[0] = dhcp_option::kDnsServer;
        o[1] = uint8_t(4 * dns_count);
        for (size_t i = 0; i < dns_count; ++i) dns_servers[i].write(o + 2 + 4 * i);
        o += 2 + 4 * size_t(dns_count);
    }
    if (!hostname.empty())
        opt(dhcp_option::kHostname,
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(hostname.data()), hostname.size()));
    if (!parameter_request_list.empty()) opt(dhcp_option::kParameterRequestList, parameter_request_list);
    *o = dhcp_option::kEnd;  // the rest is already zero (Pad)
    return n;
}

DhcpRepr DhcpRepr::discover(uint32_t xid, MacAddr mac) {
    DhcpRepr r;
    r.op = DhcpOp::Request;
    r.message_type = DhcpMessageType::Discover;
    r.xid = xid;
    r.client_hw = mac;
    r.parameter_request_list = kDhcpDefaultParameterRequests;
    return r;
}

DhcpRepr DhcpRepr::request(uint32_t xid, MacAddr mac, Ipv4Addr requested, Ipv4Addr server) {
    DhcpRepr r = discover(xid, mac);
    r.message_type = DhcpMessageType::Request;
    r.requested_ip = requested;
    r.server_id = server;
    return r;
}

DhcpRepr DhcpRepr::renew(uint32_t xid, MacAddr mac, Ipv4Addr ciaddr) {
    DhcpRepr r = discover(xid, mac);
    r.message_type = DhcpMessageType::Request;
    r.ciaddr = ciaddr;
    return r;
}

DhcpRepr DhcpRepr::release(uint32_t xid, MacAddr mac, Ipv4Addr ciaddr, Ipv4Addr server) {
    DhcpRepr r;
    r.op = DhcpOp::Request;
    r.message_type = DhcpMessageType::Release;
    r.xid = xid;
    r.client_hw = mac;
    r.ciaddr = ciaddr;
    r.server_id = server;
    return r;
}

namespace {
bool same_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
}  // namespace

bool operator==(const DhcpRepr& a, const DhcpRepr& b) {
    if (a.dns_count != b.dns_count) return false;
    for (size_t i = 0; i < a.dns_count && i < kDhcpMaxDnsServers; ++i)
        if (a.dns_servers[i] != b.dns_servers[i]) return false;
    return a.op == b.op && a.message_type == b.message_type && a.xid == b.xid && a.secs == b.secs &&
           a.broadcast == b.broadcast && a.ciaddr == b.ciaddr && a.yiaddr == b.yiaddr && a.siaddr == b.siaddr &&
           a.giaddr == b.giaddr && a.client_hw == b.client_hw && a.requested_ip == b.requested_ip &&
           a.server_id == b.server_id && a.subnet_mask == b.subnet_mask && a.router == b.router &&
           a.lease_time == b.lease_time && a.renewal_time == b.renewal_time &&
           a.rebinding_time == b.rebinding_time && same_bytes(a.parameter_request_list, b.parameter_request_list) &&
           same_bytes(a.client_id, b.client_id) && a.hostname == b.hostname;
}

}  // namespace unikit::net::wire
