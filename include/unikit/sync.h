// Synchronisation between tasks on the one loop (no threads, no locks): Event.
//
//   unikit::Event ready;
//   ... co_await ready.wait();      // until set() (or the token is cancelled)
//   ready.set();                    // wakes every waiter; stays set until reset()
#pragma once

#include <coroutine>

#include <unikit/cancel.h>
#include <unikit/error.h>
#include <unikit/intrusive.h>
#include <unikit/loop.h>

namespace unikit {

class Event {
    struct Waiter : IntrusiveNode {
        Resumable* resumable = nullptr;
    };

public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { waiters_.clear(); }

    bool is_set() const noexcept { return set_; }
    // Sets the event and schedules every waiter (they resume on the next loop turn).
    void set() noexcept {
        set_ = true;
        while (Waiter* w = waiters_.pop_front()) Loop::current().schedule(*w->resumable);
    }
    void reset() noexcept { set_ = false; }

    class [[nodiscard]] Awaiter : detail::CancellableWait<Awaiter> {
    public:
        Awaiter(Event& e, CancelToken t) noexcept : CancellableWait(t), ev_(e) {}
        bool await_ready() noexcept { return cancelled_already() || ev_.set_; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            waiter_.resumable = &resumable_;
            ev_.waiters_.push_back(waiter_);
            watch_cancel(h);
        }
        Result<void> await_resume() noexcept { return finish(); }

    private:
        friend CancellableWait;
        void stop_waiting() noexcept { waiter_.unlink(); }

        Event& ev_;
        Waiter waiter_;
    };

    // co_await wait([token]) -> Result<void>: ok once the event is set (at once if it is),
    // Error::cancelled if the token is cancelled first.
    Awaiter wait(CancelToken token = {}) noexcept { return Awaiter(*this, token); }

private:
    bool set_ = false;
    IntrusiveList<Waiter> waiters_;
};

}  // namespace unikit
