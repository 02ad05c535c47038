#include <unikit/sync.h>
#include <unikit/when.h>

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "support/fake_platform.h"

using namespace std::chrono_literals;
using unikit::Duration;
using unikit::Error;
using unikit::Result;
using unikit::Task;

namespace {

class WhenTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake::reset();
        frames_before_ = unikit::live_task_frames();
        start_ = unikit::now();
    }
    void TearDown() override { EXPECT_EQ(unikit::live_task_frames(), frames_before_) << "leaked task frames"; }
    Duration elapsed() const { return unikit::now() - start_; }
    size_t frames_before_ = 0;
    unikit::TimePoint start_;
};

Task<int> after(Duration d, int v) {
    (void)co_await unikit::sleep(d);
    co_return v;
}
Task<int> immediate(int v) { co_return v; }
Task<void> after_void(Duration d, int* flag) {
    (void)co_await unikit::sleep(d);
    *flag = 1;
}
Task<std::unique_ptr<int>> boxed_after(Duration d, int v) {
    (void)co_await unikit::sleep(d);
    co_return std::make_unique<int>(v);
}

struct Tracker {
    int* alive;
    explicit Tracker(int* a) : alive(a) { ++*alive; }
    ~Tracker() { --*alive; }
};
Task<int> tracked_after(Duration d, int v, int* alive) {
    Tracker t(alive);
    (void)co_await unikit::sleep(d);
    co_return v;
}

TEST_F(WhenTest, WhenAllRunsConcurrentlyAndCollectsInOrder) {
    unikit::Loop loop;
    int flag = 0;
    int r = loop.run([](int* f) -> Task<int> {
        auto [a, b, c, d] = co_await unikit::when_all(after(300ms, 1), after(100ms, 2), after_void(200ms, f),
                                                      boxed_after(50ms, 4));
        static_assert(std::is_same_v<decltype(c), std::monostate>);
        co_return a * 1000 + b * 100 + *d;
    }(&flag));
    EXPECT_EQ(r, 1204);
    EXPECT_EQ(flag, 1);
    EXPECT_EQ(elapsed(), Duration(300ms));  // concurrent: the longest, not the sum
}

TEST_F(WhenTest, WhenAllWithSynchronousChildren) {
    unikit::Loop loop;
    int r = loop.run([]() -> Task<int> {
        auto [a, b] = co_await unikit::when_all(immediate(3), immediate(4));
        co_return a + b;
    }());
    EXPECT_EQ(r, 7);
    EXPECT_EQ(elapsed(), Duration(0));
}

TEST_F(WhenTest, WhenAnyReturnsFirstAndDestroysLosers) {
    unikit::Loop loop;
    int alive = 0;
    int r = loop.run([](int* al) -> Task<int> {
        auto res = co_await unikit::when_any(tracked_after(500ms, 1, al), tracked_after(100ms, 2, al),
                                             tracked_after(1h, 3, al));
        static_assert(std::is_same_v<decltype(res.value), int>);
        EXPECT_EQ(*al, 0);  // losers destroyed before when_any returns
        EXPECT_EQ(unikit::Loop::current().timer_count(), 0u);
        co_return static_cast<int>(res.index) * 10 + res.value;
    }(&alive));
    EXPECT_EQ(r, 12);
    EXPECT_EQ(elapsed(), Duration(100ms));
    EXPECT_EQ(alive, 0);
}

TEST_F(WhenTest, WhenAnySimultaneousFinishersFirstArmedWins) {
    // Both timers fire in the same turn: both sleepers are queued; the first one resumed wins
    // and the other is destroyed while still on the ready queue (it must unlink itself).
    unikit::Loop loop;
    int alive = 0;
    int r = loop.run([](int* al) -> Task<int> {
        auto res = co_await unikit::when_any(tracked_after(10ms, 1, al), tracked_after(10ms, 2, al),
                                             tracked_after(10ms, 3, al));
        co_return static_cast<int>(res.index) * 10 + res.value;
    }(&alive));
    EXPECT_EQ(r, 1);
    EXPECT_EQ(alive, 0);
}

TEST_F(WhenTest, WhenAnyHeterogeneousGivesVariant) {
    unikit::Loop loop;
    int flag = 0;
    int r = loop.run([](int* f) -> Task<int> {
        auto res = co_await unikit::when_any(after_void(10ms, f), boxed_after(5ms, 9));
        static_assert(std::is_same_v<decltype(res.value), std::variant<std::monostate, std::unique_ptr<int>>>);
        if (res.index != 1) co_return -1;
        co_return **std::get_if<1>(&res.value);
    }(&flag));
    EXPECT_EQ(r, 9);
    EXPECT_EQ(flag, 0);  // the loser never finished
}

TEST_F(WhenTest, WhenAnySynchronousWinnerSkipsTheRest) {
    unikit::Loop loop;
    int alive = 0;
    int r = loop.run([](int* al) -> Task<int> {
        auto res = co_await unikit::when_any(immediate(5), tracked_after(1s, 6, al));
        co_return static_cast<int>(res.index) * 10 + res.value;
    }(&alive));
    EXPECT_EQ(r, 5);
    EXPECT_EQ(elapsed(), Duration(0));
    EXPECT_EQ(alive, 0);
}

