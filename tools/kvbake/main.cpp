// unikit-kvbake DIR OUT.cpp: bake every file under DIR into OUT.cpp (see bake.h, docs/http.md).
// OUT.cpp is written through a temporary file and renamed, so a failed run leaves no half file.
#include <cstdio>
#include <fstream>

#include "bake.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: unikit-kvbake DIR OUT.cpp\n");
        return 2;
    }
    std::vector<unikit::kvbake::BakedInput> entries;
    std::string error;
    if (!unikit::kvbake::collect(argv[1], entries, error)) {
        std::fprintf(stderr, "unikit-kvbake: %s\n", error.c_str());
        return 1;
    }
    std::string text = unikit::kvbake::generate(entries, std::filesystem::path(argv[1]).filename().string());
    std::string tmp = std::string(argv[2]) + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            std::fprintf(stderr, "unikit-kvbake: cannot write %s\n", tmp.c_str());
            return 1;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, argv[2], ec);
    if (ec) {
        std::fprintf(stderr, "unikit-kvbake: cannot write %s: %s\n", argv[2], ec.message().c_str());
        return 1;
    }
    return 0;
}
