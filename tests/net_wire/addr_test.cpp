#include "net/wire/addr.h"

#include <gtest/gtest.h>

using namespace unikit::net::wire;

TEST(MacAddr, Classification) {
    EXPECT_TRUE(MacAddr::broadcast().is_broadcast());
    EXPECT_TRUE(MacAddr::broadcast().is_multicast());
    EXPECT_FALSE(MacAddr::broadcast().is_unicast());
    MacAddr mc{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};
    EXPECT_TRUE(mc.is_multicast());
    EXPECT_FALSE(mc.is_broadcast());
    MacAddr uc{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
    EXPECT_TRUE(uc.is_unicast());
    EXPECT_TRUE(uc.is_local());
    EXPECT_FALSE(MacAddr::zero().is_unicast());
}

TEST(MacAddr, TextRoundTrip) {
    MacAddr uc{{0x52, 0x54, 0x00, 0x12, 0xab, 0xcd}};
    EXPECT_EQ(uc.to_text().view(), "52:54:00:12:ab:cd");
    EXPECT_EQ(MacAddr::parse("52:54:00:12:AB:cd"), uc);
    EXPECT_EQ(MacAddr::parse("52-54-00-12-ab-cd"), uc);
    EXPECT_FALSE(MacAddr::parse("52:54:00:12:ab"));
    EXPECT_FALSE(MacAddr::parse("52:54:00:12:ab:cg"));
    EXPECT_FALSE(MacAddr::parse("52:54:00:12:ab:cd:"));
    static_assert(MacAddr::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
}

TEST(Ipv4Addr, ParseAndFormat) {
    EXPECT_EQ(Ipv4Addr::parse("10.0.2.15"), (Ipv4Addr{10, 0, 2, 15}));
    EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
    EXPECT_EQ(Ipv4Addr::parse("0.0.0.0"), Ipv4Addr::any());
    for (const char* bad : {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1", "1..2.3", "01.2.3.4",
                            "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.1000", "a.b.c.d", "1.2.3.4/24"}) {
        EXPECT_FALSE(Ipv4Addr::parse(bad)) << bad;
    }
    EXPECT_EQ(Ipv4Addr(192, 168, 100, 7).to_text().view(), "192.168.100.7");
    EXPECT_EQ(Ipv4Addr(0, 10, 255, 1).to_text().view(), "0.10.255.1");
    static_assert(Ipv4Addr::parse("1.2.3.4")->to_u32() == 0x01020304);
}

TEST(Ipv4Addr, HostOrderAndClasses) {
    Ipv4Addr a = Ipv4Addr::from_u32(0x0a000201);
    EXPECT_EQ(a, (Ipv4Addr{10, 0, 2, 1}));
    EXPECT_EQ(a.to_u32(), 0x0a000201u);
    EXPECT_TRUE(Ipv4Addr(224, 0, 0, 251).is_multicast());
    EXPECT_TRUE(Ipv4Addr(127, 1, 2, 3).is_loopback());
    EXPECT_TRUE(Ipv4Addr(169, 254, 1, 1).is_link_local());
    EXPECT_TRUE(Ipv4Addr::any().is_unspecified());
    EXPECT_TRUE(a.is_unicast());
    EXPECT_LT(Ipv4Addr(10, 0, 0, 1), Ipv4Addr(10, 0, 0, 2));
}

TEST(Ipv4Cidr, Basics) {
    auto c = Ipv4Cidr::parse("10.0.2.15/24");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->address(), (Ipv4Addr{10, 0, 2, 15}));
    EXPECT_EQ(c->prefix_len(), 24);
    EXPECT_EQ(c->netmask(), (Ipv4Addr{255, 255, 255, 0}));
    EXPECT_EQ(c->network(), (Ipv4Addr{10, 0, 2, 0}));
    EXPECT_EQ(c->broadcast(), (Ipv4Addr{10, 0, 2, 255}));
    EXPECT_TRUE(c->contains(Ipv4Addr{10, 0, 2, 200}));
    EXPECT_FALSE(c->contains(Ipv4Addr{10, 0, 3, 1}));
    EXPECT_EQ(c->to_text().view(), "10.0.2.15/24");
    auto all = Ipv4Cidr::make(Ipv4Addr{1, 2, 3, 4}, 0);
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->contains(Ipv4Addr{200, 1, 1, 1}));
    EXPECT_EQ(all->netmask(), Ipv4Addr::any());
    auto host = Ipv4Cidr::make(Ipv4Addr{1, 2, 3, 4}, 32);
    EXPECT_TRUE(host->contains(Ipv4Addr{1, 2, 3, 4}));
    EXPECT_FALSE(host->contains(Ipv4Addr{1, 2, 3, 5}));
    EXPECT_FALSE(Ipv4Cidr::make(Ipv4Addr{}, 33));
    for (const char* bad : {"10.0.2.15", "10.0.2.15/", "10.0.2.15/33", "10.0.2.15/08", "10.0.2/8", "1.2.3.4/2x"})
        EXPECT_FALSE(Ipv4Cidr::parse(bad)) << bad;
}

TEST(Ipv4Cidr, PrefixFromNetmask) {
    EXPECT_EQ(Ipv4Cidr::prefix_from_netmask(Ipv4Addr{255, 255, 255, 0}), 24);
    EXPECT_EQ(Ipv4Cidr::prefix_from_netmask(Ipv4Addr{255, 255, 255, 255}), 32);
    EXPECT_EQ(Ipv4Cidr::prefix_from_netmask(Ipv4Addr{0, 0, 0, 0}), 0);
    EXPECT_EQ(Ipv4Cidr::prefix_from_netmask(Ipv4Addr{255, 128, 0, 0}), 9);
    EXPECT_FALSE(Ipv4Cidr::prefix_from_netmask(Ipv4Addr{255, 0, 255, 0}));
}
