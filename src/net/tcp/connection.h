// A TCP connection (the TCB of RFC 9293) as a pure state machine.
//
// Inputs:  on_segment(segment, now), on_timer(now), and user calls (send, recv, close, abort).
// Outputs: segments handed to a SegmentSink during those calls, and next_deadline(), the instant
//          the caller must call on_timer() at (or later). Time is a parameter (nanoseconds on
//          any monotonic clock the caller likes); the ISN is a parameter; buffers are the
//          caller's memory. Nothing here reads a clock, draws randomness or allocates.
//
// Implemented: the full state machine (incl. simultaneous open and close, TIME_WAIT = 2*MSL),
// RFC 5961 (challenge ACKs for in-window RST/SYN, ACK acceptability), RFC 6298 RTO (Karn,
// exponential backoff), RFC 5681 slow start / congestion avoidance, fast retransmit + NewReno
// (RFC 6582), window scaling and MSS (RFC 7323, 9293), delayed ACKs, Nagle, sender and receiver
// silly-window avoidance, zero-window probing with backoff, keep-alive, bounded out-of-order
// reassembly into the receive buffer, SACK blocks in ACKs (RFC 2018; received SACK is parsed but
// not used for retransmission), orphan FIN_WAIT_2 timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>

#include "net/tcp/ring.h"
#include "net/tcp/seq.h"
#include "net/wire/addr.h"
#include "net/wire/tcp.h"

namespace unikit::net::tcp {

using wire::Ipv4Addr;

// Nanoseconds on the caller's monotonic clock.
using Instant = uint64_t;
inline constexpr Instant kNever = ~Instant(0);
constexpr uint64_t operator""_ms(unsigned long long v) { return v * 1'000'000ull; }
constexpr uint64_t operator""_s(unsigned long long v) { return v * 1'000'000'000ull; }

enum class State : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};
const char* to_string(State s);

// Why a connection ended (or why a call failed).
enum class TcpErrc : uint8_t {
    none,
    refused,       // RST in answer to our SYN
    reset,         // peer reset an established connection
    timed_out,     // retransmissions / keep-alives exhausted
    aborted,       // we aborted (abort(), or release with unread data)
    closed,        // operation not allowed in this state (send after close, ...)
    invalid,       // bad argument
    no_resources,  // no free connection slot / listener slot
    address_in_use,
};
const char* to_string(TcpErrc e);

struct TcpConfig {
    uint16_t mss = 1460;                 // MSS we advertise and the largest we send (<= kMaxMss)
    Instant rto_initial = 1_s;           // RFC 6298 (2.1)
    Instant rto_min = 1_s;               // RFC 6298 (2.4); Linux uses 200 ms
    Instant rto_max = 60_s;
    Instant msl = 30_s;                  // TIME_WAIT lasts 2 * msl
    Instant delayed_ack = 40_ms;         // 0: ACK every segment at once
    // Stretch ACKs for bulk receive: the "ACK every 2nd full segment" rule does not send at once
    // but marks the connection; the caller sends the marked ACKs with flush_ack() (TcpStack::
    // flush_acks()) after a batch of input, so a batch of in-order segments costs one ACK. An
    // ACK still goes out at once after a quarter of the receive buffer, for holes, and when
    // the buffer fills; the delayed-ACK timer covers a caller that never flushes.
    bool stretch_acks = false;
    Instant persist_max = 60_s;          // zero-window probe interval cap
    Instant keepalive_idle = 0;          // 0: keep-alive off
    Instant keepalive_interval = 75_s;
    uint8_t keepalive_probes = 9;
    uint8_t syn_retries = 6;
    uint8_t data_retries = 12;
    Instant fin_wait_2_timeout = 60_s;   // only for connections the user released (orphans)
    bool nagle = true;
    bool window_scaling = true;
    bool sack = true;                    // offer SACK-permitted and send SACK blocks
    uint16_t challenge_ack_limit = 100;  // RFC 5961 §7: challenge ACKs per second per connection
};

inline constexpr uint16_t kMaxMss = 9000;

struct FourTuple {
    Ipv4Addr local_addr;
    Ipv4Addr remote_addr;
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
    friend constexpr bool operator==(const FourTuple&, const FourTuple&) = default;
};

// A parsed incoming segment: header plus payload (a view into the caller's frame).
struct TcpSegment {
    wire::TcpRepr hdr;
    std::span<const uint8_t> payload;
    uint32_t seg_len() const {
        return uint32_t(payload.size()) + (hdr.has(wire::tcp_flags::syn) ? 1 : 0) +
               (hdr.has(wire::tcp_flags::fin) ? 1 : 0);
    }
};

class TcpConnection;

// Where a connection's outgoing segments go. The payload is given in up to two pieces (the
// send buffer is a ring); the sink serializes them behind the header before returning.
class SegmentSink {
public:
    virtual void emit(const TcpConnection& conn, const wire::TcpRepr& hdr, Ring::Pieces payload) = 0;

protected:
    ~SegmentSink() = default;
};

struct TcpStats {
    uint32_t segs_in = 0, segs_out = 0;
    uint32_t retransmits = 0;        // segments sent again (any reason)
    uint32_t timeouts = 0;           // RTO expiries
    uint32_t fast_retransmits = 0;   // entries into fast recovery
    uint32_t partial_acks = 0;       // NewReno partial ACKs
    uint32_t challenge_acks = 0;
    uint32_t window_probes = 0;
    uint32_t keepalive_probes = 0;
    uint32_t ooo_segments = 0;
    uint32_t dup_acks = 0;
};

class TcpConnection {
public:
    TcpConnection() = default;
    // send_buf / recv_buf are the connection's send and receive buffers (fixed capacity).
    TcpConnection(std::span<uint8_t> send_buf, std::span<uint8_t> recv_buf) : tx_(send_buf), rx_(recv_buf) {}
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    void set_sink(SegmentSink* sink) { sink_ = sink; }

