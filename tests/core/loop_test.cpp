#include <unikit/loop.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "support/fake_platform.h"

using namespace std::chrono_literals;
using unikit::Duration;
using unikit::Task;
using unikit::TimePoint;

namespace {

class LoopTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake::reset();
        frames_before_ = unikit::live_task_frames();
    }
    void TearDown() override { EXPECT_EQ(unikit::live_task_frames(), frames_before_) << "leaked task frames"; }
    size_t frames_before_ = 0;
};

TEST_F(LoopTest, SleepAdvancesVirtualClockAndYieldsWithDeadline) {
    unikit::Loop loop;
    TimePoint start = unikit::now();
    int r = loop.run([]() -> Task<int> {
        auto res = co_await unikit::sleep(1500ms);
        co_return res ? 0 : 1;
    }());
    EXPECT_EQ(r, 0);
    EXPECT_EQ(unikit::now() - start, Duration(1500ms));
    // The loop waited in uk_yield with the sleep's deadline (no spinning).
    ASSERT_FALSE(fake::yield_deadlines().empty());
    EXPECT_EQ(fake::yield_deadlines().back(), unikit::to_uk_time(start + 1500ms));
    EXPECT_LE(fake::yield_calls(), 2u);
}

TEST_F(LoopTest, SleepUntilPastDeadlineResumesNextTurn) {
    unikit::Loop loop;
    TimePoint start = unikit::now();
    int r = loop.run([]() -> Task<int> {
        auto res = co_await unikit::sleep_until(unikit::now() - 1s);
        co_return res ? 0 : 1;
    }());
    EXPECT_EQ(r, 0);
    EXPECT_EQ(unikit::now(), start);
}

TEST_F(LoopTest, ManyTimersFireInDeadlineOrderFifoForTies) {
    unikit::Loop loop;
    struct Rec {
        int id;
        int64_t deadline_ms;
    };
    constexpr int kN = 5000;
    std::vector<int> fired;
    std::vector<Rec> recs;
    std::mt19937 rng(42);
    for (int i = 0; i < kN; ++i) recs.push_back({i, static_cast<int64_t>(rng() % 200)});  // many ties

    struct Ctx {
        std::vector<int>* fired;
        int id;
    };
    std::vector<Ctx> ctx(kN);
    std::vector<unikit::Timer> timers(kN);
    TimePoint base = unikit::now();
    for (int i = 0; i < kN; ++i) {
        ctx[i] = {&fired, i};
        timers[i].set_callback([](void* c) {
            auto* x = static_cast<Ctx*>(c);
            x->fired->push_back(x->id);
        }, &ctx[i]);
        timers[i].arm_at(base + std::chrono::milliseconds(recs[i].deadline_ms));
    }
    // Cancel every 7th timer; it must never fire.
    for (int i = 0; i < kN; i += 7) timers[i].cancel();
    EXPECT_EQ(loop.timer_count(), static_cast<size_t>(kN - (kN + 6) / 7));
    loop.run([]() -> Task<int> {
        (void)co_await unikit::sleep(1s);
        co_return 0;
    }());
    std::vector<Rec> expected;
    for (int i = 0; i < kN; ++i)
        if (i % 7 != 0) expected.push_back(recs[i]);
    std::stable_sort(expected.begin(), expected.end(),
                     [](const Rec& a, const Rec& b) { return a.deadline_ms < b.deadline_ms; });
    ASSERT_EQ(fired.size(), expected.size());
    for (size_t i = 0; i < fired.size(); ++i) ASSERT_EQ(fired[i], expected[i].id) << "at " << i;
    EXPECT_EQ(loop.timer_count(), 0u);
}

TEST_F(LoopTest, RandomArmCancelRearmMatchesReferenceModel) {
    // Random interleavings of arm / re-arm / cancel (enough cancels to trigger compaction),
    // checked against a std::map keyed by (deadline, arm order).
    for (unsigned seed = 1; seed <= 20; ++seed) {
        fake::reset();
        unikit::Loop loop;
        std::mt19937 rng(seed);
        constexpr int kN = 600;
        std::vector<unikit::Timer> timers(kN);
        struct Ctx {
            std::vector<int>* fired;
            int id;
        };
        std::vector<int> fired;
        std::vector<Ctx> ctx(kN);
        std::map<std::pair<int64_t, uint64_t>, int> model;
        std::vector<std::pair<int64_t, uint64_t>> key(kN, {-1, 0});
        uint64_t order = 0;
        TimePoint base = unikit::now();
        for (int i = 0; i < kN; ++i) {
            ctx[i] = {&fired, i};
            timers[i].set_callback([](void* c) {
                auto* x = static_cast<Ctx*>(c);
                x->fired->push_back(x->id);
            }, &ctx[i]);
        }
        for (int op = 0; op < 5000; ++op) {
            int i = static_cast<int>(rng() % kN);
            if (rng() % 3 == 0) {
                timers[i].cancel();
                if (key[i].first >= 0) model.erase(key[i]);
                key[i] = {-1, 0};
            } else {
                int64_t ms = static_cast<int64_t>(rng() % 50);
                timers[i].arm_at(base + std::chrono::milliseconds(ms));
                if (key[i].first >= 0) model.erase(key[i]);
                key[i] = {ms, order++};
                model[key[i]] = i;
            }
            ASSERT_EQ(loop.timer_count(), model.size());
        }
        loop.run([]() -> Task<int> {
            (void)co_await unikit::sleep(1s);
            co_return 0;
        }());
        std::vector<int> expected;
        for (auto& [k, id] : model) expected.push_back(id);
        ASSERT_EQ(fired, expected) << "seed " << seed;
    }
}

