// The unikit event loop: ready queue, timer heap, device readiness through uk_yield.
#include <unikit/loop.h>

#include <new>

#include <unikit/format.h>
#include <unikit/panic.h>

namespace unikit {

namespace {

Loop* g_current = nullptr;

// A detached task: a wrapper coroutine owned by the loop that frees itself when it finishes.
struct DetachedNode : IntrusiveNode {
    std::coroutine_handle<> handle;
    Resumable start;
};

struct Detached {
    struct promise_type {
        DetachedNode node;

        Detached get_return_object() noexcept {
            return Detached{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct Final {
            bool await_ready() noexcept { return false; }
            void await_suspend(std::coroutine_handle<promise_type> h) noexcept { h.destroy(); }
            void await_resume() noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        [[noreturn]] void unhandled_exception() noexcept { panic("exception escaped a detached task"); }
        static void* operator new(size_t n) {
            ++detail::g_live_task_frames;
            return ::operator new(n);
        }
        static void operator delete(void* p, size_t n) noexcept {
            --detail::g_live_task_frames;
            ::operator delete(p, n);
        }
    };
    std::coroutine_handle<promise_type> handle;
};

Detached run_detached(Task<void> t) { co_await std::move(t); }

}  // namespace

// ---- Loop lifecycle ----------------------------------------------------------------------------

Loop::Loop() noexcept : previous_(g_current) { g_current = this; }

Loop::~Loop() {
    destroy_detached();
    for (size_t i = 0; i < heap_size_; ++i) {
        if (Timer* t = heap_[i].timer) {
            t->slot_ = Timer::kNoSlot;
            t->loop_ = nullptr;
        }
    }
    ::operator delete(heap_);
    heap_ = nullptr;
    heap_size_ = heap_cap_ = heap_dead_ = 0;
    ready_.clear();
    device_waiters_.clear();
    watches_.clear();
    if (g_current == this) g_current = previous_;
}

Loop& Loop::current() noexcept {
    if (!g_current) panic("no unikit::Loop is running");
    return *g_current;
}

Loop* Loop::current_or_null() noexcept { return g_current; }

void Loop::spawn(Task<void> t) {
    if (!t) return;
    Detached d = run_detached(std::move(t));
    DetachedNode& n = d.handle.promise().node;
    n.handle = d.handle;
    n.start.handle = d.handle;
    detached_.push_back(n);
    schedule(n.start);
}

void Loop::destroy_detached() noexcept {
    while (auto* n = detached_.pop_front()) static_cast<DetachedNode*>(n)->handle.destroy();
}

template <class T>
int Loop::run_impl(Task<T>& main) {
    if (running_) panic("Loop::run is not re-entrant");
    if (!main) panic("Loop::run: empty task");
    running_ = true;
    Resumable start;
    start.handle = main.handle();
    schedule(start);
    bool deadlock = false;
    while (!main.done()) {
        if (!turn(main.handle())) {
            deadlock = true;
            break;
        }
    }
    int status = 0;
    if (deadlock) {
        println("unikit: deadlock: the main task waits, but no timer, device or task can wake it");
        status = kDeadlockStatus;
    } else if constexpr (!std::is_void_v<T>) {
        status = main.result();
    }
    main.reset();
    destroy_detached();
    running_ = false;
    return status;
}

int Loop::run(Task<int> main) { return run_impl(main); }
int Loop::run(Task<void> main) { return run_impl(main); }

// ---- one turn ----------------------------------------------------------------------------------

bool Loop::turn(std::coroutine_handle<> main) {
    ++stats_.iterations;
    run_ready();
    if (main.done()) return true;
    fire_timers();
    if (!ready_.empty()) {
        poll(TimePoint{});  // a past deadline: just collect device readiness
    } else {
        const HeapEntry* top = heap_top();
        if (!top && device_waiters_.empty() && watches_.empty()) return false;
        poll(top ? TimePoint(Duration(top->deadline)) : kNever);
    }
    fire_timers();
    return true;
}

void Loop::run_ready() noexcept {
    // Only what is ready now: tasks that re-schedule themselves run on the next turn, after
    // timers and devices had their chance.
    IntrusiveList<Resumable> batch;
    batch.splice_back(ready_);
    while (Resumable* r = batch.pop_front()) {
        ++stats_.resumes;
        r->handle.resume();
    }
}

void Loop::fire_timers() noexcept {
    const int64_t now_ns = now().time_since_epoch().count();
    const uint64_t limit = seq_;  // timers armed by callbacks wait for the next turn
    for (;;) {
        const HeapEntry* top = heap_top();
        if (!top || top->deadline > now_ns || top->seq >= limit) break;
        Timer* t = top->timer;
        heap_pop();
        t->slot_ = Timer::kNoSlot;
        ++stats_.timers_fired;
        if (t->cb_) t->cb_(t->ctx_);
    }
}

void Loop::poll(TimePoint deadline) noexcept {
    uk_handle ready[64];
    size_t n = 0;
    ++stats_.yields;
    uk_time_ns d = deadline == kNever ? UINT64_MAX : to_uk_time(deadline);
    if (uk_yield(d, ready, sizeof(ready) / sizeof(ready[0]), &n) != UK_OK) return;
    for (size_t i = 0; i < n; ++i) {
        const uk_handle h = ready[i];
        ++stats_.device_events;
        for (auto it = device_waiters_.begin(); it != device_waiters_.end();) {
            detail::DeviceWaiter& w = *it;
            ++it;
            if (w.handle == h) {
                w.unlink();
                schedule(*w.resumable);
            }
        }
        IntrusiveList<DeviceWatch> calling;
        for (auto it = watches_.begin(); it != watches_.end();) {
            DeviceWatch& w = *it;
            ++it;
            if (w.handle_ == h) calling.push_back(w);
        }
        while (DeviceWatch* w = calling.pop_front()) {
            watches_.push_back(*w);
            w->cb_(w->ctx_, h);
        }
    }
}

// ---- timers ------------------------------------------------------------------------------------

void Timer::arm_at(TimePoint deadline) noexcept {
    Loop& l = Loop::current();
    if (armed()) cancel();
    loop_ = &l;
    l.timer_arm(*this, deadline);
}

void Timer::cancel() noexcept {
    if (armed() && loop_) loop_->timer_cancel(*this);
}

void Loop::heap_place(size_t i, const HeapEntry& e) noexcept {
    heap_[i] = e;
    if (e.timer) e.timer->slot_ = i;
}

void Loop::sift_up(size_t i) noexcept {
    HeapEntry e = heap_[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(e, heap_[p])) break;
        heap_place(i, heap_[p]);
        i = p;
    }
    heap_place(i, e);
}

void Loop::sift_down(size_t i) noexcept {
    HeapEntry e = heap_[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_size_) break;
        if (c + 1 < heap_size_ && before(heap_[c + 1], heap_[c])) ++c;
        if (!before(heap_[c], e)) break;
        heap_place(i, heap_[c]);
        i = c;
    }
    heap_place(i, e);
}

void Loop::heap_pop() noexcept {
    if (heap_size_ == 0) return;
    if (!heap_[0].timer) --heap_dead_;
    --heap_size_;
    if (heap_size_ > 0) {
        heap_place(0, heap_[heap_size_]);
        sift_down(0);
    }
}

const Loop::HeapEntry* Loop::heap_top() noexcept {
    while (heap_size_ > 0 && !heap_[0].timer) heap_pop();
    return heap_size_ ? &heap_[0] : nullptr;
}

void Loop::heap_grow() noexcept {
    size_t cap = heap_cap_ ? heap_cap_ * 2 : 64;
    auto* mem = static_cast<HeapEntry*>(::operator new(cap * sizeof(HeapEntry)));
    for (size_t i = 0; i < heap_size_; ++i) mem[i] = heap_[i];
    ::operator delete(heap_);
    heap_ = mem;
    heap_cap_ = cap;
}

void Loop::heap_compact() noexcept {
    size_t j = 0;
    for (size_t i = 0; i < heap_size_; ++i)
        if (heap_[i].timer) heap_[j++] = heap_[i];
    heap_size_ = j;
    heap_dead_ = 0;
    for (size_t i = heap_size_ / 2; i > 0; --i) sift_down(i - 1);
    for (size_t i = 0; i < heap_size_; ++i) heap_[i].timer->slot_ = i;
}

void Loop::timer_arm(Timer& t, TimePoint deadline) noexcept {
    if (heap_size_ == heap_cap_) heap_grow();
    HeapEntry e{deadline.time_since_epoch().count(), seq_++, &t};
    heap_[heap_size_] = e;
    t.slot_ = heap_size_;
    ++heap_size_;
    sift_up(heap_size_ - 1);
}

void Loop::timer_cancel(Timer& t) noexcept {
    heap_[t.slot_].timer = nullptr;
    t.slot_ = Timer::kNoSlot;
    ++heap_dead_;
    if (heap_dead_ > 64 && heap_dead_ * 2 > heap_size_) heap_compact();
}

// ---- devices -----------------------------------------------------------------------------------

DeviceWatch::DeviceWatch(uk_handle h, Callback cb, void* ctx) noexcept : handle_(h), cb_(cb), ctx_(ctx) {
    Loop::current().add_device_watch(*this);
}

}  // namespace unikit
