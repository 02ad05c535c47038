// unikit formatting: a small, type-safe, freestanding formatter in the style of std::format.
//
//   char buf[64];
//   size_t n = unikit::format_to(buf, "x={} y={:#x} s={:>8}", 42, 255u, "hi");
//   unikit::println("listening on port {}", port);
//
// Replacement fields: `{}` (next argument), `{N}` (argument N), optionally followed by
// `:[align][+][#][0][width][type]`, with align one of `<` `>` `^`, width at most 255 and type one of
// d x X b o c s p. `{{` and `}}` are literal braces. Supported argument types: bool, char, all
// integers and enums, const char* (nullptr prints "(null)"), char arrays (bounded by their size),
// std::string_view (and anything convertible to it), pointers, std::chrono::duration (count and
// unit suffix, e.g. "150ms"), and any type T with a specialisation of unikit::Formatter<T>.
//
// Malformed format strings never overrun or crash: a field with a bad spec prints "{!}", a field
// naming a missing argument prints "{?}", an unterminated '{' is printed literally. Output into a
// fixed buffer is truncated at the buffer's end (never NUL-terminated by format_to).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include <unikit/error.h>
#include <unikit/platform.h>

namespace unikit {

struct FormatSpec {
    char align = 0;      // '<', '>', '^', or 0 for the type's default
    char sign = 0;       // '+' or 0
    bool alt = false;    // '#': 0x / 0b / 0 prefixes
    bool zero = false;   // '0': pad numbers with zeros after the sign/prefix
    uint16_t width = 0;  // minimum field width (<= 255)
    char type = 0;       // d x X b o c s p, or 0
};

// Where formatted characters go: a buffer, optionally flushed to a callback when full.
// Without a flush callback, characters past the end of the buffer are dropped (and counted).
class FormatSink {
public:
    using Flush = void (*)(void* ctx, const char* data, size_t len);

    constexpr explicit FormatSink(std::span<char> buf, Flush flush_fn = nullptr, void* ctx = nullptr)
        : buf_(buf), flush_(flush_fn), ctx_(ctx) {}

