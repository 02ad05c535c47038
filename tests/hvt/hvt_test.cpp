// The hvt target end to end: the unikit-hvt monitor runs good images in a KVM guest at CPL3,
// reports guest crashes with the faulting address and registers, stops runaway guests, survives
// hostile hypercalls, and refuses bad images (each with its own message, exit 2). The refusals
// need no KVM; everything that runs a guest is skipped, with the reason, when KVM is unusable.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/broken_images.h"
#include "support/process.h"

namespace {

using namespace uktest;  // the process harness shared with the other tender test

const std::string kMonitor = UNIKIT_HVT_MONITOR;
const std::string kImages = UNIKIT_IMAGE_DIR;
const std::string kCheck = kImages + "/hvtcheck.hvt";
const std::string kDev = kImages + "/hvtdev.hvt";

Outcome monitor(std::vector<std::string> args) {
    args.insert(args.begin(), kMonitor);
    return run(std::move(args));
}

// Empty when KVM is usable here, else why not (asked once, from the monitor itself).
const std::string& kvm_unusable() {
    static const std::string why = [] {
        Outcome r = monitor({"--check-kvm"});
        if (r.exited(0)) return std::string();
        return r.err.empty() ? std::string("unikit-hvt --check-kvm failed") : r.err;
    }();
    return why;
}

#define NEED_KVM()                                                                       \
    do {                                                                                 \
        if (!kvm_unusable().empty()) GTEST_SKIP() << "KVM not usable: " << kvm_unusable(); \
    } while (0)

std::string write_image(const std::string& tag, const std::vector<uint8_t>& bytes) {
    return uktest::write_temp(tag + ".hvt", bytes);
}

void expect_refused(const std::string& tag, const std::vector<uint8_t>& bytes, const std::string& msg) {
    std::string p = write_image(tag, bytes);
    Outcome r = monitor({p});
    unlink(p.c_str());
    EXPECT_TRUE(r.exited(2)) << tag << ": " << r.describe();
    EXPECT_NE(std::string::npos, r.err.find("unikit-hvt: error: " + p + ": " + msg)) << tag << ": " << r.describe();
    EXPECT_EQ(1, std::count(r.err.begin(), r.err.end(), '\n')) << tag << ": " << r.describe();
    EXPECT_EQ("", r.out);
}

// Runs the monitor on every broken copy of the check image of one kind (support/broken_images.h).
void expect_all_refused(uktest::Breakage kind) {
    auto cases = uktest::broken_images(kind, read_bytes(kCheck), "hvt", "spt", "monitor");
    ASSERT_FALSE(cases.empty()) << kCheck << " does not have the shape of a check image";
    for (const auto& c : cases) expect_refused(c.tag, c.bytes, c.message);
}

// A crash report: the reason, then rip/rsp/cr2 and a register dump.
void expect_crash_report(const Outcome& r, const std::string& reason) {
    EXPECT_TRUE(has(r.err, reason)) << r.describe();
    EXPECT_TRUE(has(r.err, "unikit-hvt:   rip 0x")) << r.describe();
    EXPECT_TRUE(has(r.err, " rsp 0x")) << r.describe();
    EXPECT_TRUE(has(r.err, " cr2 ")) << r.describe();
    EXPECT_TRUE(has(r.err, "rax ")) << r.describe();
    EXPECT_TRUE(has(r.err, "r15 ")) << r.describe();
}

// ---- running guests --------------------------------------------------------------------------

TEST(Hvt, SelfChecksPassInTheGuest) {
    NEED_KVM();
    Outcome r = monitor({"--timeout", "30", kCheck, "ok"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("hvtcheck: ok\n", r.out);
    EXPECT_EQ("", r.err);
}

TEST(Hvt, ArgumentsReachTheApp) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "--", "args", "one", "two words"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ(kCheck + "\nargs\none\ntwo words\n", r.out);
}

TEST(Hvt, ExitStatusIsTheApps) {
    NEED_KVM();
    for (int code : {0, 1, 7, 255}) {
        Outcome r = monitor({kCheck, "exit", std::to_string(code)});
        EXPECT_TRUE(r.exited(code)) << r.describe();
    }
}

TEST(Hvt, ClocksFollowTheHost) {
    NEED_KVM();
    long before = static_cast<long>(time(nullptr));
    Outcome r = monitor({"--timeout", "30", kCheck, "clock"});
    long after = static_cast<long>(time(nullptr));
    ASSERT_TRUE(r.exited(0)) << r.describe();
    long wall = 0, slept = -1;
    ASSERT_EQ(2, std::sscanf(r.out.c_str(), "wall %ld\nslept %ld ms", &wall, &slept)) << r.out;
    EXPECT_GE(wall, before - 1);
    EXPECT_LE(wall, after + 1);
    EXPECT_GE(slept, 50);
    EXPECT_LT(slept, 2000);
}

TEST(Hvt, PanicPrintsOneLineAndExits112) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "panic"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    EXPECT_TRUE(has(r.out, "PANIC at tests/hvt/apps/hvtcheck/main.cpp:")) << r.out;  // repository-relative
    EXPECT_TRUE(has(r.out, ": hvtcheck asked for a panic\n")) << r.out;
}

TEST(Hvt, StackSmashingAndOutOfMemoryPanic) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "smash"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    EXPECT_TRUE(has(r.out, ": stack smashing detected\n")) << r.out;
    r = monitor({kCheck, "oom"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    EXPECT_TRUE(has(r.out, ": out of memory in operator new\n")) << r.out;
    r = monitor({kCheck, "malloc-oom"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("hvtcheck: malloc(1 TiB) = null\n", r.out);
}

TEST(HvtFaults, WriteToCodeIsAPageFault) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "write-code"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
    EXPECT_EQ("hvtcheck: writing to code\n", r.out);
    expect_crash_report(r, "the guest crashed (triple fault): page fault at 0x");
    EXPECT_TRUE(has(r.err, "(write to code (W^X): image code)")) << r.err;
}

TEST(HvtFaults, NullPointer) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "null"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
    expect_crash_report(r, "page fault at 0x0 (address not mapped: the null page)");
}

TEST(HvtFaults, ExecutingDataIsAPageFault) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "exec-data"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
    expect_crash_report(r, "(executing a non-executable page (W^X): the heap)");
}

TEST(HvtFaults, StackOverflowHitsTheGuardPage) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "stack"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
    expect_crash_report(r, "the guard page below the stack (stack overflow?)");
}

