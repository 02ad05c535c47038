// ICMPv4: check -> parse (checksum ignored) -> emit -> parse (checksum verified) gives the same.
#include <vector>

#include "fuzz_common.h"
#include "net/wire/icmpv4.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto pkt = Icmpv4Packet::check({data, size});
    if (!pkt) return 0;
    auto repr = Icmpv4Repr::parse(*pkt, false);
    if (!repr) return 0;
    if (repr->type == Icmpv4Type::DestUnreachable || repr->type == Icmpv4Type::TimeExceeded) {
        auto q = parse_icmpv4_quote(repr->data);
        FUZZ_CHECK(q && q->transport.size() >= 8);
    }
    std::vector<uint8_t> out(repr->len());
    FUZZ_CHECK(repr->emit(out) == size);
    auto again = Icmpv4Packet::check(out);
    FUZZ_CHECK(again);
    auto back = Icmpv4Repr::parse(*again);
    FUZZ_CHECK(back && *back == *repr);
    return 0;
}
