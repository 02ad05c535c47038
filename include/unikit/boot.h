// Library-OS boot options: settings for unikit itself (not for the app) given on the image's
// command line.
//
// The image's argv is [image, --NAME=VALUE..., --, app args...] when boot options are present
// (the platform's start code or tender has already removed its own options and one `--`; the
// `unikit run` flags --ipv4, --gateway, --dns, --log, --net-faults turn into these). uk_main()
// splits them off: app_main() sees [image, app args...]. Without such a leading block every
// argument goes to the app, except that `--log=SPEC` anywhere is still consumed (compatibility).
// An unknown option in the block ends the image with one line on the console and status 2.
//
//   if (auto v = unikit::boot_option("ipv4")) ...   // "10.0.0.2/24" or "dhcp"
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace unikit {

struct BootOptionInfo {
    const char* name;   // without the leading "--"
    const char* help;   // one line: the value's form and meaning
};

// The options uk_main accepts.
std::span<const BootOptionInfo> known_boot_options() noexcept;

// The value of a boot option given at boot (the last one wins), or nullopt.
std::optional<std::string_view> boot_option(std::string_view name) noexcept;

namespace detail {
// Splits argv (see above). Stores the options for boot_option(); writes the app's arguments
// into `app_args` (capacity argc + 1) and returns their number, or -1 after printing one line
// for an unknown option. Used by uk_main; tests call it directly.
int split_boot_args(int argc, const char* const* argv, const char** app_args) noexcept;
// Forgets all stored options (tests).
void clear_boot_options() noexcept;
// Sets an option as if given at boot (tests, embedding).
void set_boot_option(std::string_view name, std::string_view value) noexcept;
}  // namespace detail

}  // namespace unikit
