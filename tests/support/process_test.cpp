// The process harness the tender and monitor tests stand on (support/process.h).
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>

#include <unistd.h>

#include "support/process.h"

namespace {

TEST(Process, CapturesOutputAndExitStatus) {
    auto r = uktest::run({"/bin/sh", "-c", "printf 'to out\\n'; printf 'to err' >&2; exit 3"});
    EXPECT_TRUE(r.exited(3)) << r.describe();
    EXPECT_FALSE(r.exited(0));
    EXPECT_FALSE(r.signaled(SIGKILL));
    EXPECT_EQ("to out\n", r.out);
    EXPECT_EQ("to err", r.err);
    EXPECT_EQ("exit 3\n--- stdout:\nto out\n--- stderr:\nto err", r.describe());
    // The capture files are gone.
    EXPECT_NE(0, ::access(uktest::temp_path("out").c_str(), F_OK));
    EXPECT_NE(0, ::access(uktest::temp_path("err").c_str(), F_OK));
}

TEST(Process, ReportsASignal) {
    auto r = uktest::run({"/bin/sh", "-c", "kill -SEGV $$"});
    EXPECT_TRUE(r.signaled(SIGSEGV)) << r.describe();
    EXPECT_FALSE(r.exited(0));
    EXPECT_EQ(0u, r.describe().rfind("signal 11", 0)) << r.describe();
}

TEST(Process, AProgramThatCannotStartExits127) {
    auto r = uktest::run({"/nonexistent/program"});
    EXPECT_TRUE(r.exited(127)) << r.describe();
}

TEST(Process, TempFilesAndBytes) {
    std::vector<uint8_t> bytes(200, 0);
    uktest::poke<uint32_t>(bytes, 8, 0x11223344);
    EXPECT_EQ(0x11223344u, uktest::peek<uint32_t>(bytes, 8));
    std::string p = uktest::write_temp("bytes.bin", bytes);
    EXPECT_TRUE(uktest::has(p, "bytes.bin"));
    EXPECT_EQ(bytes, uktest::read_bytes(p));
    EXPECT_EQ(200u, uktest::slurp(p).size());
    ::unlink(p.c_str());
    EXPECT_EQ("", uktest::slurp(p));
    EXPECT_FALSE(uktest::has("abc", "abd"));
}

TEST(Process, PhdrOfFindsTheNthHeaderOfAType) {
    // An ELF64 header with 3 program headers at offset 64: LOAD, NOTE, LOAD.
    std::vector<uint8_t> elf(64 + 3 * 56, 0);
    uktest::poke<uint64_t>(elf, 32, 64);  // e_phoff
    uktest::poke<uint16_t>(elf, 56, 3);   // e_phnum
    uktest::poke<uint32_t>(elf, 64, 1);
    uktest::poke<uint32_t>(elf, 64 + 56, 4);
    uktest::poke<uint32_t>(elf, 64 + 112, 1);
    EXPECT_EQ(64u, uktest::phdr_of(elf, 1));
    EXPECT_EQ(64u + 112, uktest::phdr_of(elf, 1, 1));
    EXPECT_EQ(64u + 56, uktest::phdr_of(elf, 4));
    EXPECT_EQ(0u, uktest::phdr_of(elf, 1, 2));
    EXPECT_EQ(0u, uktest::phdr_of(elf, 2));
}

}  // namespace
