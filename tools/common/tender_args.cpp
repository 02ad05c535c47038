#include "common/tender_args.h"

#include <algorithm>

namespace unikit::tender_args {

std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max) {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<uint64_t>(c - '0');
        if (d > max || v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::expected<Options, Error> parse(int argc, const char* const* argv, const Spec& spec) {
    Options o;
    o.mem_mib = spec.mem_default_mib;
    auto fail = [](std::string m, bool usage = false) { return std::unexpected(Error{std::move(m), usage}); };
    int i = 1;
    for (; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool takes_value = a == "--mem" || a == "--timeout" || a == "--net" || a == "--block";
        if (takes_value && i + 1 >= argc) return fail(std::string(a) + " needs a value");
        if (a == "--help" || a == "-h") {
            o.help = true;
            return o;
        } else if (std::find(spec.stop_flags.begin(), spec.stop_flags.end(), a) != spec.stop_flags.end()) {
            o.stop_flag = std::string(a);
            return o;
        } else if (a == "--mem") {
            const std::string_view v = argv[++i];
            auto n = parse_uint(v, spec.mem_max_mib);
            if (!n || *n < spec.mem_min_mib)
                return fail("--mem: expected a size in MiB between " + std::to_string(spec.mem_min_mib) + " and " +
                            std::to_string(spec.mem_max_mib) + ", got '" + std::string(v) + "'");
            o.mem_mib = *n;
        } else if (a == "--timeout") {
            const std::string_view v = argv[++i];
            auto n = parse_uint(v, 1000000);
            if (!n || *n == 0) return fail("--timeout: expected a whole number of seconds, got '" + std::string(v) + "'");
            o.timeout_s = *n;
        } else if (a == "--net" || a == "--block") {
            const std::string_view v = argv[++i];
            auto r = a == "--net" ? devargs::parse_net(v) : devargs::parse_block(v);
            if (!r) return fail(r.error());
            o.devices.push_back(std::move(*r));
        } else if (a == "--") {
            ++i;
            break;
        } else if (a.size() > 1 && a[0] == '-') {
            return fail("unknown option '" + std::string(a) + "'", true);
        } else {
            break;
        }
    }
    if (i >= argc) return fail("no IMAGE given", true);
    o.image = argv[i++];
    if (i < argc && std::string_view(argv[i]) == "--") ++i;
    for (; i < argc; ++i) o.args.emplace_back(argv[i]);
    return o;
}

}  // namespace unikit::tender_args
