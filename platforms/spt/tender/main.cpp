// unikit-spt: the sandboxed process tender.
//
//   unikit-spt [--mem MiB] [--net [NAME=]tap:IF[,mac=..]]... [--block [NAME=]FILE]...
//              [--timeout SECONDS] IMAGE [--] [ARGS...]
//
// Validates IMAGE completely (ELF structure, static-pie layout, W^X, manifest target/ABI, the
// devices given against the manifest) and refuses with one line
//     unikit-spt: error: IMAGE: <why>
// and exit status 2 before anything runs. Otherwise it maps one region of --mem bytes, loads the
// segments with their own protections, opens the devices, installs a seccomp filter (default:
// kill the process) that allows only the system calls the bindings make, on the file
// descriptors they need, and jumps to the image's entry *in this process* (no fork). From then
// on the process's exit status is the unikernel's; a forbidden system call kills it with
// SIGSYS. See docs/spt.md.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <seccomp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <unikit/manifest.h>
#include <unikit/platform.h>

#include "common/devargs.h"
#include "common/elf.h"
#include "common/manifest_reader.h"
#include "common/tender_args.h"
#include "common/tender_devices.h"
#include "common/tender_image.h"
#include "platforms/spt/spt_abi.h"

namespace {

constexpr const char* kProg = "unikit-spt";
constexpr uint64_t kPage = 4096;
constexpr uint64_t kStackSize = 1 << 20;
constexpr uint64_t kMinHeap = 1 << 20;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
    std::exit(2);
}

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: %s [--mem MiB] [--net [NAME=]tap:IFNAME[,mac=XX:XX:XX:XX:XX:XX]]... "
                 "[--block [NAME=]FILE]... [--timeout SECONDS] IMAGE [--] [ARGS...]\n"
                 "\n"
                 "Run an spt unikernel image in this process, inside a seccomp sandbox.\n"
                 "  --mem MiB        guest memory (image, heap, stack), default 64\n"
                 "  --net SPEC       attach a network device: tap:IFNAME (a TAP interface) or\n"
                 "                   user,fd=N (a frame socket from unikit-netd; `unikit run --net user`)\n"
                 "  --block SPEC     attach a block device (a regular file, block size 512)\n"
                 "  --timeout S      kill the unikernel (SIGALRM) after S seconds\n"
                 "Exit status: the unikernel's; 2 when the image is refused; 112 after a panic;\n"
                 "killed by SIGSYS when the unikernel makes a forbidden system call.\n",
                 kProg);
}

using unikit::tender_args::round_up;

unikit::tender_args::Options parse_args(int argc, char** argv) {
    auto o = unikit::tender_args::parse(argc, argv, {.mem_min_mib = 2, .mem_max_mib = 65536, .mem_default_mib = 64, .stop_flags = {}});
    if (!o) {
        std::fprintf(stderr, "%s: error: %s\n", kProg, o.error().message.c_str());
        if (o.error().show_usage) usage(stderr);
        std::exit(2);
    }
    if (o->help) {
        usage(stdout);
        std::exit(0);
    }
    return std::move(*o);
}

// The guest memory region, low to high:
//   [0, image_hi)                image segments at their link addresses (gaps: no access)
//   one guard page               no access
//   [heap_lo, heap_hi)           heap (read/write), handed to the runtime in uk_boot_info
//   one guard page               no access (catches a stack overflow)
//   [stack_lo, stack_hi)         stack (read/write), 1 MiB, grows down
//   [boot_lo, mem)               boot block, device table, argv (read-only for the guest)
struct Layout {
    uint64_t image_hi, heap_lo, heap_hi, stack_lo, stack_hi, boot_lo, mem;
};

int prot_of(uint32_t flags) {
    int p = 0;
    if (flags & unikit::elf::kPfR) p |= PROT_READ;
    if (flags & unikit::elf::kPfW) p |= PROT_WRITE;
    if (flags & unikit::elf::kPfX) p |= PROT_EXEC;
    return p;
}

