// The spt target end to end: the unikit-spt tender runs good images, refuses bad ones (each with
// its own message, exit 2, never a crash), the sandbox kills forbidden system calls, and the
// runtime's panics end an image with a clear line and status 112.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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

const std::string kTender = UNIKIT_SPT_TENDER;
const std::string kImages = UNIKIT_IMAGE_DIR;
const std::string kCheck = kImages + "/sptcheck.spt";
const std::string kDev = kImages + "/sptdev.spt";

Outcome tender(std::vector<std::string> args) {
    args.insert(args.begin(), kTender);
    return run(std::move(args));
}

// Writes a modified copy of an image and returns its path.
std::string write_image(const std::string& tag, const std::vector<uint8_t>& bytes) {
    return uktest::write_temp(tag + ".spt", bytes);
}

// Runs the tender on a modified image; expects exit 2 and `msg` in the one-line error.
void expect_refused(const std::string& tag, const std::vector<uint8_t>& bytes, const std::string& msg) {
    std::string p = write_image(tag, bytes);
    Outcome r = tender({p});
    unlink(p.c_str());
    EXPECT_TRUE(r.exited(2)) << tag << ": " << r.describe();
    EXPECT_NE(std::string::npos, r.err.find("unikit-spt: error: " + p + ": " + msg)) << tag << ": " << r.describe();
    EXPECT_EQ(std::string::npos, r.err.find("AddressSanitizer")) << r.err;
    EXPECT_EQ("", r.out);
}

// Runs the tender on every broken copy of the check image of one kind (support/broken_images.h).
void expect_all_refused(uktest::Breakage kind) {
    auto cases = uktest::broken_images(kind, read_bytes(kCheck), "spt", "hvt", "tender");
    ASSERT_FALSE(cases.empty()) << kCheck << " does not have the shape of a check image";
    for (const auto& c : cases) expect_refused(c.tag, c.bytes, c.message);
}

// ---- running images -----------------------------------------------------------------------

