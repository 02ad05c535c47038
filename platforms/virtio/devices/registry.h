// Binding discovered virtio devices to the image's manifest, and the device half of the
// platform ABI over the bound drivers. Handles are manifest indices.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <unikit/manifest.h>
#include <unikit/platform.h>

#include "platforms/virtio/devices/blk.h"
#include "platforms/virtio/devices/net.h"
#include "platforms/virtio/devices/transport.h"

namespace unikit::virtio {

// A device found by discovery, in discovery order (PCI: bus/slot/function; MMIO: command line).
struct Found {
    uint32_t type;  // kDeviceNet, kDeviceBlock, other virtio device ids (ignored)
    Transport* transport;
    Found* next;
};

// Binds the k-th net entry of the manifest to the k-th virtio-net found (blk alike) and
// initialises those drivers; devices not named are left alone (never reset or driven). A
// manifest entry without a device panics, naming the entry.
void bind_devices(const uk_manifest_device* devs, uint32_t n, Found* found);

// The driver behind a handle (nullptr if the handle is not of that kind), for tests.
NetDriver* net_driver(uk_handle h);
BlkDriver* blk_driver(uk_handle h);

// Forget every binding (tests only: drivers and rings are never freed in an image).
void registry_reset_for_tests();

}  // namespace unikit::virtio
