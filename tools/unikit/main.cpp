// The `unikit` command: build, run and inspect unikernel images. See docs/cli.md.
#include <cstdio>
#include <string>
#include <vector>

#include <unikit/platform.h>

#include "cli.h"
#include "instances.h"

using namespace unikit::cli;

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-v" || a == "--verbose") {
            options().verbose = true;
        } else if (a == "-h" || a == "--help") {
            std::fputs(help_overview().c_str(), stdout);
            return 0;
        } else if (a == "--version") {
            std::printf("unikit %s (platform ABI %d)\n", UNIKIT_VERSION, UK_ABI_VERSION);
            return 0;
        } else if (a.starts_with("-")) {
            die("unknown option '" + a + "' (see `unikit --help`)");
        } else {
            break;
        }
    }
    if (i == args.size()) die("missing command (commands: build, run, inspect, targets, help; see `unikit --help`)");
    std::string cmd = args[i];
    std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    if (cmd == "build") return cmd_build(rest);
    if (cmd == "run") return cmd_run(rest);
    if (cmd == "inspect") return cmd_inspect(rest);
    if (cmd == "targets") return cmd_targets(rest);
    if (cmd == "help") return cmd_help(rest);
    if (cmd == "ps") return cmd_ps(rest);
    if (cmd == "stop") return cmd_stop(rest);
    if (cmd == "net") return cmd_net(rest);
    die("unknown command '" + cmd + "' (commands: build, run, ps, stop, net, inspect, targets, help)");
}
