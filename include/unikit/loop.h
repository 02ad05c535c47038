// unikit event loop: one thread, one loop, driven by the platform's uk_yield().
//
// The loop resumes coroutines that are ready, fires due timers, and otherwise sleeps in
// uk_yield(earliest timer deadline) until a device reports input or the deadline passes. It never
// spins: with nothing ready it blocks in the platform.
//
//   unikit::Loop loop;                     // becomes Loop::current() (uk_main makes one)
//   int status = loop.run(app_main(args)); // drives the task to completion
//
// Inside tasks: co_await sleep(d) / sleep_until(t) / wait_readable(handle) / yield_now(),
// spawn(task) for detached work, Timer for callbacks, DeviceWatch for driver callbacks.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include <unikit/cancel.h>
#include <unikit/error.h>
#include <unikit/intrusive.h>
#include <unikit/platform.h>
#include <unikit/task.h>
#include <unikit/time.h>

namespace unikit {

class Loop;

// A coroutine waiting to be resumed by the loop. Lives inside an awaiter (in the coroutine frame),
// so destroying the frame takes it off whatever queue it is on.
class Resumable : public IntrusiveNode {
public:
    std::coroutine_handle<> handle;
};

// A one-shot timer calling `callback(ctx)` from the loop at (or after) its deadline.
// Timers with equal deadlines fire in the order they were armed. Arming is O(log n); cancelling
// is O(1) (the heap slot is emptied and skipped later). A Timer must not move while armed and
// cancels itself when destroyed.
class Timer {
public:
    using Callback = void (*)(void* ctx);

    Timer() noexcept = default;
    Timer(Callback cb, void* ctx) noexcept : cb_(cb), ctx_(ctx) {}
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void set_callback(Callback cb, void* ctx) noexcept {
        cb_ = cb;
        ctx_ = ctx;
    }
    // (Re)arms on the current loop; an armed timer is moved to the new deadline (and to the back of
    // the FIFO order for that deadline).
    void arm_at(TimePoint deadline) noexcept;
    void arm_after(Duration d) noexcept;
    void cancel() noexcept;
    bool armed() const noexcept { return slot_ != kNoSlot; }
    TimePoint deadline() const noexcept { return deadline_; }

private:
    friend class Loop;
    static constexpr size_t kNoSlot = static_cast<size_t>(-1);
    Loop* loop_ = nullptr;
    size_t slot_ = kNoSlot;
    TimePoint deadline_{};
    Callback cb_ = nullptr;
    void* ctx_ = nullptr;
};

// Calls `callback(ctx)` from the loop each time uk_yield reports `handle` ready (level-triggered:
// the callback should drain the device). Unregisters itself when destroyed.
class DeviceWatch : public IntrusiveNode {
public:
    using Callback = void (*)(void* ctx, uk_handle h);
    DeviceWatch(uk_handle h, Callback cb, void* ctx) noexcept;
    ~DeviceWatch() = default;
    uk_handle handle() const noexcept { return handle_; }

private:
    friend class Loop;
    uk_handle handle_;
    Callback cb_;
    void* ctx_;
};

namespace detail {
// A task awaiting device readiness (one-shot).
struct DeviceWaiter : IntrusiveNode {
    uk_handle handle = -1;
    Resumable* resumable = nullptr;
};
}  // namespace detail

struct LoopStats {
    uint64_t iterations = 0;   // loop turns
    uint64_t yields = 0;       // uk_yield calls
    uint64_t resumes = 0;      // coroutine resumptions from the ready queue
    uint64_t timers_fired = 0;
    uint64_t device_events = 0;  // ready handles reported by uk_yield
};

class Loop {
public:
    // Status run() returns when the main task waits for something that can never happen.
    static constexpr int kDeadlockStatus = 113;

    Loop() noexcept;
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // The loop of this unikernel (the most recently constructed live Loop).
    static Loop& current() noexcept;
    static Loop* current_or_null() noexcept;

    // Drives `main` (and everything it spawns) until `main` completes; returns its value. Detached
    // tasks still running then are destroyed. If the main task waits on nothing that could wake it
    // (no timers, ready tasks, device waiters or watches), reports a deadlock and returns
    // kDeadlockStatus.
    int run(Task<int> main);
    int run(Task<void> main);

    // Starts `t` detached on the next loop turn. The loop owns it; it is destroyed when it finishes
    // or when run() returns.
    void spawn(Task<void> t);

    // Queues a coroutine to be resumed on this or the next turn (no-op if already queued).
    void schedule(Resumable& r) noexcept { ready_.push_back(r); }

    size_t timer_count() const noexcept { return heap_size_ - heap_dead_; }
    size_t detached_count() const noexcept { return detached_.size(); }
    const LoopStats& stats() const noexcept { return stats_; }

    // Internal: device waiters (used by wait_readable).
    void add_device_waiter(detail::DeviceWaiter& w) noexcept { device_waiters_.push_back(w); }
    void add_device_watch(DeviceWatch& w) noexcept { watches_.push_back(w); }

private:
    friend class Timer;
    struct HeapEntry {
        int64_t deadline;
        uint64_t seq;
        Timer* timer;  // nullptr: cancelled
    };
    struct DetachedBase;

    static bool before(const HeapEntry& a, const HeapEntry& b) noexcept {
        return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
    }
    void timer_arm(Timer& t, TimePoint deadline) noexcept;
    void timer_cancel(Timer& t) noexcept;
    void heap_place(size_t i, const HeapEntry& e) noexcept;
    void sift_up(size_t i) noexcept;
    void sift_down(size_t i) noexcept;
    void heap_pop() noexcept;
    void heap_compact() noexcept;
    void heap_grow() noexcept;
    const HeapEntry* heap_top() noexcept;  // first live entry (drops dead ones), or nullptr

