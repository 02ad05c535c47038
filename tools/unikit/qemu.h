// The virtio target's runner: QEMU (qemu-system-x86_64 -kernel IMAGE, PVH boot). See
// docs/virtio.md. Host code for the `unikit` command.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/devargs.h"
#include "common/elf.h"
#include "common/manifest_reader.h"
#include "netd/forward.h"

namespace unikit::cli {

struct QemuOptions {
    std::string machine = "q35";   // q35 | pc | microvm
    std::string accel = "tcg";     // tcg | kvm
    unsigned memory_mib = 128;
};

// qemu-system-x86_64 from UNIKIT_QEMU or the PATH; empty if not installed.
std::string find_qemu();

// Checks an image is a bootable virtio image: ELF64 x86-64 static executable, loaded at or above
// 1 MiB within `memory_mib`, with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) pointing into
// executable code below 4 GiB. The error is one phrase.
std::optional<std::string> check_pvh_image(const elf::ElfImage& img, unsigned memory_mib);

// Quote one argument for the kernel command line (platforms/virtio/kernel/cmdline.h): as is
// when it has no blanks, quotes or backslashes; else "..." with \" and \\.
std::string quote_kernel_arg(const std::string& a);

// The QEMU command line. `devices` are in the manifest's order (the k-th net attached is the
// k-th virtio-net device the drivers find). `forwards`/`pcap` apply to the (only) user net.
// `status_file` receives the image's exit status (the isa-debugcon channel at port 0x4f0).
std::vector<std::string> qemu_command(const std::string& qemu, const std::string& image, const QemuOptions& o,
                                      const std::vector<devargs::Attachment>& devices,
                                      const std::vector<netd::Forward>& forwards, const std::string& pcap,
                                      const std::string& cmdline, const std::string& status_file);

// Turn QEMU's wait status into the image's (as a wait status, for report_end): the status the
// image wrote to the status file (open as `status_fd`), else QEMU's isa-debug-exit code
// ((N << 1) | 1 -> N); QEMU's own failures and VM ends without a status are explained on stderr.
// QEMU ends with 0 on a stop signal (`stop_signal`, 0 if none) too: that is reported as the signal.
int qemu_end_status(int wait_status, int status_fd, int stop_signal = 0);

}  // namespace unikit::cli
