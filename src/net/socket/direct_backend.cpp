// DirectBackend: the socket API over unikit's own stack (see direct_backend.h).
#include "net/socket/direct_backend.h"

#include <cstring>
#include <new>

#include <unikit/log.h>
#include <unikit/time.h>

namespace unikit::net::direct {

namespace {

Logger lg{"net"};

// Frame buffers: an Ethernet frame for the MTU (+ VLAN tag, FCS) and `overhead` bytes of
// bookkeeping, rounded up; at least the 1536 + 32 (tx) and 2048 (rx) bytes a 1500-byte MTU has
// always used. The transmit queue's slots carry a header (TxQueue::kSlotOverhead): without it a
// full-sized jumbo frame did not fit its slot and was dropped, every time it was retransmitted.
constexpr std::size_t frame_slot(std::size_t mtu, std::size_t overhead, std::size_t min) {
    const std::size_t need = (mtu + 14 + 4 + 4 + overhead + 63) & ~std::size_t{63};
    return need > min ? need : min;
}
static_assert(frame_slot(1500, dev::TxQueue::kSlotOverhead, 0) - dev::TxQueue::kSlotOverhead >= 14 + 4 + 1500);
static_assert(frame_slot(9000, dev::TxQueue::kSlotOverhead, 0) - dev::TxQueue::kSlotOverhead >= 14 + 4 + 9000);
constexpr std::uint64_t kTxRetryNs = 200'000;      // device refused frames: try again after 200 us
constexpr std::uint64_t kHeldFramesNs = 1'000'000; // fault injector holding frames: release them soon
constexpr int kMaxRxRoundsPerTurn = 8;             // then let the app run (fairness)

}  // namespace

Error to_error(tcp::TcpErrc e) noexcept {
    switch (e) {
        case tcp::TcpErrc::timed_out: return Error::timeout;
        case tcp::TcpErrc::no_resources: return Error::overflow;
        case tcp::TcpErrc::address_in_use: return Error::again;
        case tcp::TcpErrc::invalid: return Error::invalid;
        default: return Error::closed;  // none, refused, reset, aborted, closed
    }
}

// ---- construction --------------------------------------------------------------------------

DirectBackend::DirectBackend(dev::NetDevice& dev, uk_handle wait_handle, std::string_view device_name,
                             const DirectConfig& cfg)
    : dev_(dev), wait_handle_(wait_handle), device_name_(device_name), cfg_(cfg), rng_(cfg.rng_seed) {
    if (cfg_.max_connections == 0) cfg_.max_connections = 1;
    if (cfg_.max_listeners == 0) cfg_.max_listeners = 1;
    stack::InterfaceConfig icfg;
    std::uint16_t mtu = dev_.mtu();
    icfg.mtu = mtu > stack::Interface::kMaxMtu ? stack::Interface::kMaxMtu : mtu;
    icfg.ident_seed = static_cast<std::uint16_t>(rng_.next_u64());
    // Receive offload: the device may hand over IPv4/TCP packets longer than the MTU.
    icfg.rx_large = dev_.max_rx_frame() > dev::max_frame_len(mtu);
    ifc_ = new stack::Interface(wire::MacAddr{dev_.mac()}, *this, icfg);
    // The MSS follows the MTU (as Linux derives it from the route's MTU): a jumbo MTU means
    // jumbo segments, up to the engine's kMaxMss.
    const std::size_t mss = ifc_->mtu() - 40u < tcp::kMaxMss ? ifc_->mtu() - 40u : tcp::kMaxMss;
    if (cfg_.tcp.mss > mss || (cfg_.tcp.mss == tcp::TcpConfig{}.mss && mss > cfg_.tcp.mss))
        cfg_.tcp.mss = static_cast<uint16_t>(mss);
    const std::size_t auto_buffer = DirectConfig::kAutoBufferSegments * cfg_.tcp.mss > DirectConfig::kAutoBufferMin
                                        ? DirectConfig::kAutoBufferSegments * cfg_.tcp.mss
                                        : DirectConfig::kAutoBufferMin;
    if (cfg_.send_buffer == 0) cfg_.send_buffer = auto_buffer;
    if (cfg_.recv_buffer == 0) cfg_.recv_buffer = auto_buffer;
    tx_slot_ = frame_slot(ifc_->mtu(), dev::TxQueue::kSlotOverhead, 1536 + 32);
    rx_slot_ = frame_slot(ifc_->mtu(), 0, 2048);
    if (icfg.rx_large) {
        // Receive-offload frames up to 64 KiB: fewer, larger buffers (kRxBatchLarge of them,
        // ~2 MiB), each a single readv() for up to ~45 MTU-sized segments.
        rx_slot_ = (dev_.max_rx_frame() + 63) & ~std::size_t{63};
        rx_batch_ = kRxBatchLarge;
    }

    const std::size_t per_conn = cfg_.send_buffer + cfg_.recv_buffer;
    conn_storage_ = new std::uint8_t[per_conn * cfg_.max_connections];
    conns_ = static_cast<tcp::TcpConnection*>(::operator new(sizeof(tcp::TcpConnection) * cfg_.max_connections));
    for (std::size_t i = 0; i < cfg_.max_connections; ++i) {
        std::uint8_t* base = conn_storage_ + i * per_conn;
        ::new (&conns_[i]) tcp::TcpConnection(std::span<uint8_t>(base, cfg_.send_buffer),
                                               std::span<uint8_t>(base + cfg_.send_buffer, cfg_.recv_buffer));
    }
    streams_ = new DirectStream[cfg_.max_connections];
    for (std::size_t i = 0; i < cfg_.max_connections; ++i) streams_[i].b_ = this;
    listener_slots_ = new tcp::TcpListener[cfg_.max_listeners];
    listeners_ = new DirectListener[cfg_.max_listeners];
    for (std::size_t i = 0; i < cfg_.max_listeners; ++i) {
        listeners_[i].b_ = this;
        listeners_[i].index_ = static_cast<int>(i);
    }
    tcp_ = new tcp::TcpStack(cfg_.tcp, cfg_.isn_secret, std::span<tcp::TcpConnection>(conns_, cfg_.max_connections),
                             std::span<tcp::TcpListener>(listener_slots_, cfg_.max_listeners), *this);
    (void)ifc_->set_protocol_handler(6, this);

    txq_storage_ = new std::uint8_t[cfg_.tx_queue_frames * tx_slot_];
    txq_ = new dev::TxQueue(std::span<std::uint8_t>(txq_storage_, cfg_.tx_queue_frames * tx_slot_), tx_slot_);
    rx_storage_ = new std::uint8_t[rx_batch_ * rx_slot_];

    timer_.set_callback(
        [](void* self) {
            auto* b = static_cast<DirectBackend*>(self);
            if (b->waiting_) Loop::current().schedule(b->resumable_);
        },
        this);
}

DirectBackend::~DirectBackend() {
    driver_.reset();  // its awaiter unregisters from the loop
    timer_.cancel();
    dev_waiter_.unlink();
    delete dhcp_;
    delete dhcp_sock_;
    delete[] dhcp_storage_;
    for (auto*& u : udp_) {
        if (u) {
            ifc_->udp_unbind(u->sock_);
            delete[] u->storage_.data();
            delete u;
            u = nullptr;
        }
    }
    delete tcp_;
    for (std::size_t i = 0; i < cfg_.max_connections; ++i) conns_[i].~TcpConnection();
    ::operator delete(conns_);
    delete[] streams_;
    delete[] listeners_;
    delete[] listener_slots_;
    delete[] conn_storage_;
    delete txq_;
    delete[] txq_storage_;
    delete[] rx_storage_;
    delete ifc_;
}

std::uint64_t DirectBackend::now_ns() noexcept {
    const Loop* l = Loop::current_or_null();
    if (l && l == now_loop_ && l->stats().yields == now_yields_) return now_;
    now_ = to_uk_time(unikit::now());
    now_loop_ = l;
    if (l) now_yields_ = l->stats().yields;
    return now_;
}

void DirectBackend::start() {
    if (started_) return;
    started_ = true;
    now_ns();
    if (cfg_.ipv4) {
        ifc_->set_ipv4(*cfg_.ipv4, cfg_.gateway, now_);
    } else if (cfg_.dhcp) {
        dhcp_storage_ = new std::uint8_t[8 * 2048];
        dhcp_sock_ = new stack::UdpSocket(std::span<std::uint8_t>(dhcp_storage_, 8 * 2048));
        dhcp_ = new stack::DhcpClient(*ifc_, *dhcp_sock_, rng_);
        if (!dhcp_->ok()) lg.error("dhcp: cannot bind UDP port 68");
    }
    if (cfg_.dns) ifc_->set_dns(std::span<const Ipv4Addr>(&*cfg_.dns, 1));
    check_address();
    flush();
    driver_ = drive();
    driver_.handle().resume();  // runs until its first wait
}

// ---- the driver ----------------------------------------------------------------------------

struct DirectBackend::WaitAwaiter {
    DirectBackend& b;
    std::uint64_t deadline;
    bool await_ready() noexcept {
        if (b.kicked_) {
            b.kicked_ = false;
            return true;
        }
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        b.resumable_.handle = h;
        b.waiting_ = true;
        if (deadline != stack::kNever) b.timer_.arm_at(TimePoint(Duration(static_cast<Duration::rep>(deadline))));
        if (b.wait_handle_ >= 0) {
            b.dev_waiter_.handle = b.wait_handle_;
            b.dev_waiter_.resumable = &b.resumable_;
            Loop::current().add_device_waiter(b.dev_waiter_);
        }
    }
    void await_resume() noexcept {
        b.waiting_ = false;
        b.kicked_ = false;
        b.timer_.cancel();
        b.dev_waiter_.unlink();
        b.resumable_.unlink();
    }
};

Task<void> DirectBackend::drive() {
    for (;;) {
        round();
        co_await WaitAwaiter{*this, next_deadline()};
    }
}

void DirectBackend::kick() noexcept {
    if (waiting_) {
        Loop::current().schedule(resumable_);
    } else {
        kicked_ = true;
    }
}

void DirectBackend::round() {
    ++stats_.wakeups;
    now_ns();
    push_writes();
    // Input, in batches; bounded per turn so the app's tasks get to run.
    dev::Frame frames[kRxBatch];
    for (int r = 0; r < kMaxRxRoundsPerTurn; ++r) {
        for (std::size_t i = 0; i < rx_batch_; ++i) frames[i] = dev::Frame{rx_storage_ + i * rx_slot_, rx_slot_, 0, 0};
        auto got = dev_.receive(std::span<dev::Frame>(frames, rx_batch_));
        if (!got) {
            lg.warn("receive failed: {}", to_string(got.error()));
            break;
        }
        if (*got == 0) break;
        ++stats_.rx_batches;
        stats_.rx_frames += *got;
        for (std::size_t i = 0; i < *got; ++i)
            ifc_->receive(frames[i].bytes(), now_,
                          (frames[i].flags & dev::kFrameCsumValid) ? stack::Interface::kRxCsumValid : 0);
        if (!logged_large_rx_ && ifc_->counters.rx_large > 0) {  // once: offload is really in use
            logged_large_rx_ = true;
            lg.info("receive offload: the host delivers packets larger than the MTU ({})", ifc_->mtu());
        }
        tcp_->flush_acks(now_);  // one (stretch) ACK per connection per batch
        flush();                 // ACKs and replies go out with each batch
        if (*got < rx_batch_) break;
        if (r + 1 == kMaxRxRoundsPerTurn) kicked_ = true;  // more may be waiting: come back soon
    }
    // Datagrams for UDP sockets (and DHCP).
    for (auto* u : udp_)
        if (u && u->sock_.queued() > 0) {
            u->ev_.set();
            u->ev_.reset();
        }
    // Timers.
    if (dhcp_ && (dhcp_sock_->queued() > 0 || dhcp_->next_deadline() <= now_)) dhcp_->poll(now_);
    if (ifc_->next_deadline() <= now_) ifc_->poll(now_);
    if (tcp_->next_deadline() <= now_) tcp_->on_timer(now_);
    check_address();
    flush();
}

void DirectBackend::push_writes() {
    if (!push_pending_) return;
    push_pending_ = false;
    for (std::size_t i = 0; i < cfg_.max_connections; ++i) {
        DirectStream& s = streams_[i];
        if (!s.push_pending_) continue;
        s.push_pending_ = false;
        if (s.in_use_ && s.c_) s.c_->push(now_);
    }
    flush();
}

std::uint64_t DirectBackend::next_deadline() const {
    std::uint64_t d = ifc_->next_deadline();
    std::uint64_t t = tcp_->next_deadline();
    if (t < d) d = t;
    if (dhcp_ && dhcp_->next_deadline() < d) d = dhcp_->next_deadline();
    if (!txq_->empty() && now_ + kTxRetryNs < d) d = now_ + kTxRetryNs;
    return d;
}

void DirectBackend::arm(std::uint64_t deadline) noexcept {
    if (!waiting_ || deadline == stack::kNever) return;
    TimePoint t(Duration(static_cast<Duration::rep>(deadline)));
    if (!timer_.armed() || t < timer_.deadline()) timer_.arm_at(t);
}

void DirectBackend::after_user() noexcept {
    flush();
    arm(next_deadline());
}

void DirectBackend::flush() {
    if (txq_->empty()) return;
    auto r = txq_->flush(dev_);
    if (!r) {
        lg.warn("transmit failed: {}", to_string(r.error()));
        return;
    }
    if (*r) {
        ++stats_.tx_batches;
        stats_.tx_frames += *r;
        if (after_tx_) after_tx_(after_tx_ctx_);
    }
}

void DirectBackend::check_address() {
    auto a = ifc_->ipv4();
    if (a == last_addr_) return;
    last_addr_ = a;
    if (a) {
        configured_.set();
    } else {
        configured_.reset();
    }
    if (on_addr_) on_addr_(on_addr_ctx_, *this);
}

// ---- engine callbacks ----------------------------------------------------------------------

bool DirectBackend::send_frame(std::span<const std::uint8_t> frame) {
    if (txq_->send_frame(frame)) return true;
    --txq_->dropped;  // not dropped yet: make room and retry
    flush();
    if (txq_->send_frame(frame)) return true;
    ++stats_.tx_dropped;
    return false;
}

void DirectBackend::ip_input(const stack::IpDatagram& d, std::uint64_t now) {
    if (d.protocol == 6 && !d.dst.is_broadcast()) tcp_->input(d.src, d.dst, d.payload, now, d.l4_csum_valid);
}

void DirectBackend::transmit(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) {
    stack::SendOptions opt;
    opt.src = src;
    (void)ifc_->send_ipv4(dst, 6, segment, {}, now_, opt);
}

DirectStream& DirectBackend::stream_for(tcp::TcpConnection* c) { return streams_[c - conns_]; }

void DirectBackend::notify(tcp::TcpConnection& c) {
    DirectStream& s = stream_for(&c);
    if (s.in_use_ && s.c_ == &c) s.wake();
}

void DirectBackend::notify_listener(int li) {
    if (li >= 0 && static_cast<std::size_t>(li) < cfg_.max_listeners) {
        listeners_[li].ev_.set();
        listeners_[li].ev_.reset();
    }
}

// ---- NetBackend ----------------------------------------------------------------------------

Result<backend::ListenerImpl*> DirectBackend::tcp_listen(uint16_t port, int backlog) {
    if (port == 0) return fail(Error::invalid);
    if (backlog > 0xffff) backlog = 0xffff;
    auto li = tcp_->listen(Ipv4Addr::any(), port, static_cast<uint16_t>(backlog));
    if (!li) return fail(to_error(li.error()));
    DirectListener& l = listeners_[*li];
    l.in_use_ = true;
    l.port_ = port;
    return &l;
}

Task<Result<backend::StreamImpl*>> DirectBackend::tcp_connect(SocketAddr to, CancelToken token) {
    auto a = ifc_->ipv4();
    if (!a) co_return fail(Error::not_found);
    if (to.port == 0 || !to.ip.is_unicast()) co_return fail(Error::invalid);
    auto c = tcp_->connect(a->address(), 0, to.ip, to.port, now_ns());
    if (!c) co_return fail(to_error(c.error()));
    DirectStream& s = stream_for(*c);
    s.c_ = *c;
    s.in_use_ = true;
    after_user();
    for (;;) {
        tcp::State st = s.c_->state();
        if (st != tcp::State::syn_sent && st != tcp::State::syn_received) break;
        auto w = co_await s.ev_.wait(token);
        if (!w) {
            s.abort();
            s.release();
            co_return fail(w.error());
        }
    }
    if (s.c_->state() == tcp::State::closed) {
        Error e = s.c_->error() == tcp::TcpErrc::timed_out ? Error::timeout : Error::closed;
        s.release();
        co_return fail(e);
    }
    co_return &s;
}

Result<backend::UdpImpl*> DirectBackend::udp_bind(uint16_t port) {
    std::size_t free = stack::Interface::kMaxUdpSockets;
    for (std::size_t i = 0; i < stack::Interface::kMaxUdpSockets; ++i)
        if (!udp_[i]) {
            free = i;
            break;
        }
    if (free == stack::Interface::kMaxUdpSockets) return fail(Error::overflow);
    const std::size_t bytes = cfg_.udp_queue * 2048;
    auto* storage = new std::uint8_t[bytes];
    auto* u = new DirectUdp(this, std::span<std::uint8_t>(storage, bytes));
    auto r = ifc_->udp_bind(u->sock_, port);
    if (!r) {
        delete u;
        delete[] storage;
        return fail(r.error());
    }
    udp_[free] = u;
    return u;
}

InterfaceInfo DirectBackend::info() const {
    InterfaceInfo i;
    i.device = device_name_;
    i.host_sockets = false;
    if (auto a = ifc_->ipv4()) {
        i.address = a->address();
        i.prefix_len = a->prefix_len();
    }
    i.gateway = ifc_->gateway();
    i.mac = ifc_->mac().octets;
    i.mtu = ifc_->mtu();
    i.dhcp = dhcp_ != nullptr;
    return i;
}

Task<Result<void>> DirectBackend::wait_configured(CancelToken token) {
    while (!ifc_->ipv4()) {
        auto w = co_await configured_.wait(token);
        if (!w) co_return fail(w.error());
    }
    co_return Result<void>{};
}

// ---- streams -------------------------------------------------------------------------------

Task<Result<size_t>> DirectStream::read(std::span<uint8_t> buf, CancelToken token) {
    for (;;) {
        if (!c_) co_return fail(Error::closed);
        if (buf.empty()) co_return size_t{0};
        std::size_t n = c_->recv(buf, b_->now_ns());
        if (n > 0) {
            b_->after_user();  // a window update may be due
            co_return n;
        }
        if (c_->recv_eof()) co_return size_t{0};
        if (c_->state() == tcp::State::closed) co_return fail(to_error(c_->error()));
        auto w = co_await ev_.wait(token);
        if (!w) co_return fail(w.error());
    }
}

Task<Result<size_t>> DirectStream::write(std::span<const uint8_t> data, CancelToken token) {
    for (;;) {
        if (!c_) co_return fail(Error::closed);
        if (data.empty()) co_return size_t{0};
        // Full segments go now; the short tail at the driver's next round (after this turn).
        auto r = c_->send(data, b_->now_ns(), /*more=*/true);
        if (!r) co_return fail(c_->error() != tcp::TcpErrc::none ? to_error(c_->error()) : Error::closed);
        if (*r > 0) {
            if (c_->corked() && !push_pending_) {
                push_pending_ = true;
                b_->push_pending_ = true;
                b_->kick();
            }
            b_->after_user();
            co_return *r;
        }
        if (c_->state() == tcp::State::closed) co_return fail(to_error(c_->error()));
        auto w = co_await ev_.wait(token);
        if (!w) co_return fail(w.error());
    }
}

Task<Result<void>> DirectStream::shutdown() {
    if (!c_) co_return fail(Error::closed);
    if (c_->state() == tcp::State::closed) co_return fail(to_error(c_->error()));
    c_->close(b_->now_ns());
    b_->after_user();
    co_return Result<void>{};
}

Task<Result<void>> DirectStream::close() {
    if (!c_) co_return fail(Error::closed);
    if (c_->state() == tcp::State::closed) {
        if (c_->error() != tcp::TcpErrc::none) co_return fail(to_error(c_->error()));
        co_return Result<void>{};
    }
    c_->close(b_->now_ns());
    b_->after_user();
    // Wait until our FIN is acknowledged (or the connection ends), at most close_timeout_ns.
    Timer t(
        [](void* self) {
            auto* s = static_cast<DirectStream*>(self);
            s->wake();
        },
        this);
    const TimePoint limit = unikit::now() + Duration(static_cast<Duration::rep>(b_->cfg_.close_timeout_ns));
    t.arm_at(limit);
    for (;;) {
        tcp::State st = c_->state();
        if (st == tcp::State::fin_wait_2 || st == tcp::State::time_wait) co_return Result<void>{};
        if (st == tcp::State::closed) {
            if (c_->error() != tcp::TcpErrc::none) co_return fail(to_error(c_->error()));
            co_return Result<void>{};
        }
        if (unikit::now() >= limit) co_return fail(Error::timeout);
        (void)co_await ev_.wait();
    }
}

void DirectStream::abort() {
    if (!c_) return;
    c_->abort(b_->now_ns());
    b_->after_user();
}

void DirectStream::release() {
    if (!in_use_) return;
    in_use_ = false;
    if (c_) {
        b_->tcp_->release(c_, b_->now_ns());
        c_ = nullptr;
        b_->after_user();
    }
}

SocketAddr DirectStream::local() const {
    if (!c_) return {};
    return {c_->tuple().local_addr, c_->tuple().local_port};
}

SocketAddr DirectStream::peer() const {
    if (!c_) return {};
    return {c_->tuple().remote_addr, c_->tuple().remote_port};
}

Result<void> DirectStream::set_nodelay(bool on) {
    if (!c_) return fail(Error::closed);
    c_->set_nodelay(on, b_->now_ns());
    b_->after_user();
    return {};
}

// ---- listeners -----------------------------------------------------------------------------

Task<Result<backend::StreamImpl*>> DirectListener::accept(CancelToken token) {
    for (;;) {
        if (!in_use_) co_return fail(Error::closed);
        if (tcp::TcpConnection* c = b_->tcp_->accept(index_)) {
            DirectStream& s = b_->stream_for(c);
            s.c_ = c;
            s.in_use_ = true;
            co_return &s;
        }
        auto w = co_await ev_.wait(token);
        if (!w) co_return fail(w.error());
    }
}

SocketAddr DirectListener::local() const {
    auto a = b_->ifc_->ipv4();
    return {a ? a->address() : Ipv4Addr::any(), port_};
}

void DirectListener::release() {
    if (!in_use_) return;
    in_use_ = false;
    b_->tcp_->unlisten(index_, b_->now_ns());
    ev_.set();
    ev_.reset();
    b_->after_user();
}

// ---- UDP -----------------------------------------------------------------------------------

Task<Result<Datagram>> DirectUdp::recv_from(std::span<uint8_t> buf, CancelToken token) {
    for (;;) {
        if (auto d = sock_.front()) {
            std::size_t n = d->data.size() < buf.size() ? d->data.size() : buf.size();
            if (n) std::memcpy(buf.data(), d->data.data(), n);
            Datagram out{n, SocketAddr{d->src, d->src_port}};
            sock_.pop();
            co_return out;
        }
        auto w = co_await ev_.wait(token);
        if (!w) co_return fail(w.error());
    }
}

Result<void> DirectUdp::send_to(std::span<const uint8_t> data, SocketAddr to) {
    auto r = b_->ifc_->udp_send(sock_.local_port(), to.ip, to.port, data, b_->now_ns());
    b_->after_user();
    return r;
}

SocketAddr DirectUdp::local() const {
    auto a = b_->ifc_->ipv4();
    return {a ? a->address() : Ipv4Addr::any(), sock_.local_port()};
}

void DirectUdp::release() {
    DirectBackend* b = b_;
    b->ifc_->udp_unbind(sock_);
    for (auto*& u : b->udp_)
        if (u == this) u = nullptr;
    std::uint8_t* storage = storage_.data();
    delete this;
    delete[] storage;
}

}  // namespace unikit::net::direct
