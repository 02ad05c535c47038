// The table of targets. Adding a backend is one entry here (plus platforms/<name>/).
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include "cli.h"
#include "qemu.h"

namespace unikit::cli {

const std::vector<Target>& targets() {
    static const std::vector<Target> table = {
        {"unix", "ordinary Linux process (development; TAP device or host sockets)", Runner::direct, nullptr, nullptr},
        {"spt", "freestanding image in a seccomp-sandboxed process, run by the unikit-spt tender", Runner::tender,
         "unikit-spt", nullptr},
        {"hvt", "KVM virtual machine run by unikit's own monitor unikit-hvt (guest at CPL3)", Runner::tender,
         "unikit-hvt", "/dev/kvm"},
        {"virtio", "bootable image (PVH) run in QEMU (qemu-system-x86_64; also boots in Firecracker)", Runner::qemu,
         nullptr, nullptr},
    };
    return table;
}

const Target* find_target(std::string_view name) {
    for (const auto& t : targets()) {
        if (name == t.name) return &t;
    }
    return nullptr;
}

std::string target_names() {
    std::string s;
    for (const auto& t : targets()) {
        if (!s.empty()) s += ", ";
        s += t.name;
    }
    return s;
}

bool target_implemented(const Target& t) {
    return is_file(source_root() + "/platforms/" + t.name + "/CMakeLists.txt") && t.runner != Runner::none;
}

std::string find_tender(const Target& t, const std::string& build_dir) {
    if (!t.tender) return {};
    std::string env = "UNIKIT_TENDER_";
    for (const char* p = t.name; *p; ++p) env += static_cast<char>(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (const char* e = std::getenv(env.c_str()); e && *e) return e;
    const std::string name = t.tender;
    for (const std::string& dir : {build_dir + "/bin", build_dir + "/platforms/" + std::string(t.name) + "/tender",
                                   build_dir + "/platforms/" + std::string(t.name), build_dir + "/tools/" + name,
                                   build_dir + "/tools", self_dir()}) {
        std::string p = dir + "/" + name;
        if (is_file(p) && access(p.c_str(), X_OK) == 0) return p;
    }
    return {};
}

std::string target_unavailable(const Target& t, const std::string& build_dir) {
    if (!target_implemented(t)) return "not implemented yet";
    if (t.device && access(t.device, R_OK | W_OK) != 0) return std::string("needs ") + t.device;
    if (t.runner == Runner::qemu && find_qemu().empty())
        return "needs qemu-system-x86_64 (install the Debian package qemu-system-x86, or set UNIKIT_QEMU)";
    if (t.runner == Runner::tender && find_tender(t, build_dir).empty())
        return std::string("tender ") + t.tender + " not built yet (built by the first `unikit run --target " +
               t.name + "`)";
    return {};
}

int cmd_targets(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("targets").c_str(), stdout);
            return 0;
        }
        die("targets: unknown argument '" + a + "' (see `unikit help targets`)");
    }
    std::string build = main_build_dir();
    std::printf("%-8s %-11s %s\n", "TARGET", "STATUS", "DESCRIPTION");
    for (const auto& t : targets()) {
        std::string why = target_unavailable(t, build);
        const char* status = why.empty()                ? "available"
                             : !target_implemented(t)   ? "planned"
                             : why.starts_with("tender") ? "not built"
                                                         : "unavailable";
        std::printf("%-8s %-11s %s\n", t.name, status, t.summary);
        if (!why.empty()) std::printf("%-8s %-11s (%s)\n", "", "", why.c_str());
    }
    return 0;
}

}  // namespace unikit::cli
