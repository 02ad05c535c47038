#include "net/stack/dhcp_client.h"

namespace unikit::net::stack {

namespace {
// Prefix length for an address without a (valid) subnet mask option: the classful default.
std::uint8_t classful_prefix(Ipv4Addr a) {
    if (a.octets[0] < 128) return 8;
    if (a.octets[0] < 192) return 16;
    return 24;
}
constexpr std::uint32_t kInfinite = 0xffffffffu;
}  // namespace

DhcpClient::DhcpClient(Interface& ifc, UdpSocket& socket, util::Rng& rng, const DhcpConfig& cfg)
    : ifc_(ifc), sock_(socket), rng_(rng), cfg_(cfg) {
    bound_ok_ = ifc_.udp_bind(sock_, wire::kDhcpClientPort).has_value();
}

DhcpClient::~DhcpClient() {
    if (bound_ok_) ifc_.udp_unbind(sock_);
}

std::uint64_t DhcpClient::backoff(std::uint32_t attempt) {
    std::uint64_t d = cfg_.initial_retransmit_ns;
    for (std::uint32_t i = 0; i < attempt && d < cfg_.max_retransmit_ns; ++i) d *= 2;
    if (d > cfg_.max_retransmit_ns) d = cfg_.max_retransmit_ns;
    if (cfg_.jitter_ns) {
        std::uint64_t j = rng_.below(2 * cfg_.jitter_ns + 1);
        d = d + j >= cfg_.jitter_ns ? d + j - cfg_.jitter_ns : 0;
    }
    return d;
}

std::uint64_t DhcpClient::renew_wait(std::uint64_t now, std::uint64_t until) const {
    std::uint64_t half = until > now ? (until - now) / 2 : 0;
    if (half < cfg_.min_renew_retransmit_ns) half = cfg_.min_renew_retransmit_ns;
    std::uint64_t at = now + half;
    return at < until ? at : until;
}

void DhcpClient::send(const wire::DhcpRepr& msg, Ipv4Addr dst, std::uint64_t now) {
    std::array<std::uint8_t, 576> buf;
    auto n = msg.emit(buf);
    if (!n) {
        ++counters.send_errors;
        return;
    }
    SendOptions opt;
    // Before we have an address (and while requesting it) the source is 0.0.0.0.
    if (state_ == DhcpState::selecting || state_ == DhcpState::requesting || !ifc_.ipv4())
        opt.src = Ipv4Addr::any();
    if (!ifc_.udp_send(wire::kDhcpClientPort, dst, wire::kDhcpServerPort, {buf.data(), *n}, now, opt))
        ++counters.send_errors;
}

void DhcpClient::restart(std::uint64_t now) {
    ++counters.restarts;
    if (lease_) {
        ifc_.clear_ipv4();
        lease_.reset();
    }
    send_discover(now);
}

void DhcpClient::send_discover(std::uint64_t now) {
    if (state_ != DhcpState::selecting) {  // a new transaction
        xid_ = std::uint32_t(rng_.next_u64());
        attempt_ = 0;
    }
    state_ = DhcpState::selecting;
    wire::DhcpRepr m = wire::DhcpRepr::discover(xid_, ifc_.mac());
    m.broadcast = true;
    send(m, Ipv4Addr::broadcast(), now);
    ++counters.discovers;
    deadline_ = now + backoff(attempt_++);
}

void DhcpClient::send_request(std::uint64_t now) {
    wire::DhcpRepr m;
    Ipv4Addr dst = Ipv4Addr::broadcast();
    switch (state_) {
        case DhcpState::requesting:
            m = wire::DhcpRepr::request(xid_, ifc_.mac(), offered_, server_);
            m.broadcast = true;
            break;
        case DhcpState::renewing:
            m = wire::DhcpRepr::renew(xid_, ifc_.mac(), lease_->address.address());
            dst = lease_->server;
            break;
        case DhcpState::rebinding:
            m = wire::DhcpRepr::renew(xid_, ifc_.mac(), lease_->address.address());
            break;
        default: return;
    }
    // Lease times count from when the request was sent (RFC 2131 §4.4.1): the first REQUEST of
    // a selection, the latest one while renewing/rebinding (they are minutes apart).
    if (state_ != DhcpState::requesting) exchange_start_ = now;
    send(m, dst, now);
    ++counters.requests;
}

void DhcpClient::poll(std::uint64_t now) {
    while (auto d = sock_.front()) {
        if (d->src_port == wire::kDhcpServerPort) input(d->data, now);
        else ++counters.ignored;
        sock_.pop();
    }
    // A short lease can make several deadlines due at once (T1, T2, expiry): run them all, so
    // that afterwards next_deadline() is in the future. Each step moves the state forward.
    for (int i = 0; i < 8 && (!started_ || now >= deadline_); ++i) timer(now);
}

void DhcpClient::timer(std::uint64_t now) {
    if (!started_) {
        started_ = true;
        if (cfg_.initial_delay_max_ns) {
            deadline_ = now + rng_.below(cfg_.initial_delay_max_ns + 1);
            return;
        }
    }
    switch (state_) {
        case DhcpState::init:
        case DhcpState::selecting: send_discover(now); break;
        case DhcpState::requesting:
            if (attempt_ >= cfg_.max_request_attempts) {
                state_ = DhcpState::init;
                restart(now);
                break;
            }
            send_request(now);
            deadline_ = now + backoff(attempt_++);
            break;
        case DhcpState::bound:
            // T1: renew with the server that gave the lease.
            state_ = DhcpState::renewing;
            xid_ = std::uint32_t(rng_.next_u64());
            exchange_start_ = now;
            send_request(now);
            deadline_ = renew_wait(now, lease_->t2);
            break;
        case DhcpState::renewing:
            if (now >= lease_->t2) {  // T2: ask any server
                state_ = DhcpState::rebinding;
                send_request(now);
                deadline_ = renew_wait(now, lease_->expiry);
            } else {
                send_request(now);
                deadline_ = renew_wait(now, lease_->t2);
            }
            break;
        case DhcpState::rebinding:
            if (now >= lease_->expiry) {
                state_ = DhcpState::init;
                restart(now);
            } else {
                send_request(now);
                deadline_ = renew_wait(now, lease_->expiry);
            }
            break;
    }
}

void DhcpClient::input(std::span<const std::uint8_t> message, std::uint64_t now) {
    auto pkt = wire::DhcpPacket::check(message);
    if (!pkt) {
        ++counters.ignored;
        return;
    }
    auto m = wire::DhcpRepr::parse(*pkt);
    if (!m || m->op != wire::DhcpOp::Reply || m->xid != xid_ || m->client_hw != ifc_.mac()) {
        ++counters.ignored;
        return;
    }
    switch (m->message_type) {
        case wire::DhcpMessageType::Offer:
            if (state_ != DhcpState::selecting || !m->server_id || !m->yiaddr.is_unicast()) {
                ++counters.ignored;
                return;
            }
            ++counters.offers;
            offered_ = m->yiaddr;
            server_ = *m->server_id;
            state_ = DhcpState::requesting;
            attempt_ = 0;
            exchange_start_ = now;
            send_request(now);
            deadline_ = now + backoff(attempt_++);
            return;
        case wire::DhcpMessageType::Ack:
            if (state_ != DhcpState::requesting && state_ != DhcpState::renewing &&
                state_ != DhcpState::rebinding) {
                ++counters.ignored;
                return;
            }
            if (state_ == DhcpState::requesting && m->server_id && *m->server_id != server_) {
                ++counters.ignored;
                return;
            }
            if (!m->yiaddr.is_unicast()) {
                ++counters.ignored;
                return;
            }
            ++counters.acks;
            bind(*m, now);
            return;
        case wire::DhcpMessageType::Nak:
            if (state_ != DhcpState::requesting && state_ != DhcpState::renewing &&
                state_ != DhcpState::rebinding) {
                ++counters.ignored;
                return;
            }
            if (state_ == DhcpState::requesting && m->server_id && *m->server_id != server_) {
                ++counters.ignored;
                return;
            }
            ++counters.naks;
            state_ = DhcpState::init;
            restart(now);
            return;
        default: ++counters.ignored; return;
    }
}

void DhcpClient::bind(const wire::DhcpRepr& ack, std::uint64_t now) {
    DhcpLease l;
    std::uint8_t prefix = classful_prefix(ack.yiaddr);
    if (ack.subnet_mask)
        if (auto p = Ipv4Cidr::prefix_from_netmask(*ack.subnet_mask); p && *p > 0 && *p < 32) prefix = *p;
    l.address = *Ipv4Cidr::make(ack.yiaddr, prefix);
    if (ack.router && ack.router->is_unicast() && l.address.contains(*ack.router)) l.router = ack.router;
    l.dns = ack.dns_servers;
    l.dns_count = ack.dns_count;
    l.server = ack.server_id ? *ack.server_id : (state_ == DhcpState::renewing && lease_ ? lease_->server : server_);
    l.lease_s = ack.lease_time ? *ack.lease_time : cfg_.default_lease_s;
    l.acquired = exchange_start_;
    if (l.lease_s != kInfinite) {
        const std::uint64_t lease_ns = std::uint64_t(l.lease_s) * kSecond;
        std::uint64_t t1 = lease_ns / 2, t2 = lease_ns / 8 * 7;  // RFC 2131 §4.4.5 defaults
        if (ack.renewal_time) t1 = std::uint64_t(*ack.renewal_time) * kSecond;
        if (ack.rebinding_time) t2 = std::uint64_t(*ack.rebinding_time) * kSecond;
        if (!(t1 < t2 && t2 < lease_ns)) {
            t1 = lease_ns / 2;
            t2 = lease_ns / 8 * 7;
        }
        l.t1 = l.acquired + t1;
        l.t2 = l.acquired + t2;
        l.expiry = l.acquired + lease_ns;
    }
    const bool changed = !lease_ || lease_->address != l.address || lease_->router != l.router ||
                         !ifc_.ipv4() || *ifc_.ipv4() != l.address;
    lease_ = l;
    if (changed) ifc_.set_ipv4(l.address, l.router, now);
    ifc_.set_dns({l.dns.data(), l.dns_count});
    state_ = DhcpState::bound;
    attempt_ = 0;
    deadline_ = l.t1;
}

}  // namespace unikit::net::stack
