// The application entry point and boot information.
//
// An app defines (at global scope):
//   unikit::Task<int> app_main(std::span<const char* const> args);   // args[0] = image name
// uk_main() (src/core/main.cpp) runs it on the event loop and returns its value as exit status.
#pragma once

#include <span>

#include <unikit/platform.h>
#include <unikit/task.h>

unikit::Task<int> app_main(std::span<const char* const> args);

namespace unikit {

// What the backend passed to uk_main (argv, heap, entropy). Before uk_main (e.g. in tests) a
// zeroed record with no arguments.
const uk_boot_info& boot_info() noexcept;

// The arguments given to app_main (after uk_main consumed its own, like --log=).
std::span<const char* const> app_args() noexcept;

}  // namespace unikit
