// Combinators over tasks: when_all, when_any, with_timeout.
//
//   auto [a, b] = co_await unikit::when_all(fetch(x), fetch(y));        // tuple; void -> monostate
//   auto r = co_await unikit::when_any(read_reply(), unikit::sleep_task(1s));
//   if (r.index == 0) use(r.value);   // all same type: value is that type; else a std::variant
//   Result<int> v = co_await unikit::with_timeout(compute(), 500ms); // Error::timeout on expiry
//
// Children run concurrently on the loop (each starts in turn; they interleave at suspensions).
// when_any destroys the losers as soon as a winner finishes: their frames, timers and waits are
// released at once (that is how cancellation by timeout works). Destroying a combinator task that
// is still waiting destroys all its children.
#pragma once

#include <coroutine>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <unikit/error.h>
#include <unikit/loop.h>
#include <unikit/task.h>
#include <unikit/time.h>

namespace unikit {

template <class T>
using NonVoid = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {

struct CombineState {
    std::coroutine_handle<> parent;
    size_t remaining = 0;           // when_all: children not finished (+1 while starting)
    size_t winner = static_cast<size_t>(-1);  // when_any
    bool starting = true;
    bool resumed_parent = false;
    bool any = false;
};

// A child runner: runs one task, then tells the combinator.
class Runner {
public:
    struct promise_type : CountedFrame {
        CombineState* state = nullptr;
        Runner get_return_object() noexcept {
            return Runner(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct Final {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                CombineState* s = h.promise().state;
                if (s->any) {
                    if (s->starting || s->resumed_parent) return std::noop_coroutine();
                    s->resumed_parent = true;
                    return s->parent;
                }
                if (--s->remaining == 0) return s->parent;
                return std::noop_coroutine();
            }
            void await_resume() noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        [[noreturn]] void unhandled_exception() noexcept { panic("exception escaped a unikit combinator"); }
    };

    Runner() noexcept = default;
    explicit Runner(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    Runner(Runner&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Runner& operator=(Runner&& o) noexcept {
        reset();
        h_ = std::exchange(o.h_, {});
        return *this;
    }
    ~Runner() { reset(); }
    void reset() noexcept {
        if (h_) std::exchange(h_, {}).destroy();
    }
    void start(CombineState& s) noexcept {
        h_.promise().state = &s;
        h_.resume();
    }
    bool valid() const noexcept { return static_cast<bool>(h_); }

private:
    std::coroutine_handle<promise_type> h_;
};

template <class T, class Slot>
Runner all_child(Task<T> t, Slot& slot) {
    if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        slot.emplace();
    } else {
        slot.emplace(co_await std::move(t));
    }
}

template <size_t N>
struct AllAwaiter {
    CombineState& st;
    Runner (&runners)[N];
    bool await_ready() noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> parent) noexcept {
        st.parent = parent;
        st.remaining = N + 1;
        for (auto& r : runners) r.start(st);
        st.starting = false;
        return --st.remaining != 0;
    }
    void await_resume() noexcept {}
};

template <class... Ts, size_t... I>
Task<std::tuple<NonVoid<Ts>...>> when_all_impl(std::index_sequence<I...>, Task<Ts>... tasks) {
    std::tuple<std::optional<NonVoid<Ts>>...> slots;
    CombineState st;
    Runner runners[sizeof...(Ts)] = {all_child(std::move(tasks), std::get<I>(slots))...};
    co_await AllAwaiter<sizeof...(Ts)>{st, runners};
    co_return std::tuple<NonVoid<Ts>...>(std::move(*std::get<I>(slots))...);
}

template <class... R>
inline constexpr bool all_same_v = sizeof...(R) > 0 && (std::is_same_v<std::tuple_element_t<0, std::tuple<R...>>, R> && ...);

template <class... R>
using AnyValue = std::conditional_t<all_same_v<R...>, std::tuple_element_t<0, std::tuple<R...>>, std::variant<R...>>;

template <size_t I, class T, class Out>
Runner any_child(Task<T> t, CombineState& st, Out& out) {
    using V = typename Out::value_type;
    if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        if (st.winner == static_cast<size_t>(-1)) {
            st.winner = I;
            if constexpr (std::is_same_v<V, std::monostate>) out.emplace();
            else out.emplace(std::in_place_index<I>);
        }
    } else {
        auto v = co_await std::move(t);
        if (st.winner == static_cast<size_t>(-1)) {
            st.winner = I;
            if constexpr (std::is_same_v<V, T>) out.emplace(std::move(v));
            else out.emplace(std::in_place_index<I>, std::move(v));
        }
    }
}

template <size_t N>
struct AnyAwaiter {
    CombineState& st;
    Runner (&runners)[N];
    bool await_ready() noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> parent) noexcept {
        st.parent = parent;
        st.any = true;
        for (auto& r : runners) {
            r.start(st);
            if (st.winner != static_cast<size_t>(-1)) break;  // finished at once: skip the rest
        }
        st.starting = false;
        return st.winner == static_cast<size_t>(-1);
    }
    void await_resume() noexcept {}
};

}  // namespace detail

// The result of when_any: which task finished first, and its value (the common type when all the
// tasks have the same type, else a std::variant indexed like the arguments; void -> monostate).
template <class... R>
struct AnyOf {
    size_t index;
    detail::AnyValue<R...> value;
};

template <class... Ts>
Task<std::tuple<NonVoid<Ts>...>> when_all(Task<Ts>... tasks) {
    return detail::when_all_impl(std::index_sequence_for<Ts...>{}, std::move(tasks)...);
}

namespace detail {
template <class... Ts, size_t... I>
Task<AnyOf<NonVoid<Ts>...>> when_any_impl(std::index_sequence<I...>, Task<Ts>... tasks) {
    std::optional<AnyValue<NonVoid<Ts>...>> out;
    CombineState st;
    Runner runners[sizeof...(Ts)] = {any_child<I>(std::move(tasks), st, out)...};
    co_await AnyAwaiter<sizeof...(Ts)>{st, runners};
    for (auto& r : runners) r.reset();  // cancel the losers now
    co_return AnyOf<NonVoid<Ts>...>{st.winner, std::move(*out)};
}
}  // namespace detail

template <class... Ts>
    requires(sizeof...(Ts) > 0)
Task<AnyOf<NonVoid<Ts>...>> when_any(Task<Ts>... tasks) {
    return detail::when_any_impl(std::index_sequence_for<Ts...>{}, std::move(tasks)...);
}

// A task that sleeps until the deadline (for racing with when_any).
inline Task<void> sleep_until_task(TimePoint deadline) { (void)co_await sleep_until(deadline); }
inline Task<void> sleep_task(Duration d) { return sleep_until_task(now() + d); }

namespace detail {
template <class T>
struct flatten_result {
    using type = Result<T>;
};
template <class U>
struct flatten_result<std::expected<U, Error>> {
    using type = Result<U>;
};
template <class T>
Task<typename flatten_result<T>::type> with_deadline_impl(Task<T> t, TimePoint deadline) {
    auto r = co_await when_any(std::move(t), sleep_until_task(deadline));
    if (r.index != 0) co_return fail(Error::timeout);
    if constexpr (std::is_void_v<T>) {
        co_return typename flatten_result<T>::type{};
    } else {
        co_return std::move(*std::get_if<0>(&r.value));
    }
}
}  // namespace detail

// Runs `t`; if it has not finished by the deadline, destroys it and returns Error::timeout.
// A task already returning Result<U> gives Result<U> (not Result<Result<U>>).
template <class T>
Task<typename detail::flatten_result<T>::type> with_deadline(Task<T> t, TimePoint deadline) {
    return detail::with_deadline_impl(std::move(t), deadline);
}
template <class T>
Task<typename detail::flatten_result<T>::type> with_timeout(Task<T> t, Duration d) {
    return detail::with_deadline_impl(std::move(t), now() + d);
}

}  // namespace unikit
