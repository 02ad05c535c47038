// The virtio target's runner (see qemu.h and docs/virtio.md).
#include "qemu.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "cli.h"

namespace unikit::cli {

std::string find_qemu() {
    if (const char* e = std::getenv("UNIKIT_QEMU"); e && *e) return e;
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        std::string p = (dir.empty() ? "." : dir) + "/qemu-system-x86_64";
        if (is_file(p) && access(p.c_str(), X_OK) == 0) return p;
    }
    return {};
}

std::optional<std::string> check_pvh_image(const elf::ElfImage& img, unsigned memory_mib) {
    if (img.machine != elf::kEmX86_64) return "not an x86-64 image (machine " + std::string(elf::machine_name(img.machine)) + ")";
    if (img.type != elf::kEtExec || img.has_interp())
        return "not a static ELF executable (a virtio image is linked at 1 MiB; rebuild it with --target virtio)";
    const elf::Note* pvh = nullptr;
    for (const auto& n : img.notes)
        if (n.name == "Xen" && n.type == 18) pvh = &n;
    if (!pvh) return "no PVH entry note (Xen XEN_ELFNOTE_PHYS32_ENTRY): QEMU and Firecracker cannot boot it";
    if (pvh->desc.size() != 4 && pvh->desc.size() != 8) return "malformed PVH entry note";
    uint64_t entry = 0;
    for (size_t i = 0; i < pvh->desc.size(); ++i) entry |= uint64_t(pvh->desc[i]) << (8 * i);
    const uint64_t mem = uint64_t(memory_mib) << 20;
    bool entry_ok = false, any = false;
    for (const auto& s : img.segments) {
        if (s.type != elf::kPtLoad) continue;
        any = true;
        if (s.vaddr < (1u << 20)) return "a segment is loaded below 1 MiB (a PVH image starts at 1 MiB)";
        if ((s.flags & elf::kPfW) && (s.flags & elf::kPfX)) return "a segment is both writable and executable";
        if (s.vaddr + s.memsz > mem || s.vaddr + s.memsz < s.vaddr)
            return "the image does not fit in " + std::to_string(memory_mib) + " MiB of guest memory (use --memory)";
        if ((s.flags & elf::kPfX) && entry >= s.vaddr && entry < s.vaddr + s.memsz) entry_ok = true;
    }
    if (!any) return "no loadable segment";
    if (!entry_ok || entry >= (1ull << 32)) return "the PVH entry point is not in the image's code below 4 GiB";
    return std::nullopt;
}

std::string quote_kernel_arg(const std::string& a) {
    if (!a.empty() && a.find_first_of(" \t\n\r\"\\") == std::string::npos) return a;
    std::string q = "\"";
    for (char c : a) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

std::vector<std::string> qemu_command(const std::string& qemu, const std::string& image, const QemuOptions& o,
                                      const std::vector<devargs::Attachment>& devices,
                                      const std::vector<netd::Forward>& forwards, const std::string& pcap,
                                      const std::string& cmdline, const std::string& status_file) {
    const bool mmio = o.machine == "microvm";
    std::vector<std::string> v = {qemu, "-M", o.machine, "-accel", o.accel, "-cpu", o.accel == "kvm" ? "host" : "max",
                                  "-m", std::to_string(o.memory_mib) + "M", "-smp", "1",
                                  "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                                  "-serial", "stdio", "-kernel", image,
                                  "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                                  "-chardev", "file,id=ukstatus,path=" + status_file,
                                  "-device", "isa-debugcon,iobase=0x4f0,chardev=ukstatus"};
    if (!cmdline.empty()) v.insert(v.end(), {"-append", cmdline});
    int nnet = 0, nblk = 0;
    for (const auto& d : devices) {
        if (d.kind == UK_DEV_NET) {
            std::string id = "net" + std::to_string(nnet++);
            std::string nd;
            if (d.backend == devargs::NetBackend::tap) {
                nd = "tap,id=" + id + ",ifname=" + d.ifname + ",script=no,downscript=no";
            } else {
                // The same guest layout unikit-netd gives spt/hvt: 10.0.2.15/24, gateway 10.0.2.2
                // (the host), DNS 10.0.2.3.
                nd = "user,id=" + id + ",net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15";
                for (const auto& f : forwards)
                    nd += std::string(",hostfwd=") + (f.udp ? "udp" : "tcp") + ":" + netd::ip_text(f.host_ip) + ":" +
                          std::to_string(f.host_port) + "-10.0.2.15:" + std::to_string(f.guest_port);
            }
            v.insert(v.end(), {"-netdev", nd});
            std::string dev = std::string(mmio ? "virtio-net-device" : "virtio-net-pci") + ",netdev=" + id;
            if (d.mac) dev += ",mac=" + devargs::format_mac(*d.mac);
            v.insert(v.end(), {"-device", dev});
            if (!pcap.empty()) v.insert(v.end(), {"-object", "filter-dump,id=dump" + id + ",netdev=" + id + ",file=" + pcap});
        } else if (d.kind == UK_DEV_BLOCK) {
            std::string id = "blk" + std::to_string(nblk++);
            std::string drive = "file=";
            for (char c : d.path) {
                drive += c;
                if (c == ',') drive += ',';  // QEMU escapes ',' as ',,'
            }
            drive += ",if=none,id=";
            drive += id;
            drive += ",format=raw,cache=writeback";
            v.insert(v.end(), {"-drive", drive});
            v.insert(v.end(), {"-device", std::string(mmio ? "virtio-blk-device" : "virtio-blk-pci") + ",drive=" + id});
        }
    }
    return v;
}

int qemu_end_status(int st, int status_fd, int stop_signal) {
    std::optional<int> reported;
    {
        std::string text;
        char buf[512];
        ssize_t n;
        for (off_t off = 0; (n = pread(status_fd, buf, sizeof buf, off)) > 0; off += n) text.append(buf, static_cast<size_t>(n));
        std::istringstream f(text);
        std::string line;
        while (std::getline(f, line)) {
            if (line.starts_with("exit=")) {
                char* end = nullptr;
                long v = std::strtol(line.c_str() + 5, &end, 10);
                if (end && *end == '\0' && v >= 0 && v <= 255) reported = static_cast<int>(v);
            }
        }
    }
    if (WIFSIGNALED(st)) return st;  // killed (timeout, stop, Ctrl-C): report_end explains
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    if (reported && (code & 1)) return *reported << 8;
    if (code & 1 && code > 1) return ((code - 1) / 2) << 8;  // debug-exit without the status file
    if (code == 0 && stop_signal) return stop_signal;  // QEMU's clean exit on SIGTERM/SIGINT
    if (code == 0) {
        note("the VM ended without an exit status (a triple fault or a reset; see the console above)");
        return kExitImageAbort << 8;
    }
    note("qemu-system-x86_64 failed (status " + std::to_string(code) + "; its message is above)");
    return code << 8;
}

}  // namespace unikit::cli
