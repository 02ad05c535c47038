// -p/--publish parsing and probing (tools/netd/forward.h) and the `user,fd=N` device option.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/devargs.h"
#include "netd/forward.h"

using namespace unikit::netd;
using unikit::devargs::parse_net;

TEST(Forward, Forms) {
    auto f = parse_forward("8080:80");
    ASSERT_TRUE(f) << f.error();
    EXPECT_FALSE(f->udp);
    EXPECT_EQ(ip_text(f->host_ip), "127.0.0.1");  // default: loopback only
    EXPECT_EQ(f->host_port, 8080);
    EXPECT_EQ(f->guest_port, 80);
    f = parse_forward("0.0.0.0:5353:53/udp");
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->udp);
    EXPECT_EQ(format_forward(*f), "0.0.0.0:5353->53/udp");
    EXPECT_EQ(spec_of(*parse_forward(spec_of(*f))), spec_of(*f));
    EXPECT_TRUE(parse_forward("1:2/tcp"));
}

TEST(Forward, Errors) {
    EXPECT_NE(parse_forward("8080").error().find("missing ':'"), std::string::npos);
    EXPECT_NE(parse_forward("0:80").error().find("ports must be 1-65535"), std::string::npos);
    EXPECT_NE(parse_forward("8080:70000").error().find("ports must be"), std::string::npos);
    EXPECT_NE(parse_forward("8080:80/sctp").error().find("unknown protocol 'sctp'"), std::string::npos);
    EXPECT_NE(parse_forward("localhost:8080:80").error().find("bad host address 'localhost'"), std::string::npos);
    EXPECT_EQ(parse_forward("x").error().rfind("-p 'x': ", 0), 0u);
}

TEST(Forward, ProbeSeesAPortInUse) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(s, 1), 0);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    Forward f;
    f.host_port = ntohs(a.sin_port);
    f.guest_port = 80;
    auto r = probe_forward(f);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("is already in use"), std::string::npos) << r.error();
    close(s);
    EXPECT_TRUE(probe_forward(f));  // free again
}

TEST(UserDevice, FdOption) {
    auto a = parse_net("service=user,fd=5");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->fd, 5);
    EXPECT_EQ(unikit::devargs::format(*a), "service=user,fd=5");
    EXPECT_EQ(parse_net("user")->fd, -1);
    EXPECT_NE(parse_net("user,fd=1").error().find("bad descriptor"), std::string::npos);
    EXPECT_NE(parse_net("user,fd=x").error().find("bad descriptor"), std::string::npos);
    EXPECT_NE(parse_net("user,bind=1.2.3.4").error().find("known: mac=, fd="), std::string::npos);
}

TEST(UserDevice, AdoptOnlyFrameSockets) {
    EXPECT_NE(unikit::devargs::adopt_frame_socket(-1).error().find("unikit run"), std::string::npos);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    EXPECT_NE(unikit::devargs::adopt_frame_socket(p[0]).error().find("not an inherited frame socket"), std::string::npos);
    close(p[0]);
    close(p[1]);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    EXPECT_NE(unikit::devargs::adopt_frame_socket(p[0]).error().find("not a frame socket"), std::string::npos);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    EXPECT_TRUE(unikit::devargs::adopt_frame_socket(sv[0]));
    for (int fd : {p[0], p[1], sv[0], sv[1]}) close(fd);
}
