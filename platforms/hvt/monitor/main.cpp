// unikit-hvt: the hvt monitor. Runs a unikit image in a KVM virtual machine.
//
//   unikit-hvt [--mem MiB] [--net [NAME=]tap:IF[,mac=..]]... [--block [NAME=]FILE]...
//              [--timeout SECONDS] IMAGE [--] [ARGS...]
//   unikit-hvt --check-kvm     exit 0 if KVM is usable here, else say why and exit 1
//
// Validates IMAGE completely with the shared reader (tools/common: ELF structure, static-pie,
// W^X, manifest target/ABI, devices) and refuses with one line
//     unikit-hvt: error: IMAGE: <why>
// and exit status 2 before KVM is touched. Then it creates a VM with one vCPU, loads the image
// into guest memory with monitor-built W^X page tables, and runs the guest in 64-bit mode at
// CPL3 (see docs/hvt.md for why), serving hypercalls on I/O-port exits. Every guest address
// and length is checked against the guest's user mappings before the monitor touches it.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
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
#include "layout.h"
#include "platforms/hvt/hvt_abi.h"

namespace {

using namespace unikit::hvt;

constexpr const char* kProg = "unikit-hvt";
// A CR2 value no page fault can produce (non-canonical): CR2 != this after a crash means the
// crash was a page fault at CR2.
constexpr uint64_t kCr2Sentinel = 0xdead00000000beefull;

[[noreturn]] void die(const std::string& msg, int status = 2) {
    std::fprintf(stderr, "%s: error: %s\n", kProg, msg.c_str());
    std::exit(status);
}

void usage(FILE* f) {
    std::fprintf(f,
                 "usage: %s [--mem MiB] [--net [NAME=]tap:IFNAME[,mac=XX:XX:XX:XX:XX:XX]]... "
                 "[--block [NAME=]FILE]... [--timeout SECONDS] IMAGE [--] [ARGS...]\n"
                 "       %s --check-kvm\n"
                 "\n"
                 "Run an hvt unikernel image in a KVM virtual machine.\n"
                 "  --mem MiB        guest memory (image, heap, stack), default 64, at most 4096\n"
                 "  --net SPEC       attach a network device (a TAP interface)\n"
                 "  --block SPEC     attach a block device (a regular file, block size 512)\n"
                 "  --timeout S      stop the guest after S seconds (the monitor dies by SIGALRM)\n"
                 "  --check-kvm      check that KVM is usable here (exit 0) or say why not (exit 1)\n"
                 "Exit status: the unikernel's; 2 when the image is refused; 112 after a panic;\n"
                 "killed by SIGSEGV after a guest page fault, SIGSYS after a system call, SIGILL after\n"
                 "any other guest crash (reported with the registers), SIGALRM when --timeout expired.\n",
                 kProg, kProg);
}

using unikit::tender_args::round_up;

constexpr std::string_view kStopFlags[] = {"--check-kvm"};

unikit::tender_args::Options parse_args(int argc, char** argv) {
    auto o = unikit::tender_args::parse(argc, argv,
                                        {.mem_min_mib = 4, .mem_max_mib = kMaxMem >> 20, .mem_default_mib = 64, .stop_flags = kStopFlags});
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

// ---- KVM -------------------------------------------------------------------------------------

// Opens /dev/kvm and checks the API; on failure returns -1 and the reason.
int open_kvm(std::string& why) {
    int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) why = "cannot open /dev/kvm: no such device (KVM is not available on this machine)";
        else if (e == EACCES || e == EPERM)
            why = "cannot open /dev/kvm: permission denied (run as root or join the group owning /dev/kvm)";
        else why = std::string("cannot open /dev/kvm: ") + std::strerror(e);
        return -1;
    }
    int v = ::ioctl(fd, KVM_GET_API_VERSION, 0);
    if (v < 0) {
        why = std::string("/dev/kvm is not a KVM device (KVM_GET_API_VERSION: ") + std::strerror(errno) + ")";
        ::close(fd);
        return -1;
    }
    if (v != KVM_API_VERSION) {
        why = "/dev/kvm speaks KVM API version " + std::to_string(v) + ", expected " + std::to_string(KVM_API_VERSION);
        ::close(fd);
        return -1;
    }
    return fd;
}