    constexpr void put(char c) {
        ++total_;
        if (len_ < buf_.size()) {
            buf_[len_++] = c;
            return;
        }
        if (!flush_) return;
        if (buf_.empty()) {
            flush_(ctx_, &c, 1);
            return;
        }
        flush();
        buf_[len_++] = c;
    }
    constexpr void write(std::string_view s) {
        for (char c : s) put(c);
    }
    constexpr void fill(char c, size_t n) {
        for (size_t i = 0; i < n; ++i) put(c);
    }
    // Hand buffered characters to the flush callback (no-op without one).
    constexpr void flush() {
        if (flush_ && len_) flush_(ctx_, buf_.data(), len_);
        if (flush_) len_ = 0;
    }
    // Characters currently in the buffer.
    constexpr size_t size() const { return len_; }
    // Characters produced so far, including flushed and dropped ones.
    constexpr size_t total() const { return total_; }
    constexpr bool truncated() const { return !flush_ && total_ > len_; }

private:
    std::span<char> buf_;
    Flush flush_;
    void* ctx_;
    size_t len_ = 0;
    size_t total_ = 0;
};

// Specialise to make a type formattable:
//   template <> struct unikit::Formatter<Ip4> {
//       static void format(unikit::FormatSink& out, const unikit::FormatSpec& spec, const Ip4& v);
//   };
template <class T>
struct Formatter;

// Errors print by name ("timeout").
template <>
struct Formatter<Error> {
    static void format(FormatSink& out, const FormatSpec&, Error e) { out.write(to_string(e)); }
};

namespace detail {

struct FormatArg {
    enum class Kind : uint8_t { i64, u64, boolean, chr, str, ptr, duration, custom };
    Kind kind;
    union {
        int64_t i;
        uint64_t u;
        bool b;
        char c;
        struct {
            const char* p;
            size_t n;
        } s;
        const void* p;
        struct {
            int64_t count;
            const char* suffix;
        } d;
        struct {
            const void* obj;
            void (*fn)(FormatSink&, const FormatSpec&, const void*);
        } custom;
    };
};

template <class T>
concept HasFormatter = requires(FormatSink& s, const FormatSpec& sp, const T& v) {
    Formatter<T>::format(s, sp, v);
};

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class P>
constexpr const char* duration_suffix() {
    if constexpr (std::is_same_v<P, std::nano>) return "ns";
    else if constexpr (std::is_same_v<P, std::micro>) return "us";
    else if constexpr (std::is_same_v<P, std::milli>) return "ms";
    else if constexpr (std::is_same_v<P, std::ratio<1>>) return "s";
    else if constexpr (std::is_same_v<P, std::ratio<60>>) return "min";
    else if constexpr (std::is_same_v<P, std::ratio<3600>>) return "h";
    else return nullptr;  // converted to ns
}

constexpr size_t bounded_strlen(const char* s, size_t max) {
    size_t n = 0;
    while (n < max && s[n]) ++n;
    return n;
}

template <class T>
constexpr FormatArg make_arg(const T& v) {
    FormatArg a{};
    using U = std::remove_cvref_t<T>;
    if constexpr (HasFormatter<U>) {
        a.kind = FormatArg::Kind::custom;
        a.custom.obj = &v;
        a.custom.fn = [](FormatSink& s, const FormatSpec& sp, const void* o) {
            Formatter<U>::format(s, sp, *static_cast<const U*>(o));
        };
    } else if constexpr (std::is_same_v<U, bool>) {
        a.kind = FormatArg::Kind::boolean;
        a.b = v;
    } else if constexpr (std::is_same_v<U, char>) {
        a.kind = FormatArg::Kind::chr;
        a.c = v;
    } else if constexpr (std::is_enum_v<U>) {
        return make_arg(static_cast<std::underlying_type_t<U>>(v));
    } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
        a.kind = FormatArg::Kind::i64;
        a.i = static_cast<int64_t>(v);
    } else if constexpr (std::is_integral_v<U>) {
        a.kind = FormatArg::Kind::u64;
        a.u = static_cast<uint64_t>(v);
    } else if constexpr (std::is_array_v<U> && std::is_same_v<std::remove_cv_t<std::remove_extent_t<U>>, char>) {
        a.kind = FormatArg::Kind::str;
        a.s.p = v;
        a.s.n = bounded_strlen(v, std::extent_v<U>);
    } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
        a.kind = FormatArg::Kind::str;
        a.s.p = v ? v : "(null)";
        a.s.n = v ? bounded_strlen(v, static_cast<size_t>(-1)) : 6;
    } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
        std::string_view sv = v;
        a.kind = FormatArg::Kind::str;
        a.s.p = sv.data();
        a.s.n = sv.size();
    } else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>) {
        a.kind = FormatArg::Kind::ptr;
        if constexpr (std::is_null_pointer_v<U>) a.p = nullptr;
        else a.p = reinterpret_cast<const void*>(v);
    } else if constexpr (is_duration<U>::value) {
        a.kind = FormatArg::Kind::duration;
        constexpr const char* suffix = duration_suffix<typename U::period>();
        if constexpr (suffix != nullptr && std::is_integral_v<typename U::rep>) {
            a.d.count = static_cast<int64_t>(v.count());
            a.d.suffix = suffix;
        } else {
            a.d.count = static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(v).count());
            a.d.suffix = "ns";
        }
    } else {
        static_assert(sizeof(U) == 0, "unikit::format: type not formattable (specialise unikit::Formatter<T>)");
    }
    return a;
}

inline void pad_write(FormatSink& out, const FormatSpec& spec, std::string_view body, char default_align) {
    size_t pad = spec.width > body.size() ? spec.width - body.size() : 0;
    char align = spec.align ? spec.align : default_align;
    size_t left = align == '>' ? pad : align == '^' ? pad / 2 : 0;
    out.fill(' ', left);
    out.write(body);
    out.fill(' ', pad - left);
}

