// The socket API's handles (include/unikit/net.h): thin, move-only wrappers over backend impls.
#include <utility>

#include <unikit/net.h>

#include "net/socket/backend.h"

namespace unikit::net {

// ---- TcpStream -------------------------------------------------------------------------------

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
    if (this != &o) {
        if (impl_) impl_->release();
        impl_ = std::exchange(o.impl_, nullptr);
    }
    return *this;
}

TcpStream::~TcpStream() {
    if (impl_) impl_->release();
}

Task<Result<TcpStream>> TcpStream::connect(SocketAddr to, CancelToken token) {
    auto b = backend::get();
    if (!b) co_return fail(b.error());
    auto r = co_await (*b)->tcp_connect(to, token);
    if (!r) co_return fail(r.error());
    co_return TcpStream(*r);
}

Task<Result<size_t>> TcpStream::read(std::span<uint8_t> buf, CancelToken token) {
    if (!impl_) co_return fail(Error::closed);
    co_return co_await impl_->read(buf, token);
}

Task<Result<size_t>> TcpStream::write(std::span<const uint8_t> data, CancelToken token) {
    if (!impl_) co_return fail(Error::closed);
    co_return co_await impl_->write(data, token);
}

Task<Result<void>> TcpStream::write_all(std::span<const uint8_t> data, CancelToken token) {
    while (!data.empty()) {
        if (!impl_) co_return fail(Error::closed);
        auto n = co_await impl_->write(data, token);
        if (!n) co_return fail(n.error());
        data = data.subspan(*n);
    }
    co_return Result<void>{};
}

Task<Result<void>> TcpStream::shutdown() {
    if (!impl_) co_return fail(Error::closed);
    co_return co_await impl_->shutdown();
}

Task<Result<void>> TcpStream::close() {
    if (!impl_) co_return fail(Error::closed);
    auto r = co_await impl_->close();
    if (impl_) std::exchange(impl_, nullptr)->release();
    co_return r;
}

void TcpStream::abort() noexcept {
    if (!impl_) return;
    impl_->abort();
    std::exchange(impl_, nullptr)->release();
}

SocketAddr TcpStream::local() const { return impl_ ? impl_->local() : SocketAddr{}; }
SocketAddr TcpStream::peer() const { return impl_ ? impl_->peer() : SocketAddr{}; }
Result<void> TcpStream::set_nodelay(bool on) {
    if (!impl_) return fail(Error::closed);
    return impl_->set_nodelay(on);
}

// ---- TcpListener -----------------------------------------------------------------------------

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
    if (this != &o) {
        if (impl_) impl_->release();
        impl_ = std::exchange(o.impl_, nullptr);
    }
    return *this;
}

TcpListener::~TcpListener() {
    if (impl_) impl_->release();
}

Result<TcpListener> TcpListener::bind(uint16_t port, int backlog) {
    if (backlog < 1) return fail(Error::invalid);
    auto b = backend::get();
    if (!b) return fail(b.error());
    auto r = (*b)->tcp_listen(port, backlog);
    if (!r) return fail(r.error());
    return TcpListener(*r);
}

Task<Result<TcpStream>> TcpListener::accept(CancelToken token) {
    if (!impl_) co_return fail(Error::closed);
    auto r = co_await impl_->accept(token);
    if (!r) co_return fail(r.error());
    co_return TcpStream(*r);
}

SocketAddr TcpListener::local() const { return impl_ ? impl_->local() : SocketAddr{}; }

// ---- UdpSocket -------------------------------------------------------------------------------

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
    if (this != &o) {
        if (impl_) impl_->release();
        impl_ = std::exchange(o.impl_, nullptr);
    }
    return *this;
}

UdpSocket::~UdpSocket() {
    if (impl_) impl_->release();
}

Result<UdpSocket> UdpSocket::bind(uint16_t port) {
    auto b = backend::get();
    if (!b) return fail(b.error());
    auto r = (*b)->udp_bind(port);
    if (!r) return fail(r.error());
    return UdpSocket(*r);
}

Task<Result<Datagram>> UdpSocket::recv_from(std::span<uint8_t> buf, CancelToken token) {
    if (!impl_) co_return fail(Error::closed);
    co_return co_await impl_->recv_from(buf, token);
}

Result<void> UdpSocket::send_to(std::span<const uint8_t> data, SocketAddr to) {
    if (!impl_) return fail(Error::closed);
    return impl_->send_to(data, to);
}

SocketAddr UdpSocket::local() const { return impl_ ? impl_->local() : SocketAddr{}; }

// ---- interface -------------------------------------------------------------------------------

Result<InterfaceInfo> interface_info() {
    auto b = backend::get();
    if (!b) return fail(b.error());
    return (*b)->info();
}

Task<Result<InterfaceInfo>> wait_configured(CancelToken token) {
    auto b = backend::get();
    if (!b) co_return fail(b.error());
    auto r = co_await (*b)->wait_configured(token);
    if (!r) co_return fail(r.error());
    co_return (*b)->info();
}

Ipv4Addr local_address() {
    auto i = interface_info();
    return i ? i->address : Ipv4Addr{};
}

}  // namespace unikit::net
