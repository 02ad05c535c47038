// Images booted in QEMU through `unikit run --target virtio` (TCG): console output, exit
// statuses, fault reports, the clocks, an idle VM's CPU use, --timeout, and the refusals of
// images that are not bootable virtio images. Skipped when qemu-system-x86_64 is not installed.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

const std::string kUnikit = UNIKIT_CLI;
const std::string kImages = UNIKIT_IMAGE_DIR;
const std::string kHello = kImages + "/hello.virtio";
const std::string kCheck = kImages + "/virtiocheck.virtio";

struct Result {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
    double cpu_s = 0;  // CPU time of the whole run (unikit, QEMU), user + system
};

bool have_qemu() {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    std::string d;
    while (std::getline(ss, d, ':'))
        if (access((d + "/qemu-system-x86_64").c_str(), X_OK) == 0) return true;
    return false;
}

// Run argv with stdin from /dev/null, collecting stdout and stderr; killed after `limit_s`.
Result run(const std::vector<std::string>& argv, int limit_s = 60) {
    int o[2], e[2];
    if (pipe(o) != 0 || pipe(e) != 0) std::abort();
    rusage before{};
    getrusage(RUSAGE_CHILDREN, &before);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        close(o[0]);
        close(e[0]);
        setenv("UNIKIT_BUILD_DIR", UNIKIT_BUILD_DIR, 1);
        std::vector<char*> v;
        for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
        v.push_back(nullptr);
        execv(v[0], v.data());
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    Result r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limit_s);
    bool open_o = true, open_e = true, killed = false;
    while (open_o || open_e) {
        pollfd p[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now()).count());
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        if (poll(p, 2, left > 0 ? left : 100) < 0 && errno != EINTR) break;
        char buf[4096];
        for (int i = 0; i < 2; ++i) {
            if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n > 0) (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
            else (i == 0 ? open_o : open_e) = false;
        }
    }
    close(o[0]);
    close(e[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    rusage after{};
    getrusage(RUSAGE_CHILDREN, &after);
    auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    r.cpu_s = secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (killed) ADD_FAILURE() << "killed after " << limit_s << " s: " << argv[0];
    return r;
}

Result unikit_run(const std::string& image, std::vector<std::string> extra, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {kUnikit, "run", "--target", "virtio", image, "--timeout", "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!args.empty()) {
        argv.push_back("--");
        argv.insert(argv.end(), args.begin(), args.end());
    }
    return run(argv, 90);
}

class Virtio : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_qemu()) GTEST_SKIP() << "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)";
    }
};

class VirtioMachine : public Virtio, public ::testing::WithParamInterface<const char*> {};

std::string expected_hello() {
#ifdef UNIKIT_HELLO_UNIX
    Result u = run({UNIKIT_HELLO_UNIX, "--", "--sleep-ms", "10"});
    EXPECT_EQ(u.status, 0) << u.err;
    return u.out;
#else
    return "Hello\nWorld\nHello\nWorld\nHello\nWorld\nHello\nWorld\n";
#endif
}

