// unikit::net::wire - link and network addresses: MacAddr, Ipv4Addr, Ipv4Cidr.
// Plain values (constexpr, header-only); text parse/format without allocation.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace unikit::net::wire {

// Fixed-capacity text for formatted addresses (no allocation).
template <size_t N>
struct AddrText {
    std::array<char, N> buf{};
    size_t len = 0;
    constexpr std::string_view view() const { return std::string_view(buf.data(), len); }
    constexpr void push(char c) {
        if (len < N) buf[len++] = c;
    }
};

// A 48-bit IEEE 802 MAC address, in wire order.
struct MacAddr {
    std::array<uint8_t, 6> octets{};

    static constexpr MacAddr broadcast() { return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    static constexpr MacAddr zero() { return MacAddr{}; }
    // Reads 6 bytes; the caller guarantees p points at 6 readable bytes.
    static constexpr MacAddr from_bytes(const uint8_t* p) {
        return MacAddr{{p[0], p[1], p[2], p[3], p[4], p[5]}};
    }
    static constexpr std::optional<MacAddr> from_span(std::span<const uint8_t> s) {
        if (s.size() != 6) return std::nullopt;
        return from_bytes(s.data());
    }
    constexpr void write(uint8_t* p) const {
        for (size_t i = 0; i < 6; ++i) p[i] = octets[i];
    }

    constexpr bool is_broadcast() const { return *this == broadcast(); }
    // Group bit (I/G) set: multicast, including broadcast.
    constexpr bool is_multicast() const { return (octets[0] & 0x01) != 0; }
    constexpr bool is_unicast() const { return !is_multicast() && !is_zero(); }
    constexpr bool is_zero() const { return *this == zero(); }
    constexpr bool is_local() const { return (octets[0] & 0x02) != 0; }  // locally administered

    // "aa:bb:cc:dd:ee:ff" (lower-case hex).
    constexpr AddrText<17> to_text() const {
        constexpr char hex[] = "0123456789abcdef";
        AddrText<17> t;
        for (size_t i = 0; i < 6; ++i) {
            if (i) t.push(':');
            t.push(hex[octets[i] >> 4]);
            t.push(hex[octets[i] & 15]);
        }
        return t;
    }
    // Parses "aa:bb:cc:dd:ee:ff" (or '-' separators; either case).
    static constexpr std::optional<MacAddr> parse(std::string_view s) {
        if (s.size() != 17) return std::nullopt;
        MacAddr m;
        auto nib = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        for (size_t i = 0; i < 6; ++i) {
            int hi = nib(s[i * 3]), lo = nib(s[i * 3 + 1]);
            if (hi < 0 || lo < 0) return std::nullopt;
            if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-') return std::nullopt;
            m.octets[i] = uint8_t(hi << 4 | lo);
        }
        return m;
    }

    friend constexpr bool operator==(const MacAddr&, const MacAddr&) = default;
    friend constexpr auto operator<=>(const MacAddr&, const MacAddr&) = default;
};

// An IPv4 address, stored in wire (network) order.
struct Ipv4Addr {
    std::array<uint8_t, 4> octets{};

    constexpr Ipv4Addr() = default;
    constexpr Ipv4Addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d) : octets{a, b, c, d} {}

    static constexpr Ipv4Addr any() { return Ipv4Addr{}; }
    static constexpr Ipv4Addr broadcast() { return Ipv4Addr{255, 255, 255, 255}; }
    static constexpr Ipv4Addr loopback() { return Ipv4Addr{127, 0, 0, 1}; }
    // Host-order integer conversions: 10.0.0.1 <-> 0x0a000001.
    static constexpr Ipv4Addr from_u32(uint32_t v) {
        return Ipv4Addr{uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    }
    constexpr uint32_t to_u32() const {
        return uint32_t(octets[0]) << 24 | uint32_t(octets[1]) << 16 | uint32_t(octets[2]) << 8 |
               uint32_t(octets[3]);
    }
    // Reads 4 bytes; the caller guarantees p points at 4 readable bytes.
    static constexpr Ipv4Addr from_bytes(const uint8_t* p) { return Ipv4Addr{p[0], p[1], p[2], p[3]}; }
    static constexpr std::optional<Ipv4Addr> from_span(std::span<const uint8_t> s) {
        if (s.size() != 4) return std::nullopt;
        return from_bytes(s.data());
    }
    constexpr void write(uint8_t* p) const {
        for (size_t i = 0; i < 4; ++i) p[i] = octets[i];
    }

    constexpr bool is_unspecified() const { return to_u32() == 0; }
    constexpr bool is_broadcast() const { return to_u32() == 0xffffffffu; }
    constexpr bool is_multicast() const { return (octets[0] & 0xf0) == 0xe0; }  // 224.0.0.0/4
    constexpr bool is_loopback() const { return octets[0] == 127; }
    constexpr bool is_link_local() const { return octets[0] == 169 && octets[1] == 254; }
    constexpr bool is_unicast() const {
        return !is_unspecified() && !is_broadcast() && !is_multicast();
    }

    // Parses dotted-quad "a.b.c.d": exactly four decimal octets 0..255, no leading zeros
    // (which some parsers read as octal), nothing else.
    static constexpr std::optional<Ipv4Addr> parse(std::string_view s) {
        Ipv4Addr a;
        size_t i = 0;
        for (size_t part = 0; part < 4; ++part) {
            if (part) {
                if (i >= s.size() || s[i] != '.') return std::nullopt;
                ++i;
            }
            size_t start = i;
            unsigned v = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
                v = v * 10 + unsigned(s[i] - '0');
                ++i;
            }
            size_t digits = i - start;
            if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return std::nullopt;
            a.octets[part] = uint8_t(v);
        }
        if (i != s.size()) return std::nullopt;
        return a;
    }
    constexpr AddrText<15> to_text() const {
        AddrText<15> t;
        for (size_t i = 0; i < 4; ++i) {
            if (i) t.push('.');
            unsigned v = octets[i];
            if (v >= 100) t.push(char('0' + v / 100));
            if (v >= 10) t.push(char('0' + v / 10 % 10));
            t.push(char('0' + v % 10));
        }
        return t;
    }

