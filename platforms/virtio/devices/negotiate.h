// Device initialisation (Virtio 1.2 section 3.1.1): reset, ACKNOWLEDGE, DRIVER, feature
// negotiation (FEATURES_OK written and read back on non-legacy transports), then, after the
// driver has set up its queues, DRIVER_OK. A device that lacks a feature the driver needs, or
// refuses the features offered, is marked FAILED and the VM ends through panic() with a message
// naming the device and the feature.
#pragma once

#include <stdint.h>

#include "platforms/virtio/devices/transport.h"

namespace unikit::virtio {

// Returns the negotiated features: `required` (plus VIRTIO_F_VERSION_1 on non-legacy
// transports) and whatever of `optional` the device offers.
uint64_t negotiate(Transport& t, const char* what, uint64_t required, uint64_t optional);
void driver_ok(Transport& t);
// "VIRTIO_F_VERSION_1" for a known bit, "" otherwise.
const char* feature_name(const char* what, unsigned bit);

}  // namespace unikit::virtio