struct Vm {
    int kvm = -1, vm = -1, vcpu = -1;
    kvm_run* run = nullptr;
};

bool create_vm(Vm& m, uint8_t* mem, uint64_t size, std::string& why) {
    m.vm = ::ioctl(m.kvm, KVM_CREATE_VM, 0);
    if (m.vm < 0) {
        why = std::string("KVM_CREATE_VM: ") + std::strerror(errno);
        return false;
    }
    kvm_userspace_memory_region r{};
    r.slot = 0;
    r.guest_phys_addr = 0;
    r.memory_size = size;
    r.userspace_addr = reinterpret_cast<uint64_t>(mem);
    if (::ioctl(m.vm, KVM_SET_USER_MEMORY_REGION, &r) != 0) {
        why = std::string("KVM_SET_USER_MEMORY_REGION: ") + std::strerror(errno);
        return false;
    }
    m.vcpu = ::ioctl(m.vm, KVM_CREATE_VCPU, 0);
    if (m.vcpu < 0) {
        why = std::string("KVM_CREATE_VCPU: ") + std::strerror(errno);
        return false;
    }
    int sz = ::ioctl(m.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < static_cast<int>(sizeof(kvm_run))) {
        why = "KVM_GET_VCPU_MMAP_SIZE failed";
        return false;
    }
    void* p = ::mmap(nullptr, static_cast<size_t>(sz), PROT_READ | PROT_WRITE, MAP_SHARED, m.vcpu, 0);
    if (p == MAP_FAILED) {
        why = std::string("mmap of the vCPU: ") + std::strerror(errno);
        return false;
    }
    m.run = static_cast<kvm_run*>(p);
    // Give the vCPU the host's supported CPUID: ordinary KVM checks EFER.LME/NXE against it.
    for (int n = 64; n <= 4096; n *= 2) {
        std::vector<uint8_t> buf(sizeof(kvm_cpuid2) + n * sizeof(kvm_cpuid_entry2));
        auto* c = reinterpret_cast<kvm_cpuid2*>(buf.data());
        c->nent = static_cast<uint32_t>(n);
        if (::ioctl(m.kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            if (::ioctl(m.vcpu, KVM_SET_CPUID2, c) != 0) {
                why = std::string("KVM_SET_CPUID2: ") + std::strerror(errno);
                return false;
            }
            break;
        }
        if (errno != E2BIG) break;
    }
    return true;
}

// 64-bit mode at CPL3: flat code/data segments at DPL3, the TSS (its I/O bitmap lets the guest
// reach the hypercall ports), paging with NX and write protection, SSE enabled.
bool setup_vcpu(const Vm& m, uint64_t cr3, uint64_t entry, uint64_t stack_top, uint64_t boot, std::string& why) {
    kvm_sregs s{};
    if (::ioctl(m.vcpu, KVM_GET_SREGS, &s) != 0) {
        why = std::string("KVM_GET_SREGS: ") + std::strerror(errno);
        return false;
    }
    kvm_segment code{};
    code.base = 0;
    code.limit = 0xffffffff;
    code.selector = kSelUserCode;
    code.type = 11;  // execute/read, accessed
    code.present = 1;
    code.dpl = 3;
    code.s = 1;
    code.l = 1;
    code.g = 1;
    kvm_segment data = code;
    data.selector = kSelUserData;
    data.type = 3;  // read/write, accessed
    data.l = 0;
    data.db = 1;
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    kvm_segment tr{};
    tr.base = kTssAddr;
    tr.limit = kTssLimit;
    tr.selector = kSelTss;
    tr.type = 11;  // busy 64-bit TSS
    tr.present = 1;
    s.tr = tr;
    kvm_segment ldt{};
    ldt.type = 2;
    ldt.present = 1;
    ldt.unusable = 1;
    s.ldt = ldt;
    s.gdt.base = kGdtAddr;
    s.gdt.limit = kGdtLimit;
    s.idt.base = 0;
    s.idt.limit = 0;  // no IDT: any exception becomes a triple fault (KVM_EXIT_SHUTDOWN)
    constexpr uint64_t CR0_PE = 1, CR0_MP = 2, CR0_ET = 1 << 4, CR0_NE = 1 << 5, CR0_WP = 1 << 16, CR0_PG = 1ull << 31;
    constexpr uint64_t CR4_PAE = 1 << 5, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
    constexpr uint64_t EFER_LME = 1 << 8, EFER_LMA = 1 << 10, EFER_NXE = 1 << 11;
    s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    s.cr3 = cr3;
    s.cr2 = kCr2Sentinel;
    s.efer = EFER_LME | EFER_LMA | EFER_NXE;
    if (::ioctl(m.vcpu, KVM_SET_SREGS, &s) != 0) {
        why = std::string("KVM_SET_SREGS: ") + std::strerror(errno);
        return false;
    }
    kvm_fpu fpu{};
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    if (::ioctl(m.vcpu, KVM_SET_FPU, &fpu) != 0) {
        why = std::string("KVM_SET_FPU: ") + std::strerror(errno);
        return false;
    }
    alignas(kvm_msrs) uint8_t msrs[sizeof(kvm_msrs) + sizeof(kvm_msr_entry)]{};
    reinterpret_cast<kvm_msrs*>(msrs)->nmsrs = 1;
    auto* msr = reinterpret_cast<kvm_msr_entry*>(msrs + sizeof(kvm_msrs));
    msr->index = 0xc0000082;  // MSR_LSTAR
    msr->data = kSyscallTrap;
    ::ioctl(m.vcpu, KVM_SET_MSRS, msrs);  // best effort: without it a syscall still crashes
    kvm_regs r{};
    r.rip = entry;
    r.rsp = stack_top;
    r.rdi = boot;
    r.rflags = 0x3002;  // IOPL=3 (hypercall ports on ordinary KVM), reserved bit 1; IF=0
    if (::ioctl(m.vcpu, KVM_SET_REGS, &r) != 0) {
        why = std::string("KVM_SET_REGS: ") + std::strerror(errno);
        return false;
    }
    return true;
}

int check_kvm() {
    std::string why;
    Vm m;
    m.kvm = open_kvm(why);
    if (m.kvm < 0) {
        std::fprintf(stderr, "%s: %s\n", kProg, why.c_str());
        return 1;
    }
    const uint64_t size = 4 << 20;
    void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED || !create_vm(m, static_cast<uint8_t*>(mem), size, why)) {
        std::fprintf(stderr, "%s: KVM is not usable: %s\n", kProg, why.c_str());
        return 1;
    }
    std::printf("%s: KVM is usable (API version %d, TSC %d kHz)\n", kProg, KVM_API_VERSION,
                ::ioctl(m.vcpu, KVM_GET_TSC_KHZ, 0));
    return 0;
}

