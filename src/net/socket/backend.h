// The socket API's backend interface. include/unikit/net.h is a thin layer of move-only handles
// over these abstract classes; two implementations exist (DESIGN rule 3):
//   - DirectBackend (src/net/socket/direct_backend.*): unikit's own stack over a NetDevice;
//   - the unix target's host sockets (platforms/unix/hostnet), for `--net NAME=socket`.
//
// Conventions for implementers
//  - Single-threaded; every call comes from the one event loop.
//  - Ownership: the handles (TcpStream, TcpListener, UdpSocket) own an impl until they call its
//    release(); from then on the backend owns it and frees it when it likes (a stream released
//    while open must be closed gracefully in the background, as close(2) does).
//  - A CancelToken argument must end the wait with Error::cancelled when it fires. Destroying a
//    suspended Task (with_timeout does) must leave the impl usable: awaiters unregister
//    themselves in their destructors.
//  - Errors are the unikit::Error values listed in include/unikit/net.h.
//
// Selecting the backend: see select_backend() below and docs/ARCHITECTURE.md (Networking).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <unikit/cancel.h>
#include <unikit/error.h>
#include <unikit/net.h>
#include <unikit/task.h>

namespace unikit::net::backend {

class StreamImpl {
public:
    virtual Task<Result<size_t>> read(std::span<uint8_t> buf, CancelToken token) = 0;
    virtual Task<Result<size_t>> write(std::span<const uint8_t> data, CancelToken token) = 0;
    // FIN after the queued data. Completes once queued (need not wait for the ACK).
    virtual Task<Result<void>> shutdown() = 0;
    // Graceful close: FIN, wait (bounded) for the peer to acknowledge it. The handle calls
    // release() right after, whatever the result.
    virtual Task<Result<void>> close() = 0;
    // RST; the handle calls release() right after.
    virtual void abort() = 0;
    // The handle is done with this impl (see Ownership above).
    virtual void release() = 0;
    virtual SocketAddr local() const = 0;
    virtual SocketAddr peer() const = 0;
    virtual Result<void> set_nodelay(bool on) = 0;

protected:
    ~StreamImpl() = default;
};

class ListenerImpl {
public:
    virtual Task<Result<StreamImpl*>> accept(CancelToken token) = 0;
    virtual SocketAddr local() const = 0;
    // Stop listening; connections not yet accepted are dropped. The backend frees the impl.
    virtual void release() = 0;

protected:
    ~ListenerImpl() = default;
};

class UdpImpl {
public:
    virtual Task<Result<Datagram>> recv_from(std::span<uint8_t> buf, CancelToken token) = 0;
    virtual Result<void> send_to(std::span<const uint8_t> data, SocketAddr to) = 0;
    virtual SocketAddr local() const = 0;
    virtual void release() = 0;

protected:
    ~UdpImpl() = default;
};

class NetBackend {
public:
    // Listen on every local address.
    virtual Result<ListenerImpl*> tcp_listen(uint16_t port, int backlog) = 0;
    virtual Task<Result<StreamImpl*>> tcp_connect(SocketAddr to, CancelToken token) = 0;
    virtual Result<UdpImpl*> udp_bind(uint16_t port) = 0;
    virtual InterfaceInfo info() const = 0;
    // Waits until the interface has an address (return at once if it has, or never will need one).
    virtual Task<Result<void>> wait_configured(CancelToken token) = 0;

protected:
    ~NetBackend() = default;
};

// The backend the socket API uses; started on first use (Error::not_found: no net device).
Result<NetBackend*> get();

}  // namespace unikit::net::backend

// ---- the host-socket hook (unix target) -------------------------------------------------------
//
// The unix platform offers host sockets by defining this C function (a strong definition in an
// object file the unix platform library always links, e.g. the one with its start code: a weak
// reference never pulls a member out of a static library). It returns the host-socket backend
// when the net device `device` (a manifest name) was attached with `--net NAME=socket`, and
// nullptr otherwise (the device is then a frame device, driven by the direct stack over
// uk_device_lookup(device, UK_DEV_NET)). The returned object lives for the rest of the run.
// Other targets do not define it; the library OS references it weakly.
//
// It is a C-linkage symbol so the selection needs no header from platforms/ and no Linux header
// above the ABI: the platform includes this header (which is portable C++), not the reverse.
extern "C" unikit::net::backend::NetBackend* uk_unix_hostnet_backend(const char* device);
