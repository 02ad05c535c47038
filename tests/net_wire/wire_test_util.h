// Helpers for the wire tests: hex byte strings and an independent (naive) checksum.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace wire_test {

// "45 00 00 1c ..." -> bytes (whitespace ignored).
inline std::vector<uint8_t> hex(std::string_view s) {
    std::vector<uint8_t> out;
    int hi = -1;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            out.push_back(uint8_t(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

// Naive RFC 1071 checksum over the concatenation of the pieces (each but the last even).
inline uint16_t ref_checksum(std::initializer_list<std::span<const uint8_t>> pieces) {
    uint64_t s = 0;
    for (auto d : pieces) {
        for (size_t i = 0; i + 1 < d.size(); i += 2) s += uint32_t(d[i]) << 8 | d[i + 1];
        if (d.size() % 2) s += uint32_t(d.back()) << 8;
    }
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(~s);
}

inline void put16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
    v[off] = uint8_t(x >> 8);
    v[off + 1] = uint8_t(x);
}

}  // namespace wire_test
