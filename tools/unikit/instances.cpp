// Instance records, `unikit ps`, `unikit stop`, and the supervision of an image together with
// its network helper unikit-netd. See instances.h and docs/networking.md.
#include "instances.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <expected>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

namespace unikit::cli {
namespace {

std::string g_record;    // this run's record file ("" when none)
Instance g_self;         // what it says

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void write_record(const std::string& path, const Instance& in) {
    std::string tmp = path + ".tmp" + std::to_string(getpid());
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) return;
    std::fprintf(f, "name=%s\ntarget=%s\nimage=%s\npid=%d\npid_start=%llu\nimage_pid=%d\nnetd_pid=%d\nnet=%s\n"
                    "address=%s\npcap=%s\nstarted=%lld\n",
                 in.name.c_str(), in.target.c_str(), in.image.c_str(), in.pid,
                 static_cast<unsigned long long>(in.pid_start), in.image_pid, in.netd_pid, in.net.c_str(),
                 in.address.c_str(), in.pcap.c_str(), static_cast<long long>(in.started));
    for (const auto& fw : in.forwards) std::fprintf(f, "forward=%s\n", fw.c_str());
    std::fclose(f);
    std::rename(tmp.c_str(), path.c_str());
}

std::optional<Instance> read_record(const std::string& path) {
    std::ifstream f(path);
    if (!f) return std::nullopt;
    Instance in;
    std::string line;
    while (std::getline(f, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string k = line.substr(0, eq), v = line.substr(eq + 1);
        auto num = [&] { return std::strtoll(v.c_str(), nullptr, 10); };
        if (k == "name") in.name = v;
        else if (k == "target") in.target = v;
        else if (k == "image") in.image = v;
        else if (k == "pid") in.pid = static_cast<int>(num());
        else if (k == "pid_start") in.pid_start = std::strtoull(v.c_str(), nullptr, 10);
        else if (k == "image_pid") in.image_pid = static_cast<int>(num());
        else if (k == "netd_pid") in.netd_pid = static_cast<int>(num());
        else if (k == "net") in.net = v;
        else if (k == "address") in.address = v;
        else if (k == "pcap") in.pcap = v;
        else if (k == "started") in.started = num();
        else if (k == "forward") in.forwards.push_back(v);
    }
    if (in.name.empty() || in.pid <= 0) return std::nullopt;
    return in;
}

bool alive(const Instance& in) { return in.pid > 0 && process_start(in.pid) == in.pid_start && in.pid_start != 0; }

}  // namespace

uint64_t process_start(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    if (!f || !std::getline(f, s)) return 0;
    auto rp = s.rfind(')');
    if (rp == std::string::npos) return 0;
    std::istringstream rest(s.substr(rp + 2));
    std::string field;
    // Fields after the command: 3 state, ..., 22 starttime.
    for (int i = 3; i <= 22 && rest >> field; ++i) {
        if (i == 3 && (field == "Z" || field == "X")) return 0;
        if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
    }
    return 0;
}

namespace {
// The runtime directory, or why it cannot be used.
std::expected<std::string, std::string> try_runtime_dir() {
    std::string dir;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x && is_dir(x)) dir = std::string(x) + "/unikit";
    else dir = "/tmp/unikit-" + std::to_string(getuid());
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return std::unexpected("cannot create " + dir + ": " + std::strerror(errno));
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return std::unexpected(dir + " is not a directory owned by you; remove it or set XDG_RUNTIME_DIR");
    return dir;
}
}  // namespace

std::string runtime_dir() {
    auto d = try_runtime_dir();
    if (!d) die(d.error(), 1);
    return *d;
}

std::vector<Instance> live_instances() {
    std::vector<Instance> out;
    std::string dir = runtime_dir();
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (!n.ends_with(".run")) continue;
        std::string path = dir + "/" + n;
        auto in = read_record(path);
        if (!in || !alive(*in)) {
            unlink(path.c_str());  // its `unikit run` has ended (even if killed): prune
            continue;
        }
        out.push_back(*in);
    }
    closedir(d);
    std::sort(out.begin(), out.end(), [](const Instance& a, const Instance& b) { return a.name < b.name; });
    return out;
}