TEST(HvtFaults, SystemCallIsReportedAsSuch) {
    NEED_KVM();
    Outcome r = monitor({kCheck, "syscall"});
    // PVM performs the syscall (to MSR_LSTAR, which the monitor points at a trap page);
    // ordinary KVM raises #UD with EFER.SCE clear. Either way the guest ends, reported.
    if (has(r.err, "made a system call")) {
        EXPECT_TRUE(r.signaled(SIGSYS)) << r.describe();
        expect_crash_report(r, "the guest made a system call (syscall at 0x");
    } else {
        EXPECT_TRUE(r.signaled(SIGILL)) << r.describe();
        expect_crash_report(r, "not a page fault");
    }
}

TEST(HvtFaults, InvalidInstructionAndForeignPort) {
    NEED_KVM();
    for (const char* mode : {"ud2", "port"}) {
        Outcome r = monitor({kCheck, mode});
        EXPECT_TRUE(r.signaled(SIGILL)) << mode << ": " << r.describe();
        EXPECT_TRUE(has(r.err, "unikit-hvt: the guest crashed")) << mode << ": " << r.describe();
        EXPECT_TRUE(has(r.err, "rip 0x")) << mode << ": " << r.describe();
    }
}

TEST(HvtFaults, TimeoutStopsALoopingGuest) {
    NEED_KVM();
    Outcome r = monitor({"--timeout", "1", kCheck, "loop"});
    EXPECT_TRUE(r.signaled(SIGALRM)) << r.describe();
    EXPECT_EQ("hvtcheck: looping\n", r.out);
    EXPECT_EQ("unikit-hvt: the guest ran out of time (--timeout 1 s); stopped it\n", r.err);
}

TEST(HvtFaults, TimeoutStopsASleepingGuest) {
    NEED_KVM();
    if (access((kImages + "/hello.hvt").c_str(), R_OK) != 0) GTEST_SKIP() << "no hello.hvt";
    Outcome r = monitor({"--timeout", "1", kImages + "/hello.hvt"});  // hello takes 7 s
    EXPECT_TRUE(r.signaled(SIGALRM)) << r.describe();
    EXPECT_EQ(0u, r.out.rfind("Hello\n", 0)) << r.out;
}

