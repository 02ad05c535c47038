// TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4; RFC 1982 style comparison).
// a < b means "a comes before b" when they are less than 2^31 apart.
#pragma once

#include <cstdint>

namespace unikit::net::tcp {

constexpr int32_t seq_diff(uint32_t a, uint32_t b) { return int32_t(a - b); }
constexpr bool seq_lt(uint32_t a, uint32_t b) { return seq_diff(a, b) < 0; }
constexpr bool seq_le(uint32_t a, uint32_t b) { return seq_diff(a, b) <= 0; }
constexpr bool seq_gt(uint32_t a, uint32_t b) { return seq_diff(a, b) > 0; }
constexpr bool seq_ge(uint32_t a, uint32_t b) { return seq_diff(a, b) >= 0; }
constexpr uint32_t seq_max(uint32_t a, uint32_t b) { return seq_lt(a, b) ? b : a; }
constexpr uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
// lo <= x < hi (modular), for hi - lo < 2^31.
constexpr bool seq_in(uint32_t x, uint32_t lo, uint32_t hi) { return seq_le(lo, x) && seq_lt(x, hi); }

}  // namespace unikit::net::tcp
