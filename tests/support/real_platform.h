// A minimal real-clock platform (clock_gettime + ppoll) for tests that need real time.
#pragma once

#include <unikit/platform.h>

namespace real_platform {
// Registers a file descriptor as a device; uk_yield reports it ready when it is readable.
uk_handle add_fd(int fd);
void clear_fds();
}  // namespace real_platform
