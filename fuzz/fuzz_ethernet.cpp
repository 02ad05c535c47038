// Ethernet: check -> parse -> emit (header + payload) -> check -> parse gives the same.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "net/wire/ethernet.h"

using namespace unikit::net::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);
    auto frame = EthernetFrame::check(in);
    if (!frame) return 0;
    FUZZ_CHECK(frame->header_len() + frame->payload().size() == size);
    auto repr = EthernetRepr::parse(*frame);
    FUZZ_CHECK(repr);
    std::vector<uint8_t> out(repr->header_len() + frame->payload().size());
    auto n = repr->emit(out);
    FUZZ_CHECK(n && *n == repr->header_len());
    std::copy(frame->payload().begin(), frame->payload().end(), out.begin() + *n);
    FUZZ_CHECK(std::equal(out.begin(), out.end(), in.begin(), in.end()));
    auto again = EthernetFrame::check(out);
    FUZZ_CHECK(again);
    FUZZ_CHECK(EthernetRepr::parse(*again) == repr);
    return 0;
}