// ---- devices ---------------------------------------------------------------------------------

struct Device {
    hvt_device info{};
    int fd = -1;
};

// ---- the running guest -----------------------------------------------------------------------

volatile sig_atomic_t g_timed_out = 0;
void on_alarm(int) { g_timed_out = 1; }

struct Guest {
    uint8_t* mem = nullptr;
    Layout layout;
    uint64_t cr3 = 0;
    std::vector<Device> devices;
    std::vector<uint8_t> overflow = std::vector<uint8_t>(65536);
    unsigned next_ready = 0;  // round-robin start for yield
    uint64_t timeout_s = 0;
    Vm vm;

    // Host pointer for [addr, addr+len) if the guest may `need` it (kRead/kWrite), else nullptr.
    uint8_t* at(uint64_t addr, uint64_t len, uint32_t need) const {
        if (len == 0) return mem;  // never dereferenced
        return layout.user_range_ok(addr, len, need) ? mem + addr : nullptr;
    }
    // The argument struct of a hypercall: 8-byte aligned, guest-writable (results go back).
    template <class T>
    bool get(uint32_t addr, T& out) const {
        if (addr % 8 || !at(addr, sizeof(T), kRead | kWrite)) return false;
        std::memcpy(&out, mem + addr, sizeof(T));
        return true;
    }
    template <class T>
    void put(uint32_t addr, const T& v) const {
        std::memcpy(mem + addr, &v, sizeof(T));  // checked by get() before
    }
    const Device* device(int32_t h, uint32_t kind) const {
        if (h < 0 || static_cast<size_t>(h) >= devices.size() || devices[h].info.kind != kind) return nullptr;
        return &devices[h];
    }
};

