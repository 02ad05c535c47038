#include "net/stack/interface.h"

#include <cstring>

#include "net/wire/arp.h"
#include "net/wire/checksum.h"
#include "net/wire/ethernet.h"
#include "net/wire/icmpv4.h"
#include "net/wire/ipv4.h"
#include "net/wire/udp.h"

namespace unikit::net::stack {

namespace {
constexpr std::size_t kEth = wire::kEthernetHeaderLen;
constexpr std::size_t kIp = wire::kIpv4HeaderLen;
constexpr std::uint8_t kProtoIcmp = std::uint8_t(wire::IpProtocol::Icmp);
constexpr std::uint8_t kProtoUdp = std::uint8_t(wire::IpProtocol::Udp);
constexpr std::size_t kIcmpErrorMax = 576 - kIp;  // RFC 1812: errors fit in 576 bytes

MacAddr multicast_mac(Ipv4Addr a) {
    return MacAddr{{0x01, 0x00, 0x5e, std::uint8_t(a.octets[1] & 0x7f), a.octets[2], a.octets[3]}};
}
}  // namespace

Interface::Interface(MacAddr mac, dev::FrameSink& tx, const InterfaceConfig& cfg)
    : mac_(mac), tx_(tx), cfg_(cfg), next_ident_(cfg.ident_seed), icmp_tokens_(cfg.icmp_error_burst) {
    if (cfg_.mtu > kMaxMtu) cfg_.mtu = kMaxMtu;
    if (cfg_.mtu < 68) cfg_.mtu = 68;  // RFC 791: every host must accept 68
    reasm_.configure(cfg_.reassembly);
}

// ---- configuration ----------------------------------------------------------------------------

void Interface::set_ipv4(Ipv4Cidr addr, std::optional<Ipv4Addr> gateway, std::uint64_t now) {
    addr_ = addr;
    gateway_ = gateway;
    // Gratuitous ARP (an announcement, RFC 5227 §2.3): sender = target = our address.
    send_arp(std::uint16_t(wire::ArpOperation::Request), MacAddr::broadcast(), MacAddr::zero(),
             addr.address(), addr.address());
}

void Interface::clear_ipv4() {
    addr_.reset();
    gateway_.reset();
}

void Interface::set_dns(std::span<const Ipv4Addr> servers) {
    dns_.clear();
    for (auto s : servers)
        if (!dns_.push_back(s)) break;
}

bool Interface::is_broadcast_for_us(Ipv4Addr a) const {
    if (a.is_broadcast()) return true;
    return addr_ && addr_->prefix_len() < 31 && a == addr_->broadcast();
}

// ---- input ------------------------------------------------------------------------------------

void Interface::receive(std::span<const std::uint8_t> frame, std::uint64_t now, std::uint32_t flags) {
    ++counters.rx_frames;
    auto eth = wire::EthernetFrame::check(frame);
    if (!eth) {
        ++counters.drop_malformed;
        return;
    }
    const MacAddr dst = eth->dst();
    const bool link_bcast = dst.is_broadcast();
    if (dst != mac_ && !link_bcast) {
        ++counters.drop_not_for_us_mac;
        return;
    }
    if (eth->vlan_tci()) {  // no VLAN support
        ++counters.drop_ethertype;
        return;
    }
    switch (eth->ethertype()) {
        case wire::EtherType::Arp: arp_input(eth->payload(), now); break;
        case wire::EtherType::Ipv4: ipv4_input(eth->payload(), link_bcast, now, (flags & kRxCsumValid) != 0); break;
        default: ++counters.drop_ethertype; break;
    }
}

void Interface::arp_input(std::span<const std::uint8_t> payload, std::uint64_t now) {
    auto pkt = wire::ArpPacket::check(payload);
    if (!pkt) {
        ++counters.drop_malformed;
        return;
    }
    auto arp = wire::ArpRepr::parse(*pkt);
    if (!arp) {
        ++counters.drop_malformed;
        return;
    }
    if (!arp->source_hw.is_unicast() || arp->source_hw == mac_ || arp->source_ip.is_broadcast() ||
        arp->source_ip.is_multicast()) {
        ++counters.drop_arp_other;
        return;
    }
    if (addr_ && arp->source_ip == addr_->address()) {  // someone claims our address
        ++counters.drop_arp_other;
        return;
    }
    const bool for_us = addr_ && arp->target_ip == addr_->address();
    // RFC 826: update an existing entry for the sender; create one only if we are the target.
    if (!arp->source_ip.is_unspecified()) arp_learn(arp->source_ip, arp->source_hw, for_us, now);
    if (!for_us) {
        if (!arp_.find(arp->source_ip)) ++counters.drop_arp_other;
        return;
    }
    if (arp->operation == wire::ArpOperation::Request) {
        send_arp(std::uint16_t(wire::ArpOperation::Reply), arp->source_hw, arp->source_hw, arp->source_ip,
                 addr_->address());
        ++counters.arp_replies_sent;
    }
}

void Interface::arp_learn(Ipv4Addr ip, MacAddr mac, bool create, std::uint64_t now) {
    ArpEntry* e = arp_.find(ip);
    if (!e) {
        if (!create) return;
        std::optional<Ipv4Addr> evicted;
        e = &arp_.allocate(ip, now, &evicted);
        if (evicted) drop_pending(*evicted);
    }
    e->state = ArpEntry::State::reachable;
    e->mac = mac;
    e->deadline = now + cfg_.arp_reachable_ns;
    e->requests = 0;
    flush_pending(ip, mac);
}

void Interface::ipv4_input(std::span<const std::uint8_t> payload, bool link_bcast, std::uint64_t now,
                           bool csum_valid) {
    auto pkt = wire::Ipv4Packet::check(payload);
    if (!pkt) {
        ++counters.drop_malformed;
        return;
    }
    // Longer than the MTU: only a receive-offload packet from a device that delivers them,
    // and never a fragment (fragments are cut to the sender's MTU).
    if (pkt->total_len() > cfg_.mtu) {
        if (!cfg_.rx_large || pkt->is_fragment()) {
            ++counters.drop_too_long;
            return;
        }
        ++counters.rx_large;
    }
    if (csum_valid) ++counters.rx_csum_valid;
    auto ip = wire::Ipv4Repr::parse(*pkt, true);
    if (!ip) {
        if (ip.error() == wire::WireError::BadChecksum) ++counters.drop_bad_checksum;
        else ++counters.drop_malformed;
        return;
    }
    const bool to_bcast = is_broadcast_for_us(ip->dst);
    const bool ours = is_our_address(ip->dst);
    // Until configured, accept UDP to any address: a DHCP server may unicast its offer to the
    // address it offers (RFC 2131 §4.1).
    if (!ours && !to_bcast && !(!addr_ && ip->protocol == kProtoUdp)) {
        ++counters.drop_not_for_us_ip;
        return;
    }
    if (ip->src.is_broadcast() || ip->src.is_multicast() || (addr_ && ip->src == addr_->address()) ||
        (addr_ && addr_->prefix_len() < 31 && ip->src == addr_->broadcast())) {
        ++counters.drop_bad_src;
        return;
    }
    if (ip->ttl == 0) {
        ++counters.drop_ttl;
        return;
    }
    IpDatagram d{ip->src, ip->dst, ip->protocol, ip->ttl, pkt->payload(), csum_valid && !pkt->is_fragment()};
    if (pkt->is_fragment()) {
        auto out = reasm_.add(FragKey{ip->src, ip->dst, ip->protocol, ip->ident}, pkt->frag_offset(),
                              pkt->more_frags(), pkt->payload(), now);
        if (out.status == Reassembler::Status::dropped) ++counters.drop_fragment;
        if (out.status != Reassembler::Status::complete) return;
        d.payload = out.payload;
        d.l4_csum_valid = false;
        deliver(d, {}, to_bcast, now);  // no ICMP errors about reassembled datagrams
        return;
    }
    deliver(d, wire::icmpv4_quote_of(pkt->bytes()), to_bcast, now);
}

void Interface::deliver(const IpDatagram& d, std::span<const std::uint8_t> quote, bool to_bcast,
                        std::uint64_t now) {
    if (d.protocol == kProtoIcmp) return icmp_input(d, to_bcast, now);
    if (d.protocol == kProtoUdp) return udp_input(d, quote, to_bcast, now);
    for (auto& h : handlers_) {
        if (h.protocol == d.protocol) {
            h.h->ip_input(d, now);
            return;
        }
    }
    ++counters.drop_no_protocol;
    if (!to_bcast && !quote.empty())
        send_icmp_error(d.src, std::uint8_t(wire::Icmpv4Type::DestUnreachable),
                        wire::icmpv4_code::kProtoUnreachable, quote, now);
}

void Interface::icmp_input(const IpDatagram& d, bool to_bcast, std::uint64_t now) {
    auto pkt = wire::Icmpv4Packet::check(d.payload);
    if (!pkt) {
        ++counters.drop_malformed;
        return;
    }
    auto icmp = wire::Icmpv4Repr::parse(*pkt, true);
    if (!icmp) {
        if (icmp.error() == wire::WireError::BadChecksum) ++counters.drop_bad_checksum;
        else if (icmp.error() == wire::WireError::Unsupported) ++counters.drop_icmp_other;
        else ++counters.drop_malformed;
        return;
    }
    if (icmp->type != wire::Icmpv4Type::EchoRequest || (to_bcast && !cfg_.reply_to_broadcast_echo) ||
        !addr_) {
        ++counters.drop_icmp_other;
        return;
    }
    // The reply's header is emitted alone; the echoed data is summed into its checksum here so
    // that a large (reassembled) request needs no second copy.
    wire::Icmpv4Repr reply = wire::Icmpv4Repr::echo_reply(*icmp);
    std::span<const std::uint8_t> data = reply.data;
    reply.data = {};
    std::uint8_t hdr[wire::kIcmpv4HeaderLen];
    if (!reply.emit(hdr)) return;
    const std::uint16_t header_only = wire::be::get16(hdr + 2);
    const std::uint16_t ck = wire::finish(wire::sum_partial(data, std::uint16_t(~header_only)));
    wire::be::put16(hdr + 2, ck);
    if (send_ipv4(d.src, kProtoIcmp, hdr, data, now)) ++counters.icmp_echo_replies;
}

void Interface::udp_input(const IpDatagram& d, std::span<const std::uint8_t> quote, bool to_bcast,
                          std::uint64_t now) {
    auto pkt = wire::UdpPacket::check(d.payload);
    if (!pkt) {
        ++counters.drop_malformed;
        return;
    }
    auto udp = wire::UdpRepr::parse(*pkt, d.src, d.dst, !d.l4_csum_valid);
    if (!udp) {
        if (udp.error() == wire::WireError::BadChecksum) ++counters.drop_bad_checksum;
        else ++counters.drop_malformed;
        return;
    }
    for (UdpSocket* s : udp_) {
        if (s->local_port() == udp->dst_port) {
            if (s->deliver(UdpDatagram{d.src, udp->src_port, d.dst, udp->dst_port, pkt->payload()}))
                ++counters.udp_rx;
            else
                ++counters.drop_udp_queue_full;
            return;
        }
    }
    ++counters.drop_udp_no_socket;
    if (!to_bcast && is_our_address(d.dst) && !quote.empty())
        send_icmp_error(d.src, std::uint8_t(wire::Icmpv4Type::DestUnreachable),
                        wire::icmpv4_code::kPortUnreachable, quote, now);
}

bool Interface::icmp_error_allowed(std::uint64_t now) {
    if (cfg_.icmp_error_interval_ns == 0) return true;
    if (!icmp_clock_started_) {
        icmp_clock_started_ = true;
        icmp_last_refill_ = now;
    } else if (now > icmp_last_refill_) {
        std::uint64_t add = (now - icmp_last_refill_) / cfg_.icmp_error_interval_ns;
        if (add > 0) {
            std::uint64_t t = icmp_tokens_ + add;
            icmp_tokens_ = std::uint32_t(t > cfg_.icmp_error_burst ? cfg_.icmp_error_burst : t);
            icmp_last_refill_ += add * cfg_.icmp_error_interval_ns;
        }
    }
    if (icmp_tokens_ == 0) return false;
    --icmp_tokens_;
    return true;
}

void Interface::send_icmp_error(Ipv4Addr to, std::uint8_t type, std::uint8_t code,
                                std::span<const std::uint8_t> quote, std::uint64_t now) {
    if (!icmp_error_allowed(now)) {
        ++counters.icmp_errors_limited;
        return;
    }
    wire::Icmpv4Repr err;
    err.type = wire::Icmpv4Type(type);
    err.code = code;
    err.data = quote.size() > kIcmpErrorMax - wire::kIcmpv4HeaderLen
                   ? quote.first(kIcmpErrorMax - wire::kIcmpv4HeaderLen)
                   : quote;
    std::uint8_t buf[kIcmpErrorMax];
    auto n = err.emit(buf);
    if (!n) return;
    if (send_ipv4(to, kProtoIcmp, {buf, *n}, {}, now)) ++counters.icmp_errors_sent;
}

// ---- output -----------------------------------------------------------------------------------

void Interface::emit(std::span<const std::uint8_t> frame) {
    if (tx_.send_frame(frame)) ++counters.tx_frames;
    else ++counters.tx_sink_full;
}

void Interface::send_arp(std::uint16_t op, MacAddr dst_mac, MacAddr target_hw, Ipv4Addr target_ip,
                         Ipv4Addr sender_ip) {
    std::uint8_t frame[wire::kEthernetMinFrameLen] = {};
    wire::EthernetRepr eth{mac_, dst_mac, wire::EtherType::Arp, std::nullopt};
    if (!eth.emit(frame)) return;
    wire::ArpRepr arp{wire::ArpOperation(op), mac_, sender_ip, target_hw, target_ip};
    if (!arp.emit(std::span<std::uint8_t>(frame).subspan(kEth))) return;
    if (op == std::uint16_t(wire::ArpOperation::Request)) ++counters.arp_requests_sent;
    emit(frame);
}

Result<void> Interface::send_ipv4(Ipv4Addr dst, std::uint8_t protocol, std::span<const std::uint8_t> head,
                                  std::span<const std::uint8_t> body, std::uint64_t now, const SendOptions& opt) {
    const std::size_t total = head.size() + body.size();
    if (total > wire::kIpv4MaxPacketLen - kIp) {
        ++counters.tx_too_big;
        return fail(Error::overflow);
    }
    // Route: the link-layer destination is fixed for broadcast/multicast, else it is the next
    // hop's MAC (on-link: the destination itself; otherwise the gateway).
    std::optional<MacAddr> fixed_mac;
    Ipv4Addr next_hop = dst;
    if (is_broadcast_for_us(dst)) {
        fixed_mac = MacAddr::broadcast();
    } else if (dst.is_multicast()) {
        fixed_mac = multicast_mac(dst);
    } else if (!addr_ || dst.is_unspecified() || is_our_address(dst)) {
        ++counters.tx_no_route;
        return fail(Error::not_found);
    } else if (!addr_->contains(dst)) {
        if (!gateway_) {
            ++counters.tx_no_route;
            return fail(Error::not_found);
        }
        next_hop = *gateway_;
    }

    wire::Ipv4Repr ip;
    ip.src = opt.src ? *opt.src : (addr_ ? addr_->address() : Ipv4Addr::any());
    ip.dst = dst;
    ip.protocol = protocol;
    ip.ttl = opt.ttl ? opt.ttl : cfg_.default_ttl;
    ip.dscp_ecn = opt.dscp_ecn;
    ip.ident = next_ident_;
    ip.dont_frag = opt.dont_frag;

    const std::size_t max_payload = cfg_.mtu - kIp;
    std::size_t chunk = total;
    if (total > max_payload) {
        if (opt.dont_frag) {
            ++counters.tx_too_big;
            return fail(Error::overflow);
        }
        chunk = max_payload & ~std::size_t{7};
    }
    ++next_ident_;

    wire::EthernetRepr eth{mac_, MacAddr::zero(), wire::EtherType::Ipv4, std::nullopt};
    std::size_t off = 0;
    do {
        const std::size_t len = total - off < chunk ? total - off : chunk;
        ip.payload_len = std::uint16_t(len);
        ip.frag_offset = std::uint16_t(off);
        ip.more_frags = off + len < total;
        std::uint8_t* f = txbuf_.data();
        if (!eth.emit(txbuf_) || !ip.emit(std::span<std::uint8_t>(txbuf_).subspan(kEth)))
            return fail(Error::invalid);
        // Copy payload bytes [off, off + len) of head ++ body.
        std::uint8_t* p = f + kEth + kIp;
        std::size_t pos = off, left = len;
        if (pos < head.size()) {
            std::size_t n = head.size() - pos < left ? head.size() - pos : left;
            std::memcpy(p, head.data() + pos, n);
            p += n;
            pos += n;
            left -= n;
        }
        if (left > 0) std::memcpy(p, body.data() + (pos - head.size()), left);
        std::size_t flen = kEth + kIp + len;
        if (flen < wire::kEthernetMinFrameLen) {
            std::memset(f + flen, 0, wire::kEthernetMinFrameLen - flen);
            flen = wire::kEthernetMinFrameLen;
        }
        if (ip.more_frags || off > 0) ++counters.tx_fragments;
        if (fixed_mac) {
            fixed_mac->write(f);
            emit({f, flen});
        } else {
            output_frame({f, flen}, next_hop, false, now);
        }
        off += len;
    } while (off < total);
    return {};
}

void Interface::output_frame(std::span<std::uint8_t> frame, Ipv4Addr next_hop, bool, std::uint64_t now) {
    if (auto m = arp_.lookup(next_hop, now)) {
        m->write(frame.data());
        emit(frame);
        return;
    }
    queue_pending(frame, next_hop);
    ArpEntry* e = arp_.find(next_hop);
    if (e && e->state == ArpEntry::State::incomplete) return;  // a request is already out
    if (!e) {
        std::optional<Ipv4Addr> evicted;
        e = &arp_.allocate(next_hop, now, &evicted);
        if (evicted && *evicted != next_hop) drop_pending(*evicted);
    }
    // New, or reachable but expired: (re)resolve.
    e->state = ArpEntry::State::incomplete;
    e->requests = 1;
    e->deadline = now + cfg_.arp_retry_ns;
    send_arp(std::uint16_t(wire::ArpOperation::Request), MacAddr::broadcast(), MacAddr::zero(), next_hop,
             addr_ ? addr_->address() : Ipv4Addr::any());
}

void Interface::queue_pending(std::span<const std::uint8_t> frame, Ipv4Addr next_hop) {
    if (cfg_.arp_queue_per_dest == 0 || frame.size() > kMaxFrame) {
        ++counters.arp_queue_dropped;
        return;
    }
    std::size_t count = 0;
    Pending* oldest_same = nullptr;
    Pending* oldest_any = nullptr;
    Pending* free_slot = nullptr;
    for (auto& p : pending_) {
        if (!p.used) {
            if (!free_slot) free_slot = &p;
            continue;
        }
        if (!oldest_any || p.seq < oldest_any->seq) oldest_any = &p;
        if (p.next_hop == next_hop) {
            ++count;
            if (!oldest_same || p.seq < oldest_same->seq) oldest_same = &p;
        }
    }
    Pending* slot = free_slot;
    if (count >= cfg_.arp_queue_per_dest) {
        slot = oldest_same;  // drop the oldest packet for this address
        ++counters.arp_queue_dropped;
    } else if (!slot) {
        slot = oldest_any;  // all slots busy: drop the oldest packet overall
        ++counters.arp_queue_dropped;
    }
    slot->used = true;
    slot->next_hop = next_hop;
    slot->seq = pending_seq_++;
    slot->len = std::uint16_t(frame.size());
    std::memcpy(slot->frame.data(), frame.data(), frame.size());
}

void Interface::flush_pending(Ipv4Addr ip, MacAddr mac) {
    for (;;) {
        Pending* next = nullptr;
        for (auto& p : pending_)
            if (p.used && p.next_hop == ip && (!next || p.seq < next->seq)) next = &p;
        if (!next) return;
        mac.write(next->frame.data());
        next->used = false;
        emit({next->frame.data(), next->len});
    }
}

void Interface::drop_pending(Ipv4Addr ip) {
    for (auto& p : pending_) {
        if (p.used && p.next_hop == ip) {
            p.used = false;
            ++counters.arp_failed;
        }
    }
}

std::size_t Interface::arp_pending() const {
    std::size_t n = 0;
    for (auto& p : pending_) n += p.used;
    return n;
}

// ---- timers -----------------------------------------------------------------------------------

void Interface::poll(std::uint64_t now) {
    reasm_.expire(now);
    for (auto& e : arp_.entries()) {
        if (e.state == ArpEntry::State::incomplete && now >= e.deadline) {
            if (e.requests >= cfg_.arp_max_requests) {
                drop_pending(e.ip);
                arp_.remove(e);
                continue;
            }
            ++e.requests;
            e.deadline = now + cfg_.arp_retry_ns;
            send_arp(std::uint16_t(wire::ArpOperation::Request), MacAddr::broadcast(), MacAddr::zero(), e.ip,
                     addr_ ? addr_->address() : Ipv4Addr::any());
        } else if (e.state == ArpEntry::State::reachable && now >= e.deadline) {
            arp_.remove(e);
        }
    }
}

std::uint64_t Interface::next_deadline() const {
    std::uint64_t d = reasm_.next_deadline();
    // Only unresolved entries need a timer; reachable entries expire lazily (lookup checks).
    for (auto& e : arp_.entries())
        if (e.state == ArpEntry::State::incomplete && e.deadline < d) d = e.deadline;
    return d;
}

// ---- protocols and UDP --------------------------------------------------------------------------

Result<void> Interface::set_protocol_handler(std::uint8_t protocol, IpProtocolHandler* h) {
    if (protocol == kProtoIcmp || protocol == kProtoUdp) return fail(Error::invalid);
    for (std::size_t i = 0; i < handlers_.size(); ++i) {
        if (handlers_[i].protocol == protocol) {
            if (h) handlers_[i].h = h;
            else handlers_.erase(i);
            return {};
        }
    }
    if (!h) return {};
    if (!handlers_.push_back(Handler{protocol, h})) return fail(Error::overflow);
    return {};
}

Result<std::uint16_t> Interface::udp_bind(UdpSocket& s, std::uint16_t port) {
    if (s.bound()) return fail(Error::invalid);
    if (udp_.full()) return fail(Error::overflow);
    auto in_use = [&](std::uint16_t p) {
        for (UdpSocket* o : udp_)
            if (o->local_port() == p) return true;
        return false;
    };
    if (port == 0) {
        for (int tries = 0; tries < 16384 && port == 0; ++tries) {
            std::uint16_t cand = next_ephemeral_;
            next_ephemeral_ = next_ephemeral_ == 65535 ? 49152 : std::uint16_t(next_ephemeral_ + 1);
            if (!in_use(cand)) port = cand;
        }
        if (port == 0) return fail(Error::again);
    } else if (in_use(port)) {
        return fail(Error::again);
    }
    s.set_port(port);
    udp_.push_back(&s);
    return port;
}

void Interface::udp_unbind(UdpSocket& s) {
    for (std::size_t i = 0; i < udp_.size(); ++i) {
        if (udp_[i] == &s) {
            udp_.erase(i);
            break;
        }
    }
    s.set_port(0);
}

Result<void> Interface::udp_send(std::uint16_t src_port, Ipv4Addr dst, std::uint16_t dst_port,
                                 std::span<const std::uint8_t> payload, std::uint64_t now,
                                 const SendOptions& opt) {
    const std::size_t len = wire::kUdpHeaderLen + payload.size();
    if (len > wire::kIpv4MaxPacketLen - kIp) {
        ++counters.tx_too_big;
        return fail(Error::overflow);
    }
    const Ipv4Addr src = opt.src ? *opt.src : (addr_ ? addr_->address() : Ipv4Addr::any());
    // The header is built here (not with UdpRepr::emit) so the payload is copied once, straight
    // into the frame(s); the checksum is the same RFC 768 sum over pseudo-header, header, data.
    std::uint8_t hdr[wire::kUdpHeaderLen];
    wire::be::put16(hdr, src_port);
    wire::be::put16(hdr + 2, dst_port);
    wire::be::put16(hdr + 4, std::uint16_t(len));
    wire::be::put16(hdr + 6, 0);
    std::uint32_t sum = wire::pseudo_header_sum_v4(src, dst, kProtoUdp, std::uint16_t(len));
    sum = wire::sum_partial(hdr, sum);
    sum = wire::sum_partial(payload, sum);
    std::uint16_t ck = wire::finish(sum);
    wire::be::put16(hdr + 6, ck == 0 ? 0xffff : ck);
    auto r = send_ipv4(dst, kProtoUdp, hdr, payload, now, opt);
    if (r) ++counters.udp_tx;
    return r;
}

}  // namespace unikit::net::stack
