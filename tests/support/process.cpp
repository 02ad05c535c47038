#include "support/process.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace uktest {

bool Outcome::exited(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
bool Outcome::signaled(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }

std::string Outcome::describe() const {
    std::string s = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
    return s + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::string s = slurp(path);
    return std::vector<uint8_t>(s.begin(), s.end());
}

std::string temp_path(const std::string& tag) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/uktest_" + std::to_string(getpid()) + "_" + tag;
}

std::string write_temp(const std::string& tag, const std::vector<uint8_t>& bytes) {
    std::string p = temp_path(tag);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
}

Outcome run(std::vector<std::string> args) {
    std::string o = temp_path("out"), e = temp_path("err");
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(o.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(e.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    Outcome r;
    waitpid(pid, &r.status, 0);
    r.out = slurp(o);
    r.err = slurp(e);
    unlink(o.c_str());
    unlink(e.c_str());
    return r;
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

size_t phdr_of(const std::vector<uint8_t>& elf, uint32_t type, int nth) {
    uint64_t phoff = peek<uint64_t>(elf, 32);
    uint16_t phnum = peek<uint16_t>(elf, 56);
    for (uint16_t i = 0; i < phnum; ++i) {
        size_t p = phoff + i * 56u;
        if (peek<uint32_t>(elf, p) == type && nth-- == 0) return p;
    }
    return 0;
}

}  // namespace uktest
