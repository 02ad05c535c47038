// Library-OS boot options (include/unikit/boot.h).
#include <unikit/boot.h>
#include <unikit/format.h>
#include <unikit/log.h>

namespace unikit {

namespace {

constexpr BootOptionInfo kKnown[] = {
    {"log", "SPEC: log levels, e.g. net=debug,*=info"},
    {"ipv4", "A.B.C.D/N or dhcp: the interface address (default dhcp)"},
    {"gateway", "A.B.C.D: the default router (with a static --ipv4)"},
    {"dns", "A.B.C.D: a DNS server (with a static --ipv4)"},
    {"net-faults", "loss=P,reorder=P,dup=P,corrupt=P,seed=N: fault injection on the net device (P in percent)"},
    {"tcp-buffer", "KiB: send and receive buffer per TCP connection (default 64)"},
    {"tcp-connections", "N: TCP connection slots (default 32)"},
};

constexpr size_t kMaxStored = 16;
struct Stored {
    std::string_view name, value;
};
Stored g_opts[kMaxStored];
size_t g_count = 0;

const BootOptionInfo* find_known(std::string_view name) {
    for (const auto& k : kKnown)
        if (name == k.name) return &k;
    return nullptr;
}

// "--NAME=VALUE" -> NAME, VALUE; false if the argument does not have that shape.
bool split_option(std::string_view a, std::string_view& name, std::string_view& value) {
    if (a.size() < 4 || !a.starts_with("--")) return false;
    size_t eq = a.find('=');
    if (eq == std::string_view::npos || eq == 2) return false;
    name = a.substr(2, eq - 2);
    value = a.substr(eq + 1);
    return true;
}

}  // namespace

std::span<const BootOptionInfo> known_boot_options() noexcept { return kKnown; }

std::optional<std::string_view> boot_option(std::string_view name) noexcept {
    for (size_t i = g_count; i-- > 0;)
        if (g_opts[i].name == name) return g_opts[i].value;
    return std::nullopt;
}

namespace detail {

void clear_boot_options() noexcept { g_count = 0; }

void set_boot_option(std::string_view name, std::string_view value) noexcept {
    for (size_t i = 0; i < g_count; ++i)
        if (g_opts[i].name == name) {
            g_opts[i].value = value;
            return;
        }
    if (g_count < kMaxStored) g_opts[g_count++] = {name, value};
}

int split_boot_args(int argc, const char* const* argv, const char** app_args) noexcept {
    int n = 0;
    if (argc <= 0 || !argv) return 0;
    if (argv[0]) app_args[n++] = argv[0];
    // A leading block of --NAME=VALUE options closed by "--"?
    int sep = -1;
    for (int i = 1; i < argc && argv[i]; ++i) {
        std::string_view a(argv[i]);
        if (a == "--") {
            sep = i;
            break;
        }
        std::string_view name, value;
        if (!split_option(a, name, value)) break;
    }
    int first_app = 1;
    if (sep > 1) {
        for (int i = 1; i < sep; ++i) {
            std::string_view name, value;
            split_option(argv[i], name, value);
            if (!find_known(name)) {
                print("unikit: unknown boot option --{} (known:", name);
                for (const auto& k : kKnown) print(" --{}", k.name);
                println(")");
                return -1;
            }
            set_boot_option(name, value);
        }
        first_app = sep + 1;
    }
    for (int i = first_app; i < argc; ++i) {
        const char* a = argv[i];
        if (!a) continue;
        // Compatibility: --log=SPEC among the app's arguments (no boot block) is still ours.
        if (sep <= 1 && std::string_view(a).starts_with("--log=")) {
            set_boot_option("log", std::string_view(a).substr(6));
            continue;
        }
        app_args[n++] = a;
    }
    return n;
}

}  // namespace detail

}  // namespace unikit