std::string register_instance(Instance inst, const std::string& app) {
    auto rd = try_runtime_dir();
    if (!rd) {
        // Running matters more than being listed: go on without a record.
        note(rd.error() + "; this run will not be listed by `unikit ps`");
        return inst.name.empty() ? app : inst.name;
    }
    std::string dir = *rd;
    live_instances();  // prune first, so dead names are free again
    inst.pid = getpid();
    inst.pid_start = process_start(inst.pid);
    inst.started = static_cast<int64_t>(std::time(nullptr));
    bool chosen = !inst.name.empty();
    if (chosen && !devargs::valid_name(inst.name))
        die("--name '" + inst.name + "': expected 1-31 characters from A-Z a-z 0-9 _ . -");
    for (int k = 1; k < 10000; ++k) {
        if (!chosen) inst.name = app + "-" + std::to_string(k);
        std::string path = dir + "/" + inst.name + ".run";
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            g_record = path;
            g_self = inst;
            write_record(path, inst);
            return inst.name;
        }
        if (errno != EEXIST) {
            note("cannot record this run in " + dir + " (" + std::strerror(errno) + "); `unikit ps` will not list it");
            return inst.name;
        }
        if (chosen) die("an instance named '" + inst.name + "' is already running (see `unikit ps`; choose another --name)");
    }
    die("too many instances of " + app);
}

namespace {

void update_record() {
    if (!g_record.empty()) write_record(g_record, g_self);
}

void remove_record() {
    if (!g_record.empty()) unlink(g_record.c_str());
    g_record.clear();
}

std::string find_netd() {
    if (const char* e = std::getenv("UNIKIT_NETD"); e && *e) return e;
    std::string build = main_build_dir();
    for (const std::string& p : {self_dir() + "/unikit-netd", self_dir() + "/../netd/unikit-netd",
                                 build + "/tools/netd/unikit-netd", build + "/bin/unikit-netd"}) {
        if (is_file(p) && access(p.c_str(), X_OK) == 0) return p;
    }
    return {};
}

int g_netd_pid = 0;
int g_status_fd = -1;     // read end of the helper's status pipe
std::string g_status_buf; // unread status text

// Handle complete status lines from the helper.
void status_lines() {
    size_t nl;
    while ((nl = g_status_buf.find('\n')) != std::string::npos) {
        std::string line = g_status_buf.substr(0, nl);
        g_status_buf.erase(0, nl + 1);
        if (line.starts_with("guest ")) {
            g_self.address = line.substr(6);
            update_record();
        }
    }
}

// Read what the helper has written; false at EOF.
bool read_status() {
    char buf[512];
    ssize_t n = read(g_status_fd, buf, sizeof buf);
    if (n > 0) {
        g_status_buf.append(buf, static_cast<size_t>(n));
        return true;
    }
    return n < 0 && (errno == EINTR || errno == EAGAIN);
}

void set_cloexec(int fd, bool on) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
}

void stop_netd() {
    if (g_netd_pid <= 0) return;
    kill(g_netd_pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // 1 s, then SIGKILL
        int st;
        pid_t r = waitpid(g_netd_pid, &st, WNOHANG);
        if (r == g_netd_pid || (r < 0 && errno == ECHILD)) {
            g_netd_pid = 0;
            return;
        }
        usleep(10000);
    }
    kill(g_netd_pid, SIGKILL);
    waitpid(g_netd_pid, nullptr, 0);
    g_netd_pid = 0;
}

}  // namespace

