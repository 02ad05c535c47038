// virtio-pci discovery and transport (Virtio 1.2 section 4.1): PCI configuration space through
// ports 0xCF8/0xCFC; the modern interface (vendor capabilities naming common/notify/ISR/device
// configuration in memory BARs, mapped with map_device_memory), or the legacy I/O-port interface
// of transitional devices when the modern one is absent or cannot be mapped. Interrupts: MSI-X
// (one vector per device) when the device has it and the interface is modern, else INTx through
// the interrupt line register.
#pragma once

#include "platforms/virtio/devices/registry.h"

namespace unikit::virtio {

// Appends every virtio device on the PCI buses, in bus/device/function order, to *tail
// (advancing it). Returns false when there is no PCI bus at all (nothing answers at 00:00.0).
bool pci_discover(Found**& tail);

}  // namespace unikit::virtio
