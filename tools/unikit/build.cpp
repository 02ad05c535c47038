// `unikit build APP_DIR --target T`: drive CMake to build one app's image.
//
// In-tree apps (<root>/apps/NAME) build in the main build dir (<root>/build, or
// $UNIKIT_BUILD_DIR), configured with Ninja when missing. An app directory elsewhere gets a build
// dir of its own, <main build dir>/ext/<name>-<hash>, configured with -DUNIKIT_APP_DIRS=<dir>.
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli.h"

namespace unikit::cli {
namespace {

// The name given to unikit_app() in DIR/CMakeLists.txt.
std::string app_name_of(const std::string& dir) {
    std::ifstream in(dir + "/CMakeLists.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    // Drop comments so a commented-out unikit_app() is not taken.
    text = std::regex_replace(text, std::regex("#[^\n]*"), "");
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(R"(unikit_app\s*\(\s*([A-Za-z0-9_.+-]+))")))
        die(dir + "/CMakeLists.txt declares no unikit_app(NAME ...)");
    return m[1];
}

std::string hash_hex(const std::string& s) {
    uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", h);
    return buf;
}

// The value of VAR in DIR/CMakeCache.txt, or nullopt when not configured.
std::optional<std::string> cache_value(const std::string& dir, const std::string& var) {
    std::ifstream in(dir + "/CMakeCache.txt");
    if (!in) return std::nullopt;
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(var + ":")) {
            auto eq = line.find('=');
            return eq == std::string::npos ? std::string() : line.substr(eq + 1);
        }
    }
    return std::string();
}

bool list_has(const std::string& list, const std::string& item) {
    std::stringstream ss(list);
    std::string x;
    while (std::getline(ss, x, ';')) {
        if (x == item) return true;
    }
    return false;
}

void configure(const std::string& build_dir, std::vector<std::string> extra) {
    std::vector<std::string> argv = {"cmake", "-S", source_root(), "-B", build_dir};
    if (!is_file(build_dir + "/CMakeCache.txt")) {
        note("configuring " + build_dir);
        argv.insert(argv.end(), {"-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (run_process(argv, !options().verbose) != 0) die("configuring " + build_dir + " failed (output above)", kExitBuild);
}

}  // namespace

std::string build_app(const std::string& app_dir_arg, const Target& target) {
    auto app_dir = real_path(app_dir_arg);
    if (!app_dir || !is_dir(*app_dir)) die("no app directory '" + app_dir_arg + "'");
    if (!is_file(*app_dir + "/CMakeLists.txt"))
        die("'" + app_dir_arg + "' is not an app directory (it has no CMakeLists.txt)");
    if (!target_implemented(target))
        die("target '" + std::string(target.name) + "' is not implemented yet (see `unikit targets`)");
    std::string name = app_name_of(*app_dir);
    std::string root = source_root();
    auto real_root = real_path(root).value_or(root);
    std::string main_build = main_build_dir();

    bool in_tree = app_dir->substr(0, app_dir->rfind('/')) == real_root + "/apps";
    std::string build_dir;
    if (in_tree) {
        build_dir = main_build;
        auto configured = cache_value(build_dir, "UNIKIT_TARGETS");
        auto app_dirs = cache_value(build_dir, "UNIKIT_APP_DIRS");
        if (!configured) {
            configure(build_dir, {"-DUNIKIT_BUILD_TESTS=OFF"});
            configured = cache_value(build_dir, "UNIKIT_TARGETS");
        }
        if (app_dirs && !app_dirs->empty() && !list_has(*app_dirs, *app_dir))
            die(build_dir + " is configured for other apps only (UNIKIT_APP_DIRS=" + *app_dirs + ")");
        if (configured && !list_has(*configured, target.name)) {
            std::string list = configured->empty() ? target.name : *configured + ";" + target.name;
            configure(build_dir, {"-DUNIKIT_TARGETS=" + list});
        }
    } else {
        build_dir = main_build + "/ext/" + name + "-" + hash_hex(*app_dir);
        auto configured = cache_value(build_dir, "UNIKIT_TARGETS");
        if (!configured) {
            configure(build_dir, {"-DUNIKIT_APP_DIRS=" + *app_dir, "-DUNIKIT_BUILD_TESTS=OFF",
                                  "-DUNIKIT_TARGETS=" + std::string(target.name)});
        } else if (!list_has(*configured, target.name)) {
            configure(build_dir, {"-DUNIKIT_TARGETS=" + *configured + ";" + target.name});
        }
    }

    std::string exe = name + "." + target.name;
    std::vector<std::string> argv = {"cmake", "--build", build_dir, "--target", exe};
    if (target.runner == Runner::tender && target.tender) argv.push_back(target.tender);
    if (run_process(argv, !options().verbose) != 0) die("building " + exe + " failed (output above)", kExitBuild);
    std::string image = build_dir + "/images/" + exe;
    if (!is_file(image)) die("the build succeeded but made no image at " + image, kExitBuild);
    return image;
}

int cmd_build(const std::vector<std::string>& args) {
    std::string app, target_name = "unix";
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            std::fputs(help_for("build").c_str(), stdout);
            return 0;
        }
        if (a == "--target" || a == "-t") {
            if (i + 1 >= args.size()) die(a + " needs a value (one of: " + target_names() + ")");
            target_name = args[++i];
        } else if (a.starts_with("--target=")) {
            target_name = a.substr(9);
        } else if (a.starts_with("-")) {
            die("build: unknown option '" + a + "' (see `unikit help build`)");
        } else if (app.empty()) {
            app = a;
        } else {
            die("build: more than one app directory ('" + app + "', '" + a + "')");
        }
    }
    if (app.empty()) die("build: missing APP_DIR (usage: unikit build APP_DIR [--target T])");
    const Target* t = find_target(target_name);
    if (!t) die("unknown target '" + target_name + "' (known: " + target_names() + ")");
    std::string image = build_app(app, *t);
    std::printf("%s\n", image.c_str());
    return 0;
}

}  // namespace unikit::cli
