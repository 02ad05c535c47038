// The kernel command line -> the app's argument list. Pure (no kernel state), so it is unit
// tested on the host (tests/virtio/cmdline_test.cpp).
//
// Rule: the whole command line is the app's arguments, split at spaces/tabs/newlines, except the
// tokens the kernel consumes: those beginning with "virtio_mmio." (QEMU microvm and Firecracker
// describe virtio-mmio devices that way; the drivers read them from boot_cmdline()). A token may
// be quoted with "..." to hold blanks; inside and outside quotes, a backslash takes the next
// character literally (\" \\ \ ). `unikit run` quotes every argument that needs it.
#pragma once

#include <stddef.h>

namespace unikit::virtio {

// Split `line` into out: token i starts at argv[i] (each NUL-terminated, stored in `buf`, which
// needs strlen(line) + 1 bytes). Returns the number of tokens, or -1 if there are more than
// `max` tokens, or -2 if a quote is not closed.
int split_cmdline(const char* line, char* buf, const char** argv, size_t max);

// True for a token the kernel consumes (not given to the app).
bool is_kernel_token(const char* token);

}  // namespace unikit::virtio
