#include "net/tcp/stack.h"

#include <algorithm>

namespace unikit::net::tcp {

namespace f = wire::tcp_flags;

TcpStack::TcpStack(const TcpConfig& cfg, const IsnSecret& secret, std::span<TcpConnection> slots,
                   std::span<TcpListener> listeners, TcpOutput& out)
    : cfg_(cfg), secret_(secret), slots_(slots), listeners_(listeners), out_(out) {
    cfg_.mss = std::clamp<uint16_t>(cfg_.mss, 64, kMaxMss);
    for (auto& c : slots_) {
        c.set_sink(this);
        c.owner = {};
    }
    // Start the ephemeral port search somewhere that depends on the secret (RFC 6056 spirit).
    next_ephemeral_ = uint16_t(49152 + siphash24(secret_, std::span<const uint8_t>{}) % 16384);
}

uint32_t TcpStack::isn_for(const FourTuple& t, Instant now) const {
    return make_isn(secret_, std::span<const uint8_t, 4>(t.local_addr.octets), t.local_port,
                    std::span<const uint8_t, 4>(t.remote_addr.octets), t.remote_port, now);
}

std::size_t TcpStack::connections_in_use() const {
    std::size_t n = 0;
    for (const auto& c : slots_) n += c.owner.in_use ? 1 : 0;
    return n;
}

TcpConnection* TcpStack::find(const FourTuple& t) {
    for (auto& c : slots_)
        if (c.owner.in_use && c.state() != State::closed && c.tuple() == t) return &c;
    return nullptr;
}

int TcpStack::find_listener(Ipv4Addr addr, uint16_t port) const {
    int wildcard = -1;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        const auto& l = listeners_[i];
        if (!l.in_use || l.port != port) continue;
        if (l.addr == addr) return int(i);
        if (l.addr.is_unspecified()) wildcard = int(i);
    }
    return wildcard;
}

TcpConnection* TcpStack::alloc_slot() {
    for (auto& c : slots_)
        if (!c.owner.in_use) return &c;
    // Recycle the oldest TIME-WAIT connection (RFC 6191-style reuse, without the timestamp test).
    TcpConnection* victim = nullptr;
    for (auto& c : slots_)
        if (c.state() == State::time_wait && !c.owner.user_owned && (!victim || c.owner.order < victim->owner.order))
            victim = &c;
    if (victim) {
        ++stats_.tw_recycled;
        free_slot(*victim);
        return victim;
    }
    return nullptr;
}

void TcpStack::free_slot(TcpConnection& c) {
    c.owner = {};
    c.discard();
}

void TcpStack::reap(TcpConnection& c) {
    if (c.owner.in_use && c.state() == State::closed && !c.owner.user_owned) c.owner = {};
}

std::expected<int, TcpErrc> TcpStack::listen(Ipv4Addr addr, uint16_t port, uint16_t backlog, uint16_t max_half_open) {
    if (port == 0 || backlog == 0) return std::unexpected(TcpErrc::invalid);
    for (const auto& l : listeners_)
        if (l.in_use && l.port == port && l.addr == addr) return std::unexpected(TcpErrc::address_in_use);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].in_use) continue;
        listeners_[i] = {true, addr, port, backlog, max_half_open ? std::min(max_half_open, backlog) : backlog};
        return int(i);
    }
    return std::unexpected(TcpErrc::no_resources);
}

void TcpStack::unlisten(int li, Instant now) {
    if (li < 0 || std::size_t(li) >= listeners_.size()) return;
    for (auto& c : slots_) {
        if (c.owner.in_use && c.owner.listener == li && c.owner.pending_accept) {
            c.abort(now);
            c.owner = {};
        } else if (c.owner.listener == li) {
            c.owner.listener = -1;
        }
    }
    listeners_[std::size_t(li)] = {};
}