TEST_P(VirtioMachine, HelloPrintsWhatUnixPrints) {
    const std::string want = expected_hello();
    ASSERT_EQ(std::count(want.begin(), want.end(), '\n'), 8) << want;
    Result r = unikit_run(kHello, {"--machine", GetParam()}, {"--sleep-ms", "10"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, want) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST_P(VirtioMachine, SelfChecks) {
    Result r = unikit_run(kCheck, {"--machine", GetParam()}, {"ok"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "virtiocheck: ok\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(Machines, VirtioMachine, ::testing::Values("q35", "pc", "microvm"));

TEST_F(Virtio, HeapUsesRamAbove4GiB) {
    // q35 with 6 GiB: 2 GiB below the PCI hole, 4 GiB above 4 GiB. A 3 GiB block fits only if the
    // heap is the range above 4 GiB. (TCG allocates guest memory lazily; two pages are touched.)
    Result r = unikit_run(kCheck, {"--memory", "6144"}, {"malloc", "3072"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "malloc ok\n");
    Result small = unikit_run(kCheck, {"--memory", "64"}, {"malloc", "48"});
    EXPECT_EQ(small.status, 0) << small.out << small.err;
}

TEST_F(Virtio, ExitStatusIsTheImages) {
    for (int s : {0, 1, 3, 112, 127, 128, 200, 255}) {
        Result r = unikit_run(kCheck, {}, {"exit", std::to_string(s)});
        EXPECT_EQ(r.status, s) << r.out << r.err;
    }
}

TEST_F(Virtio, ArgumentsSurviveTheKernelCommandLine) {
    Result r = unikit_run(kCheck, {"--machine", "microvm"}, {"bracket", "a", "le monde", "say \"hi\"", "back\\slash", ""});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "[bracket]\n[a]\n[le monde]\n[say \"hi\"]\n[back\\slash]\n[]\n");
    Result plain = unikit_run(kCheck, {}, {"args", "x", "y z"});
    EXPECT_EQ(plain.out, "virtiocheck\nargs\nx\ny z\n") << "argv[0] is the app name";
    Result bad = run({kUnikit, "run", kCheck, "--", "args", "virtio_mmio.device=1"});
    EXPECT_EQ(bad.status, 2);
    EXPECT_NE(bad.err.find("belong to the virtio kernel"), std::string::npos) << bad.err;
}

TEST_F(Virtio, RuntimeFailuresAreAbnormal) {
    Result smash = unikit_run(kCheck, {}, {"smash"});
    EXPECT_EQ(smash.status, 112);
    EXPECT_NE(smash.out.find("stack smashing detected"), std::string::npos) << smash.out;
    Result oom = unikit_run(kCheck, {}, {"oom"});
    EXPECT_EQ(oom.status, 112);
    EXPECT_NE(oom.out.find("PANIC at "), std::string::npos) << oom.out;
    Result moom = unikit_run(kCheck, {}, {"malloc-oom"});
    EXPECT_EQ(moom.status, 0);
    EXPECT_EQ(moom.out, "virtiocheck: malloc(1 TiB) = null\n");
}

TEST_F(Virtio, PanicIsAbnormal) {
    Result r = unikit_run(kCheck, {}, {"panic"});
    EXPECT_EQ(r.status, 112);
    EXPECT_NE(r.out.find("PANIC at "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("virtiocheck asked for a panic"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("ended abnormally"), std::string::npos) << r.err;
}

struct Fault {
    const char* mode;
    const char* exception;
    const char* cause;
};

void PrintTo(const Fault& f, std::ostream* os) { *os << f.mode; }

class VirtioFault : public Virtio, public ::testing::WithParamInterface<Fault> {};

TEST_P(VirtioFault, IsReportedAndAbnormal) {
    const Fault f = GetParam();
    Result r = unikit_run(kCheck, {}, {f.mode});
    EXPECT_EQ(r.status, 112) << r.out << r.err;
    EXPECT_NE(r.out.find(std::string("EXCEPTION: ") + f.exception), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::string("cause: ") + f.cause), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(", RIP 0x"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  rax 0x"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("ended abnormally"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, VirtioFault,
    ::testing::Values(Fault{"write-code", "page fault (#PF), vector 14", "write to read-only memory"},
                      Fault{"null", "page fault (#PF), vector 14", "NULL pointer dereference"},
                      Fault{"exec-data", "page fault (#PF), vector 14", "instruction fetch from non-executable"},
                      Fault{"div0", "divide error (#DE), vector 0", "integer division by zero"},
                      Fault{"stack", "page fault (#PF), vector 14", "stack overflow"}),
    [](const auto& info) {
        std::string n = info.param.mode;
        for (char& c : n)
            if (c == '-') c = '_';
        return n;
    });

TEST_F(Virtio, NullFaultNamesAddressZero) {
    Result r = unikit_run(kCheck, {}, {"null"});
    EXPECT_NE(r.out.find("CR2 0x0000000000000000"), std::string::npos) << r.out;
}

class VirtioClock : public Virtio, public ::testing::WithParamInterface<const char*> {};

TEST_P(VirtioClock, IsSane) {
    Result r = unikit_run(kCheck, {"--machine", GetParam()}, {"clock"});
    ASSERT_EQ(r.status, 0) << r.err;
    long slept_ms = -1, wall = -1;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("slept ")) slept_ms = std::atol(line.c_str() + 6);
        if (line.starts_with("wall ")) wall = std::atol(line.c_str() + 5);
    }
    // Correctness, not speed: a 1 s sleep is seen as about 1 s (wide bounds for a loaded host),
    // and the wall clock (CMOS RTC at boot) agrees with the host's.
    EXPECT_GE(slept_ms, 1000) << r.out;
    EXPECT_LE(slept_ms, 3000) << r.out;
    long host = static_cast<long>(std::time(nullptr));
    EXPECT_LE(std::labs(host - wall), 5) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Machines, VirtioClock, ::testing::Values("q35", "microvm"));

TEST_F(Virtio, InspectShowsThePvhEntry) {
    Result r = run({kUnikit, "inspect", kHello});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("target:   virtio\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("format:   ELF64 x86-64, static executable\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("boot:     PVH (Xen ELF note), entry 0x"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("loaded at 0x100000"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("warning:"), std::string::npos) << r.out;
}

// The kernel's fallbacks, booted by QEMU directly: the qemu64 CPU model has no RDRAND/RDSEED
// (TSC-jitter entropy) and no TSC-deadline (the LAPIC timer runs one-shot, as everywhere on TCG).
// Exit code (status << 1) | 1 comes from isa-debug-exit.
TEST_F(Virtio, JitterEntropyAndOneShotTimerOnQemu64) {
    auto qemu = [](const std::string& args) {
        return run({"/bin/sh", "-c",
                    "exec qemu-system-x86_64 -M q35 -cpu qemu64 -m 64M -nodefaults -display none -no-reboot "
                    "-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel " + kCheck + " -append '" +
                        args + "'"});
    };
    Result ok = qemu("ok");
    EXPECT_EQ(ok.status, 1) << ok.out << ok.err;  // status 0
    EXPECT_EQ(ok.out, "virtiocheck: ok\n");
    Result clock = qemu("clock");
    EXPECT_EQ(clock.status, 1) << clock.out << clock.err;
    long slept_ms = -1;
    if (auto at = clock.out.find("slept "); at != std::string::npos) slept_ms = std::atol(clock.out.c_str() + at + 6);
    EXPECT_GE(slept_ms, 1000) << clock.out;
    EXPECT_LE(slept_ms, 3000) << clock.out;
    Result three = qemu("exit 3");
    EXPECT_EQ(three.status, 7) << three.out;  // (3 << 1) | 1
}

TEST_F(Virtio, IdleVmDoesNotSpin) {
    Result r = unikit_run(kCheck, {}, {"idle"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "virtiocheck: idle done\n");
    // 3 s asleep in `sti; hlt`: a spinning guest would burn ~3 s of CPU. Boot and QEMU start-up
    // take a fraction of a second.
    EXPECT_LT(r.cpu_s, 1.5) << "CPU seconds for a 3 s idle run";
}

TEST_F(Virtio, TimeoutStopsQemu) {
    Result r = run({kUnikit, "run", "--target", "virtio", kCheck, "--timeout", "2", "--", "loop"}, 30);
    EXPECT_EQ(r.status, 124) << r.err;
    EXPECT_NE(r.err.find("timed out after 2 s"), std::string::npos) << r.err;
}

// ---- the runner's network: QEMU user net with -p and --pcap (echo.virtio, the drivers) -----------

uint16_t free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

// Connect to 127.0.0.1:port, send `line`, return what comes back (one read, 5 s at most).
std::string echo_once(uint16_t port, const std::string& line) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string got;
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && write(s, line.data(), line.size()) == ssize_t(line.size())) {
        pollfd p{s, POLLIN, 0};
        char buf[256];
        if (poll(&p, 1, 5000) == 1) {
            ssize_t n = read(s, buf, sizeof buf);
            if (n > 0) got.assign(buf, static_cast<size_t>(n));
        }
    }
    close(s);
    return got;
}

class VirtioNet : public Virtio, public ::testing::WithParamInterface<const char*> {};

TEST_P(VirtioNet, EchoThroughPublishedPortWithPcap) {
    const std::string echo = kImages + "/echo.virtio";
    if (access(echo.c_str(), R_OK) != 0) GTEST_SKIP() << "no echo.virtio in " << kImages;
    const uint16_t port = free_port();
    const std::string pcap = ::testing::TempDir() + "/virtio-echo-" + GetParam() + ".pcap";
    unlink(pcap.c_str());
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        setenv("UNIKIT_BUILD_DIR", UNIKIT_BUILD_DIR, 1);
        execl(kUnikit.c_str(), kUnikit.c_str(), "run", echo.c_str(), "--machine", GetParam(), "-p",
              (std::to_string(port) + ":7").c_str(), "--pcap", pcap.c_str(), "--timeout", "60", nullptr);
        _exit(127);
    }
    // QEMU's hostfwd accepts before the guest listens: retry until the echo comes back (30 s).
    std::string got;
    for (int i = 0; i < 60 && got.empty(); ++i) {
        got = echo_once(port, "ping virtio\n");
        if (got.empty()) usleep(500000);
    }
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_EQ(got, "ping virtio\n");
    std::ifstream f(pcap, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_GE(bytes.size(), 24u + 16u) << "pcap " << pcap;
    EXPECT_EQ(bytes.substr(0, 4), std::string("\xd4\xc3\xb2\xa1", 4)) << "pcap magic";
}

INSTANTIATE_TEST_SUITE_P(Machines, VirtioNet, ::testing::Values("q35", "microvm"));

// ---- refusals --------------------------------------------------------------------------------

std::string temp_copy(const std::string& from, const std::string& name) {
    std::ifstream in(from, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

void patch(const std::string& path, const std::string& from, const std::string& to) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    size_t at = bytes.find(from);
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, to.size(), to);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Without QEMU (an empty PATH): `unikit targets` says what to install, `unikit run` refuses.
TEST(VirtioWithoutQemu, TargetsAndRunSayWhatToInstall) {
    Result t = run({"/usr/bin/env", "PATH=/nonexistent", "UNIKIT_QEMU=", kUnikit, "targets"});
    EXPECT_EQ(t.status, 0) << t.err;
    EXPECT_NE(t.out.find("virtio   unavailable"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("needs qemu-system-x86_64 (install the Debian package qemu-system-x86"), std::string::npos)
        << t.out;
    Result r = run({"/usr/bin/env", "PATH=/nonexistent", "UNIKIT_QEMU=", kUnikit, "run", kHello});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("target virtio needs qemu-system-x86_64: install the Debian package qemu-system-x86"),
              std::string::npos)
        << r.err;
}

TEST_F(Virtio, RefusesAFileThatIsNotElf) {
    std::string p = ::testing::TempDir() + "/not-elf.virtio";
    std::ofstream(p) << "hello, I am text\n";
    Result r = run({kUnikit, "run", "--target", "virtio", p});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not an ELF file"), std::string::npos) << r.err;
}

TEST_F(Virtio, RefusesAnImageWithoutPvhNote) {
    std::string p = temp_copy(kHello, "nopvh.virtio");
    // The Xen note header: namesz 4, descsz 8, type 18 (PHYS32_ENTRY), "Xen": make it type 19.
    patch(p, std::string("\x04\0\0\0\x08\0\0\0\x12\0\0\0Xen\0", 16), std::string("\x04\0\0\0\x08\0\0\0\x13", 9));
    Result r = run({kUnikit, "run", "--target", "virtio", p});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("no PVH entry note"), std::string::npos) << r.err;
}

TEST_F(Virtio, RefusesAnImageForAnotherTarget) {
    std::string p = temp_copy(kHello, "other.virtio");
    patch(p, std::string("virtio\0\0", 8), std::string("spt\0\0\0\0\0", 8));
    Result r = run({kUnikit, "run", "--target", "virtio", p});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("was built for target spt, not virtio"), std::string::npos) << r.err;
}

TEST_F(Virtio, MachineFlagsAreForVirtioOnly) {
    Result r = run({kUnikit, "run", kHello, "--machine", "sun4m"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--machine 'sun4m': expected q35, pc or microvm"), std::string::npos) << r.err;
    Result m = run({kUnikit, "run", kHello, "--memory", "8"});
    EXPECT_EQ(m.status, 2);
    EXPECT_NE(m.err.find("--memory '8'"), std::string::npos) << m.err;
}

}  // namespace
