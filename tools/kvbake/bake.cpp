// unikit-kvbake: directory -> generated C++ (see bake.h).
#include "bake.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

#include "deflate.h"

namespace unikit::kvbake {

namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view path) {
    struct Type {
        std::string_view ext, type;
    };
    static constexpr Type kTypes[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"webmanifest", "application/manifest+json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"xml", "application/xml"},
        {"csv", "text/csv; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"avif", "image/avif"},
        {"ico", "image/x-icon"},
        {"wasm", "application/wasm"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"ttf", "font/ttf"},
        {"otf", "font/otf"},
        {"pdf", "application/pdf"},
        {"mp3", "audio/mpeg"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
    };
    size_t slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
    std::string ext(name.substr(dot + 1));
    for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (const Type& t : kTypes)
        if (t.ext == ext) return t.type;
    return "application/octet-stream";
}

uint64_t fnv1a64(const uint8_t* p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool collect(const fs::path& dir, std::vector<BakedInput>& out, std::string& error) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        error = "not a directory: " + dir.string();
        return false;
    }
    int64_t clamp = -1;
    if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) clamp = std::strtoll(sde, nullptr, 10);

    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) {
        error = "cannot walk " + dir.string() + ": " + ec.message();
        return false;
    }
    for (const fs::path& f : files) {
        BakedInput e;
        fs::path rel = fs::relative(f, dir, ec);
        if (ec) {
            error = "cannot relativise " + f.string();
            return false;
        }
        e.key = "/" + rel.generic_string();
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            error = "cannot read " + f.string();
            return false;
        }
        e.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        struct stat st {};
        if (::stat(f.c_str(), &st) == 0) e.mtime = st.st_mtime;
        if (clamp >= 0 && e.mtime > clamp) e.mtime = clamp;
        e.content_type = content_type_for(e.key);
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(e.data.data(), e.data.size())));
        e.etag = std::string("\"") + hex + "\"";
        if (!e.data.empty()) {
            std::vector<uint8_t> gz = gzip(e.data);
            if (gz.size() < e.data.size()) {
                e.gzip = std::move(gz);
                e.gzip_etag = std::string("\"") + hex + "-gz\"";
            }
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const BakedInput& a, const BakedInput& b) { return a.key < b.key; });
    return true;
}

namespace {

// Bytes as a C++ string literal: printable ASCII as is, everything else as a 3-digit octal
// escape (which cannot swallow the next character), lines of about 120 columns.
void emit_bytes(std::string& out, const std::vector<uint8_t>& b) {
    out += "\n    \"";
    size_t col = 0;
    for (uint8_t c : b) {
        if (col >= 120) {
            out += "\"\n    \"";
            col = 0;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            out += char(c);
            ++col;
        } else {
            char esc[5] = {'\\', char('0' + (c >> 6)), char('0' + ((c >> 3) & 7)), char('0' + (c & 7)), 0};
            out += esc;
            col += 4;
        }
    }
    out += "\"";
}

// A string for inclusion in a C++ literal (keys and types are plain text, but be safe).
std::string quote(std::string_view s) {
    std::string r = "\"";
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            r += char(c);
        } else {
            char esc[5] = {'\\', char('0' + (c >> 6)), char('0' + ((c >> 3) & 7)), char('0' + (c & 7)), 0};
            r += esc;
        }
    }
    return r + "\"";
}

}  // namespace

std::string generate(const std::vector<BakedInput>& entries, std::string_view origin) {
    std::string out;
    out += "// Generated by unikit-kvbake";
    if (!origin.empty()) out += " from " + std::string(origin);
    out += ". Do not edit.\n";
    out += "// " + std::to_string(entries.size()) + " files; see docs/http.md (KV baking format).\n";
    out += "#include <unikit/kv.h>\n\nnamespace {\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        const BakedInput& e = entries[i];
        out += "// " + quote(e.key) + "\n";
        out += "alignas(16) const unsigned char d" + std::to_string(i) + "[" + std::to_string(e.data.size() + 1) + "] =";
        emit_bytes(out, e.data);
        out += ";\n";
        if (!e.gzip.empty()) {
            out += "alignas(16) const unsigned char g" + std::to_string(i) + "[" + std::to_string(e.gzip.size() + 1) + "] =";
            emit_bytes(out, e.gzip);
            out += ";\n";
        }
    }
    out += "\nconstexpr unikit::kv::BakedFile kFiles[] = {\n";
    for (size_t i = 0; i < entries.size(); ++i) {
        const BakedInput& e = entries[i];
        std::string n = std::to_string(i);
        out += "    {" + quote(e.key) + ", d" + n + ", " + std::to_string(e.data.size()) + "u, ";
        if (e.gzip.empty()) out += "nullptr, 0u, ";
        else out += "g" + n + ", " + std::to_string(e.gzip.size()) + "u, ";
        out += quote(e.content_type) + ", " + quote(e.etag) + ", " + quote(e.gzip_etag) + ", " +
               std::to_string(e.mtime) + "},\n";
    }
    if (entries.empty()) out += "    {},\n";
    out += "};\n\n}  // namespace\n\n";
    out += "namespace unikit::kv::detail {\n";
    out += "extern const BakedTable g_baked_table;\n";
    out += "const BakedTable g_baked_table = {kFiles, " + std::to_string(entries.size()) + "u};\n";
    out += "}  // namespace unikit::kv::detail\n";
    return out;
}

}  // namespace unikit::kvbake
