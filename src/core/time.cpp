#include <unikit/time.h>

namespace unikit {

namespace detail {
uk_time_ns g_boot_monotonic = 0;
bool g_boot_set = false;
void mark_boot() noexcept {
    g_boot_monotonic = uk_clock_monotonic();
    g_boot_set = true;
}
}  // namespace detail

Duration uptime() noexcept {
    if (!detail::g_boot_set) detail::mark_boot();
    return Duration(static_cast<Duration::rep>(uk_clock_monotonic() - detail::g_boot_monotonic));
}

}  // namespace unikit
