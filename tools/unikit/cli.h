// Internals of the `unikit` command, shared by its subcommands.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/devargs.h"

namespace unikit::cli {

// Exit statuses of the command itself (a run's status is the image's own).
inline constexpr int kExitUsage = 2;     // bad command line, unknown target, missing app, device mismatch
inline constexpr int kExitBuild = 1;     // the build failed (its output is shown on stderr)
inline constexpr int kExitTimeout = 124; // `run --timeout` expired (as timeout(1))
inline constexpr int kExitImageAbort = 112; // the image panicked or aborted (UK_EXIT_ABORT)

// Print "unikit: error: MSG" on stderr and exit with `status`.
[[noreturn]] void die(const std::string& msg, int status = kExitUsage);
// Print "unikit: MSG" on stderr.
void note(const std::string& msg);

struct Options {
    bool verbose = false;  // -v: show build output as it happens
};
Options& options();

// Paths.
std::string source_root();                 // the unikit source tree (UNIKIT_ROOT env, else built-in)
std::string main_build_dir();              // UNIKIT_BUILD_DIR env, else <root>/build
std::optional<std::string> real_path(const std::string& p);  // absolute, symlinks resolved
bool is_dir(const std::string& p);
bool is_file(const std::string& p);
std::string self_dir();                    // the directory of the running unikit executable

// ---- targets -------------------------------------------------------------------------------

enum class Runner {
    direct,  // the image is a host executable: exec it with the platform options
    tender,  // exec a tender program: TENDER [--net ..] [--block ..] IMAGE -- ARGS
    qemu,    // boot the image in qemu-system-x86_64 (-kernel IMAGE, PVH): tools/unikit/qemu.h
    none,    // not runnable yet
};

struct Target {
    const char* name;
    const char* summary;
    Runner runner;
    const char* tender;   // tender program (Runner::tender): built by CMake target of the same name
    const char* device;   // host device the target needs ("/dev/kvm"), or nullptr
};

const std::vector<Target>& targets();
const Target* find_target(std::string_view name);
std::string target_names();               // "unix, spt, hvt, virtio"
bool target_implemented(const Target& t); // platforms/<name>/ exists in the source tree
// Empty when the target can run images on this machine; otherwise why not.
std::string target_unavailable(const Target& t, const std::string& build_dir);
// Find a tender in the build dir (UNIKIT_TENDER_<NAME> env overrides); empty if not built.
std::string find_tender(const Target& t, const std::string& build_dir);

// ---- processes -----------------------------------------------------------------------------

// Run argv, wait, return the exit status (128+signal when killed). Output goes to stderr; when
// `quiet` it is captured instead and shown only if the command fails.
int run_process(const std::vector<std::string>& argv, bool quiet);
// Replace this process with argv (never returns; dies if it cannot).
// Run the image's command line (argv) and wait for it, forwarding SIGTERM/SIGHUP to it; with
// seconds > 0, stop it after that long and return kExitTimeout. An abnormal end (a signal such
// as the sandbox's SIGSYS, or the panic status 112) is explained on stderr. Returns the exit
// status for `unikit run`: the image's own, or 128 + signal.
int run_image(const std::string& image, const std::vector<std::string>& argv, double seconds);
// Explain how an image ended when it did not end normally (a signal such as the sandbox's
// SIGSYS, or the panic status 112), on stderr; `runner` is the program that ran it (the image,
// a tender or a monitor). A SIGTERM the user asked for (stop_requested) needs no explanation.
// Returns the status `unikit run` exits with: the image's own, or 128 + signal.
int report_end(const std::string& image, const std::string& runner, int status, bool stop_requested);
// A runner whose own exit status is not the image's (QEMU) sets this before the run: report_end
// passes the wait status through it first, with the signal that was sent to stop the image (0 if
// none); it returns the image's, as a wait status.
std::function<int(int, int)>& end_status_filter();

// ---- subcommands ---------------------------------------------------------------------------

// Build APP_DIR for `target`; returns the image path. Dies on errors.
std::string build_app(const std::string& app_dir, const Target& target);

int cmd_build(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_inspect(const std::vector<std::string>& args);
int cmd_targets(const std::vector<std::string>& args);
int cmd_help(const std::vector<std::string>& args);

// Help text: the overview, or one command's ("" if unknown).
std::string help_overview();
std::string help_for(std::string_view command);
bool is_command(std::string_view name);

}  // namespace unikit::cli
