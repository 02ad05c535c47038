// The direct stack's boot options (see net_options.h).
#include "net/socket/net_options.h"

#include <charconv>

#include <unikit/boot.h>
#include <unikit/log.h>

namespace unikit::net::options {

namespace {

Logger lg{"net"};

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// "5" or "2.5" percent -> parts per million.
bool parse_percent_ppm(std::string_view s, std::uint32_t& ppm) {
    std::size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::uint64_t w = 0;
    if (!parse_u64(whole, w) || w > 100) return false;
    std::uint64_t frac_ppm = 0;
    if (dot != std::string_view::npos) {
        std::string_view f = s.substr(dot + 1);
        if (f.empty() || f.size() > 4) return false;
        std::uint64_t fv = 0;
        if (!parse_u64(f, fv)) return false;
        for (std::size_t i = f.size(); i < 4; ++i) fv *= 10;  // 4 decimals of a percent = ppm
        frac_ppm = fv;
    }
    std::uint64_t v = w * 10'000 + frac_ppm;
    if (v > 1'000'000) return false;
    ppm = static_cast<std::uint32_t>(v);
    return true;
}

}  // namespace

Result<Faults> parse_faults(std::string_view spec) {
    Faults f;
    if (spec.empty()) return f;
    while (!spec.empty()) {
        std::size_t comma = spec.find(',');
        std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            lg.error("--net-faults: '{}' is not KEY=VALUE", item);
            return fail(Error::invalid);
        }
        std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
        bool ok;
        if (k == "loss" || k == "drop") ok = parse_percent_ppm(v, f.cfg.drop_ppm);
        else if (k == "reorder") ok = parse_percent_ppm(v, f.cfg.reorder_ppm);
        else if (k == "dup" || k == "duplicate") ok = parse_percent_ppm(v, f.cfg.duplicate_ppm);
        else if (k == "corrupt") ok = parse_percent_ppm(v, f.cfg.corrupt_ppm);
        else if (k == "seed") ok = parse_u64(v, f.seed);
        else {
            lg.error("--net-faults: unknown key '{}' (loss, reorder, dup, corrupt, seed)", k);
            return fail(Error::invalid);
        }
        if (!ok) {
            lg.error("--net-faults: bad value '{}' for {} (a percentage 0..100, or a seed)", v, k);
            return fail(Error::invalid);
        }
    }
    return f;
}

std::optional<Result<Faults>> faults() {
    auto v = boot_option("net-faults");
    if (!v) return std::nullopt;
    return parse_faults(*v);
}

Result<void> apply(direct::DirectConfig& cfg) {
    auto ip = boot_option("ipv4");
    if (!ip || *ip == "dhcp") {
        cfg.dhcp = true;
        cfg.ipv4.reset();
    } else {
        auto c = wire::Ipv4Cidr::parse(*ip);
        if (!c || !c->address().is_unicast()) {
            lg.error("--ipv4={}: expected A.B.C.D/N or dhcp", *ip);
            return fail(Error::invalid);
        }
        cfg.ipv4 = *c;
        cfg.dhcp = false;
    }
    if (auto g = boot_option("gateway")) {
        auto a = wire::Ipv4Addr::parse(*g);
        if (!a) {
            lg.error("--gateway={}: expected A.B.C.D", *g);
            return fail(Error::invalid);
        }
        cfg.gateway = *a;
    }
    if (auto d = boot_option("dns")) {
        auto a = wire::Ipv4Addr::parse(*d);
        if (!a) {
            lg.error("--dns={}: expected A.B.C.D", *d);
            return fail(Error::invalid);
        }
        cfg.dns = *a;
    }
    if (auto b = boot_option("tcp-buffer")) {
        std::uint64_t kib = 0;
        if (!parse_u64(*b, kib) || kib < 4 || kib > 4096) {
            lg.error("--tcp-buffer={}: expected KiB between 4 and 4096", *b);
            return fail(Error::invalid);
        }
        cfg.send_buffer = cfg.recv_buffer = static_cast<std::size_t>(kib) * 1024;
    }
    if (auto n = boot_option("tcp-connections")) {
        std::uint64_t v = 0;
        if (!parse_u64(*n, v) || v < 1 || v > 1024) {
            lg.error("--tcp-connections={}: expected 1..1024", *n);
            return fail(Error::invalid);
        }
        cfg.max_connections = static_cast<std::size_t>(v);
    }
    return {};
}

}  // namespace unikit::net::options
