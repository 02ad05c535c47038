// The direct stack's boot options (include/unikit/boot.h): parsing, kept apart so tests can
// check every form.
//   --ipv4=A.B.C.D/N | dhcp      (default dhcp)
//   --gateway=A.B.C.D  --dns=A.B.C.D
//   --net-faults=loss=P,reorder=P,dup=P,corrupt=P,seed=N   (P: percent, decimals allowed)
//   --tcp-buffer=KiB (4..4096, default 64)  --tcp-connections=N (1..1024, default 32)
#pragma once

#include <optional>
#include <string_view>

#include <unikit/error.h>

#include "net/dev/fault_injector.h"
#include "net/socket/direct_backend.h"

namespace unikit::net::options {

struct Faults {
    dev::FaultConfig cfg;
    std::uint64_t seed = 1;
};

// Parses a --net-faults value. Error::invalid (after logging why) for a malformed one.
Result<Faults> parse_faults(std::string_view spec);
// Applies --ipv4/--gateway/--dns/--tcp-buffer/--tcp-connections to cfg (logs and returns
// Error::invalid for a malformed value).
Result<void> apply(direct::DirectConfig& cfg);
// The parsed --net-faults option, if given.
std::optional<Result<Faults>> faults();

}  // namespace unikit::net::options
