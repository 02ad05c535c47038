// Checksum: the 8-bytes-at-a-time sum equals a naive 16-bit reference for any data, offset and
// split point, and the checksum of data + its checksum verifies.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "net/wire/checksum.h"

using namespace unikit::net::wire;

static uint16_t reference_fold(const uint8_t* d, size_t n) {
    uint64_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(d[i]) << 8 | d[i + 1];
    if (n % 2) s += uint32_t(d[n - 1]) << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    size_t split = (size_t(data[0]) * 2) % size;  // even split
    std::span<const uint8_t> d(data + 1, size - 1);
    split = std::min(split & ~size_t(1), d.size() & ~size_t(1));
    FUZZ_CHECK(fold(sum_partial(d)) == reference_fold(d.data(), d.size()));
    FUZZ_CHECK(fold(combine(sum_partial(d.first(split)), sum_partial(d.subspan(split)))) ==
               reference_fold(d.data(), d.size()));
    std::vector<uint8_t> with(d.begin(), d.end());
    if (with.size() % 2) with.push_back(0);
    uint16_t ck = checksum(with);
    with.push_back(uint8_t(ck >> 8));
    with.push_back(uint8_t(ck));
    FUZZ_CHECK(checksum(with) == 0);
    return 0;
}
