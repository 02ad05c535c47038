// Boot information for the layers above (kept apart from uk_main so tests can link it alone).
#include <unikit/app.h>

namespace unikit {

namespace detail {
const uk_boot_info* g_boot_info = nullptr;
std::span<const char* const> g_app_args;
}  // namespace detail

namespace {
const uk_boot_info g_empty_boot_info{};
}  // namespace

const uk_boot_info& boot_info() noexcept { return detail::g_boot_info ? *detail::g_boot_info : g_empty_boot_info; }

std::span<const char* const> app_args() noexcept { return detail::g_app_args; }

}  // namespace unikit
