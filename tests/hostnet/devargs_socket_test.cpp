// `--net NAME=socket[,bind=A.B.C.D][,map=APP:HOST]...` (tools/common/devargs).
#include <gtest/gtest.h>

#include "common/devargs.h"

using namespace unikit::devargs;

TEST(DevArgsSocket, PlainSocket) {
    auto a = parse_net("service=socket");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->backend, NetBackend::socket);
    EXPECT_EQ(a->bind, "");
    EXPECT_TRUE(a->port_map.empty());
    EXPECT_EQ(format(*a), "service=socket");
}

TEST(DevArgsSocket, BindAndMaps) {
    auto a = parse_net("service=socket,bind=0.0.0.0,map=80:8080,map=443:8443");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->bind, "0.0.0.0");
    ASSERT_EQ(a->port_map.size(), 2u);
    EXPECT_EQ(a->port_map[0], (std::pair<uint16_t, uint16_t>{80, 8080}));
    EXPECT_EQ(a->port_map[1], (std::pair<uint16_t, uint16_t>{443, 8443}));
    EXPECT_EQ(format(*a), "service=socket,bind=0.0.0.0,map=80:8080,map=443:8443");
    EXPECT_EQ(format(parse_net(format(*a)).value()), format(*a));
}

TEST(DevArgsSocket, Errors) {
    EXPECT_NE(parse_net("socket,bind=localhost").error().find("bad bind address 'localhost'"), std::string::npos);
    EXPECT_NE(parse_net("socket,bind=1.2.3.256").error().find("bad bind address"), std::string::npos);
    EXPECT_NE(parse_net("socket,bind=1.2.3").error().find("bad bind address"), std::string::npos);
    EXPECT_NE(parse_net("socket,map=80").error().find("bad port mapping '80'"), std::string::npos);
    EXPECT_NE(parse_net("socket,map=0:80").error().find("bad port mapping"), std::string::npos);
    EXPECT_NE(parse_net("socket,map=80:70000").error().find("bad port mapping"), std::string::npos);
    EXPECT_NE(parse_net("socket,map=80:81,map=80:82").error().find("port 80 is mapped twice"), std::string::npos);
    EXPECT_NE(parse_net("socket,mtu=1").error().find("unknown option 'mtu=1' (known: bind=, map=)"), std::string::npos);
    // Socket options belong to socket only.
    EXPECT_NE(parse_net("tap:x,bind=1.2.3.4").error().find("unknown option 'bind=1.2.3.4' (known: mac=)"),
              std::string::npos);
}

TEST(DevArgsSocket, ParseIpv4) {
    auto a = parse_ipv4("10.0.2.15");
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, (std::array<uint8_t, 4>{10, 0, 2, 15}));
    EXPECT_FALSE(parse_ipv4(""));
    EXPECT_FALSE(parse_ipv4("1.2.3.4.5"));
    EXPECT_FALSE(parse_ipv4("1.2.3.4 "));
    EXPECT_FALSE(parse_ipv4("1..3.4"));
}
