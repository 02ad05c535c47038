#pragma once

struct spt_boot;

namespace spt {
// Record the boot block for the platform ABI functions (platform.cpp).
void bind_boot(const struct spt_boot* boot);
}  // namespace spt
