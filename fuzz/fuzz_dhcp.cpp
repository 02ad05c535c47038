// DHCP: check -> parse -> emit -> parse gives the same Repr; the option reader never reads out
// of bounds and always terminates.
#include <vector>

#include "fuzz_common.h"
#include "net/wire/dhcp.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto pkt = DhcpPacket::check({data, size});
    if (!pkt) return 0;
    DhcpOptionReader rd = pkt->option_reader();
    size_t steps = 0;
    for (;;) {
        auto o = rd.next();
        if (!o || !*o) break;
        FUZZ_CHECK((*o)->data.size() <= 255);
        FUZZ_CHECK(++steps <= size);
    }
    auto repr = DhcpRepr::parse(*pkt);
    if (!repr) return 0;
    std::vector<uint8_t> out(repr->len());
    auto n = repr->emit(out);
    FUZZ_CHECK(n && *n == out.size());
    auto again = DhcpPacket::check(out);
    FUZZ_CHECK(again);
    auto back = DhcpRepr::parse(*again);
    FUZZ_CHECK(back && *back == *repr);
    return 0;
}
