// Against real time (clock_gettime + ppoll platform): a 2-second sleep through the loop and
// uk_yield costs (almost) no CPU: the loop blocks, it does not spin.
#include <unikit/loop.h>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "support/real_platform.h"

using namespace std::chrono_literals;

namespace {

double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST(RealClock, TwoSecondSleepUsesNearZeroCpu) {
    unikit::Loop loop;
    auto wall0 = unikit::now();
    double cpu0 = cpu_seconds();
    int r = loop.run([]() -> unikit::Task<int> {
        auto res = co_await unikit::sleep(2s);
        co_return res ? 0 : 1;
    }());
    double cpu = cpu_seconds() - cpu0;
    auto elapsed = unikit::now() - wall0;
    EXPECT_EQ(r, 0);
    EXPECT_GE(elapsed, 2s);
    EXPECT_LT(elapsed, 3s);
    EXPECT_LT(cpu, 0.050) << "CPU seconds used while sleeping: " << cpu;
    EXPECT_LE(loop.stats().yields, 3u);
}

TEST(RealClock, WaitReadableOnPipe) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    real_platform::clear_fds();
    uk_handle h = real_platform::add_fd(p[0]);
    unikit::Loop loop;
    int r = loop.run([](uk_handle hh, int wfd) -> unikit::Task<int> {
        unikit::spawn([](int fd) -> unikit::Task<void> {
            (void)co_await unikit::sleep(20ms);
            char c = 'x';
            (void)!write(fd, &c, 1);
        }(wfd));
        auto res = co_await unikit::wait_readable(hh);
        co_return res ? 0 : 1;
    }(h, p[1]));
    EXPECT_EQ(r, 0);
    real_platform::clear_fds();
    close(p[0]);
    close(p[1]);
}

}  // namespace