void install_seccomp(const std::vector<spt_device>& devs, int epfd) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) die("seccomp_init failed");
    auto allow = [&](int nr, unsigned nargs, scmp_arg_cmp a0) {
        int rc = nargs ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, a0) : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (rc != 0) die(std::string("seccomp_rule_add failed: ") + std::strerror(-rc));
    };
    auto fd_is = [](int fd) { return SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fd)); };
    allow(SCMP_SYS(write), 1, fd_is(1));  // console
    for (const auto& d : devs) {
        if (d.kind == UK_DEV_NET) {
            allow(SCMP_SYS(write), 1, fd_is(d.fd));
            allow(SCMP_SYS(readv), 1, fd_is(d.fd));
            if (d.vnet_hdr) allow(SCMP_SYS(writev), 1, fd_is(d.fd));  // header + frame
        } else {
            allow(SCMP_SYS(pread64), 1, fd_is(d.fd));
            allow(SCMP_SYS(pwrite64), 1, fd_is(d.fd));
        }
    }
    allow(SCMP_SYS(epoll_pwait), 1, fd_is(epfd));
    allow(SCMP_SYS(epoll_pwait2), 1, fd_is(epfd));
    allow(SCMP_SYS(clock_gettime), 1, SCMP_A0(SCMP_CMP_EQ, CLOCK_MONOTONIC));
    allow(SCMP_SYS(clock_gettime), 1, SCMP_A0(SCMP_CMP_EQ, CLOCK_REALTIME));
    allow(SCMP_SYS(exit_group), 0, {});
    int rc = seccomp_load(ctx);
    if (rc != 0) die(std::string("cannot install the seccomp filter: ") + std::strerror(-rc));
    // ctx is deliberately not released: free() might make a system call the filter forbids.
}

[[noreturn]] void enter(uint64_t entry, uint64_t stack_top, const spt_boot* boot) {
    asm volatile(
        "movq %0, %%rsp\n\t"
        "xorl %%ebp, %%ebp\n\t"
        "jmp *%1\n\t"
        :
        : "r"(stack_top), "r"(entry), "D"(boot)
        : "memory");
    __builtin_unreachable();
}

}  // namespace

