// unikit::panic: report a fatal error on the console and end the unikernel (uk_abort).
#pragma once

#include <unikit/format.h>
#include <unikit/platform.h>

namespace unikit {

template <class... Args>
[[noreturn]] void panic(std::string_view fmt, const Args&... args) {
    print("unikit: panic: ");
    println(fmt, args...);
    uk_abort();
}

// Checks an invariant in every build; panics with the expression and location when it fails.
#define UK_ASSERT(cond)                                                                     \
    do {                                                                                    \
        if (!(cond)) [[unlikely]]                                                           \
            ::unikit::panic("assertion failed: {} at {}:{}", #cond, __FILE__, __LINE__);   \
    } while (0)

}  // namespace unikit
