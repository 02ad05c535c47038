// Help texts of the `unikit` command. Keep in step with docs/cli.md.
#include <cstdio>

#include "cli.h"

namespace unikit::cli {
namespace {

struct Command {
    const char* name;
    const char* summary;
    const char* text;
};

const Command kCommands[] = {
    {"build", "build an app's image for a target and print its path",
     R"(usage: unikit build APP_DIR [--target T]

Build the app in APP_DIR (a directory whose CMakeLists.txt calls unikit_app()) for target T and
print the image's path on stdout. Build output goes to stderr, and only when the build fails
(or with -v).

  --target T, -t T   the target to build for (default: unix); see `unikit targets`

Apps under the source tree's apps/ build in the main build directory (build/, or
$UNIKIT_BUILD_DIR), configured with Ninja when missing. An app directory anywhere else gets its
own build directory, <build dir>/ext/<name>-<hash>.

Exit status: 0 built; 1 the build failed; 2 bad usage (unknown target, no such app directory).
)"},
    {"run", "build (if given a directory) and run an image",
     R"(usage: unikit run APP_DIR|IMAGE [--target T] [--net SPEC]... [--block SPEC]...
                  [--timeout SECS] [--ipv4 A.B.C.D/N|dhcp] [--gateway G] [--dns D]
                  [--log SPEC] [--net-faults SPEC] [--tcp-buffer KiB]
                  [--machine q35|pc|microvm] [--accel tcg|kvm] [--memory MiB] [-- ARGS...]

Run an image. Given an app directory, build it first (as `unikit build`). The devices given must
be exactly those the image's manifest names (see `unikit inspect`); otherwise unikit says which
device is missing, unexpected or of the wrong kind, and starts nothing.

  --target T, -t T   target (default: unix for a directory; an image's own target for a file,
                     which --target must then match)
  --net SPEC         attach a network device; SPEC is [NAME=]BACKEND[,mac=XX:XX:XX:XX:XX:XX]:
                       tap:IFNAME   a TAP interface (needs root, or a TAP made for you by
                                    `sudo unikit net create-tap IFNAME --user $USER`)
                       user         user-mode networking without root: a NAT (libslirp) in
                                    the helper unikit-netd; the image is 10.0.2.15/24, gateway
                                    10.0.2.2, DNS 10.0.2.3 (unless --ipv4 is given)
                       socket[,bind=A.B.C.D][,map=APP:HOST]  host sockets, unix only
                     NAME may be left out when the image has exactly one network device.
                     Without any --net, an image with one network device gets `user`.
  --block SPEC       attach a block device; SPEC is [NAME=]FILE (a regular file; block size 512,
                     capacity = file size rounded down to a multiple of 512)
  --timeout SECS     stop the image after SECS seconds (exit status 124)
  -p, --publish [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]
                     with --net user: forward a host port to the image (repeatable); HOST_IP
                     defaults to 127.0.0.1 (give 0.0.0.0 to accept other machines). A host port
                     already in use is refused before the image starts (exit 2).
  --pcap FILE        record every frame the image sends and receives (pcap; tcpdump -r FILE);
                     written by unikit-netd outside the sandbox (--net user or tap:IFNAME)
  --name NAME        the instance's name in `unikit ps` / `unikit stop` (default: APP-N)
Options of the virtio target (QEMU; see docs/virtio.md):
  --machine M        q35 (default), pc (virtio-*-pci devices) or microvm (virtio-mmio)
  --accel A          tcg (default) or kvm (ordinary hardware; on PVM-based KVM, as on the
                     project's build machines, guest kernel code runs ~1000x slower)
  --memory MiB       guest memory (default 128)
Options for the image's own network stack and runtime (passed as boot options, see
docs/networking.md; ignored by host sockets where they do not apply):
  --ipv4 A.B.C.D/N|dhcp   the interface address, or DHCP (the default)
  --gateway G        the default router (with a static --ipv4)
  --dns D            a DNS server (with a static --ipv4)
  --log SPEC         log levels, e.g. net=debug,*=info
  --net-faults SPEC  inject faults on the net device, both directions, seeded:
                     loss=P,reorder=P,dup=P,corrupt=P,seed=N (P in percent, e.g. loss=5)
  --tcp-buffer KiB   TCP send and receive buffer per connection (default 64; 32 segments
                     when the MTU makes that more: 280 at MTU 9000)
  -- ARGS...         arguments for the application (after the '--')

Targets run as: unix - the image is executed directly (IMAGE [--net ..] [--block ..] -- ARGS);
spt - through its tender (unikit-spt [--net ..] [--block ..] IMAGE -- ARGS);
hvt - through its KVM monitor (unikit-hvt [--net ..] [--block ..] IMAGE -- ARGS);
virtio - booted by qemu-system-x86_64 -kernel IMAGE (PVH); ARGS go on the kernel command line,
devices are QEMU's (--net user is QEMU's own NAT with the same addresses, --pcap its filter-dump).
Its status comes back through an isa-debug-exit device; a VM that ends without one (triple
fault) is reported as abnormal (112).

Exit status: the image's own; 2 bad usage or device mismatch; 1 build failure; 124 timeout.
)"},
    {"ps", "list the running instances (name, target, pid, network, address, forwards)",
     R"(usage: unikit ps [-q]

List the images started by `unikit run` that are still running, for this user: name, target,
PID of the supervising `unikit run`, network, the guest's address when known, uptime and
published ports. Records of runs that have ended (even when killed) are pruned.
Records live in $XDG_RUNTIME_DIR/unikit, else /tmp/unikit-$UID.

  -q, --quiet   names only
)"},
    {"stop", "stop a running instance",
     R"(usage: unikit stop [--grace SECS] NAME...

Stop the instance NAME (see `unikit ps`): SIGTERM to its `unikit run`, which stops the image and
its network helper; after --grace seconds (default 5) everything left is killed (SIGKILL).

Exit status: 0; 1 when no instance has that name.
)"},
    {"net", "create or delete TAP interfaces for --net tap: (root)",
     R"(usage: unikit net create-tap NAME [--netns NS] [--address A.B.C.D/N] [--user USER]
       unikit net delete-tap NAME [--netns NS]

create-tap makes a persistent TAP interface NAME (in network namespace NS), gives it the
address A.B.C.D/N, brings it up, and lets USER attach images to it without root
(`unikit run ... --net tap:NAME` as USER). delete-tap removes it. Both need root; for networking
without root use `unikit run --net user`.
)"},
    {"inspect", "show an image's target, ABI, size and the devices it needs",
     R"(usage: unikit inspect IMAGE

Print what IMAGE is, from its ELF headers and its manifest note: application name, target,
platform ABI version, ELF format, size on disk and loaded size, and the devices it needs (with
the option that attaches each).

Exit status: 0; 2 when IMAGE cannot be read or is not a unikit image.
)"},
    {"targets", "list the targets and which of them this machine can run",
     R"(usage: unikit targets

List every target with its status on this machine:
  available     images for it can be built and run here
  not built     its tender has not been built yet (the first `unikit run --target T` builds it)
  unavailable   implemented, but this machine lacks what it needs (e.g. /dev/kvm)
  planned       not implemented yet
)"},
    {"help", "show help for a command",
     R"(usage: unikit help [COMMAND]

Show the overview, or the help of COMMAND (also: unikit COMMAND --help).
)"},
};

}  // namespace