void start_netd(NetPlan& plan) {
    std::string netd = find_netd();
    if (netd.empty() && !std::getenv("UNIKIT_NETD") && is_file(main_build_dir() + "/CMakeCache.txt")) {
        // Built on first use, as the tenders are (quietly; the output is shown if it fails).
        run_process({"cmake", "--build", main_build_dir(), "--target", "unikit-netd"}, !options().verbose);
        netd = find_netd();
    }
    if (netd.empty()) remove_record();
    if (netd.empty())
        die("--net user and --pcap need the helper unikit-netd, which is not built (install libslirp-dev, then "
            "`cmake --build " + main_build_dir() + " --target unikit-netd`, or point UNIKIT_NETD at it)");
    int sv[2], st[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(st, O_CLOEXEC) != 0)
        die(std::string("cannot create the frame socket: ") + std::strerror(errno), 1);
    int buf = 4 << 20;
    for (int fd : sv) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    }
    std::vector<std::string> argv = {netd, "--frame-fd", std::to_string(sv[0]), "--status-fd", std::to_string(st[1])};
    if (plan.user) argv.push_back("--user");
    else argv.insert(argv.end(), {"--tap", plan.tap});
    for (const auto& f : plan.forwards) argv.insert(argv.end(), {"-p", netd::spec_of(f)});
    if (!plan.pcap.empty()) argv.insert(argv.end(), {"--pcap", plan.pcap});
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) die(std::string("cannot fork: ") + std::strerror(errno), 1);
    if (pid == 0) {
        setpgid(0, 0);  // Ctrl-C goes to the image; the helper ends when the image does
        set_cloexec(sv[0], false);
        set_cloexec(st[1], false);
        std::vector<char*> v;
        for (auto& a : argv) v.push_back(a.data());
        v.push_back(nullptr);
        execv(v[0], v.data());
        std::fprintf(stderr, "unikit: error: cannot run %s: %s\n", v[0], std::strerror(errno));
        _exit(127);
    }
    g_netd_pid = pid;
    close(sv[0]);
    close(st[1]);
    g_status_fd = st[0];
    // Wait (bounded) for "ready": the forwards are bound and the pcap file is open.
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        if (g_status_buf.find("ready\n") != std::string::npos) break;
        int64_t left = deadline - now_ms();
        pollfd p{g_status_fd, POLLIN, 0};
        if (left <= 0 || (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR)) {
            stop_netd();
            remove_record();
            die("the network helper unikit-netd did not start within 10 s", 1);
        }
        if (!read_status()) {
            int stt = 0;
            waitpid(pid, &stt, 0);
            g_netd_pid = 0;
            remove_record();
            // The helper printed its one-line reason (e.g. a port already in use) on stderr.
            std::exit(WIFEXITED(stt) && WEXITSTATUS(stt) != 0 ? WEXITSTATUS(stt) : 1);
        }
    }
    g_status_buf.erase(0, g_status_buf.find("ready\n") + 6);
    fcntl(g_status_fd, F_SETFL, fcntl(g_status_fd, F_GETFL) | O_NONBLOCK);
    plan.image_fd = sv[1];
    g_self.netd_pid = pid;
    update_record();
}

namespace {
int g_sig_pipe[2] = {-1, -1};
volatile sig_atomic_t g_term = 0;
void on_chld(int) {
    int e = errno;
    if (write(g_sig_pipe[1], "c", 1) < 0) {
    }
    errno = e;
}
void on_term(int) {
    int e = errno;
    g_term = 1;
    if (write(g_sig_pipe[1], "t", 1) < 0) {
    }
    errno = e;
}
}  // namespace