    // Active open: SYN_SENT, emits the SYN.
    void connect(const FourTuple& t, uint32_t iss, const TcpConfig& cfg, Instant now);
    // Passive open: a listener got `syn`; go to SYN_RECEIVED and emit the SYN-ACK.
    void accept_syn(const FourTuple& t, uint32_t iss, const TcpSegment& syn, const TcpConfig& cfg, Instant now);

    void on_segment(const TcpSegment& seg, Instant now);
    void on_timer(Instant now);
    // The earliest instant on_timer() has work; kNever if none.
    Instant next_deadline() const;

    // Queue bytes to send; returns how many were taken (0 when the buffer is full), or
    // TcpErrc::closed after close()/reset. `more`: the caller will send more at once (MSG_MORE,
    // a cork): only full-sized segments go out now, a short tail waits for push() or for a
    // later send() without `more`, so a header and a body written one after the other share
    // segments instead of leaving as a small one and the rest.
    std::expected<std::size_t, TcpErrc> send(std::span<const uint8_t> data, Instant now, bool more = false);
    // Ends a cork: sends what send(..., more = true) held back (Nagle and the windows still apply).
    void push(Instant now);
    bool corked() const { return corked_; }
    // TCP_NODELAY for this connection: off (the default, from TcpConfig::nagle) holds a short
    // tail segment while data is in flight (RFC 896); on sends it at once. Setting it on sends
    // a tail Nagle was holding.
    void set_nodelay(bool on, Instant now);
    bool nodelay() const { return !nagle_; }
    // Copy out received bytes; returns 0 when none are available (check recv_eof()).
    std::size_t recv(std::span<uint8_t> out, Instant now);
    // stretch_acks: true when an ACK is waiting for flush_ack(); flush_ack() sends it.
    bool ack_pending() const { return ack_batch_; }
    void flush_ack(Instant now);
    // Graceful close of our direction (FIN after the queued data).
    void close(Instant now);
    // Send RST (if synchronized) and drop everything.
    void abort(Instant now);
    // Drop everything without sending anything (slot eviction / recycling).
    void discard() {
        if (state_ != State::closed) fail(TcpErrc::aborted);
    }

    State state() const { return state_; }
    TcpErrc error() const { return error_; }
    const FourTuple& tuple() const { return tuple_; }
    std::size_t recv_available() const { return rx_.size(); }
    bool recv_eof() const { return fin_received_ && rx_.empty(); }
    std::size_t send_free() const { return fin_queued_ || !can_send_state() ? 0 : tx_.free(); }
    std::size_t send_queued() const { return tx_.size(); }  // not yet acknowledged
    bool is_synchronized() const;
    const TcpStats& stats() const { return stats_; }

    // Introspection (tests, metrics).
    uint32_t snd_una() const { return snd_una_; }
    uint32_t snd_nxt() const { return snd_nxt_; }
    uint32_t rcv_nxt() const { return rcv_nxt_; }
    uint32_t snd_wnd() const { return snd_wnd_; }
    uint32_t cwnd() const { return cwnd_; }
    uint32_t ssthresh() const { return ssthresh_; }
    uint16_t snd_mss() const { return snd_mss_; }
    uint8_t snd_wscale() const { return snd_wscale_; }
    uint8_t rcv_wscale() const { return rcv_wscale_; }
    Instant rto() const { return rto_; }
    Instant srtt() const { return srtt_; }
    Instant rttvar() const { return rttvar_; }
    bool in_recovery() const { return in_recovery_; }
    bool sack_enabled() const { return sack_ok_; }
    const TcpConfig& config() const { return cfg_; }

