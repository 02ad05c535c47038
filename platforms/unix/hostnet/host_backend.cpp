// The host-socket backend of the socket API (src/net/socket/backend.h) for the unix target.
//
// Sockets are AF_INET, SOCK_NONBLOCK | SOCK_CLOEXEC. An operation tries its syscall first and,
// on EAGAIN, waits for the socket's handle (fd_watch.h) in the needed direction with the core's
// wait_readable(); the interest is held by an object in the coroutine frame, so a cancelled or
// destroyed wait (with_timeout) leaves the socket as it was. Nothing blocks the process.
//
// Lifetime: a handle (TcpStream, ...) owns its impl until release(); an operation in flight holds
// a reference (OpRef), so an impl released while a suspended operation still points at it is
// freed when that operation ends or its frame is destroyed.
#include "hostnet/hostnet.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <unikit/log.h>
#include <unikit/loop.h>

#include "hostnet/fd_watch.h"
#include "net/socket/backend.h"

namespace unikit::unix_platform::hostnet {
namespace {

using net::Datagram;
using net::InterfaceInfo;
using net::SocketAddr;
using net::wire::Ipv4Addr;
using namespace std::chrono_literals;

Logger g_log{"hostnet"};
size_t g_open_sockets = 0;

// How long close() waits for the peer to acknowledge our FIN.
constexpr Duration kCloseWait = std::chrono::duration_cast<Duration>(3s);

sockaddr_in to_sockaddr(Ipv4Addr ip, uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::memcpy(&sa.sin_addr.s_addr, ip.octets.data(), 4);
    sa.sin_port = htons(port);
    return sa;
}

SocketAddr from_sockaddr(const sockaddr_in& sa) {
    SocketAddr a;
    std::memcpy(a.ip.octets.data(), &sa.sin_addr.s_addr, 4);
    a.port = ntohs(sa.sin_port);
    return a;
}

// Waits until the handle is reported in `dirs`, holding that interest while suspended.
class [[nodiscard]] IoWait {
public:
    IoWait(uk_handle h, uint32_t dirs, CancelToken token) noexcept : interest_(h, dirs), inner_(h, token) {}
    bool await_ready() noexcept { return inner_.await_ready(); }
    void await_suspend(std::coroutine_handle<> c) noexcept { inner_.await_suspend(c); }
    Result<void> await_resume() noexcept { return inner_.await_resume(); }

private:
    WatchInterest interest_;
    ReadableAwaiter inner_;
};

class HostBackend;

// What every host socket has: the descriptor, its watch handle, and the reference count.
class SockBase {
public:
    virtual ~SockBase() { close_fd(false); }

protected:
    explicit SockBase(HostBackend& b) noexcept : backend_(b) {}

    // Takes ownership of a non-blocking descriptor. On failure it is closed.
    Result<void> adopt(int fd) {
        auto h = watch_fd(fd);
        if (!h) {
            ::close(fd);
            return fail(map_errno(h.error()));
        }
        fd_ = fd;
        h_ = *h;
        ++g_open_sockets;
        return {};
    }
    // Closes the descriptor (with an RST for a TCP socket when `reset`). Waiters wake and see
    // fd_ < 0.
    void close_fd(bool reset) noexcept {
        if (fd_ < 0) return;
        if (reset) {
            struct linger lg{1, 0};
            setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        unwatch_fd(h_);
        ::close(fd_);
        fd_ = -1;
        h_ = -1;
        --g_open_sockets;
    }
    IoWait wait(uint32_t dirs, CancelToken token) noexcept { return IoWait(h_, dirs, token); }
    void mark_released() noexcept {
        released_ = true;
        if (refs_ == 0) delete this;
    }

    // Held by every operation while it runs.
    class OpRef {
    public:
        explicit OpRef(SockBase* s) noexcept : s_(s) { ++s_->refs_; }
        ~OpRef() {
            if (--s_->refs_ == 0 && s_->released_) delete s_;
        }
        OpRef(const OpRef&) = delete;
        OpRef& operator=(const OpRef&) = delete;

    private:
        SockBase* s_;
    };

    HostBackend& backend_;
    int fd_ = -1;
    uk_handle h_ = -1;

private:
    uint32_t refs_ = 0;
    bool released_ = false;
};

class HostBackend final : public net::backend::NetBackend {
public:
    explicit HostBackend(Config cfg) : cfg_(std::move(cfg)) {}