int supervise(const std::string& image, const std::vector<std::string>& argv, double seconds, NetPlan& plan) {
    if (g_netd_pid <= 0) {
        int rc = run_image(image, argv, seconds);
        remove_record();
        return rc;
    }
    if (pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die(std::string("pipe: ") + std::strerror(errno), 1);
    struct sigaction sa{};
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, nullptr);
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the image itself (same process group)
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) die(std::string("cannot fork: ") + std::strerror(errno), 1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the supervisor
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        if (plan.image_fd >= 0) set_cloexec(plan.image_fd, false);
        std::vector<char*> v;
        for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
        v.push_back(nullptr);
        execvp(v[0], v.data());
        std::fprintf(stderr, "unikit: error: cannot run %s: %s\n", v[0], std::strerror(errno));
        _exit(127);
    }
    if (plan.image_fd >= 0) close(plan.image_fd);
    plan.image_fd = -1;
    g_self.image_pid = pid;
    update_record();

    const int64_t t0 = now_ms();
    const int64_t timeout_at = seconds > 0 ? t0 + static_cast<int64_t>(seconds * 1000) : -1;
    int64_t kill_at = -1;  // SIGKILL the image then (after a SIGTERM we sent)
    bool timed_out = false, helper_died = false, term_sent = false;
    int image_status = -1;
    while (image_status < 0) {
        status_lines();
        int64_t now = now_ms();
        int wait = -1;
        for (int64_t at : {timeout_at, kill_at}) {
            if (at >= 0) wait = wait < 0 ? static_cast<int>(std::max<int64_t>(0, at - now))
                                         : std::min(wait, static_cast<int>(std::max<int64_t>(0, at - now)));
        }
        pollfd p[2] = {{g_sig_pipe[0], POLLIN, 0}, {g_status_fd, POLLIN, 0}};
        int n = poll(p, g_status_fd >= 0 ? 2 : 1, wait);
        if (n > 0 && (p[0].revents & POLLIN)) {
            char buf[64];
            while (read(g_sig_pipe[0], buf, sizeof buf) > 0) {
            }
        }
        if (n > 0 && g_status_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
            if (!read_status()) {
                close(g_status_fd);
                g_status_fd = -1;
            }
        }
        int st = 0;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            image_status = st;
            break;
        }
        if (g_netd_pid > 0 && waitpid(g_netd_pid, &st, WNOHANG) == g_netd_pid) {
            g_netd_pid = 0;
            // An ending image closes its descriptors (the helper sees EOF and exits) a moment
            // before it can be reaped: give it that moment before blaming the helper.
            int ist = 0;
            bool image_ended = false;
            for (int i = 0; i < 50 && !image_ended; ++i) {
                image_ended = waitpid(pid, &ist, WNOHANG) == pid;
                if (!image_ended) usleep(10000);
            }
            if (image_ended) {
                image_status = ist;
                break;
            }
            helper_died = true;
            std::string why = WIFSIGNALED(st) ? "was killed by signal " + std::to_string(WTERMSIG(st))
                                              : "exited with status " + std::to_string(WEXITSTATUS(st));
            note("the network helper unikit-netd " + why + "; stopping the image");
            kill(pid, SIGTERM);
            term_sent = true;
            kill_at = now_ms() + 2000;
        }
        now = now_ms();
        if (g_term && !term_sent) {
            kill(pid, SIGTERM);
            term_sent = true;
            kill_at = now + 5000;
        }
        if (timeout_at >= 0 && now >= timeout_at && !timed_out) {
            timed_out = true;
            if (!term_sent) kill(pid, SIGTERM);
            term_sent = true;
            kill_at = now + 1000;
        }
        if (kill_at >= 0 && now >= kill_at) {
            kill(pid, SIGKILL);
            kill_at = -1;
        }
    }
    stop_netd();
    remove_record();
    if (timed_out) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", seconds);
        note(std::string("timed out after ") + buf + " s; stopped the image");
        return kExitTimeout;
    }
    int code = report_end(image, argv[0], image_status, g_term != 0);
    if (helper_died && code == 0) code = 1;
    return code;
}

// ---- ps / stop -------------------------------------------------------------------------------

namespace {
std::string uptime_text(int64_t started) {
    int64_t s = std::max<int64_t>(0, static_cast<int64_t>(std::time(nullptr)) - started);
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    else std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60));
    return buf;
}
}  // namespace

int cmd_ps(const std::vector<std::string>& args) {
    bool quiet = false;
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("ps").c_str(), stdout);
            return 0;
        }
        if (a == "-q" || a == "--quiet") quiet = true;
        else die("ps: unknown argument '" + a + "' (see `unikit help ps`)");
    }
    auto list = live_instances();
    if (quiet) {
        for (const auto& in : list) std::printf("%s\n", in.name.c_str());
        return 0;
    }
    std::printf("%-16s %-6s %-8s %-12s %-15s %-8s %s\n", "NAME", "TARGET", "PID", "NET", "ADDRESS", "UPTIME", "FORWARDS");
    for (const auto& in : list) {
        std::string fw;
        for (const auto& f : in.forwards) fw += (fw.empty() ? "" : ", ") + f;
        std::printf("%-16s %-6s %-8d %-12s %-15s %-8s %s\n", in.name.c_str(), in.target.c_str(), in.pid,
                    in.net.empty() ? "-" : in.net.c_str(), in.address.empty() ? "-" : in.address.c_str(),
                    uptime_text(in.started).c_str(), fw.empty() ? "-" : fw.c_str());
    }
    return 0;
}

