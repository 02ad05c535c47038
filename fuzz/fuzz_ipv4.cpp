// IPv4: check -> parse (checksum ignored) -> emit + payload -> check -> parse (checksum
// verified) gives the same Repr and payload. Also: an RFC 1624 TTL update of a valid header
// still verifies.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "net/wire/checksum.h"
#include "net/wire/ipv4.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);
    auto pkt = Ipv4Packet::check(in);
    if (!pkt) return 0;
    FUZZ_CHECK(pkt->header_len() >= kIpv4HeaderLen && pkt->header_len() <= pkt->total_len());
    FUZZ_CHECK(pkt->bytes().size() == pkt->total_len() && pkt->total_len() <= size);
    FUZZ_CHECK(pkt->header_len() + pkt->payload().size() == pkt->total_len());
    volatile size_t sink = pkt->options().size();
    (void)sink;
    auto verified = Ipv4Repr::parse(*pkt);
    auto repr = Ipv4Repr::parse(*pkt, false);
    FUZZ_CHECK(repr);
    FUZZ_CHECK(verified || verified.error() == WireError::BadChecksum);

    std::vector<uint8_t> out(repr->total_len());
    FUZZ_CHECK(repr->emit(out) == kIpv4HeaderLen);
    std::copy(pkt->payload().begin(), pkt->payload().end(), out.begin() + kIpv4HeaderLen);
    auto again = Ipv4Packet::check(out);
    FUZZ_CHECK(again);
    auto back = Ipv4Repr::parse(*again);
    FUZZ_CHECK(back && *back == *repr);
    FUZZ_CHECK(std::equal(again->payload().begin(), again->payload().end(), pkt->payload().begin(),
                          pkt->payload().end()));

    if (verified && pkt->ttl() > 0) {
        std::vector<uint8_t> h(pkt->header().begin(), pkt->header().end());
        uint16_t old_word = uint16_t(h[8] << 8 | h[9]);
        h[8]--;
        uint16_t ck = checksum_update16(uint16_t(h[10] << 8 | h[11]), old_word, uint16_t(h[8] << 8 | h[9]));
        h[10] = uint8_t(ck >> 8);
        h[11] = uint8_t(ck);
        FUZZ_CHECK(checksum(h) == 0);
    }
    return 0;
}
