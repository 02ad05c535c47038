#include <unikit/counters.h>

namespace unikit {

namespace {
IntrusiveList<Counter>& registry() noexcept {
    static IntrusiveList<Counter> list;
    return list;
}
}  // namespace

Counter::Counter(const char* name) noexcept : name_(name ? name : "") { registry().push_back(*this); }

const IntrusiveList<Counter>& counters() noexcept { return registry(); }

Counter* find_counter(std::string_view name) noexcept {
    for (Counter& c : registry())
        if (name == c.name()) return &c;
    return nullptr;
}

}  // namespace unikit
