// The virtio runner's pieces (tools/unikit/qemu.*), without QEMU: the command line it builds,
// how it quotes arguments (checked against the kernel's own parser), and how it maps QEMU's end
// back to the image's exit status.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <unikit/platform.h>

#include "platforms/virtio/kernel/cmdline.h"
#include "unikit/qemu.h"

namespace {

using unikit::cli::QemuOptions;
using unikit::devargs::Attachment;

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
    return s;
}

// The value following `flag` each time it occurs.
std::vector<std::string> values_of(const std::vector<std::string>& v, const std::string& flag) {
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < v.size(); ++i)
        if (v[i] == flag) out.push_back(v[i + 1]);
    return out;
}

Attachment net(const std::string& name, const std::string& spec) {
    auto a = unikit::devargs::parse_net(spec);
    EXPECT_TRUE(a.has_value());
    a->name = name;
    return *a;
}
Attachment block(const std::string& name, const std::string& path) {
    auto a = unikit::devargs::parse_block(path);
    EXPECT_TRUE(a.has_value());
    a->name = name;
    return *a;
}

TEST(VirtioRunner, QuotedArgumentsSplitBackExactly) {
    const std::vector<std::string> args = {"plain", "two words", "", "say \"hi\"", "back\\slash", "tab\there",
                                           "--log=net=debug", "trailing\\"};
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + unikit::cli::quote_kernel_arg(a);
    std::vector<char> buf(line.size() + 1);
    std::vector<const char*> argv(64);
    int n = unikit::virtio::split_cmdline(line.c_str(), buf.data(), argv.data(), 64);
    ASSERT_EQ(n, static_cast<int>(args.size())) << line;
    for (int i = 0; i < n; ++i) EXPECT_EQ(argv[i], args[i]) << line;
    EXPECT_EQ(unikit::cli::quote_kernel_arg("plain"), "plain");
}

TEST(VirtioRunner, PciDevicesInTheOrderGivenOnQ35) {
    QemuOptions o;  // q35, tcg, 128 MiB
    std::vector<Attachment> devs = {block("disk", "/tmp/a,b.img"), net("service", "tap:uk0,mac=02:00:00:00:00:01"),
                                    net("admin", "user")};
    auto v = unikit::cli::qemu_command("qemu", "IMG", o, devs, {}, "", "--x \"a b\"", "/dev/fd/9");
    EXPECT_EQ(v[0], "qemu");
    EXPECT_EQ(values_of(v, "-M"), std::vector<std::string>{"q35"});
    EXPECT_EQ(values_of(v, "-cpu"), std::vector<std::string>{"max"});
    EXPECT_EQ(values_of(v, "-m"), std::vector<std::string>{"128M"});
    EXPECT_EQ(values_of(v, "-kernel"), std::vector<std::string>{"IMG"});
    EXPECT_EQ(values_of(v, "-append"), std::vector<std::string>{"--x \"a b\""});
    auto devices = values_of(v, "-device");
    ASSERT_EQ(devices.size(), 5u) << joined(v);
    EXPECT_EQ(devices[0], "isa-debug-exit,iobase=0xf4,iosize=4");
    EXPECT_EQ(devices[1], "isa-debugcon,iobase=0x4f0,chardev=ukstatus");
    EXPECT_EQ(devices[2], "virtio-blk-pci,drive=blk0");
    EXPECT_EQ(devices[3], "virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01");
    EXPECT_EQ(devices[4], "virtio-net-pci,netdev=net1");
    EXPECT_EQ(values_of(v, "-drive"), std::vector<std::string>{"file=/tmp/a,,b.img,if=none,id=blk0,format=raw,cache=writeback"});
    auto netdevs = values_of(v, "-netdev");
    ASSERT_EQ(netdevs.size(), 2u);
    EXPECT_EQ(netdevs[0], "tap,id=net0,ifname=uk0,script=no,downscript=no");
    EXPECT_TRUE(netdevs[1].starts_with("user,id=net1,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3")) << netdevs[1];
    EXPECT_EQ(values_of(v, "-chardev"), std::vector<std::string>{"file,id=ukstatus,path=/dev/fd/9"});
}

TEST(VirtioRunner, MicrovmUsesMmioDevicesForwardsAndPcap) {
    QemuOptions o;
    o.machine = "microvm";
    o.accel = "kvm";
    o.memory_mib = 256;
    auto fw = unikit::netd::parse_forward("8080:80");
    auto fu = unikit::netd::parse_forward("0.0.0.0:5353:53/udp");
    ASSERT_TRUE(fw && fu);
    auto v = unikit::cli::qemu_command("qemu", "IMG", o, {net("service", "user"), block("disk", "/d.img")}, {*fw, *fu},
                                       "/tmp/x.pcap", "", "/dev/fd/9");
    EXPECT_EQ(values_of(v, "-cpu"), std::vector<std::string>{"host"});
    EXPECT_EQ(values_of(v, "-accel"), std::vector<std::string>{"kvm"});
    EXPECT_EQ(values_of(v, "-m"), std::vector<std::string>{"256M"});
    EXPECT_TRUE(values_of(v, "-append").empty()) << "no arguments: no -append";
    auto devices = values_of(v, "-device");
    ASSERT_EQ(devices.size(), 4u);
    EXPECT_EQ(devices[2], "virtio-net-device,netdev=net0");
    EXPECT_EQ(devices[3], "virtio-blk-device,drive=blk0");
    auto nd = values_of(v, "-netdev");
    ASSERT_EQ(nd.size(), 1u);
    EXPECT_NE(nd[0].find(",hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80"), std::string::npos) << nd[0];
    EXPECT_NE(nd[0].find(",hostfwd=udp:0.0.0.0:5353-10.0.2.15:53"), std::string::npos) << nd[0];
    EXPECT_EQ(values_of(v, "-object"), std::vector<std::string>{"filter-dump,id=dumpnet0,netdev=net0,file=/tmp/x.pcap"});
}

// A status file holding `text`, open for reading.
int status_fd(const std::string& text) {
    FILE* f = std::tmpfile();
    std::fputs(text.c_str(), f);
    std::fflush(f);
    return dup(fileno(f));
}

int exited(int code) { return code << 8; }  // a wait status for exit(code)

TEST(VirtioRunner, EndStatusComesFromTheStatusFile) {
    using unikit::cli::qemu_end_status;
    // 200 would come back from QEMU as (200 << 1 | 1) & 255 = 145: the file has the real status.
    int fd = status_fd("SeaBIOS noise\nexit=200\n");
    EXPECT_EQ(qemu_end_status(exited(145), fd), exited(200));
    fd = status_fd("exit=0\n");
    EXPECT_EQ(qemu_end_status(exited(1), fd), exited(0));
    // No file content: the debug-exit code alone.
    fd = status_fd("");
    EXPECT_EQ(qemu_end_status(exited(7), fd), exited(3));
    // QEMU ended with 0: the VM reset or triple-faulted without a status -> abnormal.
    EXPECT_EQ(qemu_end_status(exited(0), fd), exited(UK_EXIT_ABORT));
    // QEMU's own failure (exit 1, nothing written): kept.
    EXPECT_EQ(qemu_end_status(exited(1), fd), exited(1));
    // QEMU's clean exit on a stop signal: reported as that signal (no "abnormal" note).
    EXPECT_EQ(qemu_end_status(exited(0), fd, SIGTERM), SIGTERM);
    EXPECT_EQ(qemu_end_status(exited(0), fd, SIGINT), SIGINT);
    // Killed: passed through for report_end.
    EXPECT_EQ(qemu_end_status(SIGTERM, fd), SIGTERM);
}

}  // namespace
