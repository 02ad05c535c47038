// unikit time: monotonic and wall clocks over the platform ABI, as std::chrono types.
//
//   unikit::TimePoint t = unikit::now();
//   co_await unikit::sleep(std::chrono::milliseconds(100));   // (declared in loop.h)
#pragma once

#include <chrono>
#include <cstdint>

#include <unikit/platform.h>

namespace unikit {

using Duration = std::chrono::nanoseconds;

// The platform's monotonic clock (uk_clock_monotonic): never goes back; arbitrary origin.
struct MonotonicClock {
    using rep = Duration::rep;
    using period = Duration::period;
    using duration = Duration;
    using time_point = std::chrono::time_point<MonotonicClock, Duration>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept { return time_point(Duration(static_cast<rep>(uk_clock_monotonic()))); }
};

// The platform's wall clock (uk_clock_wall): ns since the Unix epoch; may jump.
struct WallClock {
    using rep = Duration::rep;
    using period = Duration::period;
    using duration = Duration;
    using time_point = std::chrono::time_point<WallClock, Duration>;
    static constexpr bool is_steady = false;
    static time_point now() noexcept { return time_point(Duration(static_cast<rep>(uk_clock_wall()))); }
};

using TimePoint = MonotonicClock::time_point;
using WallTime = WallClock::time_point;

// A deadline that never comes.
inline constexpr TimePoint kNever = TimePoint::max();

inline TimePoint now() noexcept { return MonotonicClock::now(); }
inline WallTime wall_now() noexcept { return WallClock::now(); }

// Platform time (ns) for a TimePoint, clamped to the ABI's range.
constexpr uk_time_ns to_uk_time(TimePoint t) noexcept {
    auto c = t.time_since_epoch().count();
    return c <= 0 ? 0 : static_cast<uk_time_ns>(c);
}

// Time since boot (since uk_main started; since the first call when there was no uk_main).
Duration uptime() noexcept;

}  // namespace unikit
