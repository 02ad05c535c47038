// uk_main: the library OS entry point the backend calls after boot.
#include <new>
#include <string_view>

#include <unikit/app.h>
#include <unikit/boot.h>
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

    // Arguments for the app: argv minus the library OS's boot options (include/unikit/boot.h).
    int argc = info && info->argv ? info->argc : 0;
    const char** args = new const char*[static_cast<size_t>(argc > 0 ? argc : 1) + 1];
    int got = detail::split_boot_args(argc, info ? info->argv : nullptr, args);
    if (got < 0) {
        delete[] args;
        return 2;
    }
    size_t n = static_cast<size_t>(got);
    if (auto spec = boot_option("log")) {
        if (!log_configure(*spec)) println("unikit: ignoring malformed --log={}", *spec);
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