inline void format_integer(FormatSink& out, const FormatSpec& spec, uint64_t mag, bool negative) {
    unsigned base = 10;
    const char* digits = "0123456789abcdef";
    const char* prefix = "";
    switch (spec.type) {
        case 'x': base = 16; prefix = "0x"; break;
        case 'X': base = 16; digits = "0123456789ABCDEF"; prefix = "0X"; break;
        case 'b': base = 2; prefix = "0b"; break;
        case 'o': base = 8; prefix = "0"; break;
        default: break;
    }
    char buf[64 + 3];
    size_t n = sizeof(buf);
    do {
        buf[--n] = digits[mag % base];
        mag /= base;
    } while (mag);
    size_t ndigits = sizeof(buf) - n;
    if (spec.alt) {
        std::string_view p(prefix);
        for (size_t i = p.size(); i > 0; --i) buf[--n] = p[i - 1];
    }
    char sign = negative ? '-' : (spec.sign == '+' ? '+' : 0);
    if (sign) buf[--n] = sign;
    std::string_view body(buf + n, sizeof(buf) - n);
    if (spec.zero && !spec.align) {
        size_t head = body.size() - ndigits;  // sign and prefix
        out.write(body.substr(0, head));
        if (spec.width > body.size()) out.fill('0', spec.width - body.size());
        out.write(body.substr(head));
        return;
    }
    pad_write(out, spec, body, '>');
}

inline void format_arg(FormatSink& out, const FormatSpec& spec, const FormatArg& a) {
    switch (a.kind) {
        case FormatArg::Kind::i64: {
            if (spec.type == 'c') {
                char c = static_cast<char>(a.i);
                pad_write(out, spec, std::string_view(&c, 1), '<');
                return;
            }
            bool neg = a.i < 0;
            uint64_t mag = neg ? 0 - static_cast<uint64_t>(a.i) : static_cast<uint64_t>(a.i);
            format_integer(out, spec, mag, neg);
            return;
        }
        case FormatArg::Kind::u64:
            if (spec.type == 'c') {
                char c = static_cast<char>(a.u);
                pad_write(out, spec, std::string_view(&c, 1), '<');
                return;
            }
            format_integer(out, spec, a.u, false);
            return;
        case FormatArg::Kind::boolean:
            if (spec.type == 'd' || spec.type == 'x' || spec.type == 'X' || spec.type == 'b' || spec.type == 'o') {
                format_integer(out, spec, a.b ? 1 : 0, false);
                return;
            }
            pad_write(out, spec, a.b ? "true" : "false", '<');
            return;
        case FormatArg::Kind::chr:
            if (spec.type && spec.type != 'c' && spec.type != 's') {
                format_integer(out, spec, static_cast<unsigned char>(a.c), false);
                return;
            }
            pad_write(out, spec, std::string_view(&a.c, 1), '<');
            return;
        case FormatArg::Kind::str:
            pad_write(out, spec, std::string_view(a.s.p, a.s.n), '<');
            return;
        case FormatArg::Kind::ptr: {
            FormatSpec s = spec;
            s.type = spec.type == 'X' ? 'X' : 'x';
            s.alt = true;
            format_integer(out, s, reinterpret_cast<uintptr_t>(a.p), false);
            return;
        }
        case FormatArg::Kind::duration: {
            bool neg = a.d.count < 0;
            uint64_t mag = neg ? 0 - static_cast<uint64_t>(a.d.count) : static_cast<uint64_t>(a.d.count);
            format_integer(out, spec, mag, neg);
            out.write(a.d.suffix);
            return;
        }
        case FormatArg::Kind::custom:
            a.custom.fn(out, spec, a.custom.obj);
            return;
    }
}

// Parses the inside of a replacement field after the ':' (or the whole field if no ':').
inline bool parse_spec(std::string_view s, FormatSpec& spec) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '<' || s[i] == '>' || s[i] == '^')) spec.align = s[i++];
    if (i < s.size() && s[i] == '+') spec.sign = s[i++];
    if (i < s.size() && s[i] == '#') spec.alt = true, ++i;
    if (i < s.size() && s[i] == '0') spec.zero = true, ++i;
    unsigned w = 0;
    size_t nd = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        w = w * 10 + static_cast<unsigned>(s[i++] - '0');
        if (++nd > 3) return false;
    }
    if (w > 255) return false;
    spec.width = static_cast<uint16_t>(w);
    if (i < s.size()) {
        switch (s[i]) {
            case 'd': case 'x': case 'X': case 'b': case 'o': case 'c': case 's': case 'p':
                spec.type = s[i++];
                break;
            default:
                return false;
        }
    }
    return i == s.size();
}