TEST_F(LoopTest, TimerRearmingItselfAtOnceDoesNotStarveTheLoop) {
    unikit::Loop loop;
    struct Ctx {
        unikit::Timer timer;
        int count = 0;
    } ctx;
    ctx.timer.set_callback([](void* p) {
        auto* c = static_cast<Ctx*>(p);
        if (++c->count < 1000) c->timer.arm_after(Duration(0));  // due again immediately
    }, &ctx);
    ctx.timer.arm_after(Duration(0));
    int r = loop.run([](Ctx* c) -> Task<int> {
        (void)co_await unikit::sleep(1ms);
        co_return c->count;
    }(&ctx));
    // Each re-armed timer waits for the next turn; the sleeper still woke up on time.
    EXPECT_GE(r, 1);
    EXPECT_EQ(ctx.count, r);
}

TEST_F(LoopTest, RearmMovesTimerAndCancelledNeverFires) {
    unikit::Loop loop;
    int a = 0, b = 0;
    unikit::Timer ta([](void* p) { ++*static_cast<int*>(p); }, &a);
    unikit::Timer tb([](void* p) { ++*static_cast<int*>(p); }, &b);
    ta.arm_after(10ms);
    ta.arm_after(30ms);  // re-arm: only one firing
    tb.arm_after(20ms);
    tb.cancel();
    EXPECT_FALSE(tb.armed());
    EXPECT_TRUE(ta.armed());
    loop.run([]() -> Task<int> {
        (void)co_await unikit::sleep(100ms);
        co_return 0;
    }());
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 0);
}

TEST_F(LoopTest, HeavyCancellationCompactsHeap) {
    unikit::Loop loop;
    std::vector<unikit::Timer> timers(10000);
    for (size_t i = 0; i < timers.size(); ++i) timers[i].arm_after(std::chrono::milliseconds(i + 1));
    for (size_t i = 0; i < timers.size(); ++i)
        if (i % 100 != 0) timers[i].cancel();
    EXPECT_EQ(loop.timer_count(), 100u);
    int fired = 0;
    for (size_t i = 0; i < timers.size(); i += 100) timers[i].set_callback([](void* p) { ++*static_cast<int*>(p); }, &fired);
    loop.run([]() -> Task<int> {
        (void)co_await unikit::sleep(20s);
        co_return 0;
    }());
    EXPECT_EQ(fired, 100);
}

TEST_F(LoopTest, CancelTokenWakesSleeperWithCancelled) {
    unikit::Loop loop;
    unikit::CancelSource src;
    TimePoint start = unikit::now();
    int r = loop.run([](unikit::CancelSource& s) -> Task<int> {
        unikit::spawn([](unikit::CancelSource& s2) -> Task<void> {
            (void)co_await unikit::sleep(1s);
            s2.cancel();
        }(s));
        auto res = co_await unikit::sleep(1h, s.token());
        if (res) co_return 1;
        co_return res.error() == unikit::Error::cancelled ? 0 : 2;
    }(src));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(unikit::now() - start, Duration(1s));
    EXPECT_EQ(loop.timer_count(), 0u);
}

TEST_F(LoopTest, AlreadyCancelledTokenDoesNotSuspend) {
    unikit::Loop loop;
    unikit::CancelSource src;
    src.cancel();
    int r = loop.run([](unikit::CancelToken t) -> Task<int> {
        auto res = co_await unikit::sleep(1h, t);
        co_return !res && res.error() == unikit::Error::cancelled ? 0 : 1;
    }(src.token()));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(fake::yield_calls(), 0u);
}

