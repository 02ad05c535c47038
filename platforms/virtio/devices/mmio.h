// virtio-mmio discovery and transport (Virtio 1.2 section 4.2): devices described on the kernel
// command line (virtio_mmio.device=<size>@<base>:<irq>, as QEMU microvm and Firecracker write
// it), version 2 (modern) or version 1 (legacy, QEMU microvm's default). Interrupts: the GSI from
// the command line, edge-triggered, active high; the handler acknowledges InterruptStatus.
#pragma once

#include "platforms/virtio/devices/registry.h"

namespace unikit::virtio {

// Appends the virtio-mmio devices named on the command line, in command-line order, to *tail
// (advancing it). Windows with no device behind them (device id 0) are skipped.
void mmio_discover(const char* cmdline, Found**& tail);

}  // namespace unikit::virtio
