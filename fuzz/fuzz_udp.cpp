// UDP: the first 8 input bytes are the IPv4 source and destination of the pseudo-header, the
// rest the datagram. check -> parse (checksum ignored) -> emit -> parse (verified) gives the
// same header and payload.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "net/wire/udp.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 8) return 0;
    Ipv4Addr src = Ipv4Addr::from_bytes(data), dst = Ipv4Addr::from_bytes(data + 4);
    auto pkt = UdpPacket::check({data + 8, size - 8});
    if (!pkt) return 0;
    FUZZ_CHECK(pkt->length() == pkt->bytes().size() && pkt->bytes().size() <= size - 8);
    auto repr = UdpRepr::parse(*pkt, src, dst, false);
    FUZZ_CHECK(repr);
    auto verified = UdpRepr::parse(*pkt, src, dst);
    FUZZ_CHECK(verified || verified.error() == WireError::BadChecksum);
    std::vector<uint8_t> out(pkt->length());
    FUZZ_CHECK(repr->emit(out, pkt->payload(), src, dst) == pkt->length());
    auto again = UdpPacket::check(out);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->checksum_field() != 0);
    auto back = UdpRepr::parse(*again, src, dst);
    FUZZ_CHECK(back && *back == *repr);
    FUZZ_CHECK(std::equal(again->payload().begin(), again->payload().end(), pkt->payload().begin(),
                          pkt->payload().end()));
    return 0;
}