    // Bookkeeping for the owner (TcpStack); the connection itself ignores these.
    struct Owner {
        bool in_use = false;          // the slot holds a connection
        bool user_owned = false;      // a user handle exists (connected or accepted)
        bool pending_accept = false;  // waiting in a listener's accept queue
        int16_t listener = -1;        // index of the listener that created it
        uint64_t order = 0;           // creation order (oldest-first eviction / accept)
    } owner;
    // Connections the user has released get the FIN_WAIT_2 timeout.
    void set_orphan(bool v, Instant now);

private:
    bool can_send_state() const;
    void reset_tcb();
    void init_common(const FourTuple& t, uint32_t iss, const TcpConfig& cfg, Instant now);
    void apply_syn_options(const wire::TcpRepr& h);
    void enter(State s, Instant now);
    void fail(TcpErrc e);

    // Receive processing, by state.
    void on_syn_sent(const TcpSegment& seg, Instant now);
    void on_synchronized(const TcpSegment& seg, Instant now);
    bool process_ack(const TcpSegment& seg, Instant now);  // false: drop the segment
    void process_data(const TcpSegment& seg, Instant now);

    // Output.
    void output(Instant now);
    void send_data(Instant now);
    uint32_t transmit_at(uint32_t seq, std::size_t max_len, Instant now);  // returns seq space used
    void send_control(uint32_t seq, uint8_t flags, Instant now);
    void emit(uint32_t seq, uint8_t flags, Ring::Pieces payload, bool syn_options, Instant now);
    void send_challenge_ack(Instant now);
    uint16_t window_to_advertise() const;
    uint32_t recv_window() const { return uint32_t(rx_.free()); }
    void maybe_window_update(Instant now);

    // RTT / RTO.
    void rtt_sample(Instant r);
    void arm_rtx(Instant now) { rtx_at_ = now + rto_; }
    void on_rtx_timeout(Instant now);
    void on_persist_timeout(Instant now);
    void on_keepalive_timeout(Instant now);
    void touch_keepalive(Instant now);

    uint32_t flight_size() const { return snd_max_ - snd_una_; }
    uint32_t fin_seq() const { return tx_seq_ + uint32_t(tx_.size()); }

    SegmentSink* sink_ = nullptr;
    Ring tx_, rx_;
    Assembler ooo_;
    TcpConfig cfg_{};
    FourTuple tuple_{};
    State state_ = State::closed;
    TcpErrc error_ = TcpErrc::none;
    TcpStats stats_{};

    // Send side. tx_ holds the bytes from tx_seq_ on (unacknowledged + unsent).
    uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0, tx_seq_ = 0;
    uint32_t snd_wnd_ = 0, max_snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0;
    uint16_t snd_mss_ = 536;
    uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
    bool sack_ok_ = false;
    bool fin_queued_ = false;  // close() called: FIN follows the last queued byte
    bool nagle_ = true;        // per connection (TCP_NODELAY clears it); from TcpConfig::nagle
    bool corked_ = false;      // send(..., more = true): hold a short tail until push()
    bool passive_ = false;

    // Receive side.
    uint32_t irs_ = 0, rcv_nxt_ = 0, rcv_adv_ = 0;  // rcv_adv_: right edge last advertised
    std::optional<uint32_t> rcv_fin_;                // sequence number of a FIN seen ahead of data
    bool fin_received_ = false;
    bool ack_now_ = false;
    bool ack_batch_ = false;  // stretch_acks: an ACK is due at the end of the input batch
    uint32_t bytes_since_ack_ = 0;

    // RTT (RFC 6298), in ns.
    Instant srtt_ = 0, rttvar_ = 0, rto_ = 1_s;
    bool rtt_valid_ = false, timing_ = false;
    uint32_t rtt_seq_ = 0;
    Instant rtt_start_ = 0;
    uint8_t retries_ = 0;

    // Congestion control (RFC 5681 / 6582).
    uint32_t cwnd_ = 0, ssthresh_ = 0, recover_ = 0, ca_acc_ = 0;
    uint8_t dupacks_ = 0;
    bool in_recovery_ = false;
    bool rto_recovery_ = false;  // ssthresh held across repeated timeouts

    // Timers (kNever = not armed).
    Instant rtx_at_ = kNever, persist_at_ = kNever, delack_at_ = kNever;
    Instant keepalive_at_ = kNever, timewait_at_ = kNever, finwait2_at_ = kNever;
    Instant persist_interval_ = 0;
    uint8_t keepalive_sent_ = 0;
    bool orphan_ = false;

    // RFC 5961 §7 challenge ACK rate limit.
    Instant challenge_window_start_ = 0;
    uint16_t challenge_count_ = 0;
};

}  // namespace unikit::net::tcp