inline void vformat(FormatSink& out, std::string_view fmt, std::span<const FormatArg> args) {
    size_t next = 0;
    size_t i = 0;
    const size_t n = fmt.size();
    while (i < n) {
        char c = fmt[i];
        if (c == '}') {
            out.put('}');
            i += (i + 1 < n && fmt[i + 1] == '}') ? 2 : 1;
            continue;
        }
        if (c != '{') {
            out.put(c);
            ++i;
            continue;
        }
        if (i + 1 < n && fmt[i + 1] == '{') {
            out.put('{');
            i += 2;
            continue;
        }
        size_t j = i + 1;
        while (j < n && fmt[j] != '}' && fmt[j] != '{') ++j;
        if (j >= n || fmt[j] != '}') {  // unterminated: print the '{' literally
            out.put('{');
            ++i;
            continue;
        }
        std::string_view field = fmt.substr(i + 1, j - i - 1);
        i = j + 1;
        // Optional explicit index.
        size_t k = 0;
        size_t index = next;
        bool explicit_index = false;
        size_t idx = 0;
        while (k < field.size() && field[k] >= '0' && field[k] <= '9' && k < 4) {
            idx = idx * 10 + static_cast<size_t>(field[k] - '0');
            explicit_index = true;
            ++k;
        }
        FormatSpec spec;
        bool ok = true;
        if (k < field.size()) {
            if (field[k] != ':') ok = false;
            else ok = parse_spec(field.substr(k + 1), spec);
        }
        if (!ok) {
            out.write("{!}");
            continue;
        }
        if (explicit_index) index = idx;
        else ++next;
        if (index >= args.size()) {
            out.write("{?}");
            continue;
        }
        format_arg(out, spec, args[index]);
    }
}

template <class... Args>
void format_sink(FormatSink& out, std::string_view fmt, const Args&... args) {
    if constexpr (sizeof...(Args) == 0) {
        vformat(out, fmt, {});
    } else {
        const FormatArg list[] = {make_arg(args)...};
        vformat(out, fmt, std::span<const FormatArg>(list, sizeof...(Args)));
    }
}

inline void console_flush(void*, const char* data, size_t len) { uk_console_write(data, len); }

}  // namespace detail

// Formats into `out`, truncating at its end. Returns the number of characters written
// (<= out.size()). Does not NUL-terminate.
template <class... Args>
size_t format_to(std::span<char> out, std::string_view fmt, const Args&... args) {
    FormatSink sink(out);
    detail::format_sink(sink, fmt, args...);
    return sink.size();
}

// Formats into a sink (for building output piecewise, e.g. in a Formatter specialisation).
template <class... Args>
void format_to(FormatSink& out, std::string_view fmt, const Args&... args) {
    detail::format_sink(out, fmt, args...);
}

// The length the full output would have, without truncation.
template <class... Args>
size_t formatted_size(std::string_view fmt, const Args&... args) {
    FormatSink sink(std::span<char>{});
    detail::format_sink(sink, fmt, args...);
    return sink.total();
}

// A fixed-capacity string holding formatted output (truncated at N), NUL-terminated.
template <size_t N>
struct FixedString {
    char data[N + 1] = {};
    size_t len = 0;
    constexpr std::string_view view() const { return std::string_view(data, len); }
    constexpr operator std::string_view() const { return view(); }
    constexpr const char* c_str() const { return data; }
};

template <size_t N = 128, class... Args>
FixedString<N> format(std::string_view fmt, const Args&... args) {
    FixedString<N> s;
    s.len = format_to(std::span<char>(s.data, N), fmt, args...);
    s.data[s.len] = '\0';
    return s;
}

// Writes formatted output to the console (uk_console_write), in chunks of at most 256 bytes.
template <class... Args>
void print(std::string_view fmt, const Args&... args) {
    char buf[256];
    FormatSink sink(buf, detail::console_flush, nullptr);
    detail::format_sink(sink, fmt, args...);
    sink.flush();
}

// print() followed by a newline.
template <class... Args>
void println(std::string_view fmt, const Args&... args) {
    char buf[256];
    FormatSink sink(buf, detail::console_flush, nullptr);
    detail::format_sink(sink, fmt, args...);
    sink.put('\n');
    sink.flush();
}

}  // namespace unikit
