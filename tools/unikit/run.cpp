// `unikit run APP_DIR|IMAGE [--target T] [--net SPEC].. [--block SPEC].. [--timeout SECS]
//              [--ipv4 A.B.C.D/N|dhcp] [--gateway G] [--dns D] [--log SPEC] [--net-faults SPEC]
//              [--tcp-buffer KiB] [-p [IP:]HOST:GUEST[/udp]].. [--pcap FILE] [--name N] [-- ARGS]`
//
// Builds the app when given a directory, checks the devices against the image's manifest (so a
// mismatch is reported by unikit, before anything starts), then hands the image to its target's
// runner from the table in targets.cpp: the unix image is executed directly, spt goes through
// its tender.
#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>
#include <random>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unikit/manifest.h>
#include <unikit/platform.h>

#include <unistd.h>

#include "cli.h"
#include "common/elf.h"
#include "instances.h"
#include "common/manifest_reader.h"
#include "qemu.h"

namespace unikit::cli {
namespace {

Manifest manifest_of(const std::string& image) {
    auto bytes = elf::read_file(image);
    if (!bytes) die(image + ": " + bytes.error());
    auto m = read_manifest(*bytes);
    if (!m) die(image + ": " + m.error());
    if (m->abi_version != UK_ABI_VERSION)
        die(image + ": built for platform ABI " + std::to_string(m->abi_version) + ", this unikit runs ABI " +
            std::to_string(UK_ABI_VERSION) + " (rebuild it)");
    return *m;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return s;
}

double parse_seconds(const std::string& s) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno != 0 || !(v > 0) || v > 1e7)
        die("--timeout '" + s + "': expected a positive number of seconds");
    return v;
}

bool is_ipv4(const std::string& s) {
    int parts = 0;
    size_t i = 0;
    while (i <= s.size()) {
        size_t j = s.find('.', i);
        if (j == std::string::npos) j = s.size();
        std::string p = s.substr(i, j - i);
        if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) > 255)
            return false;
        ++parts;
        i = j + 1;
    }
    return parts == 4;
}

// Library-OS boot options (include/unikit/boot.h) from `run` flags: checked here so mistakes are
// reported before anything starts (the image checks them again).
std::string boot_option_value(const std::string& flag, const std::string& v) {
    if (flag == "--ipv4") {
        if (v == "dhcp") return v;
        size_t slash = v.find('/');
        std::string plen = slash == std::string::npos ? "" : v.substr(slash + 1);
        if (slash == std::string::npos || !is_ipv4(v.substr(0, slash)) || plen.empty() || plen.size() > 2 ||
            plen.find_first_not_of("0123456789") != std::string::npos || std::stoi(plen) > 32)
            die("--ipv4 '" + v + "': expected A.B.C.D/N (e.g. 10.0.0.2/24) or dhcp");
    } else if (flag == "--gateway" || flag == "--dns") {
        if (!is_ipv4(v)) die(flag + " '" + v + "': expected an IPv4 address A.B.C.D");
    } else if (v.empty() || v.find(' ') != std::string::npos) {
        die(flag + " '" + v + "': expected a non-empty value without spaces");
    }
    return v;
}

}  // namespace

