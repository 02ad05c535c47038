// DEFLATE (RFC 1951) compressor and gzip (RFC 1952) framing, for unikit-kvbake (host code).
//
// LZ77 over a 32 KiB window (hash chains, one step of lazy matching), then per block the
// cheapest of: dynamic Huffman codes (length-limited to 15 / 7 bits), the fixed codes, or a
// stored block. Output is deterministic (no timestamps: the gzip MTIME field is 0).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace unikit::kvbake {

// Raw DEFLATE stream of `in`.
std::vector<uint8_t> deflate(std::span<const uint8_t> in);

// A complete gzip member: header (no name, MTIME 0, OS 255), deflate(in), CRC-32, ISIZE.
std::vector<uint8_t> gzip(std::span<const uint8_t> in);

// CRC-32 (IEEE 802.3, reflected, as gzip uses).
uint32_t crc32(std::span<const uint8_t> in, uint32_t crc = 0);

// Huffman code lengths for `freq` with no length above max_bits (exposed for tests). Symbols
// with frequency 0 get length 0; when fewer than two symbols are used, extra symbols are given
// length 1 so that the code is complete.
std::vector<uint8_t> huffman_lengths(std::span<const uint32_t> freq, unsigned max_bits);

}  // namespace unikit::kvbake
