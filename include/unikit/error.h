// unikit errors: values, not exceptions. Result<T> = std::expected<T, Error>.
#pragma once

#include <expected>

#include <unikit/platform.h>

namespace unikit {

enum class Error : int {
    ok = 0,        // never stored in a Result's error; useful as "no error" in plain enums
    timeout,       // a deadline passed (with_timeout)
    cancelled,     // a CancelToken was triggered, or the operation was abandoned
    again,         // nothing to do now; retry later (UK_AGAIN)
    invalid,       // an argument is invalid (UK_EINVAL)
    not_found,     // no such thing (UK_ENOENT)
    io,            // device or host I/O error (UK_EIO)
    no_memory,     // allocation failed
    closed,        // the peer or the object is closed
    overflow,      // a buffer or counter is full
    unsupported,   // not implemented on this target
};

template <class T>
using Result = std::expected<T, Error>;

// The unexpected value for an error: `return unikit::fail(Error::timeout);`.
constexpr std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(e); }

// A short stable name for an error ("timeout", "cancelled", ...).
constexpr const char* to_string(Error e) {
    switch (e) {
        case Error::ok: return "ok";
        case Error::timeout: return "timeout";
        case Error::cancelled: return "cancelled";
        case Error::again: return "again";
        case Error::invalid: return "invalid";
        case Error::not_found: return "not_found";
        case Error::io: return "io";
        case Error::no_memory: return "no_memory";
        case Error::closed: return "closed";
        case Error::overflow: return "overflow";
        case Error::unsupported: return "unsupported";
    }
    return "unknown";
}

// Map a platform ABI result code to an Error (UK_OK maps to Error::ok).
constexpr Error from_uk(uk_result r) {
    switch (r) {
        case UK_OK: return Error::ok;
        case UK_AGAIN: return Error::again;
        case UK_EINVAL: return Error::invalid;
        case UK_ENOENT: return Error::not_found;
        case UK_EIO: return Error::io;
        default: return Error::io;
    }
}

}  // namespace unikit
