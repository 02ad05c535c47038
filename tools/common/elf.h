// A validating ELF64 reader for unikit images (host code: tenders, monitors, `unikit inspect`).
//
// read_elf() never trusts the file: every offset and size is checked against the file before it
// is used, so a truncated or corrupted file gives an error string, never a crash. The errors are
// one short lower-case phrase each ("truncated ELF header", "segment 2 lies beyond the end of
// the file", ...) meant to be printed after "PROGRAM: error: FILE: ".
//
// check_loadable() adds the rules a loader needs before it maps an image (static-pie, no W+X,
// no overlap, entry in code, fits in the guest memory) and is shared by every tender/monitor.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

namespace unikit::elf {

// Program header types and flags we use (values from the ELF gABI). k-names, because <elf.h>
// (pulled in by some system headers) defines PT_LOAD etc. as macros.
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPtGnuStack = 0x6474e551;
inline constexpr uint32_t kPfX = 1;
inline constexpr uint32_t kPfW = 2;
inline constexpr uint32_t kPfR = 4;
inline constexpr uint16_t kEtExec = 2;
inline constexpr uint16_t kEtDyn = 3;
inline constexpr uint16_t kEmX86_64 = 62;
inline constexpr uint16_t kEmAarch64 = 183;

// The gABI spellings, for code that does not include the system's <elf.h> (whose macros of the
// same names would clash; prefer the k-names above).
#ifndef PT_LOAD
inline constexpr uint32_t PT_LOAD = kPtLoad;
#endif
#ifndef PT_DYNAMIC
inline constexpr uint32_t PT_DYNAMIC = kPtDynamic;
#endif
#ifndef PT_INTERP
inline constexpr uint32_t PT_INTERP = kPtInterp;
#endif
#ifndef PT_NOTE
inline constexpr uint32_t PT_NOTE = kPtNote;
#endif
#ifndef PT_GNU_STACK
inline constexpr uint32_t PT_GNU_STACK = kPtGnuStack;
#endif
#ifndef PF_X
inline constexpr uint32_t PF_X = kPfX;
#endif
#ifndef PF_W
inline constexpr uint32_t PF_W = kPfW;
#endif
#ifndef PF_R
inline constexpr uint32_t PF_R = kPfR;
#endif
#ifndef ET_EXEC
inline constexpr uint16_t ET_EXEC = kEtExec;
#endif
#ifndef ET_DYN
inline constexpr uint16_t ET_DYN = kEtDyn;
#endif
#ifndef EM_X86_64
inline constexpr uint16_t EM_X86_64 = kEmX86_64;
#endif
#ifndef EM_AARCH64
inline constexpr uint16_t EM_AARCH64 = kEmAarch64;
#endif

struct Segment {
    uint32_t type = 0;
    uint32_t flags = 0;   // kPfR | kPfW | kPfX
    uint64_t offset = 0;  // in the file
    uint64_t vaddr = 0;
    uint64_t filesz = 0;
    uint64_t memsz = 0;
    uint64_t align = 0;
};

struct Note {
    std::string name;                 // owner name without its NUL
    uint32_t type = 0;
    std::span<const uint8_t> desc;    // points into the file bytes given to read_elf
};

struct ElfImage {
    uint16_t type = 0;      // kEtExec, kEtDyn, ...
    uint16_t machine = 0;   // kEmX86_64, ...
    uint64_t entry = 0;
    std::vector<Segment> segments;  // every program header, in file order
    std::vector<Note> notes;        // every note of every kPtNote segment
    std::span<const uint8_t> file;  // the bytes given to read_elf (not owned)

    bool has_interp() const;        // a kPtInterp segment: a dynamically linked host program
};

// Parse and validate the ELF64 little-endian file in `file` (which must outlive the result).
// Checks: size, magic, class, data encoding, version, header size, program header table in
// bounds, every segment's file range in bounds, every kPtNote well formed.
std::expected<ElfImage, std::string> read_elf(std::span<const uint8_t> file);

// What a loader accepts.
struct LoadPolicy {
    uint16_t machine = kEmX86_64;
    uint64_t mem_limit = 0;      // bytes of guest memory the segments must fit in (0: no limit)
    uint64_t page_size = 4096;   // segments must not share a page with different protections
};

// The loadable extent of a checked image: [lo, hi) in image addresses, page-aligned.
struct LoadExtent {
    uint64_t lo = 0;
    uint64_t hi = 0;
};

// Check that `img` is a static-pie image a unikit loader can map: kEtDyn, no kPtInterp, right
// machine, at least one kPtLoad, every kPtLoad with filesz <= memsz, a power-of-two alignment,
// page-congruent offset/vaddr, no W+X, no two PT_LOADs sharing a page, all within
// policy.mem_limit, and the entry inside an executable kPtLoad.
std::expected<LoadExtent, std::string> check_loadable(const ElfImage& img, const LoadPolicy& policy);

// Read a whole file ("cannot open: No such file or directory", "is a directory", ...).
std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path);

const char* machine_name(uint16_t machine);  // "x86-64", "aarch64", or "unknown"

}  // namespace unikit::elf