TEST(Spt, SelfChecksPassInsideTheSandbox) {
    Outcome r = tender({"--timeout", "30", kCheck, "ok"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("sptcheck: ok\n", r.out);
    EXPECT_EQ("", r.err);
}

TEST(Spt, ArgumentsReachTheApp) {
    Outcome r = tender({kCheck, "--", "args", "one", "two words"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ(kCheck + "\nargs\none\ntwo words\n", r.out);
}

TEST(Spt, ExitStatusIsTheApps) {
    for (int code : {0, 1, 7, 255}) {
        Outcome r = tender({kCheck, "exit", std::to_string(code)});
        EXPECT_TRUE(r.exited(code)) << r.describe();
    }
}

TEST(Spt, ForbiddenSyscallIsKilledBySigsys) {
    Outcome r = tender({"--timeout", "30", kCheck, "syscall"});
    EXPECT_TRUE(r.signaled(SIGSYS)) << r.describe();
    EXPECT_EQ("sptcheck: calling open()\n", r.out);  // and nothing after
}

TEST(Spt, PanicPrintsOneLineAndExits112) {
    Outcome r = tender({kCheck, "panic"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    // The path is relative to the repository (cmake/unikit.cmake: -fmacro-prefix-map).
    EXPECT_NE(std::string::npos, r.out.find("PANIC at tests/spt/apps/sptcheck/main.cpp:")) << r.out;
    EXPECT_NE(std::string::npos, r.out.find(": sptcheck asked for a panic\n")) << r.out;
}

TEST(Spt, StackSmashingIsCaught) {
    Outcome r = tender({kCheck, "smash"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    EXPECT_NE(std::string::npos, r.out.find("PANIC at ")) << r.out;
    EXPECT_NE(std::string::npos, r.out.find(": stack smashing detected\n")) << r.out;
}

TEST(Spt, OperatorNewOutOfMemoryPanics) {
    Outcome r = tender({kCheck, "oom"});
    EXPECT_TRUE(r.exited(112)) << r.describe();
    EXPECT_NE(std::string::npos, r.out.find(": out of memory in operator new\n")) << r.out;
}

TEST(Spt, MallocOutOfMemoryReturnsNull) {
    Outcome r = tender({kCheck, "malloc-oom"});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("sptcheck: malloc(1 TiB) = null\n", r.out);
}

TEST(Spt, CodeIsNotWritable) {
    Outcome r = tender({kCheck, "segv"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
}

TEST(Spt, TimeoutKillsTheImage) {
    if (access((kImages + "/hello.spt").c_str(), R_OK) != 0) GTEST_SKIP() << "no hello.spt";
    Outcome r = tender({"--timeout", "1", kImages + "/hello.spt"});  // hello takes 7 s
    EXPECT_TRUE(r.signaled(SIGALRM)) << r.describe();
    EXPECT_EQ(0u, r.out.rfind("Hello\n", 0)) << r.out;
}

#ifdef UNIKIT_HELLO_UNIX
TEST(Spt, HelloPrintsTheSameAsOnUnix) {
    Outcome s = tender({"--timeout", "30", kImages + "/hello.spt", "--", "--sleep-ms", "5"});
    Outcome u = run({UNIKIT_HELLO_UNIX, "--", "--sleep-ms", "5"});
    EXPECT_TRUE(s.exited(0)) << s.describe();
    EXPECT_TRUE(u.exited(0)) << u.describe();
    EXPECT_EQ("Hello\nWorld\nHello\nWorld\nHello\nWorld\nHello\nWorld\n", s.out);
    EXPECT_EQ(u.out, s.out);
}
#endif

TEST(Spt, BlockAndNetDevicesWork) {
    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/net/tun";
    std::string disk = temp_path("disk");
    {
        std::ofstream f(disk, std::ios::binary);
        std::string zeros(8192, '\0');
        f << zeros;
    }
    std::string tap = "ukspt" + std::to_string(getpid() % 100000);
    Outcome r = tender({"--timeout", "30", "--net", "service=tap:" + tap, "--block", "storage=" + disk, kDev});
    EXPECT_TRUE(r.exited(0)) << r.describe();
    EXPECT_EQ("sptdev: mtu 1500 capacity 8192 block 512\n", r.out);
    std::string back = slurp(disk);
    ASSERT_EQ(8192u, back.size());
    EXPECT_EQ(static_cast<char>(7), back[512 + 1]);  // the pattern written at block 1
    unlink(disk.c_str());
}

// ---- refusals: each with its own message, exit 2 ---------------------------------------------

TEST(SptRefuses, MissingFile) {
    Outcome r = tender({"/nonexistent/image.spt"});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-spt: error: /nonexistent/image.spt: cannot open: No such file or directory\n", r.err);
}

TEST(SptRefuses, Directory) {
    Outcome r = tender({kImages});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_NE(std::string::npos, r.err.find(": not a regular file")) << r.err;
}

TEST(SptRefuses, NotAnElfFile) { expect_all_refused(uktest::Breakage::not_elf); }

TEST(SptRefuses, TruncatedImages) { expect_all_refused(uktest::Breakage::truncated); }

TEST(SptRefuses, CorruptedElfHeader) { expect_all_refused(uktest::Breakage::elf_header); }

TEST(SptRefuses, CorruptedProgramHeaders) { expect_all_refused(uktest::Breakage::program_headers); }

TEST(SptRefuses, CorruptedManifest) { expect_all_refused(uktest::Breakage::manifest); }

TEST(SptRefuses, HostProgramWithoutManifest) {
    Outcome r = tender({kTender});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-spt: error: " + kTender + ": no unikit manifest (not a unikit image?)\n", r.err);
}

#ifdef UNIKIT_HELLO_UNIX
TEST(SptRefuses, UnixTargetImage) {
    Outcome r = tender({UNIKIT_HELLO_UNIX});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ(std::string("unikit-spt: error: ") + UNIKIT_HELLO_UNIX + ": built for target unix, not spt\n", r.err);
}
#endif

TEST(SptRefuses, MissingDevice) {
    std::string disk = temp_path("disk2");
    { std::ofstream f(disk); f << std::string(1024, 'z'); }
    Outcome r = tender({"--block", "storage=" + disk, kDev});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_EQ("unikit-spt: error: " + kDev + ": missing device 'service' (net): attach it with --net service=tap:IFNAME\n",
              r.err);
    unlink(disk.c_str());
}

TEST(SptRefuses, UnexpectedDevice) {
    Outcome r = tender({"--block", "x=/etc/hostname", kCheck});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_NE(std::string::npos, r.err.find("unikit-spt: error: " + kCheck + ": unexpected device 'x'")) << r.err;
    EXPECT_NE(std::string::npos, r.err.find("names no such device")) << r.err;
}

TEST(SptRefuses, MemoryTooSmall) {
    Outcome r = tender({"--mem", "2", kCheck});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_NE(std::string::npos, r.err.find(": --mem 2 MiB is too small for this image")) << r.err;
}

TEST(SptRefuses, BadUsage) {
    Outcome r = tender({});
    EXPECT_TRUE(r.exited(2)) << r.describe();
    EXPECT_NE(std::string::npos, r.err.find("unikit-spt: error: no IMAGE given")) << r.err;
    r = tender({"--mem", "lots", kCheck});
    EXPECT_TRUE(r.exited(2));
    EXPECT_NE(std::string::npos, r.err.find("--mem: expected a size in MiB")) << r.err;
    r = tender({"--frobnicate", kCheck});
    EXPECT_TRUE(r.exited(2));
    EXPECT_NE(std::string::npos, r.err.find("unknown option '--frobnicate'")) << r.err;
    r = tender({"--help"});
    EXPECT_TRUE(r.exited(0));
    EXPECT_NE(std::string::npos, r.out.find("usage: unikit-spt")) << r.out;
}

}  // namespace