int main(int argc, char** argv) {
    unikit::tender_args::Options opt = parse_args(argc, argv);
    const std::string& path = opt.image;
    auto refuse = [&](const std::string& why) { die(path + ": " + why); };

    // ---- validate everything before touching anything -----------------------------------
    const uint64_t mem = opt.mem_mib << 20;
    auto checked = unikit::tender_image::check(path, "spt", "tender", mem, opt.devices);
    if (!checked) refuse(checked.error());
    const auto& file = checked->file;
    const auto& img = checked->elf;
    const auto& man = checked->manifest;

    // Boot block: struct spt_boot, devices, argv pointers, strings.
    const std::vector<std::string> gargs = opt.guest_argv();
    uint64_t boot_bytes = sizeof(spt_boot) + opt.devices.size() * sizeof(spt_device) + (gargs.size() + 1) * 8;
    for (auto& a : gargs) boot_bytes += a.size() + 1;
    Layout L{};
    L.mem = mem;
    L.image_hi = checked->extent.hi;
    L.boot_lo = mem - round_up(boot_bytes + 64, kPage);
    L.stack_hi = L.boot_lo;
    L.stack_lo = L.stack_hi - kStackSize;
    L.heap_lo = L.image_hi + kPage;
    L.heap_hi = L.stack_lo - kPage;
    if (L.image_hi + 3 * kPage + kStackSize + kMinHeap + (mem - L.boot_lo) > mem)
        refuse("--mem " + std::to_string(opt.mem_mib) + " MiB is too small for this image (image " +
               std::to_string(L.image_hi >> 10) + " KiB + 1 MiB stack + 1 MiB heap)");

    // ---- map and load ----------------------------------------------------------------------
    void* region = ::mmap(nullptr, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) die(std::string("cannot map ") + std::to_string(opt.mem_mib) + " MiB: " + std::strerror(errno));
    auto* base = static_cast<uint8_t*>(region);
    const uint64_t gbase = reinterpret_cast<uint64_t>(base);
    for (const auto& s : img.segments) {
        if (s.type != unikit::elf::kPtLoad || s.memsz == 0) continue;
        std::memcpy(base + s.vaddr, file.data() + s.offset, s.filesz);  // the rest stays zero
    }
    auto protect = [&](uint64_t lo, uint64_t hi, int prot) {
        if (hi > lo && ::mprotect(base + lo, hi - lo, prot) != 0)
            die(std::string("mprotect failed: ") + std::strerror(errno));
    };
    protect(0, L.heap_lo, PROT_NONE);  // image gaps and the guard page
    for (const auto& s : img.segments) {
        if (s.type != unikit::elf::kPtLoad || s.memsz == 0) continue;
        protect(s.vaddr & ~(kPage - 1), round_up(s.vaddr + s.memsz, kPage), prot_of(s.flags));
    }
    protect(L.heap_hi, L.stack_lo, PROT_NONE);

    // ---- devices -----------------------------------------------------------------------------
    uint8_t entropy[64];
    if (::getrandom(entropy, sizeof entropy, 0) != static_cast<ssize_t>(sizeof entropy))
        die(std::string("cannot read entropy: ") + std::strerror(errno));
    int epfd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die(std::string("epoll_create1: ") + std::strerror(errno));
    std::vector<spt_device> devs;
    // Handles follow the manifest's order, so they are the same on every run.
    for (const auto& want : man.devices) {
        const std::string what = "device '" + want.name + "'";
        auto o = unikit::tender_devices::open(want, opt.devices,
                                              std::span<const uint8_t, 6>(entropy + 32 + 6 * (devs.size() % 5), 6), "spt",
                                              /*tap_offload=*/true);
        if (!o) die(what + ": " + o.error());
        spt_device d{};
        std::memcpy(d.name, want.name.c_str(), std::min<size_t>(want.name.size(), SPT_DEVICE_NAME_MAX - 1));
        d.kind = want.kind;
        d.fd = o->fd;
        if (want.kind == UK_DEV_NET) {
            d.mtu = o->mtu;
            d.vnet_hdr = o->vnet_hdr ? 1 : 0;
            std::memcpy(d.mac, o->mac.data(), 6);
            struct epoll_event ev {};
            ev.events = EPOLLIN;
            ev.data.u64 = devs.size();
            if (::epoll_ctl(epfd, EPOLL_CTL_ADD, d.fd, &ev) != 0) die(what + ": epoll_ctl: " + std::strerror(errno));
        } else {
            d.block_size = o->block_size;
            d.capacity = o->capacity;
        }
        devs.push_back(d);
    }
    int have_pwait2 = 1;
    {
        struct epoll_event ev {};
        struct timespec zero {};
        if (::syscall(SYS_epoll_pwait2, epfd, &ev, 1, &zero, nullptr, 8) < 0 && errno == ENOSYS) have_pwait2 = 0;
    }

    // ---- boot block --------------------------------------------------------------------------
    uint8_t* bp = base + L.boot_lo;
    auto* boot = reinterpret_cast<spt_boot*>(bp);
    uint64_t off = round_up(sizeof(spt_boot), 16);
    auto* gdevs = reinterpret_cast<spt_device*>(bp + off);
    if (!devs.empty()) std::memcpy(gdevs, devs.data(), devs.size() * sizeof(spt_device));
    off = round_up(off + devs.size() * sizeof(spt_device), 16);
    auto** gargv = reinterpret_cast<const char**>(bp + off);
    off += (gargs.size() + 1) * 8;
    for (size_t i = 0; i < gargs.size(); ++i) {
        std::memcpy(bp + off, gargs[i].c_str(), gargs[i].size() + 1);
        gargv[i] = reinterpret_cast<const char*>(bp + off);
        off += gargs[i].size() + 1;
    }
    gargv[gargs.size()] = nullptr;
    boot->magic = SPT_BOOT_MAGIC;
    boot->version = SPT_BOOT_VERSION;
    boot->ndevices = static_cast<uint32_t>(devs.size());
    boot->devices = gdevs;
    boot->epoll_fd = epfd;
    boot->have_epoll_pwait2 = have_pwait2;
    boot->mem_base = gbase;
    boot->mem_size = mem;
    boot->info.argc = static_cast<int>(gargs.size());
    boot->info.argv = gargv;
    boot->info.heap_start = gbase + L.heap_lo;
    boot->info.heap_size = L.heap_hi - L.heap_lo;
    std::memcpy(boot->info.entropy, entropy, 32);
    protect(L.boot_lo, L.mem, PROT_READ);

    // ---- sandbox and jump --------------------------------------------------------------------
    std::fflush(stdout);
    std::fflush(stderr);
    // Fatal signals take their default action, so a crashing unikernel shows as SIGSEGV etc.
    // (a handler left by the host runtime, e.g. AddressSanitizer's, would make system calls the
    // filter forbids and turn every crash into SIGSYS).
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) ::signal(sig, SIG_DFL);
    if (opt.timeout_s) ::alarm(static_cast<unsigned>(opt.timeout_s));
    install_seccomp(devs, epfd);
    enter(gbase + img.entry, gbase + L.stack_hi, boot);
}