bool is_command(std::string_view name) {
    for (const auto& c : kCommands) {
        if (name == c.name) return true;
    }
    return false;
}

std::string help_overview() {
    std::string s =
        "usage: unikit [-v] COMMAND [ARGS...]\n"
        "\n"
        "Build and run unikit unikernels: one app source, several targets.\n"
        "\n"
        "commands:\n";
    for (const auto& c : kCommands) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-9s %s\n", c.name, c.summary);
        s += line;
    }
    s +=
        "\n"
        "options:\n"
        "  -v, --verbose   show build output as it happens (otherwise only when a build fails)\n"
        "  -h, --help      this text; `unikit help COMMAND` for one command\n"
        "  --version       print the version\n"
        "\n"
        "environment:\n"
        "  UNIKIT_BUILD_DIR    the main build directory (default: <source tree>/build)\n"
        "  UNIKIT_TENDER_<T>   the tender program for target T (default: found in the build dir)\n"
        "  UNIKIT_QEMU         qemu-system-x86_64 for the virtio target (default: from PATH)\n"
        "\n"
        "examples:\n"
        "  unikit run apps/hello                      build and run on the unix target\n"
        "  unikit run apps/hello -- Bonjour Monde     with application arguments\n"
        "  unikit build apps/hello --target spt       print build/images/hello.spt\n"
        "  unikit inspect build/images/hello.unix\n"
        "  unikit run apps/www --target spt --net user -p 8080:80    rootless, http://127.0.0.1:8080\n"
        "  unikit run apps/hello --target virtio --machine microvm   boot it in QEMU\n";
    return s;
}

std::string help_for(std::string_view command) {
    for (const auto& c : kCommands) {
        if (command == c.name) return c.text;
    }
    return {};
}

int cmd_help(const std::vector<std::string>& args) {
    if (args.empty()) {
        std::fputs(help_overview().c_str(), stdout);
        return 0;
    }
    if (args.size() > 1) die("help: one command at a time (usage: unikit help COMMAND)");
    std::string text = help_for(args[0]);
    if (text.empty()) die("help: unknown command '" + args[0] + "' (commands: build, run, ps, stop, net, inspect, targets, help)");
    std::fputs(text.c_str(), stdout);
    return 0;
}

}  // namespace unikit::cli
