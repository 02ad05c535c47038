// Running a host program from a test and looking at what it did: the harness of the tender and
// monitor tests (tests/spt, tests/hvt), plus the byte-level helpers they use to make broken
// copies of an image.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace uktest {

struct Outcome {
    int status = -1;  // raw wait status
    std::string out, err;
    bool exited(int code) const;
    bool signaled(int sig) const;
    // "exit N" or "signal N", then stdout and stderr: for a failing assertion's message.
    std::string describe() const;
};

// Runs args[0] (a path, no PATH search) with args[1..], stdin inherited, stdout and stderr
// captured through temporary files; waits for it. Exit 127 when it could not be started.
Outcome run(std::vector<std::string> args);

// The whole file (empty when it cannot be read).
std::string slurp(const std::string& path);
std::vector<uint8_t> read_bytes(const std::string& path);

// A per-process path under $TMPDIR (default /tmp) ending in `tag`; not created.
std::string temp_path(const std::string& tag);
// Writes `bytes` to temp_path(tag) and returns that path.
std::string write_temp(const std::string& tag, const std::vector<uint8_t>& bytes);

bool has(const std::string& hay, const std::string& needle);

template <class T>
void poke(std::vector<uint8_t>& b, size_t off, T v) {
    std::memcpy(b.data() + off, &v, sizeof v);
}
template <class T>
T peek(const std::vector<uint8_t>& b, size_t off) {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

// Offset of the nth (from 0) ELF64 program header of type `type` (PT_LOAD = 1), or 0.
size_t phdr_of(const std::vector<uint8_t>& elf, uint32_t type, int nth = 0);

}  // namespace uktest
