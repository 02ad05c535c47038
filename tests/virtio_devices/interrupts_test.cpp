// Interrupt lines shared by several devices: one kernel handler per GSI, every device acked.
#include <gtest/gtest.h>

#include "platforms/virtio/devices/interrupts.h"
#include "virtio_devices/fake_kernel.h"

using namespace unikit::virtio;

namespace {

int g_acks[3];
void ack(void* ctx) { ++g_acks[*static_cast<int*>(ctx)]; }

TEST(SharedGsi, OneKernelHandlerPerLineRunsEveryDevice) {
    fake_gsis().clear();
    static int ids[3] = {0, 1, 2};
    share_gsi(10, true, false, ack, &ids[0], "a");
    share_gsi(11, false, false, ack, &ids[1], "b");
    share_gsi(10, true, false, ack, &ids[2], "c");
    ASSERT_EQ(fake_gsis().size(), 2u);  // line 10 attached once
    EXPECT_EQ(fake_gsis()[0].gsi, 10u);
    EXPECT_TRUE(fake_gsis()[0].level);
    EXPECT_FALSE(fake_gsis()[1].level);
    fake_gsis()[0].handler(fake_gsis()[0].ctx);  // an interrupt on line 10
    EXPECT_EQ(g_acks[0], 1);
    EXPECT_EQ(g_acks[1], 0);
    EXPECT_EQ(g_acks[2], 1);
    fake_gsis()[1].handler(fake_gsis()[1].ctx);
    EXPECT_EQ(g_acks[1], 1);
}

TEST(SharedGsi, RefusedLinePanicsNamingTheDevice) {
    EXPECT_DEATH(share_gsi(70, false, false, ack, nullptr, "mmio 0xfeb00e00"),
                 "PANIC: mmio 0xfeb00e00: cannot attach interrupt line \\(GSI 70\\)");
}

}  // namespace
