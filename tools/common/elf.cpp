// Validating ELF64 reader. Every read goes through bounds-checked helpers; nothing here trusts
// a size or an offset taken from the file.
#include "common/elf.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace unikit::elf {
namespace {

// Little-endian loads from the file (the host and the images are little-endian, but do not
// depend on alignment).
template <class T>
T load(std::span<const uint8_t> b, uint64_t off) {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

std::unexpected<std::string> err(std::string s) { return std::unexpected<std::string>(std::move(s)); }

// a + b <= limit, without overflow.
bool fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

constexpr uint64_t kEhdrSize = 64;
constexpr uint64_t kPhdrSize = 56;
constexpr uint64_t kMaxPhdrs = 256;

std::expected<void, std::string> parse_notes(std::span<const uint8_t> f, const Segment& s, size_t idx,
                                             std::vector<Note>& out) {
    uint64_t pos = s.offset;
    const uint64_t end = s.offset + s.filesz;
    while (pos < end) {
        if (end - pos < 12) return err("note segment " + std::to_string(idx) + " is truncated");
        uint32_t namesz = load<uint32_t>(f, pos);
        uint32_t descsz = load<uint32_t>(f, pos + 4);
        uint32_t type = load<uint32_t>(f, pos + 8);
        pos += 12;
        uint64_t name_pad = (uint64_t(namesz) + 3) & ~uint64_t(3);
        uint64_t desc_pad = (uint64_t(descsz) + 3) & ~uint64_t(3);
        if (!fits(pos, name_pad, end) || !fits(pos + name_pad, desc_pad, end))
            return err("note in segment " + std::to_string(idx) + " runs past its segment");
        Note n;
        const char* nm = reinterpret_cast<const char*>(f.data() + pos);
        n.name.assign(nm, strnlen(nm, namesz));
        n.type = type;
        n.desc = f.subspan(pos + name_pad, descsz);
        out.push_back(std::move(n));
        pos += name_pad + desc_pad;
    }
    return {};
}

}  // namespace

bool ElfImage::has_interp() const {
    for (const auto& s : segments)
        if (s.type == kPtInterp) return true;
    return false;
}

const char* machine_name(uint16_t m) {
    switch (m) {
        case kEmX86_64: return "x86-64";
        case kEmAarch64: return "aarch64";
        default: return "unknown";
    }
}

std::expected<ElfImage, std::string> read_elf(std::span<const uint8_t> f) {
    if (f.size() < 4 || std::memcmp(f.data(), "\x7f" "ELF", 4) != 0) {
        if (f.empty()) return err("empty file, not an ELF image");
        return err("not an ELF file (bad magic)");
    }
    if (f.size() < kEhdrSize) return err("truncated ELF header");
    if (f[4] != 2) return err("not a 64-bit ELF file (class " + std::to_string(f[4]) + ")");
    if (f[5] != 1) return err("not a little-endian ELF file");
    if (f[6] != 1) return err("unsupported ELF version " + std::to_string(f[6]));

    ElfImage img;
    img.file = f;
    img.type = load<uint16_t>(f, 16);
    img.machine = load<uint16_t>(f, 18);
    uint32_t version = load<uint32_t>(f, 20);
    img.entry = load<uint64_t>(f, 24);
    uint64_t phoff = load<uint64_t>(f, 32);
    uint16_t ehsize = load<uint16_t>(f, 52);
    uint16_t phentsize = load<uint16_t>(f, 54);
    uint16_t phnum = load<uint16_t>(f, 56);
    if (version != 1) return err("unsupported ELF version " + std::to_string(version));
    if (ehsize != kEhdrSize) return err("bad ELF header size " + std::to_string(ehsize));
    if (phnum == 0) return err("no program headers");
    if (phnum > kMaxPhdrs) return err("too many program headers (" + std::to_string(phnum) + ")");
    if (phentsize != kPhdrSize) return err("bad program header size " + std::to_string(phentsize));
    if (!fits(phoff, uint64_t(phnum) * kPhdrSize, f.size()))
        return err("program headers lie beyond the end of the file (truncated?)");

    for (uint16_t i = 0; i < phnum; ++i) {
        uint64_t p = phoff + uint64_t(i) * kPhdrSize;
        Segment s;
        s.type = load<uint32_t>(f, p);
        s.flags = load<uint32_t>(f, p + 4);
        s.offset = load<uint64_t>(f, p + 8);
        s.vaddr = load<uint64_t>(f, p + 16);
        s.filesz = load<uint64_t>(f, p + 32);
        s.memsz = load<uint64_t>(f, p + 40);
        s.align = load<uint64_t>(f, p + 48);
        if ((s.type == kPtLoad || s.type == kPtNote || s.type == kPtInterp || s.type == kPtDynamic) &&
            !fits(s.offset, s.filesz, f.size()))
            return err("segment " + std::to_string(i) + " lies beyond the end of the file (truncated?)");
        img.segments.push_back(s);
    }
    for (size_t i = 0; i < img.segments.size(); ++i) {
        if (img.segments[i].type != kPtNote) continue;
        if (auto r = parse_notes(f, img.segments[i], i, img.notes); !r) return std::unexpected(r.error());
    }
    return img;
}

std::expected<LoadExtent, std::string> check_loadable(const ElfImage& img, const LoadPolicy& pol) {
    if (img.has_interp()) return err("not a static-pie image (it asks for a dynamic loader)");
    if (img.type == kEtExec) return err("not a static-pie image (ET_EXEC: not position-independent)");
    if (img.type != kEtDyn) return err("not an executable image (ELF type " + std::to_string(img.type) + ")");
    if (img.machine != pol.machine)
        return err(std::string("built for machine ") + machine_name(img.machine) + " (" +
                   std::to_string(img.machine) + "), not " + machine_name(pol.machine));
    const uint64_t pg = pol.page_size;
    const uint64_t limit = pol.mem_limit ? pol.mem_limit : UINT64_MAX;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // page-rounded [lo, hi) of each kPtLoad
    LoadExtent ext{UINT64_MAX, 0};
    bool entry_ok = false;
    for (size_t i = 0; i < img.segments.size(); ++i) {
        const Segment& s = img.segments[i];
        if (s.type != kPtLoad) continue;
        const std::string id = "segment " + std::to_string(i);
        if (s.filesz > s.memsz) return err(id + " has a file size larger than its memory size");
        if (s.memsz == 0) continue;
        if (s.align != 0 && (s.align & (s.align - 1)) != 0) return err(id + " has an alignment that is not a power of two");
        if ((s.offset % pg) != (s.vaddr % pg)) return err(id + " has an offset and address not congruent modulo the page size");
        if ((s.flags & kPfW) && (s.flags & kPfX)) return err(id + " is both writable and executable (W^X)");
        if (!fits(s.vaddr, s.memsz, limit)) return err(id + " does not fit in the guest memory (" +
                                                      std::to_string(limit >> 20) + " MiB)");
        uint64_t lo = s.vaddr & ~(pg - 1);
        uint64_t hi = (s.vaddr + s.memsz + pg - 1) & ~(pg - 1);
        for (auto& r : ranges)
            if (lo < r.second && r.first < hi) return err(id + " overlaps another segment");
        ranges.push_back({lo, hi});
        ext.lo = std::min(ext.lo, lo);
        ext.hi = std::max(ext.hi, hi);
        if ((s.flags & kPfX) && img.entry >= s.vaddr && img.entry < s.vaddr + s.memsz) entry_ok = true;
    }
    if (ranges.empty()) return err("no loadable segment");
    if (!entry_ok) return err("entry point is not inside an executable segment");
    return ext;
}

std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err(std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return err("not a regular file");
    }
    std::vector<uint8_t> buf;
    buf.reserve(static_cast<size_t>(st.st_size));
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return err(std::string("cannot read: ") + std::strerror(e));
        }
        if (n == 0) break;
        buf.insert(buf.end(), chunk, chunk + n);
    }
    ::close(fd);
    return buf;
}

}  // namespace unikit::elf
