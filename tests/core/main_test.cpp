// uk_main: runs app_main on the loop with the boot arguments, returns its status.
#include <unikit/unikit.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fake_platform.h"

using namespace std::chrono_literals;

namespace {
std::vector<std::string> g_seen_args;
}

unikit::Task<int> app_main(std::span<const char* const> args) {
    for (const char* a : args) g_seen_args.emplace_back(a);
    co_await unikit::sleep(std::chrono::seconds(1));
    unikit::println("Hello");
    co_return static_cast<int>(args.size()) + 40;
}

namespace {

TEST(UkMain, RunsAppMainWithArgsAndReturnsStatus) {
    fake::reset();
    const char* argv[] = {"hello", "--log=net=debug", "x", "y"};
    uk_boot_info info{};
    info.argc = 4;
    info.argv = argv;
    info.entropy[0] = 0xab;
    uint64_t t0 = fake::now_ns();
    int status = uk_main(&info);
    EXPECT_EQ(status, 43);
    EXPECT_EQ(g_seen_args, (std::vector<std::string>{"hello", "x", "y"}));
    EXPECT_EQ(fake::console(), "Hello\n");
    EXPECT_EQ(fake::now_ns() - t0, 1'000'000'000u);
    EXPECT_EQ(unikit::log_level_for("net"), unikit::LogLevel::debug);
    EXPECT_EQ(unikit::boot_info().entropy[0], 0xab);
    (void)unikit::log_configure("");
}

}  // namespace
