// A deterministic platform for tests: a virtual monotonic clock that jumps to the deadline when
// uk_yield has nothing ready, console output captured in memory, and injectable device readiness.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <unikit/platform.h>

namespace fake {

// Resets everything: clock to `start_ns`, console, devices, counters.
void reset(uint64_t start_ns = 1'000'000'000);

uint64_t now_ns();
void advance(uint64_t ns);

// Everything written with uk_console_write since reset(); clear_console() empties it.
const std::string& console();
void clear_console();
// Also echo console output to stderr (default off).
void set_echo(bool on);

// Level-triggered readiness: a ready device is reported by every uk_yield until set_ready(h, false).
void set_ready(uk_handle h, bool ready);
// The device becomes ready when the virtual clock reaches at_ns (uk_yield stops there).
void ready_at(uk_handle h, uint64_t at_ns);

// uk_yield calls so far, and the deadlines they were given.
size_t yield_calls();
const std::vector<uint64_t>& yield_deadlines();

// A uk_yield with no deadline and nothing that could become ready would block forever: the fake
// then aborts the test program with a message (deadlocks must not hang the test suite).

}  // namespace fake
