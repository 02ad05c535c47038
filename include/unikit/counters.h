// unikit counters: named u64 values in an intrusive registry, for a metrics page.
//
//   static unikit::Counter rx_frames{"net.rx_frames"};
//   rx_frames.inc();
//   for (const unikit::Counter& c : unikit::counters()) print("{} {}\n", c.name(), c.value());
//
// A Counter registers itself when constructed and unregisters when destroyed. Names are not
// copied: pass a string that outlives the counter (a literal).
#pragma once

#include <cstdint>
#include <string_view>

#include <unikit/intrusive.h>

namespace unikit {

class Counter : public IntrusiveNode {
public:
    explicit Counter(const char* name) noexcept;
    ~Counter() = default;

    void inc(uint64_t n = 1) noexcept { value_ += n; }
    Counter& operator++() noexcept {
        ++value_;
        return *this;
    }
    Counter& operator+=(uint64_t n) noexcept {
        value_ += n;
        return *this;
    }
    void set(uint64_t v) noexcept { value_ = v; }
    uint64_t value() const noexcept { return value_; }
    const char* name() const noexcept { return name_; }

private:
    const char* name_;
    uint64_t value_ = 0;
};

// All live counters, in registration order.
const IntrusiveList<Counter>& counters() noexcept;
// The first counter with this name, or nullptr.
Counter* find_counter(std::string_view name) noexcept;

}  // namespace unikit
