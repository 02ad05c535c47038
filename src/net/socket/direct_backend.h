// DirectBackend: the socket API over unikit's own stack. It owns the IP layer (Interface), the
// TCP engine (TcpStack), an optional DhcpClient, fixed connection slots with their buffers, and a
// driver coroutine on the event loop that
//   - drains the device in batches when it is readable (uk_yield / wait_readable), feeding each
//     frame to the Interface (which hands TCP segments to TcpStack through the IpProtocolHandler
//     hook), and queued UDP datagrams to their sockets;
//   - runs the timers of the Interface, the DHCP client and TCP, sleeping until the earliest;
//   - transmits what the stack produced, in batches (TxQueue), when it finishes a round;
//   - wakes readers, writers and acceptors when TcpOutput::notify / notify_listener fire.
// User calls (read, write, close, ...) run the engine synchronously and flush at once, with one
// exception: a write sends only full-sized segments at once (TcpConnection::send(..., more)) and
// its short tail goes at the start of the driver's next round, after the writer's turn ("auto
// corking"), so writes made back to back in one turn (an HTTP head, then the body) share
// segments. TCP_NODELAY (set_nodelay) is per connection.
//
// Memory is bounded and allocated once, at construction: `max_connections` slots, each with a
// send and a receive buffer, a transmit queue, receive frame buffers, listener and UDP slots.
// The device below may be a PlatformNetDevice (a real image), optionally wrapped by a
// FaultInjector, or any NetDevice (tests use a LoopbackPair; they then call kick() to wake the
// driver, since there is no platform handle to wait on).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <unikit/loop.h>
#include <unikit/sync.h>

#include "net/dev/device.h"
#include "net/dev/tx_queue.h"
#include "net/socket/backend.h"
#include "net/stack/dhcp_client.h"
#include "net/stack/interface.h"
#include "net/stack/util/rng.h"
#include "net/tcp/stack.h"

namespace unikit::net::direct {

struct DirectConfig {
    std::size_t max_connections = 32;       // TCP connection slots (all states, incl. TIME-WAIT)
    // Per connection (the receive buffer is the advertised window). 0, the default: 64 KiB, or
    // 32 full-sized segments when the MTU makes that more (MTU 9000: 32 x 8960 = 280 KiB), so
    // a window holds enough segments for ACKs to stay rare. `--tcp-buffer` sets both.
    std::size_t send_buffer = 0;
    std::size_t recv_buffer = 0;
    static constexpr std::size_t kAutoBufferMin = 64 * 1024;
    static constexpr std::size_t kAutoBufferSegments = 32;
    std::size_t max_listeners = 8;
    std::size_t udp_queue = 32;             // datagrams queued per UDP socket (2 KiB slots)
    std::size_t tx_queue_frames = 256;      // frames waiting for the device
    std::optional<wire::Ipv4Cidr> ipv4;     // a static address (nullopt + dhcp: DHCP)
    bool dhcp = false;
    std::optional<Ipv4Addr> gateway;
    std::optional<Ipv4Addr> dns;
    tcp::TcpConfig tcp = default_tcp();
    tcp::IsnSecret isn_secret{};
    std::uint64_t rng_seed = 0;             // DHCP xids and jitter
    std::uint64_t close_timeout_ns = 5'000'000'000ull;  // TcpStream::close() waits at most this

