// libFuzzer target: the HTTP request parser (src/http/parse.cpp, compiled in here because the
// fuzz project links only the wire library). Checks: no crash or sanitizer report; parsing the
// input whole and fed in two pieces (split where the first byte says) gives the same result;
// a complete head lies inside the input and its views point into it.
#include <cstddef>
#include <cstring>
#include <new>

// clang 14 does not declare sized deallocation without -fsized-deallocation, which task.h's
// frame allocator uses; the definition is in the C++ runtime library.
void operator delete(void*, std::size_t) noexcept;

#include "../src/http/parse.cpp"
#include "fuzz_common.h"

using namespace unikit::http;

namespace {
bool inside(std::string_view v, const uint8_t* b, size_t n) {
    return v.empty() || (reinterpret_cast<const uint8_t*>(v.data()) >= b &&
                         reinterpret_cast<const uint8_t*>(v.data()) + v.size() <= b + n);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Limits lim;
    lim.max_request_line = 200 + data[0] % 64;
    lim.max_header_bytes = 1024;
    lim.max_headers = 1 + data[0] % 16;
    std::span<const uint8_t> in(data + 1, size - 1);

    static Header st1[kMaxHeaders], st2[kMaxHeaders];
    Request r1, r2;
    RequestParser p1(lim, st1), p2(lim, st2);
    ParseResult a = p1.parse(in, r1);

    size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);
    ParseResult b = p2.parse(in.first(cut), r2);
    if (b.status == ParseResult::incomplete) b = p2.parse(in, r2);
    else FUZZ_CHECK(a.status != ParseResult::incomplete);  // a prefix decided: so does the whole

    if (b.status != ParseResult::error || a.status != ParseResult::error) {
        FUZZ_CHECK(a.status == b.status);
        FUZZ_CHECK(a.head_size == b.head_size);
    }
    if (a.status == ParseResult::complete) {
        FUZZ_CHECK(a.head_size <= in.size() && a.head_size <= lim.max_header_bytes);
        FUZZ_CHECK(r1.headers.size() <= lim.max_headers);
        FUZZ_CHECK(r1.version_minor <= 1);
        FUZZ_CHECK(inside(r1.target, in.data(), a.head_size));
        FUZZ_CHECK(inside(r1.path, in.data(), a.head_size));
        FUZZ_CHECK(!r1.path.empty());
        for (const Header& h : r1.headers) {
            FUZZ_CHECK(!h.name.empty());
            FUZZ_CHECK(inside(h.name, in.data(), a.head_size) && inside(h.value, in.data(), a.head_size));
        }
        FUZZ_CHECK(r1.method == r2.method && r1.target == r2.target && r1.headers.size() == r2.headers.size());
    } else if (a.status == ParseResult::error) {
        int e = a.error_status;
        FUZZ_CHECK(e == 400 || e == 413 || e == 414 || e == 417 || e == 431 || e == 501 || e == 505);
    }
    return 0;
}
