// unikit::net - the socket API: TCP streams and listeners, UDP sockets, with co_await reads and
// writes, back-pressure, cancellation and timeouts.
//
//   auto l = unikit::net::TcpListener::bind(7);                 // Result<TcpListener>
//   for (;;) {
//       auto s = co_await l->accept();                           // Result<TcpStream>
//       unikit::spawn(serve(std::move(*s)));
//   }
//   ...
//   uint8_t buf[4096];
//   auto n = co_await stream.read(buf);                          // 0 = end of stream (peer FIN)
//   co_await stream.write_all(std::span(buf, *n));
//   co_await stream.close();
//   // timeouts: co_await unikit::with_timeout(stream.read(buf), 5s) -> Error::timeout
//
// Two implementations stand behind this API (DESIGN rule 3), and apps cannot tell which one
// they have: the direct stack (unikit's own Ethernet/ARP/IPv4/TCP/UDP/DHCP over the image's net
// device, on every target) and host sockets (unix target, net device attached with
// `--net NAME=socket`). See docs/networking.md.
//
// Errors (unikit::Error): closed (peer reset, aborted, the stream or listener is closed,
// connection refused), timeout (retransmissions exhausted, or with_timeout), cancelled (a
// CancelToken fired), again (port in use), overflow (no free connection/socket slot), not_found
// (no net device, no address or route), invalid (bad argument), io (device failure).
//
// All objects are move-only handles. Destroying a TcpStream that is still open closes it
// gracefully in the background (like close(2)); destroying a listener stops listening.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <unikit/cancel.h>
#include <unikit/error.h>
#include <unikit/task.h>

#include "net/wire/addr.h"

namespace unikit::net {

using Ipv4Addr = wire::Ipv4Addr;

struct SocketAddr {
    Ipv4Addr ip;
    uint16_t port = 0;
    friend constexpr bool operator==(const SocketAddr&, const SocketAddr&) = default;
};

struct Datagram {
    size_t size = 0;  // bytes written to the caller's buffer (a longer datagram is truncated)
    SocketAddr from;
};

namespace backend {
class StreamImpl;
class ListenerImpl;
class UdpImpl;
}  // namespace backend

class TcpStream {
public:
    TcpStream() noexcept = default;
    explicit TcpStream(backend::StreamImpl* impl) noexcept : impl_(impl) {}
    TcpStream(TcpStream&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
    TcpStream& operator=(TcpStream&& o) noexcept;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;
    // Releases the connection: an open one is closed gracefully in the background.
    ~TcpStream();

    // Active open to `to` (co_await with_timeout(...) to bound it).
    static Task<Result<TcpStream>> connect(SocketAddr to, CancelToken token = {});

    bool valid() const noexcept { return impl_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }

    // Up to buf.size() received bytes; waits until at least one byte (or the end) is there.
    // 0 means the peer closed its direction (FIN) and everything has been read.
    Task<Result<size_t>> read(std::span<uint8_t> buf, CancelToken token = {});
    // Queues some of `data` for sending; waits while the send buffer is full (back-pressure).
    // Returns how many bytes were taken (>= 1 unless data is empty).
    Task<Result<size_t>> write(std::span<const uint8_t> data, CancelToken token = {});
    // Writes all of `data` (several write()s).
    Task<Result<void>> write_all(std::span<const uint8_t> data, CancelToken token = {});
    Task<Result<void>> write_all(std::string_view s, CancelToken token = {}) {
        return write_all(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()), token);
    }
    // Ends our direction (FIN after the queued data); reading goes on.
    Task<Result<void>> shutdown();
    // Graceful close: FIN, then waits (at most a few seconds) until the peer acknowledged it.
    // The stream is released afterwards (valid() == false) whatever the result.
    Task<Result<void>> close();
    // Resets the connection (RST) and releases it at once.
    void abort() noexcept;

    SocketAddr local() const;
    SocketAddr peer() const;
    // Disables (true) or enables Nagle's algorithm.
    Result<void> set_nodelay(bool on);

private:
    backend::StreamImpl* impl_ = nullptr;
};

class TcpListener {
public:
    TcpListener() noexcept = default;
    explicit TcpListener(backend::ListenerImpl* impl) noexcept : impl_(impl) {}
    TcpListener(TcpListener&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
    TcpListener& operator=(TcpListener&& o) noexcept;
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;
    ~TcpListener();

    // Listens on every local address. backlog bounds connections waiting for accept().
    static Result<TcpListener> bind(uint16_t port, int backlog = 128);

    bool valid() const noexcept { return impl_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    // The next incoming connection; waits for one.
    Task<Result<TcpStream>> accept(CancelToken token = {});
    SocketAddr local() const;

private:
    backend::ListenerImpl* impl_ = nullptr;
};

class UdpSocket {
public:
    UdpSocket() noexcept = default;
    explicit UdpSocket(backend::UdpImpl* impl) noexcept : impl_(impl) {}
    UdpSocket(UdpSocket&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
    UdpSocket& operator=(UdpSocket&& o) noexcept;
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    ~UdpSocket();

    // Binds a local port (0: an ephemeral port).
    static Result<UdpSocket> bind(uint16_t port);

    bool valid() const noexcept { return impl_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    // The next datagram, copied into buf (truncated if longer); waits for one.
    Task<Result<Datagram>> recv_from(std::span<uint8_t> buf, CancelToken token = {});
    // Sends one datagram (no waiting: it is queued or dropped like on any datagram network).
    Result<void> send_to(std::span<const uint8_t> data, SocketAddr to);
    SocketAddr local() const;

private:
    backend::UdpImpl* impl_ = nullptr;
};

// ---- the interface ------------------------------------------------------------------------

struct InterfaceInfo {
    std::string_view device;          // the manifest's name of the net device ("service")
    bool host_sockets = false;        // true: host sockets (no own IP stack; address may be 0.0.0.0)
    Ipv4Addr address;                 // 0.0.0.0 while unconfigured (DHCP not bound yet)
    uint8_t prefix_len = 0;
    std::optional<Ipv4Addr> gateway;
    std::array<uint8_t, 6> mac{};
    uint16_t mtu = 0;
    bool dhcp = false;                // the address comes (or will come) from DHCP
};

// Picks the net device (by its manifest name) the socket API uses. Default: the first net
// device in the manifest. Must be called before the first socket is made; Error::invalid after.
Result<void> use_device(std::string_view name);

// Starts the network (if not started yet) and describes the interface now.
// Error::not_found if the image has no net device.
Result<InterfaceInfo> interface_info();

// Starts the network and waits until the interface has an address (at once with a static
// address or host sockets; with DHCP until the lease is bound). Bound it with the token or
// with_timeout.
Task<Result<InterfaceInfo>> wait_configured(CancelToken token = {});

// The interface's IPv4 address (0.0.0.0 if none yet, or with host sockets).
Ipv4Addr local_address();

}  // namespace unikit::net
