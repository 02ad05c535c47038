// The command line shared by the spt tender and the hvt monitor:
//
//   PROG [--mem MiB] [--net SPEC]... [--block SPEC]... [--timeout SECONDS] IMAGE [--] [ARGS...]
//
// plus --help/-h and any "stop flags" a program adds (unikit-hvt: --check-kvm), which end the
// parse at once. Device specs are devargs::parse_net / parse_block. Parsing reports instead of
// exiting, so each program prints its own usage and keeps its own exit status; errors are one
// phrase without the "PROG: error: " prefix, e.g. "--mem: expected a size in MiB between 2 and
// 65536, got 'x'". Hosted C++; no exceptions.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/devargs.h"

namespace unikit::tender_args {

struct Spec {
    uint64_t mem_min_mib = 2;
    uint64_t mem_max_mib = 65536;
    uint64_t mem_default_mib = 64;
    std::span<const std::string_view> stop_flags;  // flags that end the parse (e.g. --check-kvm)
};

struct Options {
    bool help = false;       // --help or -h was given: print the usage, exit 0
    std::string stop_flag;   // a stop flag that was given (then nothing after it was read)
    uint64_t mem_mib = 64;
    uint64_t timeout_s = 0;  // 0: no --timeout
    std::vector<devargs::Attachment> devices;
    std::string image;
    std::vector<std::string> args;  // for the guest, after IMAGE (and an optional "--")

    // The guest's argv: IMAGE, then args.
    std::vector<std::string> guest_argv() const {
        std::vector<std::string> v{image};
        v.insert(v.end(), args.begin(), args.end());
        return v;
    }
};

struct Error {
    std::string message;
    bool show_usage = false;  // an unknown option or no IMAGE: the usage helps
};

// argv[0] is the program name and is skipped.
std::expected<Options, Error> parse(int argc, const char* const* argv, const Spec& spec);

// A decimal number of at most `max` (digits only, no sign, no spaces); nullopt otherwise.
std::optional<uint64_t> parse_uint(std::string_view s, uint64_t max);

inline constexpr uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

}  // namespace unikit::tender_args