    const Config& config() const { return cfg_; }
    SocketAddr app_view(SocketAddr host_local) const {
        host_local.port = cfg_.app_port(host_local.port);
        return host_local;
    }

    Result<net::backend::ListenerImpl*> tcp_listen(uint16_t port, int backlog) override;
    Task<Result<net::backend::StreamImpl*>> tcp_connect(SocketAddr to, CancelToken token) override;
    Result<net::backend::UdpImpl*> udp_bind(uint16_t port) override;
    InterfaceInfo info() const override {
        InterfaceInfo i;
        i.device = cfg_.device;
        i.host_sockets = true;
        i.address = cfg_.bind;
        i.prefix_len = 0;
        i.mtu = 1500;
        i.dhcp = false;
        return i;
    }
    Task<Result<void>> wait_configured(CancelToken token) override {
        if (token.cancelled()) co_return fail(Error::cancelled);
        co_return Result<void>{};
    }

    // A bound host socket of `type` on the app's `port` (mapped), or an error (logged when the
    // reason is worth a line: a privileged port without the privilege).
    Result<int> bound_socket(int type, uint16_t port, const char* what);

private:
    Config cfg_;
};

// ---- streams -------------------------------------------------------------------------------

class HostStream final : public net::backend::StreamImpl, public SockBase {
public:
    explicit HostStream(HostBackend& b) noexcept : SockBase(b) {}

    // For accepted and connected sockets: caches the addresses (the peer's stays known after
    // the connection is gone).
    Result<void> init(int fd) {
        if (auto r = adopt(fd); !r) return r;
        refresh_addrs();
        return {};
    }
    void refresh_addrs() {
        sockaddr_in sa{};
        socklen_t len = sizeof sa;
        if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) local_ = backend_.app_view(from_sockaddr(sa));
        len = sizeof sa;
        if (getpeername(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) peer_ = from_sockaddr(sa);
    }
    int fd() const { return fd_; }
    Result<void> connect_wait_result() {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err != 0) return fail(map_errno(err));
        refresh_addrs();
        return {};
    }
    IoWait wait_writable(CancelToken token) { return wait(kWatchWrite, token); }

    Task<Result<size_t>> read(std::span<uint8_t> buf, CancelToken token) override {
        OpRef ref(this);
        for (;;) {
            if (fd_ < 0 || error_ != Error::ok) co_return fail(error_ != Error::ok ? error_ : Error::closed);
            if (buf.empty()) co_return size_t{0};
            ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n >= 0) co_return static_cast<size_t>(n);
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) co_return fail(remember(errno));
            if (auto w = co_await wait(kWatchRead, token); !w) co_return fail(w.error());
        }
    }