int cmd_stop(const std::vector<std::string>& args) {
    std::vector<std::string> names;
    double grace = 5;
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("stop").c_str(), stdout);
            return 0;
        }
        if (a == "--grace" || a == "-t") {
            if (i + 1 >= args.size()) die(a + " needs a number of seconds");
            char* end = nullptr;
            grace = std::strtod(args[++i].c_str(), &end);
            if (*end || !(grace >= 0) || grace > 3600) die(a + " '" + args[i] + "': expected seconds (0-3600)");
        } else if (a.starts_with("-")) {
            die("stop: unknown option '" + a + "' (see `unikit help stop`)");
        } else {
            names.push_back(a);
        }
    }
    if (names.empty()) die("stop: which instance? (usage: unikit stop NAME...; see `unikit ps`)");
    auto list = live_instances();
    int rc = 0;
    for (const auto& name : names) {
        auto it = std::find_if(list.begin(), list.end(), [&](const Instance& in) { return in.name == name; });
        if (it == list.end()) {
            std::fprintf(stderr, "unikit: error: no running instance named '%s' (see `unikit ps`)\n", name.c_str());
            rc = 1;
            continue;
        }
        // SIGTERM to the supervising `unikit run`: it stops the image and its helper.
        kill(it->pid, SIGTERM);
        int64_t until = now_ms() + static_cast<int64_t>(grace * 1000);
        while (alive(*it) && now_ms() < until) usleep(20000);
        if (alive(*it)) {
            note(name + " did not stop within " + std::to_string(static_cast<int>(grace)) + " s; killing it");
            kill(it->pid, SIGKILL);  // its image and helper die with it (parent-death signal)
            if (it->image_pid > 0) kill(it->image_pid, SIGKILL);
            if (it->netd_pid > 0) kill(it->netd_pid, SIGKILL);
            for (int i = 0; i < 100 && alive(*it); ++i) usleep(20000);
        }
        live_instances();  // prune its record if it could not remove it itself
    }
    return rc;
}

// ---- net create-tap / delete-tap -------------------------------------------------------------

int cmd_net(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::fputs(help_for("net").c_str(), args.empty() ? stderr : stdout);
        return args.empty() ? kExitUsage : 0;
    }
    const std::string& sub = args[0];
    if (sub != "create-tap" && sub != "delete-tap")
        die("net: unknown subcommand '" + sub + "' (known: create-tap, delete-tap; see `unikit help net`)");
    std::string name, netns, address, user;
    for (size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) die(a + " needs a value");
            return args[++i];
        };
        if (a == "--netns") netns = value();
        else if (a == "--address" && sub == "create-tap") address = value();
        else if (a == "--user" && sub == "create-tap") user = value();
        else if (a.starts_with("-")) die("net " + sub + ": unknown option '" + a + "' (see `unikit help net`)");
        else if (name.empty()) name = a;
        else die("net " + sub + ": one interface at a time");
    }
    if (name.empty() || name.size() > 15 || name.find_first_of("/: =") != std::string::npos)
        die("net " + sub + ": expected an interface name of 1-15 characters");
    if (!address.empty()) {
        auto slash = address.find('/');
        if (slash == std::string::npos || !devargs::parse_ipv4(address.substr(0, slash)))
            die("--address '" + address + "': expected A.B.C.D/N");
    }
    if (geteuid() != 0)
        die("net " + sub + " needs root (creating network interfaces needs CAP_NET_ADMIN): run it with sudo, "
            "or use --net user, which needs no root");
    std::vector<std::string> ip = {"ip"};
    if (!netns.empty()) ip.insert(ip.end(), {"-n", netns});
    auto run = [&](std::vector<std::string> tail, const std::string& what) {
        std::vector<std::string> cmd = ip;
        cmd.insert(cmd.end(), tail.begin(), tail.end());
        if (run_process(cmd, true) != 0) die("net " + sub + ": " + what + " failed (" + cmd[0] + " " + tail[0] + " ...)", 1);
    };
    if (sub == "delete-tap") {
        run({"tuntap", "del", "dev", name, "mode", "tap"}, "deleting TAP interface '" + name + "'");
        return 0;
    }
    std::vector<std::string> add = {"tuntap", "add", "dev", name, "mode", "tap"};
    if (!user.empty()) add.insert(add.end(), {"user", user});
    run(add, "creating TAP interface '" + name + "'");
    if (!address.empty()) run({"addr", "add", address, "dev", name}, "setting address " + address);
    run({"link", "set", name, "up"}, "bringing '" + name + "' up");
    std::printf("%s\n", name.c_str());
    return 0;
}

}  // namespace unikit::cli