TEST(HvtFaults, HostileHypercallsAreRefused) {
    NEED_KVM();
    Outcome r = monitor({"--timeout", "30", kCheck, "hostile"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("hvtcheck: hostile ok\n", r.out);
    EXPECT_EQ("", r.err);
}

#if defined(UNIKIT_HELLO_HVT)
TEST(Hvt, HelloPrintsTheSameAsOnOtherTargets) {
    NEED_KVM();
    Outcome h = monitor({"--timeout", "30", UNIKIT_HELLO_HVT, "--", "--sleep-ms", "5"});
    EXPECT_TRUE(h.exited(0)) << h.describe();
    EXPECT_EQ("Hello\nWorld\nHello\nWorld\nHello\nWorld\nHello\nWorld\n", h.out);
    EXPECT_EQ("", h.err);
#if defined(UNIKIT_HELLO_UNIX)
    Outcome u = run({UNIKIT_HELLO_UNIX, "--", "--sleep-ms", "5"});
    EXPECT_TRUE(u.exited(0)) << u.describe();
    EXPECT_EQ(u.out, h.out);
#endif
    Outcome b = monitor({UNIKIT_HELLO_HVT, "--", "Bonjour", "Monde", "--sleep-ms", "0"});
    EXPECT_TRUE(b.exited(0)) << b.describe();
    EXPECT_EQ("Bonjour\nMonde\nBonjour\nMonde\nBonjour\nMonde\nBonjour\nMonde\n", b.out);
}
#endif

TEST(Hvt, BlockAndNetDevicesWork) {
    NEED_KVM();
    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/net/tun";
    std::string disk = temp_path("disk");
    {
        std::ofstream f(disk, std::ios::binary);
        f << std::string(8192, '\0');
    }
    std::string tap = "ukhvt" + std::to_string(getpid() % 100000);
    Outcome r = monitor({"--timeout", "30", "--net", "service=tap:" + tap, "--block", "storage=" + disk, kDev});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("hvtdev: mtu 1500 capacity 8192 block 512\n", r.out);
    std::string back = slurp(disk);
    ASSERT_EQ(8192u, back.size());
    EXPECT_EQ(static_cast<char>(7), back[512 + 1]);
    unlink(disk.c_str());
}

// ---- refusals: no KVM needed -----------------------------------------------------------------

TEST(HvtRefuses, MissingFileAndNotElf) {
    Outcome r = monitor({"/nonexistent/image.hvt"});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-hvt: error: /nonexistent/image.hvt: cannot open: No such file or directory\n", r.err);
    expect_all_refused(uktest::Breakage::not_elf);
}

TEST(HvtRefuses, TruncatedImages) { expect_all_refused(uktest::Breakage::truncated); }

TEST(HvtRefuses, CorruptedHeaderAndProgramHeaders) {
    expect_all_refused(uktest::Breakage::elf_header);
    expect_all_refused(uktest::Breakage::program_headers);
}

TEST(HvtRefuses, CorruptedManifest) { expect_all_refused(uktest::Breakage::manifest); }

#if defined(UNIKIT_HELLO_SPT)
TEST(HvtRefuses, SptTargetImage) {
    Outcome r = monitor({UNIKIT_HELLO_SPT});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ(std::string("unikit-hvt: error: ") + UNIKIT_HELLO_SPT + ": built for target spt, not hvt\n", r.err);
}
#endif

#if defined(UNIKIT_HELLO_UNIX)
TEST(HvtRefuses, UnixTargetImage) {
    Outcome r = monitor({UNIKIT_HELLO_UNIX});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ(std::string("unikit-hvt: error: ") + UNIKIT_HELLO_UNIX + ": built for target unix, not hvt\n", r.err);
}
#endif

TEST(HvtRefuses, HostProgramWithoutManifest) {
    Outcome r = monitor({kMonitor});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-hvt: error: " + kMonitor + ": no unikit manifest (not a unikit image?)\n", r.err);
}

TEST(HvtRefuses, DevicesAgainstTheManifest) {
    std::string disk = temp_path("disk2");
    {
        std::ofstream f(disk);
        f << std::string(1024, 'z');
    }
    Outcome r = monitor({"--block", "storage=" + disk, kDev});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-hvt: error: " + kDev + ": missing device 'service' (net): attach it with --net service=tap:IFNAME\n",
              r.err);
    unlink(disk.c_str());
    r = monitor({"--block", "x=/etc/hostname", kCheck});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_TRUE(has(r.err, "unikit-hvt: error: " + kCheck + ": unexpected device 'x'")) << r.err;
}

TEST(HvtRefuses, MemoryTooSmallOrTooLarge) {
    Outcome r = monitor({"--mem", "4", kCheck});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_TRUE(has(r.err, ": --mem 4 MiB is too small for this image")) << r.err;
    r = monitor({"--mem", "8192", kCheck});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_TRUE(has(r.err, "--mem: expected a size in MiB between 4 and 4096")) << r.err;
}

TEST(HvtRefuses, BadUsage) {
    Outcome r = monitor({});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_TRUE(has(r.err, "unikit-hvt: error: no IMAGE given")) << r.err;
    r = monitor({"--frobnicate", kCheck});
    EXPECT_TRUE(r.exited(2));
    EXPECT_TRUE(has(r.err, "unknown option '--frobnicate'")) << r.err;
    r = monitor({"--help"});
    EXPECT_TRUE(r.exited(0));
    EXPECT_TRUE(has(r.out, "usage: unikit-hvt")) << r.out;
}

}  // namespace
