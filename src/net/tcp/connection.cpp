#include "net/tcp/connection.h"

#include <algorithm>
#include <new>

namespace unikit::net::tcp {

namespace f = wire::tcp_flags;

const char* to_string(State s) {
    switch (s) {
        case State::closed: return "CLOSED";
        case State::listen: return "LISTEN";
        case State::syn_sent: return "SYN-SENT";
        case State::syn_received: return "SYN-RECEIVED";
        case State::established: return "ESTABLISHED";
        case State::fin_wait_1: return "FIN-WAIT-1";
        case State::fin_wait_2: return "FIN-WAIT-2";
        case State::close_wait: return "CLOSE-WAIT";
        case State::closing: return "CLOSING";
        case State::last_ack: return "LAST-ACK";
        case State::time_wait: return "TIME-WAIT";
    }
    return "?";
}

const char* to_string(TcpErrc e) {
    switch (e) {
        case TcpErrc::none: return "none";
        case TcpErrc::refused: return "refused";
        case TcpErrc::reset: return "reset";
        case TcpErrc::timed_out: return "timed_out";
        case TcpErrc::aborted: return "aborted";
        case TcpErrc::closed: return "closed";
        case TcpErrc::invalid: return "invalid";
        case TcpErrc::no_resources: return "no_resources";
        case TcpErrc::address_in_use: return "address_in_use";
    }
    return "?";
}

bool TcpConnection::is_synchronized() const {
    switch (state_) {
        case State::closed:
        case State::listen:
        case State::syn_sent: return false;
        default: return true;
    }
}

bool TcpConnection::can_send_state() const {
    return state_ == State::syn_sent || state_ == State::syn_received || state_ == State::established ||
           state_ == State::close_wait;
}

void TcpConnection::reset_tcb() {
    Ring tx = tx_, rx = rx_;
    SegmentSink* sink = sink_;
    Owner o = owner;
    tx.clear();
    rx.clear();
    // Re-initialise every field but the buffers, the sink and the owner's bookkeeping.
    this->~TcpConnection();
    new (this) TcpConnection();
    tx_ = tx;
    rx_ = rx;
    sink_ = sink;
    owner = o;
}

void TcpConnection::init_common(const FourTuple& t, uint32_t iss, const TcpConfig& cfg, Instant now) {
    reset_tcb();
    cfg_ = cfg;
    cfg_.mss = std::clamp<uint16_t>(cfg_.mss, 64, kMaxMss);
    nagle_ = cfg_.nagle;
    tuple_ = t;
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
    tx_seq_ = iss + 1;
    recover_ = iss;
    rto_ = std::clamp(cfg_.rto_initial, cfg_.rto_min, cfg_.rto_max);
    // Our receive window scale: the smallest shift that lets the whole buffer be advertised.
    rcv_wscale_ = 0;
    if (cfg_.window_scaling)
        while (rcv_wscale_ < 14 && (rx_.capacity() >> rcv_wscale_) > 0xffff) ++rcv_wscale_;
    snd_mss_ = 536;
    (void)now;
}

void TcpConnection::apply_syn_options(const wire::TcpRepr& h) {
    const uint16_t peer_mss = h.options.mss.value_or(536);
    snd_mss_ = std::clamp<uint16_t>(std::min(peer_mss, cfg_.mss), 64, kMaxMss);
    if (cfg_.window_scaling && h.options.window_scale) {
        snd_wscale_ = std::min<uint8_t>(*h.options.window_scale, 14);
    } else {
        snd_wscale_ = 0;
        rcv_wscale_ = 0;
    }
    sack_ok_ = cfg_.sack && h.options.sack_permitted;
    // RFC 5681 (3): IW = min(4*SMSS, max(2*SMSS, 4380)).
    cwnd_ = std::min<uint32_t>(4u * snd_mss_, std::max<uint32_t>(2u * snd_mss_, 4380));
    ssthresh_ = 0x7fffffff;
}

void TcpConnection::connect(const FourTuple& t, uint32_t iss, const TcpConfig& cfg, Instant now) {
    init_common(t, iss, cfg, now);
    state_ = State::syn_sent;
    output(now);
}

void TcpConnection::accept_syn(const FourTuple& t, uint32_t iss, const TcpSegment& syn, const TcpConfig& cfg,
                               Instant now) {
    init_common(t, iss, cfg, now);
    passive_ = true;
    irs_ = syn.hdr.seq;
    rcv_nxt_ = irs_ + 1;
    apply_syn_options(syn.hdr);
    snd_wnd_ = max_snd_wnd_ = syn.hdr.window;  // never scaled in a SYN
    snd_wl1_ = syn.hdr.seq;
    snd_wl2_ = iss;
    state_ = State::syn_received;
    output(now);
}

void TcpConnection::enter(State s, Instant now) {
    state_ = s;
    if (s == State::established) {
        touch_keepalive(now);
    } else if (s == State::time_wait) {
        timewait_at_ = now + 2 * cfg_.msl;
        rtx_at_ = persist_at_ = keepalive_at_ = delack_at_ = finwait2_at_ = kNever;
    } else if (s == State::fin_wait_2 && orphan_) {
        finwait2_at_ = now + cfg_.fin_wait_2_timeout;
    } else if (s == State::closed) {
        rtx_at_ = persist_at_ = keepalive_at_ = delack_at_ = timewait_at_ = finwait2_at_ = kNever;
    }
}

void TcpConnection::fail(TcpErrc e) {
    error_ = e;
    enter(State::closed, 0);
    tx_.clear();
}

void TcpConnection::set_orphan(bool v, Instant now) {
    orphan_ = v;
    if (v && state_ == State::fin_wait_2 && finwait2_at_ == kNever) finwait2_at_ = now + cfg_.fin_wait_2_timeout;
}

// ---------------------------------------------------------------------------------------------
// Input

void TcpConnection::on_segment(const TcpSegment& seg, Instant now) {
    ++stats_.segs_in;
    switch (state_) {
        case State::closed:
        case State::listen: return;  // the owner answers for closed/listening ports
        case State::syn_sent: on_syn_sent(seg, now); break;
        default: on_synchronized(seg, now); break;
    }
    if (state_ != State::closed) output(now);
}

void TcpConnection::on_syn_sent(const TcpSegment& seg, Instant now) {
    const auto& h = seg.hdr;
    if (h.has(f::ack)) {
        if (seq_le(h.ack, iss_) || seq_gt(h.ack, snd_max_)) {
            if (!h.has(f::rst)) send_control(h.ack, f::rst, now);
            return;
        }
    }
    if (h.has(f::rst)) {
        if (h.has(f::ack)) fail(TcpErrc::refused);
        return;
    }
    if (!h.has(f::syn)) return;
    irs_ = h.seq;
    rcv_nxt_ = h.seq + 1;
    apply_syn_options(h);
    if (h.has(f::ack)) {
        if (timing_ && seq_ge(h.ack, rtt_seq_)) {
            rtt_sample(now - rtt_start_);
            timing_ = false;
        }
        snd_una_ = h.ack;
        if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
        snd_wnd_ = max_snd_wnd_ = h.window;  // SYN-ACK window is not scaled
        snd_wl1_ = h.seq;
        snd_wl2_ = h.ack;
        rtx_at_ = kNever;
        retries_ = 0;
        enter(fin_queued_ ? State::fin_wait_1 : State::established, now);
        ack_now_ = true;
    } else {
        // Simultaneous open: answer with SYN-ACK from SYN_RECEIVED.
        snd_wnd_ = max_snd_wnd_ = h.window;
        snd_wl1_ = h.seq;
        snd_wl2_ = iss_;
        snd_nxt_ = iss_;
        timing_ = false;
        enter(State::syn_received, now);
    }
}

void TcpConnection::send_challenge_ack(Instant now) {
    if (now - challenge_window_start_ >= 1_s || now < challenge_window_start_) {
        challenge_window_start_ = now;
        challenge_count_ = 0;
    }
    if (challenge_count_ >= cfg_.challenge_ack_limit) return;
    ++challenge_count_;
    ++stats_.challenge_acks;
    send_control(snd_nxt_, f::ack, now);
}

void TcpConnection::on_synchronized(const TcpSegment& seg, Instant now) {
    const auto& h = seg.hdr;
    const uint32_t len = seg.seg_len();
    const uint32_t wnd = recv_window();

    // RFC 9293 §3.10.7.4, first: sequence number acceptability.
    bool ok;
    if (len == 0)
        ok = wnd == 0 ? h.seq == rcv_nxt_ : seq_in(h.seq, rcv_nxt_, rcv_nxt_ + wnd);
    else
        ok = wnd != 0 && (seq_in(h.seq, rcv_nxt_, rcv_nxt_ + wnd) || seq_in(h.seq + len - 1, rcv_nxt_, rcv_nxt_ + wnd));
    if (!ok) {
        if (h.has(f::rst)) return;
        // A retransmitted SYN while we are in SYN_RECEIVED: our SYN-ACK was lost; send it again.
        if (state_ == State::syn_received && h.has(f::syn) && !h.has(f::ack) && h.seq == irs_) {
            snd_nxt_ = iss_;
            return;
        }
        if (state_ == State::time_wait && h.has(f::fin)) timewait_at_ = now + 2 * cfg_.msl;
        ack_now_ = true;
        return;
    }
    touch_keepalive(now);

    // Second: RST (RFC 5961 §3: exact match resets, anything else in the window is challenged).
    if (h.has(f::rst)) {
        if (h.seq != rcv_nxt_) {
            send_challenge_ack(now);
            return;
        }
        switch (state_) {
            case State::syn_received:
                fail(passive_ ? TcpErrc::reset : TcpErrc::refused);
                break;
            case State::closing:
            case State::last_ack:
            case State::time_wait:
                enter(State::closed, now);
                break;
            default:
                fail(TcpErrc::reset);
                break;
        }
        return;
    }

    // Fourth: SYN in a synchronized state (RFC 5961 §4): challenge ACK, drop.
    if (h.has(f::syn)) {
        send_challenge_ack(now);
        return;
    }

    // Fifth: ACK.
    if (!h.has(f::ack)) return;
    if (state_ == State::syn_received) {
        if (!(seq_lt(snd_una_, h.ack) && seq_le(h.ack, snd_max_))) {
            send_control(h.ack, f::rst, now);
            return;
        }
        snd_wnd_ = uint32_t(h.window) << snd_wscale_;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = h.seq;
        snd_wl2_ = h.ack;
        enter(fin_queued_ ? State::fin_wait_1 : State::established, now);
    }
    if (!process_ack(seg, now)) return;
    const bool fin_acked = fin_queued_ && seq_gt(snd_una_, fin_seq());
    switch (state_) {
        case State::fin_wait_1:
            if (fin_acked) enter(State::fin_wait_2, now);
            break;
        case State::closing:
            if (fin_acked) enter(State::time_wait, now);
            break;
        case State::last_ack:
            if (fin_acked) {
                enter(State::closed, now);
                return;
            }
            break;
        default: break;
    }

    // Seventh: segment text. Eighth: FIN.
    process_data(seg, now);
}

bool TcpConnection::process_ack(const TcpSegment& seg, Instant now) {
    const auto& h = seg.hdr;
    const uint32_t ack = h.ack;
    // RFC 5961 §5: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (we use the highest
    // sequence number sent, which is what SND.NXT means without go-back-N).
    if (seq_gt(ack, snd_max_) || seq_lt(ack, snd_una_ - max_snd_wnd_)) {
        ack_now_ = true;
        return false;
    }
    const uint32_t new_wnd = uint32_t(h.window) << snd_wscale_;
    if (seq_gt(ack, snd_una_)) {
        if (timing_ && seq_ge(ack, rtt_seq_)) {
            rtt_sample(now - rtt_start_);
            timing_ = false;
        }
        const uint32_t data_acked = uint32_t(std::clamp<int32_t>(seq_diff(ack, tx_seq_), 0, int32_t(tx_.size())));
        const uint32_t acked = data_acked;  // SYN and FIN do not grow or deflate the window
        tx_.consume(data_acked);
        tx_seq_ += data_acked;
        snd_una_ = ack;
        if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
        retries_ = 0;
        rto_recovery_ = false;
        keepalive_sent_ = 0;

        if (in_recovery_) {
            if (seq_ge(ack, recover_)) {
                // Full ACK: leave fast recovery (RFC 6582 §3.2 step 3, option 1).
                cwnd_ = std::min(ssthresh_, std::max(flight_size(), uint32_t(snd_mss_)) + snd_mss_);
                in_recovery_ = false;
                dupacks_ = 0;
            } else {
                // Partial ACK: retransmit the next hole, deflate the window.
                ++stats_.partial_acks;
                transmit_at(snd_una_, snd_mss_, now);
                ++stats_.retransmits;
                cwnd_ = (cwnd_ > acked ? cwnd_ - acked : 0) + (acked >= snd_mss_ ? snd_mss_ : 0);
                cwnd_ = std::max<uint32_t>(cwnd_, snd_mss_);
                arm_rtx(now);
            }
        } else {
            dupacks_ = 0;
            if (cwnd_ < ssthresh_) {
                cwnd_ += std::min<uint32_t>(acked, snd_mss_);
            } else {
                ca_acc_ += acked;
                if (ca_acc_ >= cwnd_) {
                    ca_acc_ -= cwnd_;
                    cwnd_ += snd_mss_;
                }
            }
        }
        if (snd_una_ == snd_max_) {
            rtx_at_ = kNever;
        } else if (!in_recovery_ || rtx_at_ == kNever) {
            arm_rtx(now);
        }
    } else if (ack == snd_una_ && seg.payload.empty() && !h.has(f::syn) && !h.has(f::fin) &&
               new_wnd == snd_wnd_ && snd_una_ != snd_max_) {
        // Duplicate ACK (RFC 5681 §2).
        ++stats_.dup_acks;
        ++dupacks_;
        if (dupacks_ == 3 && !in_recovery_) {
            if (seq_ge(ack, recover_)) {
                ++stats_.fast_retransmits;
                ssthresh_ = std::max(flight_size() / 2, 2u * snd_mss_);
                recover_ = snd_max_;
                in_recovery_ = true;
                timing_ = false;
                transmit_at(snd_una_, snd_mss_, now);
                ++stats_.retransmits;
                cwnd_ = ssthresh_ + 3u * snd_mss_;
                arm_rtx(now);
            }
        } else if (in_recovery_) {
            cwnd_ += snd_mss_;  // each further dup ACK: a segment has left the network
        }
    }

    // Window update (RFC 9293 §3.10.7.4, SND.WL1/WL2 rule).
    if (seq_lt(snd_wl1_, h.seq) || (snd_wl1_ == h.seq && seq_le(snd_wl2_, ack))) {
        snd_wnd_ = new_wnd;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = h.seq;
        snd_wl2_ = ack;
        if (snd_wnd_ > 0) {
            persist_at_ = kNever;
            persist_interval_ = 0;
        }
    }
    return true;
}

void TcpConnection::process_data(const TcpSegment& seg, Instant now) {
    const auto& h = seg.hdr;
    std::span<const uint8_t> data = seg.payload;
    uint32_t seq = h.seq;
    const bool can_receive =
        state_ == State::established || state_ == State::fin_wait_1 || state_ == State::fin_wait_2;

    if (!data.empty() && can_receive) {
        if (seq_lt(seq, rcv_nxt_)) {  // trim what we already have
            const uint32_t skip = rcv_nxt_ - seq;
            data = skip >= data.size() ? std::span<const uint8_t>{} : data.subspan(skip);
            seq = rcv_nxt_;
        }
        const uint32_t off = seq - rcv_nxt_;
        if (off == 0) {
            const bool had_holes = !ooo_.empty();
            const std::size_t n = rx_.write_at(0, data);
            const uint32_t total = ooo_.advance(uint32_t(n));
            rx_.commit(total);
            rcv_nxt_ += total;
            bytes_since_ack_ += total;
            if (data.empty() || had_holes || n < data.size() || rx_.free() == 0 || cfg_.delayed_ack == 0) {
                ack_now_ = true;
            } else if (bytes_since_ack_ >= 2u * snd_mss_) {
                if (!cfg_.stretch_acks || bytes_since_ack_ >= std::max<std::size_t>(2u * snd_mss_, rx_.capacity() / 4)) {
                    ack_now_ = true;
                } else {
                    ack_batch_ = true;
                    if (delack_at_ == kNever) delack_at_ = now + cfg_.delayed_ack;
                }
            } else if (n > 0 && delack_at_ == kNever) {
                delack_at_ = now + cfg_.delayed_ack;
            }
        } else if (!data.empty()) {
            ++stats_.ooo_segments;
            const std::size_t n = rx_.write_at(off, data);
            if (n > 0) ooo_.add(off, off + uint32_t(n));
            ack_now_ = true;  // duplicate ACK tells the sender about the hole
        }
    } else if (!data.empty()) {
        ack_now_ = true;  // data after the peer's FIN (or before we can take it): just ACK
    }

    if (h.has(f::fin)) {
        const uint32_t fseq = h.seq + uint32_t(seg.payload.size());
        if (seq_ge(fseq, rcv_nxt_)) rcv_fin_ = fseq;
        ack_now_ = true;
    }
    if (rcv_fin_ && *rcv_fin_ == rcv_nxt_ && !fin_received_) {
        rcv_fin_.reset();
        fin_received_ = true;
        rcv_nxt_ += 1;
        ack_now_ = true;
        switch (state_) {
            case State::syn_received:
            case State::established: enter(State::close_wait, now); break;
            case State::fin_wait_1:
                enter(fin_queued_ && seq_gt(snd_una_, fin_seq()) ? State::time_wait : State::closing, now);
                break;
            case State::fin_wait_2: enter(State::time_wait, now); break;
            default: break;
        }
    } else if (h.has(f::fin) && state_ == State::time_wait) {
        timewait_at_ = now + 2 * cfg_.msl;
    }
}

// ---------------------------------------------------------------------------------------------
// Output

uint16_t TcpConnection::window_to_advertise() const {
    uint32_t w = recv_window() >> rcv_wscale_;
    return uint16_t(std::min<uint32_t>(w, 0xffff));
}

void TcpConnection::emit(uint32_t seq, uint8_t flags, Ring::Pieces payload, bool syn_options, Instant now) {
    wire::TcpRepr r;
    r.src_port = tuple_.local_port;
    r.dst_port = tuple_.remote_port;
    r.seq = seq;
    r.flags = flags;
    if (flags & f::ack) r.ack = rcv_nxt_;
    if (flags & f::syn) {
        r.window = uint16_t(std::min<std::size_t>(rx_.free(), 0xffff));
    } else if (!(flags & f::rst) || (flags & f::ack)) {
        r.window = window_to_advertise();
    }
    if (syn_options) {
        r.options.mss = cfg_.mss;
        const bool offer_ws = cfg_.window_scaling && (state_ == State::syn_sent || snd_wscale_ != 0 || rcv_wscale_ != 0);
        if (offer_ws) r.options.window_scale = rcv_wscale_;
        if (cfg_.sack && (state_ == State::syn_sent || sack_ok_)) r.options.sack_permitted = true;
    } else if (sack_ok_ && (flags & f::ack) && !(flags & f::rst) && !ooo_.empty()) {
        const std::size_t n = std::min<std::size_t>(ooo_.count(), 3);
        for (std::size_t i = 0; i < n; ++i) {
            const auto& rg = ooo_.range(i);
            r.options.sack[i] = {rcv_nxt_ + rg.start, rcv_nxt_ + rg.end};
        }
        r.options.sack_count = uint8_t(n);
    }
    if (flags & f::ack) {
        ack_now_ = false;
        ack_batch_ = false;
        delack_at_ = kNever;
        bytes_since_ack_ = 0;
        const uint32_t edge = rcv_nxt_ + (uint32_t(r.window) << rcv_wscale_);
        if (seq_gt(edge, rcv_adv_) || !(flags & f::syn)) rcv_adv_ = edge;
    }
    ++stats_.segs_out;
    if (sink_) sink_->emit(*this, r, payload);
    (void)now;
}

void TcpConnection::send_control(uint32_t seq, uint8_t flags, Instant now) { emit(seq, flags, {}, false, now); }

uint32_t TcpConnection::transmit_at(uint32_t seq, std::size_t max_len, Instant now) {
    const int32_t d = seq_diff(seq, tx_seq_);
    const std::size_t off = d < 0 ? 0 : std::size_t(d);
    const std::size_t avail = off <= tx_.size() ? tx_.size() - off : 0;
    const std::size_t len = std::min({avail, max_len, std::size_t(snd_mss_)});
    const bool fin = fin_queued_ && seq + uint32_t(len) == fin_seq();
    if (len == 0 && !fin) return 0;
    uint8_t flags = f::ack;
    if (len > 0 && off + len == tx_.size()) flags |= f::psh;
    if (fin) flags |= f::fin;
    emit(seq, flags, tx_.peek(off, len), false, now);
    const uint32_t used = uint32_t(len) + (fin ? 1 : 0);
    if (seq_gt(seq + used, snd_max_)) snd_max_ = seq + used;
    return used;
}

void TcpConnection::send_data(Instant now) {
    for (;;) {
        const int32_t d = seq_diff(snd_nxt_, tx_seq_);
        const std::size_t off = d < 0 ? 0 : std::size_t(d);
        const std::size_t avail = off <= tx_.size() ? tx_.size() - off : 0;
        const uint32_t in_flight = snd_nxt_ - snd_una_;
        const uint32_t win = std::min(snd_wnd_, cwnd_);
        const uint32_t usable = win > in_flight ? win - in_flight : 0;
        const std::size_t len = std::min({avail, std::size_t(usable), std::size_t(snd_mss_)});
        const bool fin = fin_queued_ && snd_nxt_ + uint32_t(len) == fin_seq();
        if (len == 0 && !fin) break;
        if (len < snd_mss_ && !fin) {
            // A corked tail waits for more data or push().
            if (corked_ && len == avail) break;
            // Sender silly-window avoidance (RFC 9293 §3.8.6.2.1): a window-limited runt waits
            // for ACKs; Nagle (RFC 896): so does a small tail while data is in flight.
            if (in_flight > 0 && (len < avail || nagle_)) break;
        }
        const bool new_data = snd_nxt_ == snd_max_;
        const uint32_t used = transmit_at(snd_nxt_, len, now);
        if (!new_data) ++stats_.retransmits;
        if (new_data && !timing_ && used > 0) {
            timing_ = true;
            rtt_seq_ = snd_nxt_ + used;
            rtt_start_ = now;
        }
        snd_nxt_ += used;
        if (rtx_at_ == kNever) arm_rtx(now);
        if (fin) break;
    }
    // Zero window with data waiting and nothing in flight: probe (RFC 9293 §3.8.6.1).
    const int32_t d = seq_diff(snd_nxt_, tx_seq_);
    const bool unsent = d >= 0 && std::size_t(d) < tx_.size();
    if (snd_wnd_ == 0 && unsent && snd_nxt_ == snd_una_) {
        if (persist_at_ == kNever) {
            if (persist_interval_ == 0) persist_interval_ = std::clamp(rto_, cfg_.rto_min, cfg_.persist_max);
            persist_at_ = now + persist_interval_;
        }
    } else if (snd_wnd_ != 0) {
        persist_at_ = kNever;
    }
}

void TcpConnection::output(Instant now) {
    switch (state_) {
        case State::closed:
        case State::listen: return;
        case State::syn_sent:
        case State::syn_received:
            if (snd_nxt_ == iss_) {
                const bool first = snd_max_ == iss_;
                emit(iss_, state_ == State::syn_sent ? f::syn : uint8_t(f::syn | f::ack), {}, true, now);
                snd_nxt_ = iss_ + 1;
                if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
                if (first && !timing_) {
                    timing_ = true;
                    rtt_seq_ = snd_nxt_;
                    rtt_start_ = now;
                }
                if (rtx_at_ == kNever) arm_rtx(now);
            }
            if (ack_now_ && state_ == State::syn_received) send_control(snd_nxt_, f::ack, now);
            ack_now_ = false;
            return;
        case State::time_wait:
            if (ack_now_) send_control(snd_nxt_, f::ack, now);
            return;
        default: break;
    }
    const uint32_t before = stats_.segs_out;
    send_data(now);
    if (ack_now_ && stats_.segs_out == before) send_control(snd_nxt_, f::ack, now);
}

void TcpConnection::maybe_window_update(Instant now) {
    if (!is_synchronized() || state_ == State::time_wait || fin_received_) return;
    // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): announce only a significant opening.
    const uint32_t edge = rcv_nxt_ + recv_window();
    const uint32_t threshold = std::min<uint32_t>(uint32_t(rx_.capacity() / 2), cfg_.mss);
    if (seq_ge(edge, rcv_adv_ + threshold)) send_control(snd_nxt_, f::ack, now);
}

// ---------------------------------------------------------------------------------------------
// User calls

std::expected<std::size_t, TcpErrc> TcpConnection::send(std::span<const uint8_t> data, Instant now, bool more) {
    if (!can_send_state() || fin_queued_) return std::unexpected(error_ != TcpErrc::none ? error_ : TcpErrc::closed);
    const std::size_t n = tx_.write(data);
    corked_ = more;
    if (n > 0 && is_synchronized()) output(now);
    return n;
}

void TcpConnection::push(Instant now) {
    if (!corked_) return;
    corked_ = false;
    if (is_synchronized()) output(now);
}

void TcpConnection::set_nodelay(bool on, Instant now) {
    const bool was = nagle_;
    nagle_ = !on;
    if (was && on && is_synchronized()) output(now);
}

void TcpConnection::flush_ack(Instant now) {
    if (!ack_batch_) return;
    ack_batch_ = false;
    if (state_ == State::closed) return;
    ack_now_ = true;
    output(now);
}

std::size_t TcpConnection::recv(std::span<uint8_t> out, Instant now) {
    const std::size_t n = rx_.read(out);
    if (n > 0) maybe_window_update(now);
    return n;
}

void TcpConnection::close(Instant now) {
    switch (state_) {
        case State::syn_sent:
            enter(State::closed, now);
            break;
        case State::syn_received:
            fin_queued_ = true;  // FIN goes after the handshake completes
            break;
        case State::established:
            fin_queued_ = true;
            enter(State::fin_wait_1, now);
            output(now);
            break;
        case State::close_wait:
            fin_queued_ = true;
            enter(State::last_ack, now);
            output(now);
            break;
        default: break;
    }
}

void TcpConnection::abort(Instant now) {
    switch (state_) {
        case State::syn_received:
        case State::established:
        case State::fin_wait_1:
        case State::fin_wait_2:
        case State::close_wait:
            send_control(snd_nxt_, f::rst, now);
            break;
        default: break;
    }
    if (state_ != State::closed) fail(TcpErrc::aborted);
}

// ---------------------------------------------------------------------------------------------
// Timers

void TcpConnection::rtt_sample(Instant r) {
    // RFC 6298 §2, in integer nanoseconds.
    if (!rtt_valid_) {
        srtt_ = r;
        rttvar_ = r / 2;
        rtt_valid_ = true;
    } else {
        const Instant err = srtt_ > r ? srtt_ - r : r - srtt_;
        rttvar_ = (3 * rttvar_ + err) / 4;
        srtt_ = (7 * srtt_ + r) / 8;
    }
    const Instant g = 1_ms;  // clock granularity term
    rto_ = std::clamp(srtt_ + std::max(g, 4 * rttvar_), cfg_.rto_min, cfg_.rto_max);
}

Instant TcpConnection::next_deadline() const {
    if (state_ == State::closed) return kNever;
    return std::min({rtx_at_, persist_at_, delack_at_, keepalive_at_, timewait_at_, finwait2_at_});
}

void TcpConnection::touch_keepalive(Instant now) {
    keepalive_sent_ = 0;
    if (cfg_.keepalive_idle != 0 && (state_ == State::established || state_ == State::close_wait))
        keepalive_at_ = now + cfg_.keepalive_idle;
    else
        keepalive_at_ = kNever;
}

void TcpConnection::on_timer(Instant now) {
    if (state_ == State::closed) return;
    if (timewait_at_ <= now) {
        enter(State::closed, now);
        return;
    }
    if (finwait2_at_ <= now) {
        enter(State::closed, now);
        return;
    }
    if (rtx_at_ <= now) {
        rtx_at_ = kNever;
        on_rtx_timeout(now);
        if (state_ == State::closed) return;
    }
    if (persist_at_ <= now) {
        persist_at_ = kNever;
        on_persist_timeout(now);
    }
    if (keepalive_at_ <= now) {
        keepalive_at_ = kNever;
        on_keepalive_timeout(now);
        if (state_ == State::closed) return;
    }
    if (delack_at_ <= now) {
        delack_at_ = kNever;
        ack_now_ = true;
    }
    output(now);
}

void TcpConnection::on_rtx_timeout(Instant now) {
    ++stats_.timeouts;
    const bool handshake = state_ == State::syn_sent || state_ == State::syn_received;
    if (!handshake && snd_una_ == snd_max_) return;  // nothing outstanding
    // A peer that advertises a zero window is alive: do not count towards giving up.
    if (handshake || snd_wnd_ != 0) ++retries_;
    if (retries_ > (handshake ? cfg_.syn_retries : cfg_.data_retries)) {
        if (!handshake || state_ == State::syn_received) send_control(snd_nxt_, f::rst, now);
        fail(TcpErrc::timed_out);
        return;
    }
    rto_ = std::min(rto_ * 2, cfg_.rto_max);
    timing_ = false;  // Karn: no samples from retransmitted segments
    ++stats_.retransmits;
    if (handshake) {
        snd_nxt_ = iss_;
        output(now);  // re-sends the SYN (or SYN-ACK)
        arm_rtx(now);
        return;
    }
    // RFC 5681 (4): ssthresh from the flight, held across repeated timeouts; cwnd = 1 SMSS.
    if (!rto_recovery_) ssthresh_ = std::max(flight_size() / 2, 2u * snd_mss_);
    rto_recovery_ = true;
    cwnd_ = snd_mss_;
    ca_acc_ = 0;
    in_recovery_ = false;
    dupacks_ = 0;
    recover_ = snd_max_;  // RFC 6582 §3.2 step 4
    // Retransmit the first unacknowledged segment (ignores the window: also a probe), then
    // continue go-back-N as ACKs open the congestion window.
    snd_nxt_ = snd_una_;
    snd_nxt_ += transmit_at(snd_una_, snd_mss_, now);
    arm_rtx(now);
}

void TcpConnection::on_persist_timeout(Instant now) {
    const int32_t d = seq_diff(snd_nxt_, tx_seq_);
    const bool unsent = d >= 0 && std::size_t(d) < tx_.size();
    if (snd_wnd_ != 0 || !unsent || snd_nxt_ != snd_una_) return;
    ++stats_.window_probes;
    // An already-acknowledged sequence number: the peer must answer with an ACK carrying its
    // current window, and no sequence space is consumed (so a probe is never "outstanding").
    send_control(snd_una_ - 1, f::ack, now);
    persist_interval_ = std::min(persist_interval_ * 2, cfg_.persist_max);
    persist_at_ = now + persist_interval_;
}

void TcpConnection::on_keepalive_timeout(Instant now) {
    if (state_ != State::established && state_ != State::close_wait) return;
    if (keepalive_sent_ >= cfg_.keepalive_probes) {
        send_control(snd_nxt_, f::rst, now);
        fail(TcpErrc::timed_out);
        return;
    }
    ++keepalive_sent_;
    ++stats_.keepalive_probes;
    send_control(snd_una_ - 1, f::ack, now);  // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1
    keepalive_at_ = now + cfg_.keepalive_interval;
}

}  // namespace unikit::net::tcp