namespace {

// --target virtio: boot the image in QEMU (tools/unikit/qemu.h, docs/virtio.md).
int run_qemu(const std::string& image, const Manifest& m, const QemuOptions& o,
             std::vector<devargs::Attachment> attached, NetPlan& plan, const std::vector<std::string>& boot_opts,
             const std::vector<std::string>& app_args, double timeout) {
    for (const auto& a : attached)
        if (a.kind == UK_DEV_NET && a.backend == devargs::NetBackend::socket)
            die("--net " + devargs::format(a) + ": host sockets exist on the unix target only (use --net user or tap:IFNAME)");
    for (const auto& a : attached) {
        if (a.kind != UK_DEV_BLOCK) continue;
        if (!is_file(a.path)) die("--block " + devargs::format(a) + ": '" + a.path + "' is not a regular file");
        if (access(a.path.c_str(), R_OK | W_OK) != 0) die("--block " + devargs::format(a) + ": '" + a.path + "' is not readable and writable");
    }
    if (o.accel == "kvm" && access("/dev/kvm", R_OK | W_OK) != 0)
        die("--accel kvm needs /dev/kvm (read/write); use --accel tcg (the default)");
    std::string qemu = find_qemu();
    if (qemu.empty())
        die("target virtio needs qemu-system-x86_64: install the Debian package qemu-system-x86 (or set UNIKIT_QEMU)");
    // Devices in the manifest's order: the k-th net of the manifest is the k-th virtio-net device.
    std::vector<devargs::Attachment> ordered;
    for (const auto& d : m.devices)
        for (const auto& a : attached)
            if (a.name == d.name) ordered.push_back(a);
    // A NIC without mac= gets a random unicast, locally administered address, as the spt and hvt
    // tenders give (QEMU's default, 52:54:00:12:34:56, is the same in every VM: two images on one
    // bridge would collide).
    for (auto& a : ordered) {
        if (a.kind != UK_DEV_NET || a.mac) continue;
        std::array<uint8_t, 6> mac{};
        std::random_device rd;
        for (auto& b : mac) b = static_cast<uint8_t>(rd());
        mac[0] = static_cast<uint8_t>((mac[0] & 0xfe) | 0x02);
        a.mac = mac;
    }
    // The image's arguments, as for spt/hvt: [boot options --] app args, on the kernel command line.
    std::vector<std::string> args = boot_opts;
    if (!args.empty()) args.push_back("--");
    args.insert(args.end(), app_args.begin(), app_args.end());
    std::string cmdline;
    for (const auto& a : args) {
        if (a.starts_with("virtio_mmio."))
            die("argument '" + a + "': arguments beginning with 'virtio_mmio.' belong to the virtio kernel");
        if (!cmdline.empty()) cmdline += ' ';
        cmdline += quote_kernel_arg(a);
    }
    if (cmdline.size() > 3000) die("the arguments are too long for the kernel command line (at most ~3000 bytes)");
    std::string dir = "/tmp";
    if (const char* t = std::getenv("TMPDIR"); t && *t && is_dir(t)) dir = t;
    // The status file: created and unlinked at once (nothing is left behind, even if this
    // process is killed); QEMU, which inherits the descriptor, opens it as /dev/fd/N.
    std::string tmpl = dir + "/unikit-qemu-XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) die("cannot create a temporary file in " + dir + ": " + std::strerror(errno), 1);
    unlink(tmpl.c_str());
    const std::string status_file = "/dev/fd/" + std::to_string(fd);
    end_status_filter() = [fd](int st, int stop) { return qemu_end_status(st, fd, stop); };
    std::vector<std::string> argv = qemu_command(qemu, image, o, ordered, plan.forwards, plan.pcap, cmdline, status_file);
    if (options().verbose) {
        std::string line;
        for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
        note(line);
    }
    return supervise(image, argv, timeout, plan);
}

// `run` flags that become boot options of the image (see docs/networking.md).
const char* const kBootFlags[] = {"--ipv4", "--gateway", "--dns", "--log", "--net-faults", "--tcp-buffer"};
}  // namespace

