// unikit::Task<T>: a lazy, move-only coroutine returning T.
//
//   unikit::Task<int> answer() { co_return 42; }
//   unikit::Task<void> caller() { int x = co_await answer(); ... }
//
// A task starts when first awaited (or when handed to Loop::run / spawn). Awaiting a task transfers
// control to it symmetrically and resumes the awaiter when it finishes, without growing the stack.
// Destroying a Task destroys its coroutine frame, wherever it is suspended; objects in the frame
// (including awaiters waiting on timers or devices) are destroyed and unregister themselves.
// unikit builds without exceptions: an exception escaping a task panics.
#pragma once

#include <coroutine>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include <unikit/panic.h>

namespace unikit {

template <class T = void>
class Task;

namespace detail {

// Number of live task frames (allocated and not yet freed); for leak tests and diagnostics.
inline size_t g_live_task_frames = 0;

// Base for promise types whose frames are counted in g_live_task_frames.
struct CountedFrame {
    static void* operator new(size_t n) {
        ++g_live_task_frames;
        return ::operator new(n);
    }
    static void operator delete(void* p, size_t n) noexcept {
        --g_live_task_frames;
        ::operator delete(p, n);
    }
};

struct PromiseBase : CountedFrame {
    std::coroutine_handle<> continuation;

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            auto c = h.promise().continuation;
            return c ? c : std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };

    std::suspend_always initial_suspend() noexcept { return {}; }
    FinalAwaiter final_suspend() noexcept { return {}; }
    [[noreturn]] void unhandled_exception() noexcept { panic("exception escaped a unikit::Task"); }
};

template <class T>
struct Promise : PromiseBase {
    alignas(T) unsigned char storage[sizeof(T)];
    bool has_value = false;

    Task<T> get_return_object() noexcept;
    template <class U = T>
        requires std::is_constructible_v<T, U&&>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(storage)) T(std::forward<U>(v));
        has_value = true;
    }
    T& value() noexcept { return *std::launder(reinterpret_cast<T*>(storage)); }
    ~Promise() {
        if (has_value) value().~T();
    }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    Task() noexcept = default;
    explicit Task(handle_type h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { reset(); }

    bool valid() const noexcept { return static_cast<bool>(h_); }
    explicit operator bool() const noexcept { return valid(); }
    bool done() const noexcept { return h_ && h_.done(); }
    handle_type handle() const noexcept { return h_; }
    // Gives up ownership of the frame (the caller must destroy it).
    handle_type release() noexcept { return std::exchange(h_, {}); }
    void reset() noexcept {
        if (h_) std::exchange(h_, {}).destroy();
    }

    // The result of a finished task (moves it out). Only for code that drives tasks by hand.
    decltype(auto) result() {
        if constexpr (!std::is_void_v<T>) return std::move(h_.promise().value());
    }

    struct Awaiter {
        handle_type h;
        bool await_ready() const noexcept { return !h || h.done(); }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
            h.promise().continuation = caller;
            return h;
        }
        T await_resume() {
            if (!h) panic("co_await on an empty unikit::Task");
            if constexpr (!std::is_void_v<T>) return std::move(h.promise().value());
        }
    };
    // Awaiting runs the task to completion and yields its result. The Task object keeps owning the
    // frame; awaiting a temporary (`co_await f()`) frees it at the end of the full expression.
    Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
    Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

private:
    handle_type h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// Live task frames (allocated, not yet destroyed). Tests use it to prove nothing leaks.
inline size_t live_task_frames() { return detail::g_live_task_frames; }

}  // namespace unikit
