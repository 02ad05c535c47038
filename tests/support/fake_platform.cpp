#include "support/fake_platform.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace {
struct Pending {
    uk_handle h;
    uint64_t at;
};
struct State {
    uint64_t now = 1'000'000'000;
    std::string console;
    bool echo = false;
    std::vector<uk_handle> ready;
    std::vector<Pending> pending;
    std::vector<uint64_t> deadlines;
};
State& st() {
    static State s;
    return s;
}
void promote_pending() {
    auto& s = st();
    for (auto it = s.pending.begin(); it != s.pending.end();) {
        if (it->at <= s.now) {
            fake::set_ready(it->h, true);
            it = s.pending.erase(it);
        } else {
            ++it;
        }
    }
}
}  // namespace

namespace fake {
void reset(uint64_t start_ns) {
    st() = State{};
    st().now = start_ns;
}
uint64_t now_ns() { return st().now; }
void advance(uint64_t ns) {
    st().now += ns;
    promote_pending();
}
const std::string& console() { return st().console; }
void clear_console() { st().console.clear(); }
void set_echo(bool on) { st().echo = on; }
void set_ready(uk_handle h, bool ready) {
    auto& r = st().ready;
    auto it = std::find(r.begin(), r.end(), h);
    if (ready && it == r.end()) r.push_back(h);
    if (!ready && it != r.end()) r.erase(it);
}
void ready_at(uk_handle h, uint64_t at_ns) {
    st().pending.push_back({h, at_ns});
    promote_pending();
}
size_t yield_calls() { return st().deadlines.size(); }
const std::vector<uint64_t>& yield_deadlines() { return st().deadlines; }
}  // namespace fake

extern "C" {

void uk_console_write(const char* buf, size_t len) {
    st().console.append(buf, len);
    if (st().echo) fwrite(buf, 1, len, stderr);
}

void uk_exit(int status) { std::exit(status); }

void uk_abort(void) {
    fflush(stderr);
    std::abort();
}

uk_time_ns uk_clock_monotonic(void) { return st().now; }
uk_time_ns uk_clock_wall(void) { return 1'700'000'000'000'000'000ull + st().now; }

uk_result uk_yield(uk_time_ns deadline, uk_handle* ready, size_t cap, size_t* nready) {
    auto& s = st();
    if (!nready || (cap > 0 && !ready)) return UK_EINVAL;
    s.deadlines.push_back(deadline);
    promote_pending();
    if (s.ready.empty()) {
        // Advance to the deadline or the next pending device, whichever comes first.
        uint64_t next = deadline;
        for (auto& p : s.pending) next = std::min(next, p.at);
        if (next == UINT64_MAX) {
            fprintf(stderr, "fake platform: uk_yield would block forever\n");
            std::abort();
        }
        if (next > s.now) s.now = next;
        promote_pending();
    }
    size_t n = std::min(cap, s.ready.size());
    for (size_t i = 0; i < n; ++i) ready[i] = s.ready[i];
    *nready = n;
    return UK_OK;
}

// The device calls: support/no_devices.cpp.

}  // extern "C"
