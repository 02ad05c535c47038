// unikit-kvbake: turns a directory into C++ source holding every file as constant data, for the
// read-only baked KV store (include/unikit/kv.h). Host code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace unikit::kvbake {

struct BakedInput {
    std::string key;                 // "/" + path relative to the directory, '/'-separated
    std::vector<uint8_t> data;
    std::vector<uint8_t> gzip;       // empty unless the gzip variant is smaller than data
    std::string content_type;
    std::string etag;                // strong, quoted: "<16 hex digits of FNV-1a 64>"
    std::string gzip_etag;           // "<same>-gz" (a different representation), or empty
    int64_t mtime = 0;               // seconds since the epoch
};

// Content type for a path, by its extension (case-insensitive); application/octet-stream if
// unknown. Text types carry "; charset=utf-8".
std::string_view content_type_for(std::string_view path);

uint64_t fnv1a64(const uint8_t* p, size_t n);

// Reads every regular file under dir (recursively; symlinks followed), sorted by key (bytewise).
// mtime is the file's modification time, clamped to SOURCE_DATE_EPOCH when that is set.
// Returns false and sets `error` on failure.
bool collect(const std::filesystem::path& dir, std::vector<BakedInput>& out, std::string& error);

// The generated C++ source for the entries (deterministic for the same input).
std::string generate(const std::vector<BakedInput>& entries, std::string_view origin);

}  // namespace unikit::kvbake