TcpConnection* TcpStack::accept(int li) {
    TcpConnection* best = nullptr;
    for (auto& c : slots_) {
        if (!c.owner.in_use || !c.owner.pending_accept || c.owner.listener != li) continue;
        if (c.state() == State::syn_received || c.state() == State::closed) continue;
        if (!best || c.owner.order < best->owner.order) best = &c;
    }
    if (best) {
        best->owner.pending_accept = false;
        best->owner.user_owned = true;
    }
    return best;
}

std::expected<TcpConnection*, TcpErrc> TcpStack::connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                                         uint16_t remote_port, Instant now) {
    if (remote_port == 0 || remote.is_unspecified() || local.is_unspecified()) return std::unexpected(TcpErrc::invalid);
    FourTuple t{local, remote, local_port, remote_port};
    if (local_port == 0) {
        bool found = false;
        for (int tries = 0; tries < 16384 && !found; ++tries) {
            t.local_port = next_ephemeral_;
            next_ephemeral_ = uint16_t(next_ephemeral_ == 65535 ? 49152 : next_ephemeral_ + 1);
            found = find(t) == nullptr && find_listener(local, t.local_port) < 0;
        }
        if (!found) return std::unexpected(TcpErrc::address_in_use);
    } else if (find(t)) {
        return std::unexpected(TcpErrc::address_in_use);
    }
    TcpConnection* c = alloc_slot();
    if (!c) return std::unexpected(TcpErrc::no_resources);
    c->owner = {true, true, false, -1, ++order_};
    c->connect(t, isn_for(t, now), cfg_, now);
    return c;
}

void TcpStack::release(TcpConnection* c, Instant now) {
    if (!c || !c->owner.in_use) return;
    c->owner.user_owned = false;
    if (c->recv_available() > 0)
        c->abort(now);
    else
        c->close(now);
    c->set_orphan(true, now);
    reap(*c);
}

void TcpStack::input(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment, Instant now, bool csum_valid) {
    TcpSegment seg;
    auto r = wire::parse_tcp(segment, src, dst, &seg.payload, !csum_valid);
    if (!r) {
        ++stats_.bad_segments;
        return;
    }
    seg.hdr = *r;
    input_parsed(src, dst, seg, now);
}

void TcpStack::input_parsed(Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg, Instant now) {
    ++stats_.segs_in;
    // TCP is unicast only (RFC 1122 §4.2.3.10).
    if (!src.is_unicast() || !dst.is_unicast()) return;
    const FourTuple t{dst, src, seg.hdr.dst_port, seg.hdr.src_port};
    if (TcpConnection* c = find(t)) {
        const State before = c->state();
        c->on_segment(seg, now);
        // A half-open connection completed its handshake: it is ready for accept().
        if (c->owner.pending_accept && c->owner.listener >= 0 && before == State::syn_received &&
            c->state() != State::syn_received && c->state() != State::closed)
            out_.notify_listener(c->owner.listener);
        out_.notify(*c);
        reap(*c);
        return;
    }
    const int li = find_listener(dst, seg.hdr.dst_port);
    if (li >= 0) {
        if (seg.hdr.has(f::rst)) return;
        if (seg.hdr.has(f::ack)) {
            send_rst_for(src, dst, seg);
            return;
        }
        if (seg.hdr.has(f::syn)) on_listener_syn(li, src, dst, seg, now);
        return;
    }
    send_rst_for(src, dst, seg);
}