    static tcp::TcpConfig default_tcp() {
        tcp::TcpConfig c;
        c.rto_min = 200'000'000ull;  // as Linux: a lost segment costs 200 ms, not 1 s
        c.delayed_ack = 40'000'000ull;
        c.stretch_acks = true;       // one ACK per received batch (round() calls flush_acks)
        return c;
    }
};

class DirectBackend;

// One TCP connection as the socket API sees it (lives in a slot parallel to the TcpConnection).
class DirectStream final : public backend::StreamImpl {
public:
    Task<Result<size_t>> read(std::span<uint8_t> buf, CancelToken token) override;
    Task<Result<size_t>> write(std::span<const uint8_t> data, CancelToken token) override;
    Task<Result<void>> shutdown() override;
    Task<Result<void>> close() override;
    void abort() override;
    void release() override;
    SocketAddr local() const override;
    SocketAddr peer() const override;
    Result<void> set_nodelay(bool on) override;

private:
    friend class DirectBackend;
    friend class DirectListener;
    void wake() noexcept {
        ev_.set();
        ev_.reset();
    }
    DirectBackend* b_ = nullptr;
    tcp::TcpConnection* c_ = nullptr;
    bool in_use_ = false;
    bool push_pending_ = false;  // written this turn: the driver pushes the corked tail
    Event ev_;
};

class DirectListener final : public backend::ListenerImpl {
public:
    Task<Result<backend::StreamImpl*>> accept(CancelToken token) override;
    SocketAddr local() const override;
    void release() override;

private:
    friend class DirectBackend;
    DirectBackend* b_ = nullptr;
    int index_ = -1;
    uint16_t port_ = 0;
    bool in_use_ = false;
    Event ev_;
};

class DirectUdp final : public backend::UdpImpl {
public:
    Task<Result<Datagram>> recv_from(std::span<uint8_t> buf, CancelToken token) override;
    Result<void> send_to(std::span<const uint8_t> data, SocketAddr to) override;
    SocketAddr local() const override;
    void release() override;
    ~DirectUdp() = default;

private:
    friend class DirectBackend;
    DirectUdp(DirectBackend* b, std::span<uint8_t> storage) : b_(b), storage_(storage), sock_(storage) {}
    DirectBackend* b_;
    std::span<uint8_t> storage_;
    stack::UdpSocket sock_;
    Event ev_;
};

struct DirectStats {
    std::uint64_t rx_frames = 0, tx_frames = 0, rx_batches = 0, tx_batches = 0;
    std::uint64_t tx_dropped = 0;   // frames the transmit queue could not take
    std::uint64_t wakeups = 0;      // driver rounds
};

class DirectBackend final : public backend::NetBackend,
                            private tcp::TcpOutput,
                            private dev::FrameSink,
                            private stack::IpProtocolHandler {
public:
    // `dev` must outlive the backend. `wait_handle`: the platform handle to wait on for input
    // (-1: none; then the owner calls kick() when input may be waiting).
    DirectBackend(dev::NetDevice& dev, uk_handle wait_handle, std::string_view device_name, const DirectConfig& cfg);
    ~DirectBackend();
    DirectBackend(const DirectBackend&) = delete;
    DirectBackend& operator=(const DirectBackend&) = delete;

    // Starts the driver on the current loop (configures the address or starts DHCP).
    void start();
    // Makes the driver run a round soon (input may be waiting on a device without a handle).
    void kick() noexcept;
    // Called after every batch this backend transmitted (tests: kick the peer of a loopback).
    void set_after_transmit(void (*fn)(void*), void* ctx) noexcept {
        after_tx_ = fn;
        after_tx_ctx_ = ctx;
    }
    // Called whenever the interface address changes (log it, ...).
    void set_on_address(void (*fn)(void*, const DirectBackend&), void* ctx) noexcept {
        on_addr_ = fn;
        on_addr_ctx_ = ctx;
    }

    // NetBackend.
    Result<backend::ListenerImpl*> tcp_listen(uint16_t port, int backlog) override;
    Task<Result<backend::StreamImpl*>> tcp_connect(SocketAddr to, CancelToken token) override;
    Result<backend::UdpImpl*> udp_bind(uint16_t port) override;
    InterfaceInfo info() const override;
    Task<Result<void>> wait_configured(CancelToken token) override;

    stack::Interface& interface() { return *ifc_; }
    tcp::TcpStack& tcp() { return *tcp_; }
    const stack::DhcpClient* dhcp() const { return dhcp_; }
    const DirectStats& stats() const { return stats_; }
    const DirectConfig& config() const { return cfg_; }
    // The engine's clock: read once per loop wake-up. Within one turn of the loop (no uk_yield
    // since the last read) the value is reused, so a request that reads and writes several
    // times costs one clock read, not one per call (on spt each read is a system call).
    std::uint64_t now_ns() noexcept;

private:
    friend class DirectStream;
    friend class DirectListener;
    friend class DirectUdp;

    // TcpOutput / FrameSink / IpProtocolHandler.
    void transmit(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) override;
    void notify(tcp::TcpConnection& c) override;
    void notify_listener(int listener) override;
    bool send_frame(std::span<const std::uint8_t> frame) override;
    void ip_input(const stack::IpDatagram& d, std::uint64_t now) override;

    Task<void> drive();
    void round();                // one driver round: input, timers, output
    void flush();                // hand queued frames to the device
    void after_user() noexcept;  // after a user call ran the engine: flush, re-arm the timer
    std::uint64_t next_deadline() const;
    void arm(std::uint64_t deadline_ns) noexcept;
    void check_address();
    void push_writes();          // end the cork of every stream written since the last round
    DirectStream& stream_for(tcp::TcpConnection* c);

    struct WaitAwaiter;

    dev::NetDevice& dev_;
    uk_handle wait_handle_;
    std::string_view device_name_;
    DirectConfig cfg_;
    std::uint64_t now_ = 0;
    const Loop* now_loop_ = nullptr;  // the loop and its yield count when now_ was read
    std::uint64_t now_yields_ = 0;

    stack::Interface* ifc_ = nullptr;
    tcp::TcpStack* tcp_ = nullptr;
    util::Xoshiro256 rng_;
    stack::UdpSocket* dhcp_sock_ = nullptr;
    stack::DhcpClient* dhcp_ = nullptr;
    std::uint8_t* dhcp_storage_ = nullptr;

    std::uint8_t* conn_storage_ = nullptr;       // connection buffers
    tcp::TcpConnection* conns_ = nullptr;        // max_connections slots (placement-new'd)
    DirectStream* streams_ = nullptr;            // parallel to conns_
    tcp::TcpListener* listener_slots_ = nullptr;
    DirectListener* listeners_ = nullptr;
    DirectUdp* udp_[stack::Interface::kMaxUdpSockets] = {};

    std::uint8_t* txq_storage_ = nullptr;
    dev::TxQueue* txq_ = nullptr;
    std::uint8_t* rx_storage_ = nullptr;
    static constexpr std::size_t kRxBatch = 64;
    static constexpr std::size_t kRxBatchLarge = 32;  // buffers when the device has receive offload
    std::size_t rx_batch_ = kRxBatch;
    bool logged_large_rx_ = false;
    std::size_t rx_slot_ = 2048;  // one received frame: 2 KiB, more for a jumbo MTU, 64 KiB with offload
    std::size_t tx_slot_ = 1536 + 32;

    Task<void> driver_;
    Timer timer_;
    Resumable resumable_;
    detail::DeviceWaiter dev_waiter_;
    bool waiting_ = false;
    bool kicked_ = false;
    bool started_ = false;
    bool push_pending_ = false;  // some stream has push_pending_
    std::optional<wire::Ipv4Cidr> last_addr_;
    Event configured_;

    void (*after_tx_)(void*) = nullptr;
    void* after_tx_ctx_ = nullptr;
    void (*on_addr_)(void*, const DirectBackend&) = nullptr;
    void* on_addr_ctx_ = nullptr;
    DirectStats stats_;
};

// Maps a TCP engine error to the socket API's errors.
Error to_error(tcp::TcpErrc e) noexcept;

}  // namespace unikit::net::direct
