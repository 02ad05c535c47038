// Start code of a unix image (`hello.unix`): an ordinary executable.
//
//   hello.unix [--net [NAME=]tap:IFNAME[,mac=..]]... [--net [NAME=]socket[,bind=A.B.C.D][,map=P:Q]...]...
//              [--block [NAME=]FILE]... [--] [APP ARGS...]
//
// Platform options come first; `--` or the first argument that is not an option starts the
// application's arguments. The image reads its own manifest (the uk_manifest_note symbol that
// unikit_app() embeds), refuses devices the manifest does not name and devices it names that are
// missing (exit 2, one line on stderr), attaches the rest, and calls uk_main().
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <unikit/manifest.h>
#include <unikit/platform.h>

#include "common/devargs.h"
#include "hostnet/hostnet.h"
#include "unix_platform.h"

// The generated note (see cmake/unikit.cmake): a note header, then struct uk_manifest, then
// ndevices struct uk_manifest_device. Only the fixed head is declared here.
struct uk_manifest_note_head {
    uint32_t namesz, descsz, type;
    char name[8];
    struct uk_manifest m;
};
extern "C" const struct uk_manifest_note_head uk_manifest_note;

namespace {

std::string g_prog = "unikit image";

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "%s: error: %s\n", g_prog.c_str(), msg.c_str());
    std::exit(2);
}

std::string fixed_string(const char* s, size_t max) { return std::string(s, strnlen(s, max)); }

unikit::Manifest own_manifest() {
    const auto& note = uk_manifest_note;
    if (note.m.magic != UK_MANIFEST_MAGIC) fail("the image's manifest is corrupt (bad magic)");
    if (note.m.abi_version != UK_ABI_VERSION)
        fail("the image was built for platform ABI " + std::to_string(note.m.abi_version) +
             ", this start code implements " + std::to_string(UK_ABI_VERSION));
    size_t want = sizeof(struct uk_manifest) + note.m.ndevices * sizeof(struct uk_manifest_device);
    if (note.descsz != want) fail("the image's manifest is corrupt (size mismatch)");
    unikit::Manifest m;
    m.abi_version = note.m.abi_version;
    m.target = fixed_string(note.m.target, sizeof note.m.target);
    m.app = fixed_string(note.m.app, sizeof note.m.app);
    // The devices follow the head; copy them out bytewise (the declared type ends before them).
    const auto* devs = reinterpret_cast<const unsigned char*>(&note.m + 1);
    for (uint32_t i = 0; i < note.m.ndevices; ++i) {
        struct uk_manifest_device d;
        std::memcpy(&d, devs + i * sizeof d, sizeof d);
        m.devices.push_back({fixed_string(d.name, sizeof d.name), d.kind});
    }
    return m;
}

