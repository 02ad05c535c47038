// What the virtio device drivers (platforms/virtio/devices) offer the virtio kernel
// (platforms/virtio/kernel). The other half of the contract is kernel/kernel.h.
//
// The drivers also implement the device half of the platform ABI (include/unikit/platform.h):
// uk_device_lookup, uk_net_get_info, uk_net_read, uk_net_write, uk_block_get_info,
// uk_block_read and uk_block_write. The kernel implements the rest (console, clocks, exit,
// abort, uk_yield).
#pragma once

#include <stddef.h>

#include <unikit/platform.h>

namespace unikit::virtio {

// Called once at boot, after the console, memory, clocks and interrupts are up and before
// uk_main(). Finds the virtio devices (PCI on QEMU q35/pc; virtio-mmio from the command line on
// QEMU microvm and Firecracker), negotiates features, and binds them to the devices the image's
// manifest names: the k-th virtio-net device found to the k-th net entry, the k-th virtio-blk to
// the k-th block entry. A device the manifest needs that is missing or cannot be driven ends the
// VM through panic() with a message naming it.
void devices_init();

// Called by uk_yield with interrupts disabled: writes up to `cap` handles of devices that have
// input ready (level-triggered: a device stays ready until drained) into `ready` and returns how
// many. Also reclaims completed transmit buffers. Never blocks.
size_t devices_poll(uk_handle* ready, size_t cap);

}  // namespace unikit::virtio
