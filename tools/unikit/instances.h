// Running instances (`unikit run` records, `unikit ps`, `unikit stop`) and the network helper
// that `unikit run` supervises (`--net user`, `-p`, `--pcap`). See docs/networking.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netd/forward.h"

namespace unikit::cli {

// One running `unikit run`, as recorded in the runtime directory (one file per instance).
struct Instance {
    std::string name;
    std::string target;
    std::string image;
    int pid = 0;              // the supervising `unikit run`
    uint64_t pid_start = 0;   // its start time (/proc/PID/stat field 22), against PID reuse
    int image_pid = 0;
    int netd_pid = 0;
    std::string net;          // "user", "tap:uk0", "socket", "" (none)
    std::string address;      // the guest's IPv4 address when known
    std::vector<std::string> forwards;  // "127.0.0.1:8080->80/tcp"
    std::string pcap;
    int64_t started = 0;      // wall-clock seconds
};

// $XDG_RUNTIME_DIR/unikit, else /tmp/unikit-$UID (created 0700; refused if owned by another user).
std::string runtime_dir();
// Live instances; records of processes that have ended are deleted.
std::vector<Instance> live_instances();
// /proc/PID/stat start time; 0 when the process is gone or a zombie.
uint64_t process_start(int pid);

// What `unikit run` must arrange around the image.
struct NetPlan {
    bool netd = false;                // start unikit-netd
    bool user = false;                // --net user (else a TAP relay for --pcap)
    std::string tap;                  // relay: the TAP interface
    std::vector<netd::Forward> forwards;
    std::string pcap;
    int image_fd = -1;                // after start_netd: the image's end of the frame socket
};

// Registers this `unikit run` under `name` (empty: app name + the lowest free counter); returns
// the name. Dies when the name is taken by a live instance.
std::string register_instance(Instance inst, const std::string& app);
// Start unikit-netd per `plan`; waits (bounded) until it reports ready, or dies with its error
// (exit 2: e.g. a published port already in use). Fills plan.image_fd.
void start_netd(NetPlan& plan);
// Run the image (argv) under supervision with the helper (if started): see run_image(). Removes
// the instance record at the end and never leaves the helper behind.
int supervise(const std::string& image, const std::vector<std::string>& argv, double seconds, NetPlan& plan);

int cmd_ps(const std::vector<std::string>& args);
int cmd_stop(const std::vector<std::string>& args);
int cmd_net(const std::vector<std::string>& args);

}  // namespace unikit::cli
