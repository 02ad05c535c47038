// Interrupt lines shared by several virtio devices (PCI INTx, virtio-mmio): the kernel gets one
// handler per GSI (irq_attach_gsi), which runs every device's acknowledgement on that line.
#pragma once

#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

// Adds `ack(ctx)` to the handlers of `gsi`, attaching the line on first use. Panics (naming
// `what`) when the kernel refuses the line.
void share_gsi(unsigned gsi, bool level_triggered, bool active_low, IrqHandler ack, void* ctx, const char* what);

}  // namespace unikit::virtio
