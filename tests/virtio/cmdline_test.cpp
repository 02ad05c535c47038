// The virtio kernel's command-line rule (platforms/virtio/kernel/cmdline.h), on the host.
#include "platforms/virtio/kernel/cmdline.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const char* line, size_t max = 64, int* rc = nullptr) {
    std::vector<char> buf(std::strlen(line) + 1);
    std::vector<const char*> argv(max + 1);
    int n = unikit::virtio::split_cmdline(line, buf.data(), argv.data(), max);
    if (rc) *rc = n;
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.emplace_back(argv[i]);
    return out;
}

using V = std::vector<std::string>;

TEST(VirtioCmdline, SplitsAtBlanks) {
    EXPECT_EQ(split("a bb  ccc\tdd\n"), (V{"a", "bb", "ccc", "dd"}));
    EXPECT_EQ(split(""), V{});
    EXPECT_EQ(split("   "), V{});
}

TEST(VirtioCmdline, QuotesAndEscapes) {
    EXPECT_EQ(split(R"("le monde" x)"), (V{"le monde", "x"}));
    EXPECT_EQ(split(R"(a"b c"d)"), (V{"ab cd"}));
    EXPECT_EQ(split(R"("" x)"), (V{"", "x"}));
    EXPECT_EQ(split(R"("say \"hi\"" back\\slash)"), (V{"say \"hi\"", "back\\slash"}));
    EXPECT_EQ(split(R"(sp\ ace)"), (V{"sp ace"}));
}

TEST(VirtioCmdline, KernelTokensAreNotTheApps) {
    EXPECT_EQ(split("--log=net=debug -- x virtio_mmio.device=512@0xfeb00e00:12 y virtio_mmio.device=512@0xfeb00c00:11"),
              (V{"--log=net=debug", "--", "x", "y"}));
    EXPECT_TRUE(unikit::virtio::is_kernel_token("virtio_mmio.device=1"));
    EXPECT_FALSE(unikit::virtio::is_kernel_token("virtio_mmio"));
    EXPECT_FALSE(unikit::virtio::is_kernel_token("xvirtio_mmio.device"));
}

TEST(VirtioCmdline, Errors) {
    int rc = 0;
    split(R"(a "open)", 64, &rc);
    EXPECT_EQ(rc, -2);
    split("a b c", 2, &rc);
    EXPECT_EQ(rc, -1);
    split("a b", 2, &rc);
    EXPECT_EQ(rc, 2);
}

}  // namespace
