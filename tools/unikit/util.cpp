// Paths, errors and child processes for the `unikit` command.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef UNIKIT_SOURCE_DIR
#error "UNIKIT_SOURCE_DIR must be defined by the build"
#endif

namespace unikit::cli {

void die(const std::string& msg, int status) {
    std::fprintf(stderr, "unikit: error: %s\n", msg.c_str());
    std::exit(status);
}

void note(const std::string& msg) { std::fprintf(stderr, "unikit: %s\n", msg.c_str()); }

Options& options() {
    static Options o;
    return o;
}

std::string source_root() {
    if (const char* e = std::getenv("UNIKIT_ROOT"); e && *e) return e;
    return UNIKIT_SOURCE_DIR;
}

std::string main_build_dir() {
    if (const char* e = std::getenv("UNIKIT_BUILD_DIR"); e && *e) {
        if (auto r = real_path(e)) return *r;
        if (e[0] == '/') return e;
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) return std::string(cwd) + "/" + e;
        return e;
    }
    return source_root() + "/build";
}

std::optional<std::string> real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (!realpath(p.c_str(), buf)) return std::nullopt;
    return std::string(buf);
}

bool is_dir(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string self_dir() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string s(buf, static_cast<size_t>(n));
    return s.substr(0, s.rfind('/'));
}

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> v;
    for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    return v;
}

int status_of(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 1;
}

int wait_child(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) return 1;
    }
    return status_of(st);
}

}  // namespace

int run_process(const std::vector<std::string>& argv, bool quiet) {
    FILE* log = quiet ? std::tmpfile() : nullptr;
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) die(std::string("cannot fork: ") + std::strerror(errno), 1);
    if (pid == 0) {
        if (log) {
            dup2(fileno(log), STDOUT_FILENO);
            dup2(fileno(log), STDERR_FILENO);
        } else {
            dup2(STDERR_FILENO, STDOUT_FILENO);  // build chatter never reaches stdout
        }
        auto v = c_argv(argv);
        execvp(v[0], v.data());
        std::fprintf(stderr, "unikit: error: cannot run %s: %s\n", v[0], std::strerror(errno));
        _exit(127);
    }
    int status = wait_child(pid);
    if (log) {
        if (status != 0) {
            std::rewind(log);
            char buf[4096];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, log)) > 0) std::fwrite(buf, 1, n, stderr);
        }
        std::fclose(log);
    }
    return status;
}

namespace {
std::string secs_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}
}  // namespace

namespace {

// Forwarded to the image so `kill <unikit pid>` (or `unikit stop` later) stops it cleanly.
volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_stop_signal = 0;  // the stop signal the image got (forwarded, or Ctrl-C)
void forward_signal(int sig) {
    g_stop_signal = sig;
    if (g_child > 0) kill(g_child, sig);
}
// Ctrl-C reaches the image itself (same process group); only remember it.
void note_interrupt(int sig) { g_stop_signal = sig; }

bool is_runner(const std::string& runner, const char* name) {
    size_t slash = runner.rfind('/');
    return runner.compare(slash == std::string::npos ? 0 : slash + 1, std::string::npos, name) == 0;
}

const char* signal_meaning(int sig, const std::string& runner) {
    switch (sig) {
    case SIGSYS:
        return is_runner(runner, "unikit-hvt")
                   ? "made a system call, which a guest cannot make (SIGSYS; the monitor's report is above)"
                   : "was killed by the sandbox: the image made a system call its seccomp filter forbids (SIGSYS)";
    case SIGSEGV: return "crashed with a memory fault (SIGSEGV): a bad pointer, or a write to read-only or code memory";
    case SIGBUS: return "crashed with a bus error (SIGBUS)";
    case SIGILL: return "crashed on an illegal instruction (SIGILL)";
    case SIGFPE: return "crashed on an arithmetic fault (SIGFPE)";
    case SIGABRT: return "aborted (SIGABRT)";
    case SIGKILL: return "was killed (SIGKILL)";
    case SIGTERM: return "was stopped (SIGTERM)";
    case SIGALRM: return "ran out of time (SIGALRM from the tender's --timeout)";
    default: return nullptr;
    }
}

}  // namespace

std::function<int(int, int)>& end_status_filter() {
    static std::function<int(int, int)> f;
    return f;
}

int report_end(const std::string& image, const std::string& runner, int st, bool stop_requested) {
    if (auto& filter = end_status_filter()) st = filter(st, g_stop_signal ? g_stop_signal : stop_requested ? SIGTERM : 0);
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        // Ctrl-C, or a stop the user asked for: nothing to explain.
        if (sig == SIGINT || (stop_requested && sig == SIGTERM)) return 128 + sig;
        const char* what = signal_meaning(sig, runner);
        std::string line = image + " ";
        line += what ? what : ("was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")");
        note(line);
        return 128 + sig;
    }
    int code = status_of(st);
    if (code == kExitImageAbort) note(image + " ended abnormally (panic or abort, status 112; see its last lines)");
    return code;
}

int run_image(const std::string& image, const std::vector<std::string>& argv, double seconds) {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) die(std::string("cannot fork: ") + std::strerror(errno), 1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive `unikit run` (as supervise() does)
        auto v = c_argv(argv);
        execvp(v[0], v.data());
        std::fprintf(stderr, "unikit: error: cannot run %s: %s\n", v[0], std::strerror(errno));
        _exit(127);
    }
    g_child = pid;
    // Ctrl-C reaches the image itself (same process group); we only wait for it.
    signal(SIGINT, note_interrupt);
    signal(SIGTERM, forward_signal);
    signal(SIGHUP, forward_signal);
    if (seconds <= 0) {
        int st = 0;
        while (waitpid(pid, &st, 0) < 0) {
            if (errno != EINTR) return 1;
        }
        return report_end(image, argv[0], st, false);
    }
    long long deadline_ms = static_cast<long long>(seconds * 1000.0);
    for (long long waited = 0;; waited += 10) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return report_end(image, argv[0], st, false);
        if (r < 0 && errno != EINTR) return 1;
        if (waited >= deadline_ms) break;
        usleep(10000);
    }
    kill(pid, SIGTERM);
    for (int i = 0; i < 20; ++i) {  // 1 s of grace, then SIGKILL
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            note("timed out after " + secs_text(seconds) + " s; stopped the image");
            return kExitTimeout;
        }
        usleep(50000);
    }
    kill(pid, SIGKILL);
    wait_child(pid);
    note("timed out after " + secs_text(seconds) + " s; killed the image");
    return kExitTimeout;
}

}  // namespace unikit::cli
