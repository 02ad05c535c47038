// `unikit inspect IMAGE`: what an image is, from its ELF headers and manifest note (read with the
// shared reader in tools/common).
#include <cstdio>

#include <unikit/platform.h>

#include "cli.h"
#include "common/elf.h"
#include "common/manifest_reader.h"
#include "qemu.h"

namespace unikit::cli {

int cmd_inspect(const std::vector<std::string>& args) {
    std::string path;
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("inspect").c_str(), stdout);
            return 0;
        }
        if (a.starts_with("-")) die("inspect: unknown option '" + a + "' (see `unikit help inspect`)");
        if (!path.empty()) die("inspect: more than one image ('" + path + "', '" + a + "')");
        path = a;
    }
    if (path.empty()) die("inspect: missing IMAGE (usage: unikit inspect IMAGE)");
    if (is_dir(path)) die(path + " is a directory; `unikit build " + path + "` prints its image path");
    auto bytes = elf::read_file(path);
    if (!bytes) die(path + ": " + bytes.error());
    auto img = elf::read_elf(*bytes);
    if (!img) die(path + ": " + img.error());
    auto m = read_manifest(*img);
    if (!m) die(path + ": " + m.error());

    // Loaded size: the page-aligned span of the PT_LOAD segments.
    uint64_t lo = ~uint64_t{0}, hi = 0;
    for (const auto& s : img->segments) {
        if (s.type != elf::PT_LOAD) continue;
        lo = std::min(lo, s.vaddr & ~uint64_t{4095});
        hi = std::max(hi, (s.vaddr + s.memsz + 4095) & ~uint64_t{4095});
    }
    uint64_t loaded = hi > lo ? hi - lo : 0;

    const char* kind = img->has_interp()      ? "host executable (dynamically linked)"
                       : img->type == elf::ET_DYN ? "static-pie"
                       : img->type == elf::ET_EXEC ? "static executable"
                                                   : "other ELF";
    std::printf("image:    %s\n", path.c_str());
    std::printf("app:      %s\n", m->app.c_str());
    std::printf("target:   %s\n", m->target.c_str());
    std::printf("abi:      %u%s\n", m->abi_version,
                m->abi_version == UK_ABI_VERSION ? "" : " (this unikit runs another ABI: rebuild the image)");
    std::printf("format:   ELF64 %s, %s\n", elf::machine_name(img->machine), kind);
    std::printf("size:     %llu bytes (file), %llu bytes (loaded)\n",
                static_cast<unsigned long long>(bytes->size()), static_cast<unsigned long long>(loaded));
    for (const auto& n : img->notes) {
        if (n.name != "Xen" || n.type != 18 || (n.desc.size() != 4 && n.desc.size() != 8)) continue;
        uint64_t entry = 0;
        for (size_t i = 0; i < n.desc.size(); ++i) entry |= uint64_t(n.desc[i]) << (8 * i);
        std::printf("boot:     PVH (Xen ELF note), entry 0x%llx, loaded at 0x%llx (qemu-system-x86_64 -kernel, "
                    "Firecracker)\n",
                    static_cast<unsigned long long>(entry), static_cast<unsigned long long>(lo));
        if (auto why = check_pvh_image(*img, 65536)) std::printf("warning:  %s\n", why->c_str());
    }
    if (m->devices.empty()) {
        std::printf("devices:  none\n");
    } else {
        std::printf("devices:  %zu\n", m->devices.size());
        for (const auto& d : m->devices) {
            std::printf("  %-20s %-6s attach with %s %s=%s\n", d.name.c_str(), device_kind_name(d.kind),
                        d.kind == UK_DEV_NET ? "--net" : "--block", d.name.c_str(),
                        d.kind == UK_DEV_NET ? (m->target == "virtio" ? "user|tap:IFNAME" : "tap:IFNAME") : "FILE");
        }
    }
    return 0;
}

}  // namespace unikit::cli
