// libFuzzer target: the HTTP header-field parsers - Range, Accept-Encoding, If-None-Match entity
// tag lists - and the IMF-fixdate formatter. Checks the invariants of each result.
#include <cstddef>
#include <cstring>
#include <new>

// clang 14 does not declare sized deallocation without -fsized-deallocation, which task.h's
// frame allocator uses; the definition is in the C++ runtime library.
void operator delete(void*, std::size_t) noexcept;

#include "../src/http/parse.cpp"
#include "fuzz_common.h"

using namespace unikit::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 9) return 0;
    uint64_t size_word;
    std::memcpy(&size_word, data, 8);
    const uint8_t mode = data[8];
    std::string_view text(reinterpret_cast<const char*>(data + 9), size - 9);

    // Range against a small and against an arbitrary representation size.
    for (uint64_t len : {uint64_t(mode), size_word}) {
        ByteRange r = parse_range(text, len);
        if (r.kind == ByteRange::satisfiable) {
            FUZZ_CHECK(len > 0);
            FUZZ_CHECK(r.first <= r.last);
            FUZZ_CHECK(r.last < len);
        }
    }
    bool gz = accepts_gzip(text);
    // Appending an explicit refusal always refuses; an explicit acceptance always accepts.
    std::string refuse = std::string(text) + ",gzip;q=0";
    std::string accept = std::string(text) + ",gzip";
    std::string low(text);
    for (char& c : low) c = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    if (low.find("gzip") == std::string::npos) {  // no element of its own names gzip
        FUZZ_CHECK(!accepts_gzip(refuse));
        FUZZ_CHECK(accepts_gzip(accept));
    }
    (void)gz;

    size_t half = text.size() / 2;
    (void)etag_list_matches(text.substr(0, half), text.substr(half));
    FUZZ_CHECK(etag_list_matches("*", text));
    std::string quoted = "\"" + std::string(text.substr(0, half)) + "\"";
    if (quoted.find('"', 1) == quoted.size() - 1) FUZZ_CHECK(etag_list_matches(quoted, quoted));

    char date[kImfFixdateLength];
    int64_t t = int64_t(size_word % (253402300800ull));
    format_imf_fixdate(t, std::span<char, kImfFixdateLength>(date, kImfFixdateLength));
    FUZZ_CHECK(date[3] == ',' && date[25] == ' ' && std::memcmp(date + 26, "GMT", 3) == 0);
    for (char c : date) FUZZ_CHECK(c >= ' ' && c < 0x7f);
    return 0;
}