    bool turn(std::coroutine_handle<> main);  // false: deadlock
    void run_ready() noexcept;
    void fire_timers() noexcept;
    void poll(TimePoint deadline) noexcept;
    void destroy_detached() noexcept;
    template <class T>
    int run_impl(Task<T>& main);

    Loop* previous_ = nullptr;
    IntrusiveList<Resumable> ready_;
    IntrusiveList<detail::DeviceWaiter> device_waiters_;
    IntrusiveList<DeviceWatch> watches_;
    IntrusiveListBase detached_;
    HeapEntry* heap_ = nullptr;
    size_t heap_size_ = 0;
    size_t heap_cap_ = 0;
    size_t heap_dead_ = 0;
    uint64_t seq_ = 0;
    bool running_ = false;
    LoopStats stats_;
};

inline void Timer::arm_after(Duration d) noexcept { arm_at(now() + d); }

// ---- awaitables ---------------------------------------------------------------------------------

namespace detail {
// What every cancellable wait shares (sleep, wait_readable, Event::wait): the token and its
// registration, the Resumable the loop schedules, and the result. `Derived` adds its own queue
// link (a Timer, a device or event waiter) and `void stop_waiting() noexcept`, which takes that
// link off its queue; it runs when the token fires and when the wait ends. All of it lives in
// the awaiter, inside the coroutine frame, and unlinks itself when destroyed with the frame.
template <class Derived>
class CancellableWait {
public:
    CancellableWait(const CancellableWait&) = delete;
    CancellableWait& operator=(const CancellableWait&) = delete;

protected:
    explicit CancellableWait(CancelToken token) noexcept : token_(token) {}

    // For await_ready: true (the wait ends with Error::cancelled) if the token is cancelled already.
    bool cancelled_already() noexcept {
        if (!token_.cancelled()) return false;
        result_ = Error::cancelled;
        return true;
    }
    // For await_suspend, after Derived has queued itself: who to resume, and watch the token.
    void watch_cancel(std::coroutine_handle<> h) noexcept {
        resumable_.handle = h;
        token_.on_cancel(reg_, &CancellableWait::on_cancel, this);
    }
    // The wait is over (ok): stop watching the token and resume the task.
    void wake() noexcept {
        reg_.reset();
        Loop::current().schedule(resumable_);
    }
    // For await_resume.
    Result<void> finish() noexcept {
        static_cast<Derived*>(this)->stop_waiting();
        reg_.reset();
        if (result_ != Error::ok) return fail(result_);
        return {};
    }

    Resumable resumable_;

private:
    static void on_cancel(void* self) noexcept {
        auto* w = static_cast<CancellableWait*>(self);
        static_cast<Derived*>(w)->stop_waiting();
        w->result_ = Error::cancelled;
        Loop::current().schedule(w->resumable_);
    }

    CancelToken token_;
    Error result_ = Error::ok;
    CancelRegistration reg_;
};
}  // namespace detail

// co_await sleep_until(t [, token]) -> Result<void>: ok at the deadline, Error::cancelled if the
// token is (or becomes) cancelled first. Always suspends at least once (a past deadline resumes
// on the next loop turn).
class [[nodiscard]] SleepAwaiter : detail::CancellableWait<SleepAwaiter> {
public:
    SleepAwaiter(TimePoint deadline, CancelToken token) noexcept : CancellableWait(token), deadline_(deadline) {}

    bool await_ready() noexcept { return cancelled_already(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        timer_.set_callback(&SleepAwaiter::on_timer, this);
        timer_.arm_at(deadline_);
        watch_cancel(h);
    }
    Result<void> await_resume() noexcept { return finish(); }

private:
    friend CancellableWait;
    void stop_waiting() noexcept { timer_.cancel(); }
    static void on_timer(void* self) noexcept { static_cast<SleepAwaiter*>(self)->wake(); }

    TimePoint deadline_;
    Timer timer_;
};

inline SleepAwaiter sleep_until(TimePoint deadline, CancelToken token = {}) noexcept {
    return SleepAwaiter(deadline, token);
}
inline SleepAwaiter sleep(Duration d, CancelToken token = {}) noexcept { return SleepAwaiter(now() + d, token); }

// co_await yield_now(): let other ready tasks, timers and devices run, then continue.
struct [[nodiscard]] YieldAwaiter {
    Resumable resumable;
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        resumable.handle = h;
        Loop::current().schedule(resumable);
    }
    void await_resume() noexcept {}
};
inline YieldAwaiter yield_now() noexcept { return {}; }

// co_await wait_readable(h [, token]) -> Result<void>: resumes when uk_yield reports `h` ready
// (ok), or when the token is cancelled (Error::cancelled).
class [[nodiscard]] ReadableAwaiter : detail::CancellableWait<ReadableAwaiter> {
public:
    ReadableAwaiter(uk_handle h, CancelToken token) noexcept : CancellableWait(token) { waiter_.handle = h; }

    bool await_ready() noexcept { return cancelled_already(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        waiter_.resumable = &resumable_;
        Loop::current().add_device_waiter(waiter_);
        watch_cancel(h);
    }
    Result<void> await_resume() noexcept { return finish(); }

private:
    friend CancellableWait;
    void stop_waiting() noexcept { waiter_.unlink(); }

    detail::DeviceWaiter waiter_;
};
inline ReadableAwaiter wait_readable(uk_handle h, CancelToken token = {}) noexcept { return ReadableAwaiter(h, token); }

// Starts a detached task on the current loop.
inline void spawn(Task<void> t) { Loop::current().spawn(static_cast<Task<void>&&>(t)); }

}  // namespace unikit