    Task<Result<size_t>> write(std::span<const uint8_t> data, CancelToken token) override {
        OpRef ref(this);
        for (;;) {
            if (fd_ < 0 || error_ != Error::ok) co_return fail(error_ != Error::ok ? error_ : Error::closed);
            if (write_shut_) co_return fail(Error::closed);
            if (data.empty()) co_return size_t{0};
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n >= 0) co_return static_cast<size_t>(n);
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) co_return fail(remember(errno));
            if (auto w = co_await wait(kWatchWrite, token); !w) co_return fail(w.error());
        }
    }

    Task<Result<void>> shutdown() override {
        if (fd_ < 0 || error_ != Error::ok) co_return fail(error_ != Error::ok ? error_ : Error::closed);
        if (!write_shut_ && ::shutdown(fd_, SHUT_WR) < 0) co_return fail(remember(errno));
        write_shut_ = true;
        co_return Result<void>{};
    }

    Task<Result<void>> close() override {
        OpRef ref(this);
        if (fd_ < 0) co_return Result<void>{};
        Result<void> result{};
        if (error_ != Error::ok) {
            result = fail(error_);
        } else {
            if (!write_shut_ && ::shutdown(fd_, SHUT_WR) < 0 && errno != ENOTCONN) result = fail(remember(errno));
            write_shut_ = true;
            // Our FIN is acknowledged when the connection reaches FIN-WAIT-2, TIME-WAIT or
            // CLOSED. No event says so: poll TCP_INFO with a growing pause (1 ms .. 64 ms),
            // reading and discarding what still arrives (unread data would turn close into RST).
            const TimePoint give_up = now() + kCloseWait;
            Duration pause = std::chrono::duration_cast<Duration>(1ms);
            while (result && fd_ >= 0) {
                drain();
                tcp_info ti{};
                socklen_t len = sizeof ti;
                if (getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) break;
                if (ti.tcpi_state == TCP_FIN_WAIT2 || ti.tcpi_state == TCP_TIME_WAIT || ti.tcpi_state == TCP_CLOSE)
                    break;
                if (now() >= give_up) {
                    result = fail(Error::timeout);
                    break;
                }
                (void)co_await sleep(pause);
                if (pause < std::chrono::duration_cast<Duration>(64ms)) pause *= 2;
            }
        }
        if (fd_ >= 0) {
            drain();
            close_fd(false);
        }
        co_return result;
    }

    void abort() override { close_fd(true); }

    void release() override {
        if (fd_ >= 0) {
            // Closed in the background by the host (as close(2)): FIN after the queued data.
            if (!write_shut_) ::shutdown(fd_, SHUT_WR);
            drain();
            close_fd(false);
        }
        mark_released();
    }

    SocketAddr local() const override { return local_; }
    SocketAddr peer() const override { return peer_; }

    Result<void> set_nodelay(bool on) override {
        if (fd_ < 0) return fail(Error::closed);
        int v = on ? 1 : 0;
        if (setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0) return fail(map_errno(errno));
        return {};
    }

private:
    // Reads and drops whatever is readable now.
    void drain() {
        uint8_t junk[4096];
        while (fd_ >= 0 && ::recv(fd_, junk, sizeof junk, MSG_DONTWAIT) > 0) {
        }
    }
    // A connection-level error is sticky: later calls fail the same way (the host reports it once).
    Error remember(int e) {
        Error err = map_errno(e);
        if (e == ECONNRESET || e == EPIPE || e == ETIMEDOUT || e == ECONNABORTED) error_ = err;
        return err;
    }

    SocketAddr local_;
    SocketAddr peer_;
    Error error_ = Error::ok;
    bool write_shut_ = false;
};

// ---- listeners -----------------------------------------------------------------------------

class HostListener final : public net::backend::ListenerImpl, public SockBase {
public:
    explicit HostListener(HostBackend& b) noexcept : SockBase(b) {}
    Result<void> init(int fd) {
        if (auto r = adopt(fd); !r) return r;
        sockaddr_in sa{};
        socklen_t len = sizeof sa;
        if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) local_ = backend_.app_view(from_sockaddr(sa));
        return {};
    }

    Task<Result<net::backend::StreamImpl*>> accept(CancelToken token) override {
        OpRef ref(this);
        for (;;) {
            if (fd_ < 0) co_return fail(Error::closed);
            sockaddr_in sa{};
            socklen_t len = sizeof sa;
            int c = ::accept4(fd_, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c >= 0) {
                auto s = std::make_unique<HostStream>(backend_);
                if (auto r = s->init(c); !r) co_return fail(r.error());
                co_return static_cast<net::backend::StreamImpl*>(s.release());
            }
            int e = errno;
            // The connection died before we took it, or a signal: take the next one.
            if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
            if (e != EAGAIN && e != EWOULDBLOCK) co_return fail(map_errno(e));
            if (auto w = co_await wait(kWatchRead, token); !w) co_return fail(w.error());
        }
    }
    SocketAddr local() const override { return local_; }
    void release() override {
        close_fd(false);
        mark_released();
    }

