// unikit::net::wire - shared definitions: the error type and big-endian byte access.
//
// wire/ is pure: parse and serialize headers from spans of bytes. No state, no allocation, no
// I/O, no clock. Everything here builds hosted and freestanding (header-only std only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <span>

namespace unikit::net::wire {

// Why a parse or an emit failed. Errors are values.
enum class WireError : uint8_t {
    Truncated,       // the buffer ends before the packet (or a field) does
    Malformed,       // a field has a value the protocol forbids (bad length, bad version...)
    BadChecksum,     // the checksum does not verify
    Unsupported,     // valid, but not something wire/ understands (other hardware type, ...)
    BufferTooSmall,  // emit: the output buffer cannot hold the packet
};

constexpr const char* to_string(WireError e) {
    switch (e) {
        case WireError::Truncated: return "truncated";
        case WireError::Malformed: return "malformed";
        case WireError::BadChecksum: return "bad checksum";
        case WireError::Unsupported: return "unsupported";
        case WireError::BufferTooSmall: return "buffer too small";
    }
    return "unknown";
}

template <class T>
using WireResult = std::expected<T, WireError>;

constexpr std::unexpected<WireError> wire_fail(WireError e) { return std::unexpected<WireError>(e); }

// Big-endian loads and stores. Callers check bounds first (views do it once, at check()).
namespace be {
constexpr uint16_t get16(const uint8_t* p) { return uint16_t(uint16_t(p[0]) << 8 | p[1]); }
constexpr uint32_t get32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
constexpr void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
constexpr void put32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}
}  // namespace be

// Copy a payload to dst unless it is already there (zero-copy emit: the caller may have written
// the payload in place before emitting the headers). Regions may overlap.
inline void place_payload(uint8_t* dst, std::span<const uint8_t> payload) {
    if (!payload.empty() && payload.data() != dst) std::memmove(dst, payload.data(), payload.size());
}

}  // namespace unikit::net::wire