TEST_F(LoopTest, SpawnRunsDetachedTasks) {
    unikit::Loop loop;
    std::vector<int> order;
    int r = loop.run([](std::vector<int>& o) -> Task<int> {
        for (int i = 0; i < 3; ++i) {
            unikit::spawn([](std::vector<int>& o2, int id) -> Task<void> {
                (void)co_await unikit::sleep(std::chrono::milliseconds(30 - 10 * id));
                o2.push_back(id);
            }(o, i));
        }
        (void)co_await unikit::sleep(1s);
        co_return static_cast<int>(o.size());
    }(order));
    EXPECT_EQ(r, 3);
    EXPECT_EQ(order, (std::vector<int>{2, 1, 0}));
    EXPECT_EQ(loop.detached_count(), 0u);
}

TEST_F(LoopTest, UnfinishedDetachedTasksDestroyedAtEnd) {
    unikit::Loop loop;
    int r = loop.run([]() -> Task<int> {
        for (int i = 0; i < 10; ++i) unikit::spawn([]() -> Task<void> { (void)co_await unikit::sleep(1h); }());
        (void)co_await unikit::sleep(1ms);
        co_return 0;
    }());
    EXPECT_EQ(r, 0);
    EXPECT_EQ(loop.detached_count(), 0u);
    EXPECT_EQ(loop.timer_count(), 0u);
}

TEST_F(LoopTest, SpawnedTaskFinishingAtOnceAndTimerOutlivingLoop) {
    int ran = 0;
    unikit::Timer outlives;
    {
        unikit::Loop loop;
        outlives.arm_after(1h);
        int r = loop.run([](int* n) -> Task<int> {
            unikit::spawn([](int* m) -> Task<void> {
                ++*m;
                co_return;
            }(n));
            co_await unikit::yield_now();
            co_return *n;
        }(&ran));
        EXPECT_EQ(r, 1);
        EXPECT_TRUE(outlives.armed());
    }
    EXPECT_FALSE(outlives.armed());  // the loop disarmed it when it went away
    outlives.cancel();               // and cancelling is still safe
}

TEST_F(LoopTest, WaitReadableWakesOnDeviceReadiness) {
    unikit::Loop loop;
    fake::ready_at(5, fake::now_ns() + 250'000'000);
    TimePoint start = unikit::now();
    int r = loop.run([]() -> Task<int> {
        auto res = co_await unikit::wait_readable(5);
        fake::set_ready(5, false);  // "drain"
        co_return res ? 0 : 1;
    }());
    EXPECT_EQ(r, 0);
    EXPECT_EQ(unikit::now() - start, Duration(250ms));
}

TEST_F(LoopTest, DeviceWatchCallback) {
    unikit::Loop loop;
    int calls = 0;
    struct Ctx {
        int* calls;
    } ctx{&calls};
    unikit::DeviceWatch w(3, [](void* c, uk_handle h) {
        EXPECT_EQ(h, 3);
        ++*static_cast<Ctx*>(c)->calls;
        fake::set_ready(3, false);
    }, &ctx);
    fake::ready_at(3, fake::now_ns() + 10'000'000);
    fake::ready_at(3, fake::now_ns() + 20'000'000);
    loop.run([]() -> Task<int> {
        (void)co_await unikit::sleep(50ms);
        co_return 0;
    }());
    EXPECT_EQ(calls, 2);
}

TEST_F(LoopTest, CancelledDeviceWait) {
    unikit::Loop loop;
    unikit::CancelSource src;
    int r = loop.run([](unikit::CancelSource& s) -> Task<int> {
        unikit::spawn([](unikit::CancelSource& s2) -> Task<void> {
            (void)co_await unikit::sleep(5ms);
            s2.cancel();
        }(s));
        auto res = co_await unikit::wait_readable(9, s.token());
        co_return !res && res.error() == unikit::Error::cancelled ? 0 : 1;
    }(src));
    EXPECT_EQ(r, 0);
}

TEST_F(LoopTest, DeadlockIsReportedNotHung) {
    unikit::Loop loop;
    unikit::CancelSource never;
    int r = loop.run([](unikit::CancelToken t) -> Task<int> {
        // Waits on a cancel token that nobody will trigger, via a device that doesn't exist...
        // but with a device waiter the loop would block forever; use a bare suspension instead.
        struct Forever {
            bool await_ready() { return false; }
            void await_suspend(std::coroutine_handle<>) {}
            void await_resume() {}
        };
        co_await Forever{};
        co_return 0;
    }(never.token()));
    EXPECT_EQ(r, unikit::Loop::kDeadlockStatus);
    EXPECT_NE(fake::console().find("deadlock"), std::string::npos);
}

TEST_F(LoopTest, WallClockAndUptime) {
    EXPECT_GT(unikit::wall_now().time_since_epoch().count(), 0);
    auto u0 = unikit::uptime();
    fake::advance(2'000'000);
    EXPECT_EQ(unikit::uptime() - u0, Duration(2ms));
}

}  // namespace
