// TCP wire format: the first 8 input bytes are the IPv4 source and destination of the
// pseudo-header, the rest the segment. check -> parse -> emit -> parse (checksum verified)
// gives the same header (options canonicalised) and payload.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "net/wire/tcp.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 8) return 0;
    Ipv4Addr src = Ipv4Addr::from_bytes(data), dst = Ipv4Addr::from_bytes(data + 4);
    std::span<const uint8_t> seg(data + 8, size - 8);
    auto pkt = TcpPacket::check(seg);
    if (!pkt) return 0;
    FUZZ_CHECK(pkt->header_len() >= kTcpHeaderMin && pkt->header_len() <= seg.size());
    FUZZ_CHECK(pkt->payload().size() + pkt->header_len() == seg.size());
    (void)pkt->verify_checksum(src, dst);
    auto repr = TcpRepr::parse(*pkt);
    if (!repr) {
        FUZZ_CHECK(repr.error() == WireError::Malformed);
        return 0;
    }
    FUZZ_CHECK(repr->options.sack_count <= kTcpMaxSackBlocks);
    std::vector<uint8_t> out(kTcpHeaderMax + pkt->payload().size());
    auto n = repr->emit(out, pkt->payload(), src, dst);
    if (!n) {
        // Only possible when the decoded options re-encode to more than 40 bytes.
        FUZZ_CHECK(n.error() == WireError::Malformed && repr->options.emitted_len() > 40);
        return 0;
    }
    std::span<const uint8_t> pl;
    auto back = parse_tcp(std::span<const uint8_t>(out.data(), *n), src, dst, &pl);
    FUZZ_CHECK(back);
    FUZZ_CHECK(*back == *repr);
    FUZZ_CHECK(std::equal(pl.begin(), pl.end(), pkt->payload().begin(), pkt->payload().end()));
    return 0;
}
