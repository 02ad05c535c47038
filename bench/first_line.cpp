// first-line: time from starting a command to the first line it prints on stdout.
//
//   first-line [-n RUNS] [--] COMMAND [ARGS...]
//
// Runs COMMAND RUNS times (default 50). For each run, measures the wall time from just before
// fork() to the moment the first '\n' arrives on the command's stdout, then lets the command
// finish (SIGKILL after the first line, so long-running images are cut short) and reaps it.
// Prints "median_us min_us max_us runs" on one line. Exits 1 if any run printed no line.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

static double now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int usage() {
    std::fprintf(stderr, "usage: first-line [-n RUNS] [--] COMMAND [ARGS...]\n");
    return 2;
}

int main(int argc, char **argv) {
    int runs = 50;
    int i = 1;
    for (; i < argc; ++i) {
        if (std::strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
            if (runs <= 0) return usage();
        } else if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        } else if (argv[i][0] == '-') {
            return usage();
        } else {
            break;
        }
    }
    if (i >= argc) return usage();
    char **cmd = argv + i;

    std::vector<double> samples;
    for (int r = 0; r < runs; ++r) {
        int fds[2];
        if (pipe(fds) != 0) { std::perror("first-line: pipe"); return 1; }
        double t0 = now_us();
        pid_t pid = fork();
        if (pid < 0) { std::perror("first-line: fork"); return 1; }
        if (pid == 0) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            execvp(cmd[0], cmd);
            std::fprintf(stderr, "first-line: %s: %s\n", cmd[0], std::strerror(errno));
            _exit(127);
        }
        close(fds[1]);
        bool got = false;
        char buf[4096];
        double t1 = 0;
        for (;;) {
            ssize_t n = read(fds[0], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            if (std::memchr(buf, '\n', static_cast<size_t>(n))) {
                t1 = now_us();
                got = true;
                break;
            }
        }
        if (got) kill(pid, SIGKILL);
        close(fds[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (!got) {
            std::fprintf(stderr, "first-line: run %d printed no line (status %d)\n", r, st);
            return 1;
        }
        samples.push_back(t1 - t0);
    }
    std::sort(samples.begin(), samples.end());
    double median = samples.size() % 2 ? samples[samples.size() / 2]
                                       : (samples[samples.size() / 2 - 1] + samples[samples.size() / 2]) / 2;
    std::printf("%.1f %.1f %.1f %d\n", median, samples.front(), samples.back(), runs);
    return 0;
}