TEST_F(WhenTest, WithTimeoutSucceedsOrTimesOut) {
    unikit::Loop loop;
    int alive = 0;
    int r = loop.run([](int* al) -> Task<int> {
        Result<int> ok = co_await unikit::with_timeout(after(100ms, 42), 1s);
        EXPECT_TRUE(ok.has_value());
        EXPECT_EQ(ok.value_or(0), 42);
        Result<int> late = co_await unikit::with_timeout(tracked_after(10s, 1, al), 200ms);
        EXPECT_FALSE(late.has_value());
        EXPECT_EQ(late.error(), Error::timeout);
        EXPECT_EQ(*al, 0);  // the timed-out task was destroyed
        co_return 0;
    }(&alive));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(elapsed(), Duration(300ms));
    EXPECT_EQ(loop.timer_count(), 0u);
}

Task<Result<int>> may_fail(bool fail_it) {
    (void)co_await unikit::sleep(1ms);
    if (fail_it) co_return unikit::fail(Error::io);
    co_return 3;
}

TEST_F(WhenTest, WithTimeoutFlattensResultAndVoid) {
    unikit::Loop loop;
    int flag = 0;
    int r = loop.run([](int* f) -> Task<int> {
        Result<int> a = co_await unikit::with_timeout(may_fail(false), 1s);
        Result<int> b = co_await unikit::with_timeout(may_fail(true), 1s);
        Result<void> c = co_await unikit::with_timeout(after_void(5ms, f), 1s);
        Result<void> d = co_await unikit::with_timeout(after_void(5s, f), 1s);
        EXPECT_EQ(a.value_or(0), 3);
        EXPECT_EQ(b.error(), Error::io);
        EXPECT_TRUE(c.has_value());
        EXPECT_EQ(d.error(), Error::timeout);
        co_return 0;
    }(&flag));
    EXPECT_EQ(r, 0);
}

TEST_F(WhenTest, NestedCombinatorsCancelDeeply) {
    unikit::Loop loop;
    int alive = 0;
    int r = loop.run([](int* al) -> Task<int> {
        // The inner when_all (2 long tasks) loses to the timeout: all its children die.
        auto res = co_await unikit::with_timeout(
            unikit::when_all(tracked_after(1h, 1, al), tracked_after(2h, 2, al)), 10ms);
        EXPECT_EQ(res.error(), Error::timeout);
        co_return *al;
    }(&alive));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(loop.timer_count(), 0u);
}

Task<Result<void>> wait_event(unikit::Event& e) { co_return co_await e.wait(); }

TEST_F(WhenTest, EventWakesWaitersAndHonoursCancel) {
    unikit::Loop loop;
    unikit::Event ev;
    unikit::CancelSource cs;
    int r = loop.run([](unikit::Event& e, unikit::CancelSource& c) -> Task<int> {
        unikit::spawn([](unikit::Event& e2) -> Task<void> {
            (void)co_await unikit::sleep(20ms);
            e2.set();
        }(e));
        auto [a, b] = co_await unikit::when_all(wait_event(e), wait_event(e));
        if (!a || !b) co_return 1;
        auto again = co_await e.wait();  // already set: no suspension
        if (!again) co_return 2;
        e.reset();
        unikit::spawn([](unikit::CancelSource& c2) -> Task<void> {
            (void)co_await unikit::sleep(5ms);
            c2.cancel();
        }(c));
        auto cancelled = co_await e.wait(c.token());
        co_return !cancelled && cancelled.error() == Error::cancelled ? 0 : 3;
    }(ev, cs));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(elapsed(), Duration(25ms));
}

// A wait destroyed while suspended (the loser of when_any) takes its queue link and its cancel
// registration with it: cancelling the token and setting the event afterwards resume nothing
// (ASan would catch a use of the destroyed frame), and the token still works for new waits.
TEST_F(WhenTest, DestroyedWaitsLeaveNoRegistrationBehind) {
    unikit::Loop loop;
    unikit::Event ev;
    unikit::CancelSource cs;
    int r = loop.run([](unikit::Event& e, unikit::CancelSource& c) -> Task<int> {
        auto sleeper = [](unikit::CancelToken t) -> Task<int> {
            (void)co_await unikit::sleep(1h, t);
            co_return 1;
        };
        auto ev_wait = [](unikit::Event& e2, unikit::CancelToken t) -> Task<int> {
            (void)co_await e2.wait(t);
            co_return 2;
        };
        auto dev_wait = [](unikit::CancelToken t) -> Task<int> {
            (void)co_await unikit::wait_readable(7, t);
            co_return 3;
        };
        auto first = co_await unikit::when_any(sleeper(c.token()), ev_wait(e, c.token()), dev_wait(c.token()),
                                               after(10ms, 4));
        if (first.index != 3) co_return 10 + static_cast<int>(first.index);
        c.cancel();
        e.set();
        (void)co_await unikit::yield_now();
        // A wait on the cancelled token ends at once; the set event does not suspend.
        auto s = co_await unikit::sleep(1h, c.token());
        if (s || s.error() != Error::cancelled) co_return 5;
        if (!co_await e.wait()) co_return 6;
        co_return 0;
    }(ev, cs));
    EXPECT_EQ(r, 0);
    EXPECT_EQ(elapsed(), Duration(10ms));
}

}  // namespace
