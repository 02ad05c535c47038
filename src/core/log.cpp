#include <unikit/log.h>

#include <unikit/time.h>

namespace unikit {

namespace {

char g_spec[256];
size_t g_spec_len = 0;

bool parse_level(std::string_view s, LogLevel& out) {
    for (auto l : {LogLevel::off, LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug, LogLevel::trace}) {
        if (s == to_string(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

// Calls f(module, level) for each entry; false if the spec is malformed.
template <class F>
bool for_each_entry(std::string_view spec, F&& f) {
    while (!spec.empty()) {
        size_t comma = spec.find(',');
        std::string_view entry = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (entry.empty()) continue;
        size_t eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) return false;
        LogLevel l;
        if (!parse_level(entry.substr(eq + 1), l)) return false;
        f(entry.substr(0, eq), l);
    }
    return true;
}

}  // namespace

Result<void> log_configure(std::string_view spec) {
    if (spec.size() > sizeof(g_spec) - 1) return fail(Error::invalid);
    if (!for_each_entry(spec, [](std::string_view, LogLevel) {})) return fail(Error::invalid);
    for (size_t i = 0; i < spec.size(); ++i) g_spec[i] = spec[i];
    g_spec_len = spec.size();
    ++detail::g_log_generation;
    return {};
}

LogLevel log_level_for(std::string_view module) {
    LogLevel exact = LogLevel::info, wild = LogLevel::info;
    bool have_exact = false, have_wild = false;
    for_each_entry(std::string_view(g_spec, g_spec_len), [&](std::string_view m, LogLevel l) {
        if (m == module) exact = l, have_exact = true;
        else if (m == "*") wild = l, have_wild = true;
    });
    return have_exact ? exact : have_wild ? wild : LogLevel::info;
}

namespace detail {
void log_prefix(FormatSink& out, const char* module, LogLevel level) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(uptime()).count();
    format_to(out, "[{:4}.{:06}] {}: {}: ", us / 1000000, us % 1000000, module, to_string(level));
}
}  // namespace detail

}  // namespace unikit
