// hello: prints "Hello" and "World" alternately, four times each (8 lines:
// Hello, World, Hello, World, ...), sleeping one second between lines, then exits 0.
//
//   unikit run apps/hello                         Hello / World x4, 7 seconds
//   unikit run apps/hello -- Bonjour Monde        Bonjour / Monde x4
//   unikit run apps/hello -- --sleep-ms 10        the same, 10 ms between lines (tests)
//
// Bad arguments: a usage line on the console, exit status 2.
#include <unikit/unikit.h>

#include <charconv>
#include <string_view>

namespace {

constexpr int kRounds = 4;

int usage(std::string_view image) {
    unikit::println("usage: {} [--sleep-ms N] [FIRST [SECOND]]", image);
    return 2;
}

}  // namespace

unikit::Task<int> app_main(std::span<const char* const> args) {
    std::string_view words[2] = {"Hello", "World"};
    int nwords = 0;
    long sleep_ms = 1000;
    std::string_view image = args.empty() ? "hello" : args[0];
    for (size_t i = 1; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--sleep-ms") {
            if (i + 1 >= args.size()) co_return usage(image);
            std::string_view v = args[++i];
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), sleep_ms);
            if (ec != std::errc() || end != v.data() + v.size() || sleep_ms < 0) co_return usage(image);
        } else if (nwords < 2) {
            words[nwords++] = a;
        } else {
            co_return usage(image);
        }
    }
    for (int line = 0; line < 2 * kRounds; ++line) {
        if (line > 0) co_await unikit::sleep(std::chrono::milliseconds(sleep_ms));
        unikit::println("{}", words[line % 2]);
    }
    co_return 0;
}
