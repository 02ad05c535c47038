// unikit logging: leveled, per-module, cheap when disabled.
//
//   static unikit::Logger lg{"tcp"};
//   lg.info("listening on {}", port);                 // level checked before formatting
//   UK_LOG(lg, debug, "state {}", expensive());       // arguments not even evaluated when off
//
// Output: "[   1.234567] tcp: info: listening on 80\n" (seconds since boot) via uk_console_write.
// Levels per module come from a spec like "net=debug,tcp=trace,*=info" set with log_configure()
// or at boot with the app argument --log=SPEC (consumed by uk_main, not passed to app_main).
// Without a matching entry (and no "*" entry) a module logs at info.
#pragma once

#include <cstdint>
#include <string_view>

#include <unikit/error.h>
#include <unikit/format.h>

namespace unikit {

enum class LogLevel : uint8_t { off = 0, error = 1, warn = 2, info = 3, debug = 4, trace = 5 };

constexpr const char* to_string(LogLevel l) {
    switch (l) {
        case LogLevel::off: return "off";
        case LogLevel::error: return "error";
        case LogLevel::warn: return "warn";
        case LogLevel::info: return "info";
        case LogLevel::debug: return "debug";
        case LogLevel::trace: return "trace";
    }
    return "?";
}

// Replaces the log configuration. Entries are "module=level" (or "*=level"), comma-separated;
// levels are off, error, warn, info, debug, trace. Returns Error::invalid (and changes nothing) for
// a malformed spec or one longer than 255 characters.
Result<void> log_configure(std::string_view spec);
// The level a module logs at under the current configuration.
LogLevel log_level_for(std::string_view module);

namespace detail {
inline uint32_t g_log_generation = 1;  // bumped by log_configure
void log_prefix(FormatSink& out, const char* module, LogLevel level);
}  // namespace detail

class Logger {
public:
    constexpr explicit Logger(const char* module) noexcept : module_(module) {}

    const char* module() const noexcept { return module_; }
    bool enabled(LogLevel l) const noexcept {
        if (gen_ != detail::g_log_generation) [[unlikely]] {
            level_ = log_level_for(module_);
            gen_ = detail::g_log_generation;
        }
        return l != LogLevel::off && l <= level_;
    }

    template <class... A>
    void log(LogLevel l, std::string_view fmt, const A&... args) const {
        if (!enabled(l)) return;
        write(l, fmt, args...);
    }
    template <class... A>
    void error(std::string_view fmt, const A&... args) const { log(LogLevel::error, fmt, args...); }
    template <class... A>
    void warn(std::string_view fmt, const A&... args) const { log(LogLevel::warn, fmt, args...); }
    template <class... A>
    void info(std::string_view fmt, const A&... args) const { log(LogLevel::info, fmt, args...); }
    template <class... A>
    void debug(std::string_view fmt, const A&... args) const { log(LogLevel::debug, fmt, args...); }
    template <class... A>
    void trace(std::string_view fmt, const A&... args) const { log(LogLevel::trace, fmt, args...); }

    // Writes unconditionally (callers check enabled() first).
    template <class... A>
    void write(LogLevel l, std::string_view fmt, const A&... args) const {
        char buf[256];
        FormatSink sink(buf, detail::console_flush, nullptr);
        detail::log_prefix(sink, module_, l);
        format_to(sink, fmt, args...);
        sink.put('\n');
        sink.flush();
    }

private:
    const char* module_;
    mutable LogLevel level_ = LogLevel::info;
    mutable uint32_t gen_ = 0;
};

// Logs only if enabled, without evaluating the arguments otherwise.
#define UK_LOG(logger, level, ...)                                          \
    do {                                                                    \
        if ((logger).enabled(::unikit::LogLevel::level)) [[unlikely]]       \
            (logger).write(::unikit::LogLevel::level, __VA_ARGS__);         \
    } while (0)

}  // namespace unikit
