// ARP: check -> parse -> emit -> parse gives the same, and the emitted bytes equal the input's.
#include <algorithm>

#include "fuzz_common.h"
#include "net/wire/arp.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto pkt = ArpPacket::check({data, size});
    if (!pkt) return 0;
    FUZZ_CHECK(pkt->bytes().size() <= size);
    // Touch every accessor of the view (ASan checks the bounds).
    volatile size_t sink = pkt->sender_hw().size() + pkt->sender_proto().size() + pkt->target_hw().size() +
                           pkt->target_proto().size();
    (void)sink;
    auto repr = ArpRepr::parse(*pkt);
    if (!repr) return 0;
    uint8_t out[kArpEthIpv4Len];
    FUZZ_CHECK(repr->emit(out) == kArpEthIpv4Len);
    FUZZ_CHECK(std::equal(std::begin(out), std::end(out), pkt->bytes().begin(), pkt->bytes().end()));
    auto again = ArpPacket::check(out);
    FUZZ_CHECK(again);
    FUZZ_CHECK(ArpRepr::parse(*again) == repr);
    return 0;
}