void usage(const unikit::Manifest& m) {
    std::printf(
        "usage: %s [--net [NAME=]tap:IFNAME[,mac=XX:XX:XX:XX:XX:XX]]... [--block [NAME=]FILE]... [--] [ARGS...]\n"
        "\n"
        "The unikernel '%s' built for the unix target: an ordinary Linux process.\n"
        "  --net SPEC     attach a network device: tap:IFNAME, a TAP interface (root), or\n"
        "                 socket[,bind=A.B.C.D][,map=APP_PORT:HOST_PORT]..., host sockets (the\n"
        "                 app's listeners bind A.B.C.D, default 127.0.0.1), or user,fd=N, a frame socket\n"
        "                 from unikit-netd (`unikit run --net user`); NAME may be left out\n"
        "                 when the image has one network device\n"
        "  --block SPEC   attach a block device: a regular file (block size 512)\n"
        "  --help         this text\n"
        "Arguments after '--' (or from the first non-option) go to the application.\n"
        "Devices this image needs:%s\n",
        g_prog.c_str(), m.app.c_str(), m.devices.empty() ? " none" : "");
    for (const auto& d : m.devices)
        std::printf("  %-16s %s\n", d.name.c_str(), d.kind == UK_DEV_NET ? "net" : "block");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 0 && argv[0]) {
        g_prog = argv[0];
        auto slash = g_prog.rfind('/');
        if (slash != std::string::npos) g_prog = g_prog.substr(slash + 1);
    }
    signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill the unikernel
    unikit::Manifest manifest = own_manifest();

    std::vector<unikit::devargs::Attachment> attached;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--help" || a == "-h") {
            usage(manifest);
            return 0;
        }
        uint32_t kind = 0;
        std::string value;
        for (auto [flag, k] : {std::pair{"--net", UK_DEV_NET}, std::pair{"--block", UK_DEV_BLOCK}}) {
            std::string f = flag;
            if (a == f) {
                if (i + 1 >= argc) fail(f + " needs a value");
                kind = k;
                value = argv[++i];
            } else if (a.starts_with(f + "=")) {
                kind = k;
                value = a.substr(f.size() + 1);
            }
        }
        if (kind != 0) {
            auto att = unikit::devargs::parse(kind, value);
            if (!att) fail(att.error());
            attached.push_back(std::move(*att));
            continue;
        }
        if (a.size() > 1 && a[0] == '-')
            fail("unknown option '" + a + "' (application arguments go after '--'; see --help)");
        break;  // first non-option: the application's arguments start here
    }

    if (auto ok = unikit::devargs::match(manifest.devices, attached); !ok) fail(ok.error());
    for (const auto& a : attached) {
        std::expected<uk_handle, std::string> h;
        if (a.kind == UK_DEV_BLOCK) {
            h = unikit::unix_platform::attach_block(a.name, a.path);
        } else if (a.backend == unikit::devargs::NetBackend::tap) {
            h = unikit::unix_platform::attach_tap(a.name, a.ifname, a.mac);
        } else if (a.backend == unikit::devargs::NetBackend::socket) {
            // Not a frame device (uk_device_lookup gives UK_ENOENT for it): the library OS gets
            // the host-socket backend through uk_unix_hostnet_backend(NAME).
            unikit::unix_platform::hostnet::Config cfg;
            cfg.device = a.name;
            if (!a.bind.empty()) {
                auto ip = unikit::devargs::parse_ipv4(a.bind);
                if (!ip) fail("--net " + unikit::devargs::format(a) + ": bad bind address");
                cfg.bind = unikit::net::wire::Ipv4Addr((*ip)[0], (*ip)[1], (*ip)[2], (*ip)[3]);
            }
            cfg.port_map = a.port_map;
            if (auto r = unikit::unix_platform::hostnet::attach(std::move(cfg)); !r) fail("device '" + a.name + "': " + r.error());
            continue;
        } else if (a.backend == unikit::devargs::NetBackend::user) {
            // A frame socket inherited from `unikit run` (the other end is unikit-netd).
            if (auto ok = unikit::devargs::adopt_frame_socket(a.fd); !ok) fail("device '" + a.name + "': " + ok.error());
            h = unikit::unix_platform::attach_net_fd(a.name, a.fd,
                                                     a.mac ? *a.mac : unikit::unix_platform::default_mac(a.name, "user"));
        } else {
            fail("--net " + unikit::devargs::format(a) + ": the '" + unikit::devargs::backend_name(a.backend) +
                 "' network backend is not implemented on the unix target");
        }
        if (!h && a.kind == UK_DEV_NET && a.backend == unikit::devargs::NetBackend::tap &&
            (h.error().find("not permitted") != std::string::npos || h.error().find("denied") != std::string::npos))
            fail("device '" + a.name + "': " + h.error() +
                 " (TAP devices need root, or a TAP made for your user: `sudo unikit net create-tap " + a.ifname +
                 " --user $USER`; without root use `unikit run --net user`)");
        if (!h) fail("device '" + a.name + "': " + h.error());
    }

    // argv for the application: argv[0] is the image (app) name.
    static std::vector<const char*> app_argv;
    static std::string app_name = manifest.app;
    app_argv.push_back(app_name.c_str());
    for (; i < argc; ++i) app_argv.push_back(argv[i]);
    app_argv.push_back(nullptr);

    struct uk_boot_info info{};
    info.argc = static_cast<int>(app_argv.size() - 1);
    info.argv = app_argv.data();
    info.heap_start = 0;
    info.heap_size = 0;
    size_t got = 0;
    while (got < sizeof info.entropy) {
        ssize_t r = getrandom(info.entropy + got, sizeof info.entropy - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            fail("getrandom failed");
        }
        got += static_cast<size_t>(r);
    }
    int status = uk_main(&info);
    std::fflush(stdout);
    return status & 0xff;
}