private:
    SocketAddr local_;
};

// ---- UDP -----------------------------------------------------------------------------------

class HostUdp final : public net::backend::UdpImpl, public SockBase {
public:
    explicit HostUdp(HostBackend& b) noexcept : SockBase(b) {}
    Result<void> init(int fd) {
        if (auto r = adopt(fd); !r) return r;
        sockaddr_in sa{};
        socklen_t len = sizeof sa;
        if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0) local_ = backend_.app_view(from_sockaddr(sa));
        return {};
    }

    Task<Result<Datagram>> recv_from(std::span<uint8_t> buf, CancelToken token) override {
        OpRef ref(this);
        for (;;) {
            if (fd_ < 0) co_return fail(Error::closed);
            sockaddr_in sa{};
            socklen_t len = sizeof sa;
            ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sa), &len);
            if (n >= 0) co_return Datagram{static_cast<size_t>(n), from_sockaddr(sa)};
            int e = errno;
            // ECONNREFUSED: an ICMP error for an earlier datagram; datagram sockets ignore it.
            if (e == EINTR || e == ECONNREFUSED) continue;
            if (e != EAGAIN && e != EWOULDBLOCK) co_return fail(map_errno(e));
            if (auto w = co_await wait(kWatchRead, token); !w) co_return fail(w.error());
        }
    }

    Result<void> send_to(std::span<const uint8_t> data, SocketAddr to) override {
        if (fd_ < 0) return fail(Error::closed);
        if (to.port == 0) return fail(Error::invalid);
        sockaddr_in sa = to_sockaddr(to.ip, to.port);
        for (;;) {
            ssize_t n = ::sendto(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                                 reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
            if (n >= 0) return {};
            int e = errno;
            if (e == EINTR) continue;
            // A full queue drops the datagram, as a datagram network may; an ICMP error for an
            // earlier datagram is not this one's failure.
            if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == ECONNREFUSED) return {};
            return fail(map_errno(e));
        }
    }
    SocketAddr local() const override { return local_; }
    void release() override {
        close_fd(false);
        mark_released();
    }

private:
    SocketAddr local_;
};

// ---- the backend ---------------------------------------------------------------------------

Result<int> HostBackend::bound_socket(int type, uint16_t port, const char* what) {
    int fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(map_errno(errno));
    int one = 1;
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (type == SOCK_DGRAM) setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    uint16_t host = cfg_.host_port(port);
    sockaddr_in sa = to_sockaddr(cfg_.bind, host);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) < 0) {
        int e = errno;
        ::close(fd);
        if (e == EACCES || e == EPERM) {
            g_log.error("cannot {} on {}:{} (app port {}): {}; ports below 1024 need root (or "
                        "CAP_NET_BIND_SERVICE): map the port, e.g. --net {}=socket,map={}:{}",
                        what, cfg_.bind.to_text().view(), host, port, std::strerror(e), cfg_.device, port,
                        port < 1024 ? port + 8000 : port);
        } else if (e == EADDRNOTAVAIL) {
            g_log.error("cannot {} on {}:{}: {} (bind= must be an address of this host)", what,
                        cfg_.bind.to_text().view(), host, std::strerror(e));
        }
        return fail(map_errno(e));
    }
    return fd;
}

Result<net::backend::ListenerImpl*> HostBackend::tcp_listen(uint16_t port, int backlog) {
    if (backlog <= 0) return fail(Error::invalid);
    auto fd = bound_socket(SOCK_STREAM, port, "listen");
    if (!fd) return fail(fd.error());
    if (::listen(*fd, backlog) < 0) {
        int e = errno;
        ::close(*fd);
        return fail(map_errno(e));
    }
    auto l = std::make_unique<HostListener>(*this);
    if (auto r = l->init(*fd); !r) return fail(r.error());
    return l.release();
}