uint64_t host_ns(clockid_t c) {
    struct timespec ts {};
    ::clock_gettime(c, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die_by_signal(int sig) {
    std::fflush(stdout);
    std::fflush(stderr);
    struct rlimit no_core {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
    std::_Exit(128 + sig);
}

[[noreturn]] void timed_out(const Guest& g) {
    std::fprintf(stderr, "%s: the guest ran out of time (--timeout %llu s); stopped it\n", kProg,
                 static_cast<unsigned long long>(g.timeout_s));
    die_by_signal(SIGALRM);
}

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

// Report a guest crash (or an exit the monitor cannot serve) with the registers, then die.
[[noreturn]] void crash(Guest& g, const std::string& what) {
    kvm_regs r{};
    kvm_sregs s{};
    ::ioctl(g.vm.vcpu, KVM_GET_REGS, &r);
    ::ioctl(g.vm.vcpu, KVM_GET_SREGS, &s);
    // A `syscall` lands at MSR_LSTAR (kSyscallTrap) on KVM that honours it, at 0 on PVM; either
    // way %rcx holds the address after the instruction.
    const bool syscall = (r.rip == kSyscallTrap || r.rip == 0) && r.rcx >= 2 && g.at(r.rcx - 2, 2, kRead) &&
                         g.mem[r.rcx - 2] == 0x0f && g.mem[r.rcx - 1] == 0x05;
    const bool page_fault = !syscall && s.cr2 != kCr2Sentinel;
    std::string line = what;
    if (syscall) {
        line += ": the guest made a system call (syscall at " + hex(r.rcx - 2) +
                "); hvt guests have none, they use the platform ABI";
    } else if (page_fault) {
        const uint64_t a = s.cr2;
        const uint64_t pte = lookup_pte({g.mem, g.layout.mem}, g.cr3, a);
        std::string kind;
        if (!(pte & kPtePresent)) kind = "address not mapped";
        else if (!(pte & kPteUser)) kind = "monitor-owned page";
        else if ((a >> 12) == (r.rip >> 12) && (pte & kPteNx)) kind = "executing a non-executable page (W^X)";
        else if (!(pte & kPteWrite) && !(pte & kPteNx)) kind = "write to code (W^X)";
        else if (!(pte & kPteWrite)) kind = "write to a read-only page";
        else kind = "access refused";
        line += ": page fault at " + hex(a) + " (" + kind + ": " + g.layout.describe(a) + ")";
    } else {
        line += " (not a page fault: an invalid or privileged instruction, a forbidden I/O port, a system "
                "call, or a general protection fault)";
    }
    std::fprintf(stderr, "%s: %s\n", kProg, line.c_str());
    std::string code = "unreadable";
    if (g.at(r.rip, 1, kRead)) {
        code.clear();
        for (uint64_t i = 0; i < 8 && g.at(r.rip + i, 1, kRead); ++i) {
            char b[4];
            std::snprintf(b, sizeof b, "%02x ", g.mem[r.rip + i]);
            code += b;
        }
        if (!code.empty()) code.pop_back();
    }
    auto off = [&](uint64_t v) { return v >= g.layout.image_base && v < g.layout.image_hi ? " (image+" + hex(v - g.layout.image_base) + ")" : std::string(); };
    std::fprintf(stderr, "%s:   rip %s%s [%s]  rsp %s  cr2 %s\n", kProg, hex(r.rip).c_str(), off(r.rip).c_str(),
                 code.c_str(), hex(r.rsp).c_str(), page_fault ? hex(s.cr2).c_str() : "-");
    std::fprintf(stderr,
                 "%s:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
                 "%s:   rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
                 "%s:   r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
                 "%s:   r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
                 "%s:   rip %016llx rflags %08llx cs %04x ss %04x cr0 %llx cr3 %llx cr4 %llx efer %llx\n",
                 kProg, r.rax, r.rbx, r.rcx, r.rdx, kProg, r.rsi, r.rdi, r.rbp, r.rsp, kProg, r.r8, r.r9, r.r10,
                 r.r11, kProg, r.r12, r.r13, r.r14, r.r15, kProg, r.rip, r.rflags, s.cs.selector, s.ss.selector,
                 s.cr0, s.cr3, s.cr4, s.efer);
    die_by_signal(syscall ? SIGSYS : page_fault ? SIGSEGV : SIGILL);
}

void hc_console(Guest& g, uint32_t a) {
    hvt_console c;
    if (!g.get(a, c)) return;
    const uint8_t* p = g.at(c.buf, c.len, kRead);
    if (!p) return;  // refused: console output is best effort
    size_t left = c.len;
    while (left > 0) {
        ssize_t n = ::write(1, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

void hc_clock(Guest& g, uint32_t a) {
    hvt_clock c;
    if (!g.get(a, c)) return;
    c.monotonic = host_ns(CLOCK_MONOTONIC);
    c.wall = host_ns(CLOCK_REALTIME);
    g.put(a, c);
}

void hc_yield(Guest& g, uint32_t a) {
    hvt_yield y;
    if (!g.get(a, y)) return;
    std::vector<pollfd> fds;
    std::vector<int32_t> handles;
    for (size_t i = 0; i < g.devices.size(); ++i) {
        if (g.devices[i].info.kind != UK_DEV_NET) continue;
        fds.push_back({g.devices[i].fd, POLLIN, 0});
        handles.push_back(static_cast<int32_t>(i));
    }
    const uint64_t want = std::min<uint64_t>(y.cap, handles.size());
    uint8_t* ready = want ? g.at(y.ready, want * sizeof(int32_t), kWrite) : nullptr;
    y.nready = 0;
    for (;;) {
        if (g_timed_out) timed_out(g);
        uint64_t now = host_ns(CLOCK_MONOTONIC);
        struct timespec ts {};
        struct timespec* tsp = nullptr;
        if (y.deadline != UINT64_MAX) {
            uint64_t left = y.deadline > now ? y.deadline - now : 0;
            ts.tv_sec = static_cast<time_t>(left / 1000000000ull);
            ts.tv_nsec = static_cast<long>(left % 1000000000ull);
            tsp = &ts;
        }
        int n = ::ppoll(fds.data(), fds.size(), tsp, nullptr);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0 && ready) {
            for (size_t k = 0; k < fds.size() && y.nready < want; ++k) {
                size_t i = (g.next_ready + k) % fds.size();
                if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
                    std::memcpy(ready + y.nready * sizeof(int32_t), &handles[i], sizeof(int32_t));
                    ++y.nready;
                }
            }
            g.next_ready = static_cast<unsigned>((g.next_ready + 1) % fds.size());
        }
        if (n > 0 || host_ns(CLOCK_MONOTONIC) >= y.deadline) break;
    }
    y.now.monotonic = host_ns(CLOCK_MONOTONIC);
    y.now.wall = host_ns(CLOCK_REALTIME);
    g.put(a, y);
}

void hc_net(Guest& g, uint32_t a, bool write) {
    hvt_net_io io;
    if (!g.get(a, io)) return;
    io.done = 0;
    io.result = UK_EINVAL;
    const Device* d = g.device(io.handle, UK_DEV_NET);
    uint8_t* frames = nullptr;
    if (d && io.n > 0 && io.n <= (1u << 16)) frames = g.at(io.frames, io.n * sizeof(uk_frame), write ? kRead : kRead | kWrite);
    if (!frames) {
        g.put(a, io);
        return;
    }
    const size_t max = size_t(d->info.mtu) + 14 + 4;
    io.result = UK_OK;
    for (uint64_t i = 0; i < io.n; ++i) {
        uk_frame f;
        std::memcpy(&f, frames + i * sizeof f, sizeof f);
        if (write) {
            const uint8_t* p = g.at(reinterpret_cast<uint64_t>(f.data), f.len, kRead);
            if (!p || f.len > max) {
                io.result = io.done ? UK_OK : UK_EINVAL;
                break;
            }
            ssize_t n = ::write(d->fd, p, f.len);
            if (n < 0 && errno == EINTR) { --i; continue; }
            if (n < 0 && errno == EAGAIN) break;
            if (n < 0) {
                io.result = io.done ? UK_OK : UK_EIO;
                break;
            }
            ++io.done;
        } else {
            uint8_t* p = g.at(reinterpret_cast<uint64_t>(f.data), f.cap, kWrite);
            if (!p) {
                io.result = io.done ? UK_OK : UK_EINVAL;
                break;
            }
            struct iovec iov[2] = {{p, f.cap}, {g.overflow.data(), g.overflow.size()}};
            ssize_t n = ::readv(d->fd, iov, 2);
            if (n < 0 && errno == EINTR) { --i; continue; }
            if (n < 0 && errno == EAGAIN) break;
            if (n < 0) {
                io.result = io.done ? UK_OK : UK_EIO;
                break;
            }
            if (static_cast<size_t>(n) > f.cap) { --i; continue; }  // too long: dropped
            f.len = static_cast<size_t>(n);
            f.flags = 0;
            std::memcpy(frames + i * sizeof f, &f, sizeof f);
            ++io.done;
        }
    }
    if (io.result == UK_OK && io.done == 0) io.result = UK_AGAIN;
    g.put(a, io);
}

void hc_block(Guest& g, uint32_t a, bool write) {
    hvt_block_io io;
    if (!g.get(a, io)) return;
    io.result = UK_EINVAL;
    const Device* d = g.device(io.handle, UK_DEV_BLOCK);
    uint8_t* p = d ? g.at(io.buf, io.len, write ? kRead : kWrite) : nullptr;
    if (!d || !p || io.offset % d->info.block_size || io.len % d->info.block_size || io.offset > d->info.capacity ||
        io.len > d->info.capacity - io.offset) {
        g.put(a, io);
        return;
    }
    io.result = UK_OK;
    uint64_t off = io.offset, left = io.len;
    while (left > 0) {
        ssize_t n = write ? ::pwrite(d->fd, p, left, static_cast<off_t>(off)) : ::pread(d->fd, p, left, static_cast<off_t>(off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            io.result = UK_EIO;
            break;
        }
        p += n;
        off += static_cast<uint64_t>(n);
        left -= static_cast<uint64_t>(n);
    }
    g.put(a, io);
}

[[noreturn]] void run(Guest& g) {
    kvm_run* run = g.vm.run;
    for (;;) {
        if (g_timed_out) timed_out(g);
        if (::ioctl(g.vm.vcpu, KVM_RUN, 0) != 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die(std::string("KVM_RUN: ") + std::strerror(errno), 1);
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            const uint16_t port = run->io.port;
            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1 ||
                port < HVT_PORT_BASE || port >= HVT_PORT_BASE + HVT_CALL_COUNT)
                crash(g, "the guest crashed: I/O to port " + hex(port) + ", which is not a hypercall");
            uint32_t a;
            std::memcpy(&a, reinterpret_cast<uint8_t*>(run) + run->io.data_offset, 4);
            switch (port - HVT_PORT_BASE) {
            case HVT_CALL_CONSOLE: hc_console(g, a); break;
            case HVT_CALL_EXIT:
            case HVT_CALL_ABORT: {
                hvt_exit e{UK_EXIT_ABORT, 0};
                if (port - HVT_PORT_BASE == HVT_CALL_EXIT && !g.get(a, e)) e.status = UK_EXIT_ABORT;
                std::fflush(stdout);
                std::exit(port - HVT_PORT_BASE == HVT_CALL_ABORT ? UK_EXIT_ABORT : (e.status & 0xff));
            }
            case HVT_CALL_CLOCK: hc_clock(g, a); break;
            case HVT_CALL_YIELD: hc_yield(g, a); break;
            case HVT_CALL_NET_WRITE: hc_net(g, a, true); break;
            case HVT_CALL_NET_READ: hc_net(g, a, false); break;
            case HVT_CALL_BLOCK_WRITE: hc_block(g, a, true); break;
            case HVT_CALL_BLOCK_READ: hc_block(g, a, false); break;
            }
            break;
        }
        case KVM_EXIT_SHUTDOWN: crash(g, "the guest crashed (triple fault)");
        case KVM_EXIT_INTERNAL_ERROR:
            crash(g, "KVM internal error (suberror " + std::to_string(run->internal.suberror) + ")");
        case KVM_EXIT_FAIL_ENTRY:
            crash(g, "KVM could not enter the guest (hardware reason " +
                         hex(run->fail_entry.hardware_entry_failure_reason) + ")");
        case KVM_EXIT_MMIO: crash(g, "the guest accessed memory-mapped I/O at " + hex(run->mmio.phys_addr));
        case KVM_EXIT_HLT: crash(g, "the guest halted");
        default: crash(g, "unexpected KVM exit " + std::to_string(run->exit_reason));
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    unikit::tender_args::Options opt = parse_args(argc, argv);
    if (!opt.stop_flag.empty()) return check_kvm();
    const std::string& path = opt.image;
    auto refuse = [&](const std::string& why) { die(path + ": " + why); };

    // ---- validate everything before touching anything -----------------------------------
    const uint64_t mem = opt.mem_mib << 20;
    auto checked = unikit::tender_image::check(path, "hvt", "monitor", mem, opt.devices);
    if (!checked) refuse(checked.error());
    const auto& file = checked->file;
    const auto& img = checked->elf;
    const auto& man = checked->manifest;

    const std::vector<std::string> gargs = opt.guest_argv();
    uint64_t boot_bytes = round_up(sizeof(hvt_boot), 16) + man.devices.size() * sizeof(hvt_device) + 16 +
                          (gargs.size() + 1) * 8;
    for (auto& a : gargs) boot_bytes += a.size() + 1;
    std::vector<LoadSegment> segs;
    for (const auto& s : img.segments)
        if (s.type == unikit::elf::kPtLoad) segs.push_back({s.vaddr, s.memsz, s.flags});
    auto planned = plan(mem, checked->extent.hi, segs, boot_bytes);
    if (!planned) refuse(planned.error());

    // ---- KVM ---------------------------------------------------------------------------------
    Guest g;
    g.layout = std::move(*planned);
    g.timeout_s = opt.timeout_s;
    const Layout& L = g.layout;
    std::string why;
    g.vm.kvm = open_kvm(why);
    if (g.vm.kvm < 0) die(why, 1);
    void* region = ::mmap(nullptr, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) die("cannot map " + std::to_string(opt.mem_mib) + " MiB: " + std::strerror(errno), 1);
    g.mem = static_cast<uint8_t*>(region);
    if (!create_vm(g.vm, g.mem, mem, why)) die(why, 1);

    // ---- load ----------------------------------------------------------------------------------
    for (const auto& s : img.segments) {
        if (s.type != unikit::elf::kPtLoad || s.memsz == 0) continue;
        std::memcpy(g.mem + L.image_base + s.vaddr, file.data() + s.offset, s.filesz);  // the rest stays zero
    }
    g.cr3 = build_page_tables({g.mem, mem}, L);
    build_gdt_tss({g.mem, mem}, HVT_PORT_BASE, HVT_PORT_BASE + HVT_CALL_COUNT);

    // ---- devices -------------------------------------------------------------------------------
    uint8_t entropy[64];
    if (::getrandom(entropy, sizeof entropy, 0) != static_cast<ssize_t>(sizeof entropy))
        die(std::string("cannot read entropy: ") + std::strerror(errno), 1);
    for (const auto& want : man.devices) {  // handles follow the manifest's order
        auto o = unikit::tender_devices::open(
            want, opt.devices, std::span<const uint8_t, 6>(entropy + 32 + 6 * (g.devices.size() % 5), 6), "hvt");
        if (!o) die("device '" + want.name + "': " + o.error());
        Device d;
        std::memcpy(d.info.name, want.name.c_str(), std::min<size_t>(want.name.size(), HVT_DEVICE_NAME_MAX - 1));
        d.info.kind = want.kind;
        d.fd = o->fd;
        if (want.kind == UK_DEV_NET) {
            d.info.mtu = o->mtu;
            std::memcpy(d.info.mac, o->mac.data(), 6);
        } else {
            d.info.block_size = o->block_size;
            d.info.capacity = o->capacity;
        }
        g.devices.push_back(d);
    }

    // ---- boot block (guest addresses) --------------------------------------------------------
    uint8_t* bp = g.mem + L.boot_lo;
    auto* boot = reinterpret_cast<hvt_boot*>(bp);
    uint64_t off = round_up(sizeof(hvt_boot), 16);
    const uint64_t gdevs = L.boot_lo + off;
    for (size_t i = 0; i < g.devices.size(); ++i)
        std::memcpy(bp + off + i * sizeof(hvt_device), &g.devices[i].info, sizeof(hvt_device));
    off = round_up(off + g.devices.size() * sizeof(hvt_device), 16);
    auto* gargv = reinterpret_cast<uint64_t*>(bp + off);
    const uint64_t gargv_addr = L.boot_lo + off;
    off += (gargs.size() + 1) * 8;
    for (size_t i = 0; i < gargs.size(); ++i) {
        std::memcpy(bp + off, gargs[i].c_str(), gargs[i].size() + 1);
        gargv[i] = L.boot_lo + off;
        off += gargs[i].size() + 1;
    }
    gargv[gargs.size()] = 0;
    boot->magic = HVT_BOOT_MAGIC;
    boot->version = HVT_BOOT_VERSION;
    boot->ndevices = static_cast<uint32_t>(g.devices.size());
    boot->devices = reinterpret_cast<const hvt_device*>(gdevs);
    boot->info.argc = static_cast<int>(gargs.size());
    boot->info.argv = reinterpret_cast<const char* const*>(gargv_addr);
    boot->info.heap_start = L.heap_lo;
    boot->info.heap_size = L.heap_hi - L.heap_lo;
    std::memcpy(boot->info.entropy, entropy, 32);
    int khz = ::ioctl(g.vm.vcpu, KVM_GET_TSC_KHZ, 0);
    boot->tsc_khz = khz > 0 ? static_cast<uint64_t>(khz) : 0;
    boot->mem_size = mem;

    if (!setup_vcpu(g.vm, g.cr3, L.image_base + img.entry, L.stack_hi, L.boot_lo, why)) die(why, 1);

    // --timeout: SIGALRM interrupts KVM_RUN (EINTR) or the wait in a yield.
    struct sigaction sa {};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, nullptr);
    if (opt.timeout_s) ::alarm(static_cast<unsigned>(opt.timeout_s));
    std::fflush(stdout);
    run(g);
}