int cmd_run(const std::vector<std::string>& args) {
    std::string what, target_name;
    std::vector<devargs::Attachment> attached;
    std::vector<std::string> app_args;
    double timeout = 0;
    std::vector<std::string> boot_opts;  // "--name=value" for the image's library OS
    NetPlan plan;                        // -p, --pcap: the network helper
    std::string instance_name;           // --name
    QemuOptions qemu;                    // --machine, --accel, --memory (virtio)
    std::string qemu_flag;               // the first of those given, for the error on other targets
    auto value = [&](size_t& i, const std::string& flag) -> std::string {
        const std::string& a = args[i];
        if (a.size() > flag.size() && a[flag.size()] == '=') return a.substr(flag.size() + 1);
        if (i + 1 >= args.size()) die(flag + " needs a value (see `unikit help run`)");
        return args[++i];
    };
    auto is_flag = [](const std::string& a, const std::string& f) { return a == f || a.starts_with(f + "="); };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            app_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("run").c_str(), stdout);
            return 0;
        }
        if (is_flag(a, "--target") || a == "-t") {
            target_name = value(i, a == "-t" ? "-t" : "--target");
        } else if (is_flag(a, "--net")) {
            auto att = devargs::parse_net(value(i, "--net"));
            if (!att) die(att.error());
            attached.push_back(std::move(*att));
        } else if (is_flag(a, "--block")) {
            auto att = devargs::parse_block(value(i, "--block"));
            if (!att) die(att.error());
            attached.push_back(std::move(*att));
        } else if (a == "-p" || is_flag(a, "--publish")) {
            auto f = netd::parse_forward(value(i, a == "-p" ? "-p" : "--publish"));
            if (!f) die(f.error());
            plan.forwards.push_back(*f);
        } else if (is_flag(a, "--pcap")) {
            plan.pcap = value(i, "--pcap");
            if (plan.pcap.empty()) die("--pcap needs a file name");
        } else if (is_flag(a, "--name")) {
            instance_name = value(i, "--name");
            if (!devargs::valid_name(instance_name))
                die("--name '" + instance_name + "': expected 1-31 characters from A-Z a-z 0-9 _ . -");
        } else if (is_flag(a, "--machine") || is_flag(a, "--accel") || is_flag(a, "--memory")) {
            std::string flag = a.substr(0, a.find('='));
            std::string v = value(i, flag);
            if (qemu_flag.empty()) qemu_flag = flag;
            if (flag == "--machine") {
                if (v != "q35" && v != "pc" && v != "microvm") die("--machine '" + v + "': expected q35, pc or microvm");
                qemu.machine = v;
            } else if (flag == "--accel") {
                if (v != "tcg" && v != "kvm") die("--accel '" + v + "': expected tcg or kvm");
                qemu.accel = v;
            } else {
                char* end = nullptr;
                unsigned long mib = std::strtoul(v.c_str(), &end, 10);
                if (v.empty() || *end || mib < 16 || mib > 65536)
                    die("--memory '" + v + "': expected MiB of guest memory, 16 to 65536");
                qemu.memory_mib = static_cast<unsigned>(mib);
            }
        } else if (is_flag(a, "--timeout")) {
            timeout = parse_seconds(value(i, "--timeout"));
        } else if (auto bf = std::find_if(std::begin(kBootFlags), std::end(kBootFlags),
                                          [&](const char* f) { return is_flag(a, f); });
                   bf != std::end(kBootFlags)) {
            std::string flag = *bf;
            boot_opts.push_back(flag + "=" + boot_option_value(flag, value(i, flag)));
        } else if (a.starts_with("-")) {
            die("run: unknown option '" + a + "' (application arguments go after '--'; see `unikit help run`)");
        } else if (what.empty()) {
            what = a;
        } else {
            die("run: more than one app or image ('" + what + "', '" + a +
                "'); application arguments go after '--'");
        }
    }
    if (what.empty()) die("run: missing APP_DIR or IMAGE (usage: unikit run APP_DIR|IMAGE [options] [-- ARGS])");
    const Target* target = nullptr;
    if (!target_name.empty()) {
        target = find_target(target_name);
        if (!target) die("unknown target '" + target_name + "' (known: " + target_names() + ")");
    }

    std::string image;
    if (is_dir(what)) {
        if (!target) target = find_target("unix");
        image = build_app(what, *target);
    } else if (is_file(what)) {
        image = what;
    } else {
        die("no app directory or image '" + what + "'");
    }

    Manifest m = manifest_of(image);
    const Target* image_target = find_target(m.target);
    if (!image_target) die(image + ": built for unknown target '" + m.target + "'");
    if (target && target != image_target)
        die(image + " was built for target " + m.target + ", not " + target->name);
    target = image_target;
    const bool virtio = target->runner == Runner::qemu;
    if (!qemu_flag.empty() && !virtio) die(qemu_flag + " is for --target virtio (this image is for " + m.target + ")");
    if (virtio) {
        auto bytes = elf::read_file(image);
        auto img = bytes ? elf::read_elf(*bytes) : std::unexpected(bytes.error());
        if (!img) die(image + ": " + img.error());
        if (auto why = check_pvh_image(*img, qemu.memory_mib)) die(image + ": " + *why);
    }
    // No --net at all, and the image needs exactly one net device: give it user-mode networking
    // (no root, NAT, -p forwards), as a container runtime gives a container its default network.
    if (std::none_of(attached.begin(), attached.end(), [](const auto& a) { return a.kind == UK_DEV_NET; })) {
        const ManifestDevice* only = nullptr;
        size_t nets = 0;
        for (const auto& d : m.devices) {
            if (d.kind == UK_DEV_NET) {
                only = &d;
                ++nets;
            }
        }
        if (nets == 1) {
            devargs::Attachment a;
            a.name = only->name;
            a.kind = UK_DEV_NET;
            a.backend = devargs::NetBackend::user;
            attached.push_back(std::move(a));
        }
    }
    if (auto ok = devargs::match(m.devices, attached); !ok) die(ok.error());

    // Networking for people: --net user (libslirp NAT in unikit-netd, -p forwards) and --pcap
    // (unikit-netd writes the file; over TAP it relays frames). The image gets one end of a frame
    // socket as `--net NAME=user,fd=N`. See docs/networking.md.
    devargs::Attachment* net = nullptr;
    size_t nnet = 0;
    for (auto& att : attached) {
        if (att.kind == UK_DEV_NET) {
            net = &att;
            ++nnet;
        }
    }
    if (net && net->backend == devargs::NetBackend::user && net->fd >= 0)
        die("--net " + devargs::format(*net) + ": fd= is internal to unikit run; give --net user");
    if (net && net->backend == devargs::NetBackend::tap && access(("/sys/class/net/" + net->ifname).c_str(), F_OK) != 0) {
        if (geteuid() != 0)
            die("TAP interface '" + net->ifname + "' does not exist (create it with `sudo unikit net create-tap " +
                net->ifname + " --user $USER`, or use --net user, which needs no root)");
    }
    bool user = net && net->backend == devargs::NetBackend::user;
    if (!plan.forwards.empty() && !user)
        die("-p/--publish needs --net user (with --net socket use socket,map=APP_PORT:HOST_PORT; with TAP the host "
            "reaches the image directly)");
    if (!plan.pcap.empty()) {
        if (!net) die("--pcap: the image has no network device");
        if (nnet > 1) die("--pcap: the image has several network devices; --pcap records one");
        if (net->backend == devargs::NetBackend::socket)
            die("--pcap records Ethernet frames; --net socket has none (use --net user or tap:IFNAME)");
    }
    for (size_t i = 0; i < plan.forwards.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            const auto& x = plan.forwards[i];
            const auto& y = plan.forwards[j];
            if (x.udp == y.udp && x.host_port == y.host_port && (x.host_ip == y.host_ip))
                die("-p: host port " + std::to_string(x.host_port) + (x.udp ? "/udp" : "/tcp") + " is published twice");
        }
    }
    if (user && nnet > 1) die("--net user: only one network device can use user-mode networking");
    plan.user = user;
    plan.netd = !virtio && (user || !plan.pcap.empty());  // QEMU has its own user net and pcap
    if (plan.netd && !user) plan.tap = net->ifname;
    if (user) {
        // The slirp network's fixed addresses (no DHCP round trip at boot): the guest is
        // 10.0.2.15/24, gateway 10.0.2.2 (also the host's loopback), DNS 10.0.2.3.
        auto has = [&](const char* f) {
            return std::any_of(boot_opts.begin(), boot_opts.end(), [&](const std::string& o) { return o.starts_with(f); });
        };
        if (!has("--ipv4=")) {
            boot_opts.push_back("--ipv4=10.0.2.15/24");
            if (!has("--gateway=")) boot_opts.push_back("--gateway=10.0.2.2");
            if (!has("--dns=")) boot_opts.push_back("--dns=10.0.2.3");
        }
    }

    Instance inst;
    inst.name = instance_name;
    inst.target = target->name;
    inst.image = image;
    if (net) inst.net = net->backend == devargs::NetBackend::tap ? "tap:" + net->ifname : devargs::backend_name(net->backend);
    if (user) inst.address = "10.0.2.15";
    for (const auto& f : plan.forwards) inst.forwards.push_back(netd::format_forward(f));
    inst.pcap = plan.pcap;
    register_instance(inst, m.app.empty() ? "image" : m.app);
    if (plan.netd) {
        start_netd(plan);
        net->backend = devargs::NetBackend::user;
        net->fd = plan.image_fd;
    }

    std::vector<std::string> argv;
    if (virtio) return run_qemu(image, m, qemu, attached, plan, boot_opts, app_args, timeout);
    switch (target->runner) {
    case Runner::direct:
        argv.push_back(image.find('/') == std::string::npos ? "./" + image : image);
        break;
    case Runner::tender: {
        std::string tender = find_tender(*target, main_build_dir());
        if (tender.empty())
            die(std::string("target ") + target->name + ": the tender " + target->tender +
                " is not built (build the app with `unikit build APP_DIR --target " + target->name +
                "`, or point UNIKIT_TENDER_" + upper(target->name) + " at it)");
        argv.push_back(tender);
        break;
    }
    case Runner::qemu:
    case Runner::none:
        die(std::string("target ") + target->name + " cannot run images yet (see `unikit targets`)");
    }
    for (const auto& att : attached) {
        argv.push_back(devargs::flag_for(att.kind));
        argv.push_back(devargs::format(att));
    }
    if (target->runner == Runner::tender) argv.push_back(image);
    argv.push_back("--");
    if (!boot_opts.empty()) {
        // [boot options] -- [app args]: uk_main splits them (include/unikit/boot.h).
        argv.insert(argv.end(), boot_opts.begin(), boot_opts.end());
        argv.push_back("--");
    }
    argv.insert(argv.end(), app_args.begin(), app_args.end());

    return supervise(image, argv, timeout, plan);
}

}  // namespace unikit::cli