    friend constexpr bool operator==(const Ipv4Addr&, const Ipv4Addr&) = default;
    friend constexpr auto operator<=>(const Ipv4Addr&, const Ipv4Addr&) = default;
};

// An IPv4 address with a prefix length (0..32), e.g. 10.0.2.15/24. The address keeps its host
// bits; network() clears them.
class Ipv4Cidr {
public:
    constexpr Ipv4Cidr() = default;
    // nullopt when prefix_len > 32.
    static constexpr std::optional<Ipv4Cidr> make(Ipv4Addr addr, uint8_t prefix_len) {
        if (prefix_len > 32) return std::nullopt;
        return Ipv4Cidr(addr, prefix_len);
    }
    // Netmask to prefix length; nullopt unless the mask is contiguous ones then zeros.
    static constexpr std::optional<uint8_t> prefix_from_netmask(Ipv4Addr mask) {
        uint32_t m = mask.to_u32();
        uint32_t inv = ~m;
        if ((inv & (inv + 1)) != 0) return std::nullopt;  // inv must be 2^k - 1
        uint8_t n = 0;
        while (m & 0x80000000u) {
            ++n;
            m <<= 1;
        }
        return n;
    }
    // Parses "a.b.c.d/n".
    static constexpr std::optional<Ipv4Cidr> parse(std::string_view s) {
        size_t slash = s.find('/');
        if (slash == std::string_view::npos) return std::nullopt;
        auto addr = Ipv4Addr::parse(s.substr(0, slash));
        std::string_view p = s.substr(slash + 1);
        if (!addr || p.empty() || p.size() > 2 || (p.size() == 2 && p[0] == '0')) return std::nullopt;
        unsigned n = 0;
        for (char c : p) {
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + unsigned(c - '0');
        }
        return make(*addr, uint8_t(n));
    }

    constexpr Ipv4Addr address() const { return addr_; }
    constexpr uint8_t prefix_len() const { return prefix_; }
    constexpr uint32_t mask_u32() const { return prefix_ == 0 ? 0 : ~uint32_t(0) << (32 - prefix_); }
    constexpr Ipv4Addr netmask() const { return Ipv4Addr::from_u32(mask_u32()); }
    constexpr Ipv4Addr network() const { return Ipv4Addr::from_u32(addr_.to_u32() & mask_u32()); }
    constexpr Ipv4Addr broadcast() const { return Ipv4Addr::from_u32(addr_.to_u32() | ~mask_u32()); }
    constexpr bool contains(Ipv4Addr a) const {
        return (a.to_u32() & mask_u32()) == (addr_.to_u32() & mask_u32());
    }
    // "a.b.c.d/n"
    constexpr AddrText<18> to_text() const {
        AddrText<18> t;
        const auto a = addr_.to_text();  // named: a temporary would die before the loop
        for (char c : a.view()) t.push(c);
        t.push('/');
        if (prefix_ >= 10) t.push(char('0' + prefix_ / 10));
        t.push(char('0' + prefix_ % 10));
        return t;
    }

    friend constexpr bool operator==(const Ipv4Cidr&, const Ipv4Cidr&) = default;

private:
    constexpr Ipv4Cidr(Ipv4Addr a, uint8_t p) : addr_(a), prefix_(p) {}
    Ipv4Addr addr_{};
    uint8_t prefix_ = 0;
};

}  // namespace unikit::net::wire