Task<Result<net::backend::StreamImpl*>> HostBackend::tcp_connect(SocketAddr to, CancelToken token) {
    if (to.port == 0 || to.ip.is_unspecified() || to.ip.is_broadcast() || to.ip.is_multicast())
        co_return fail(Error::invalid);
    if (token.cancelled()) co_return fail(Error::cancelled);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) co_return fail(map_errno(errno));
    auto s = std::make_unique<HostStream>(*this);  // freed if this task is destroyed (timeout)
    if (auto r = s->init(fd); !r) co_return fail(r.error());
    sockaddr_in sa = to_sockaddr(to.ip, to.port);
    int rc;
    do {
        rc = ::connect(s->fd(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        if (errno != EINPROGRESS) co_return fail(map_errno(errno));
        // Connected (or failed) when the socket becomes writable; SO_ERROR tells which.
        if (auto w = co_await s->wait_writable(token); !w) co_return fail(w.error());
        for (;;) {
            if (auto r = s->connect_wait_result(); !r) co_return fail(r.error());
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            if (getpeername(s->fd(), reinterpret_cast<sockaddr*>(&peer), &len) == 0) break;
            // Not connected yet (a stray report): wait again.
            if (auto w = co_await s->wait_writable(token); !w) co_return fail(w.error());
        }
    } else {
        s->refresh_addrs();
    }
    co_return static_cast<net::backend::StreamImpl*>(s.release());
}

Result<net::backend::UdpImpl*> HostBackend::udp_bind(uint16_t port) {
    auto fd = bound_socket(SOCK_DGRAM, port, "bind UDP");
    if (!fd) return fail(fd.error());
    auto u = std::make_unique<HostUdp>(*this);
    if (auto r = u->init(*fd); !r) return fail(r.error());
    return u.release();
}

std::vector<std::unique_ptr<HostBackend>> g_backends;
std::vector<std::unique_ptr<HostBackend>> g_retired;  // detached, kept for their sockets

}  // namespace

uint16_t Config::host_port(uint16_t p) const {
    for (auto [app, host] : port_map) {
        if (app == p) return host;
    }
    return p;
}

uint16_t Config::app_port(uint16_t p) const {
    for (auto [app, host] : port_map) {
        if (host == p) return app;
    }
    return p;
}

Error map_errno(int e) {
    switch (e) {
        case EAGAIN: return Error::again;
        case ECONNRESET:
        case ECONNREFUSED:
        case ECONNABORTED:
        case EPIPE:
        case ENOTCONN:
        case ESHUTDOWN:
            return Error::closed;
        case ETIMEDOUT: return Error::timeout;
        case EADDRINUSE: return Error::again;  // port in use (net.h)
        case EADDRNOTAVAIL:
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
            return Error::not_found;
        case EMFILE:
        case ENFILE:
            return Error::overflow;  // no free socket
        case ENOMEM:
        case ENOBUFS:
            return Error::no_memory;
        case EINVAL:
        case EACCES:
        case EPERM:
        case EMSGSIZE:
        case EAFNOSUPPORT:
        case EISCONN:
        case EALREADY:
        case EDESTADDRREQ:
            return Error::invalid;
        case ECANCELED: return Error::cancelled;
        default: return Error::io;
    }
}

std::expected<void, std::string> attach(Config cfg) {
    for (const auto& b : g_backends) {
        if (b->config().device == cfg.device) return std::unexpected("device '" + cfg.device + "' is already attached");
    }
    g_backends.push_back(std::make_unique<HostBackend>(std::move(cfg)));
    return {};
}

net::backend::NetBackend* backend_for(std::string_view device) {
    for (const auto& b : g_backends) {
        if (b->config().device == device) return b.get();
    }
    return nullptr;
}

void detach_all() {
    for (auto& b : g_backends) g_retired.push_back(std::move(b));
    g_backends.clear();
}

size_t open_sockets() { return g_open_sockets; }

}  // namespace unikit::unix_platform::hostnet

extern "C" unikit::net::backend::NetBackend* uk_unix_hostnet_backend(const char* device) {
    if (!device) return nullptr;
    return unikit::unix_platform::hostnet::backend_for(device);
}
