// virtio-mmio discovery and transport (Virtio 1.2 section 4.2): devices described on the kernel
// command line (virtio_mmio.device=<size>@<base>:<irq>, as QEMU microvm and Firecracker write
// it), version 2 (modern) or version 1 (legacy, QEMU microvm's default). Interrupts: the GSI from
// the command line, edge-triggered, active high; the handler acknowledges InterruptStatus.
#pragma once

#include "platforms/virtio/devices/registry.h"

namespace unikit::virtio {

// Appends the virtio-mmio devices named on the command line, in command-line order, to *tail
// (advancing it). Windows with no device behind them (device id 0) are skipped. Returns how
// many tokens the command line had.
size_t mmio_discover(const char* cmdline, Found**& tail);

// QEMU microvm with ACPI (its default) describes its virtio-mmio transports only in the ACPI
// tables and adds nothing to the command line. Its layout is fixed: transports of 512 bytes
// from 0xfeb00000, 8 of them on GSIs 5..12, or 24 on GSIs 24..47 when it has a second IOAPIC.
// This probes that window (the magic value tells how many transports there are) and appends the
// transports with a device behind them, in address order.
void mmio_probe_microvm(Found**& tail);

}  // namespace unikit::virtio
