// uk_main: the library OS entry point the backend calls after boot.
#include <new>
#include <string_view>

#include <unikit/app.h>
#include <unikit/log.h>
#include <unikit/loop.h>

namespace unikit::detail {
void mark_boot() noexcept;
extern const uk_boot_info* g_boot_info;
extern std::span<const char* const> g_app_args;
}  // namespace unikit::detail

extern "C" int uk_main(const uk_boot_info* info) {
    using namespace unikit;
    detail::g_boot_info = info;
    detail::mark_boot();

    // Arguments for the app: argv minus the ones the library OS consumes (--log=SPEC).
    int argc = info && info->argv ? info->argc : 0;
    const char** args = new const char*[static_cast<size_t>(argc > 0 ? argc : 1)];
    size_t n = 0;
    for (int i = 0; i < argc; ++i) {
        const char* a = info->argv[i];
        if (!a) continue;
        std::string_view s(a);
        if (i > 0 && s.starts_with("--log=")) {
            if (!log_configure(s.substr(6))) println("unikit: ignoring malformed {}", s);
            continue;
        }
        args[n++] = a;
    }
    if (n == 0) args[n++] = "unikit";
    detail::g_app_args = std::span<const char* const>(args, n);

    int status;
    {
        Loop loop;
        status = loop.run(app_main(detail::g_app_args));
    }
    detail::g_app_args = {};
    delete[] args;
    return status;
}