void TcpStack::on_listener_syn(int li, Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg, Instant now) {
    const TcpListener& l = listeners_[std::size_t(li)];
    std::size_t queued = 0, half_open = 0;
    TcpConnection* oldest_half = nullptr;
    for (auto& c : slots_) {
        if (!c.owner.in_use || !c.owner.pending_accept || c.owner.listener != li) continue;
        ++queued;
        if (c.state() == State::syn_received) {
            ++half_open;
            if (!oldest_half || c.owner.order < oldest_half->owner.order) oldest_half = &c;
        }
    }
    TcpConnection* slot = nullptr;
    if (half_open >= l.max_half_open && oldest_half) {
        // Half-open queue full: the oldest half-open connection makes room (silently: a real
        // client retransmits its SYN; a spoofed one never answered anyway).
        ++stats_.syn_evicted;
        free_slot(*oldest_half);
        slot = oldest_half;
    } else if (queued >= l.backlog) {
        ++stats_.syn_dropped;  // accept queue full: drop; the client will retry
        return;
    } else {
        slot = alloc_slot();
        if (!slot) {
            // No slot at all: evict the oldest half-open connection of any listener.
            for (auto& c : slots_)
                if (c.owner.in_use && c.owner.pending_accept && c.state() == State::syn_received &&
                    (!slot || c.owner.order < slot->owner.order))
                    slot = &c;
            if (!slot) {
                ++stats_.syn_dropped;
                return;
            }
            ++stats_.syn_evicted;
            free_slot(*slot);
        }
    }
    const FourTuple t{dst, src, seg.hdr.dst_port, seg.hdr.src_port};
    slot->owner = {true, false, true, int16_t(li), ++order_};
    slot->accept_syn(t, isn_for(t, now), seg, cfg_, now);
}

void TcpStack::send_rst_for(Ipv4Addr src, Ipv4Addr dst, const TcpSegment& seg) {
    // RFC 9293 §3.10.7.1 (CLOSED): never answer a RST; ACK -> <SEQ=SEG.ACK><CTL=RST>;
    // otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    if (seg.hdr.has(f::rst)) return;
    wire::TcpRepr r;
    r.src_port = seg.hdr.dst_port;
    r.dst_port = seg.hdr.src_port;
    if (seg.hdr.has(f::ack)) {
        r.seq = seg.hdr.ack;
        r.flags = f::rst;
    } else {
        r.seq = 0;
        r.ack = seg.hdr.seq + seg.seg_len();
        r.flags = f::rst | f::ack;
    }
    ++stats_.rst_sent;
    transmit_repr(dst, src, r, {});
}

void TcpStack::transmit_repr(Ipv4Addr src, Ipv4Addr dst, const wire::TcpRepr& hdr, Ring::Pieces payload) {
    auto hl = hdr.emit_header(scratch_);
    if (!hl) return;
    const std::size_t total = *hl + payload.size();
    if (total > scratch_.size()) return;
    std::copy(payload.first.begin(), payload.first.end(), scratch_.begin() + std::ptrdiff_t(*hl));
    std::copy(payload.second.begin(), payload.second.end(),
              scratch_.begin() + std::ptrdiff_t(*hl + payload.first.size()));
    auto seg = std::span<uint8_t>(scratch_.data(), total);
    wire::fill_tcp_checksum(seg, src, dst);
    out_.transmit(src, dst, seg);
}

void TcpStack::emit(const TcpConnection& conn, const wire::TcpRepr& hdr, Ring::Pieces payload) {
    if (hdr.has(f::rst)) ++stats_.rst_sent;
    transmit_repr(conn.tuple().local_addr, conn.tuple().remote_addr, hdr, payload);
}

void TcpStack::on_timer(Instant now) {
    for (auto& c : slots_) {
        if (!c.owner.in_use) continue;
        if (c.next_deadline() <= now) {
            c.on_timer(now);
            out_.notify(c);
        }
        reap(c);
    }
}

void TcpStack::flush_acks(Instant now) {
    if (!cfg_.stretch_acks) return;
    for (auto& c : slots_)
        if (c.owner.in_use && c.ack_pending()) c.flush_ack(now);
}

Instant TcpStack::next_deadline() const {
    Instant d = kNever;
    for (const auto& c : slots_)
        if (c.owner.in_use) d = std::min(d, c.next_deadline());
    return d;
}

}  // namespace unikit::net::tcp
