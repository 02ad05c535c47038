// What the hosted fake kernel (fake_kernel.cpp) records, for tests.
#pragma once

#include <vector>

#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

struct FakeGsi {
    unsigned gsi;
    bool level, active_low;
    IrqHandler handler;
    void* ctx;
};
// Every successful irq_attach_gsi call, in order. GSIs >= 64 are refused.
std::vector<FakeGsi>& fake_gsis();

}  // namespace unikit::virtio
