// unikit::http over the socket API (include/unikit/net.h): TcpStream and TcpListener satisfy the
// Stream and Listener concepts as they are, so this file only binds and serves.
#include <unikit/http.h>
#include <unikit/net.h>

namespace unikit::http {

static_assert(Stream<net::TcpStream>);
static_assert(Listener<net::TcpListener>);

Task<Result<void>> serve_tcp(Server& server, uint16_t port, CancelToken stop) {
    auto l = net::TcpListener::bind(port, int(server.limits().max_connections));
    if (!l) co_return fail(l.error());
    co_return co_await server.serve(*l, stop);
}

}  // namespace unikit::http
