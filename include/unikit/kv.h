// unikit::kv - a read-only key/value store of files, as served by the HTTP library.
//
//   const unikit::kv::KvStore& files = unikit::kv::baked();  // files from unikit_app(... FILES dir)
//   if (auto e = files.get("/index.html")) {
//       e->data;          // std::span<const uint8_t>: the bytes, in .rodata (no copy)
//       e->gzip_data;     // the gzip variant, or empty when it would not be smaller
//       e->content_type;  // "text/html; charset=utf-8"
//       e->etag;          // strong validator, quoted: "\"8c1f...\""
//   }
//
// KvStore is an interface so that other stores can stand behind the same API: the baked store
// (files compiled into the image by unikit-kvbake, everything resident in memory) today, a
// block-device-backed store later. An entry says whether its bytes are resident; when they are
// not (`resident == false`, data/gzip_data empty, sizes still set), a caller reads them with
// the `read()` coroutine in pieces (see docs/http.md, "Non-resident stores").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <unikit/error.h>
#include <unikit/task.h>

namespace unikit::kv {

struct KvEntry {
    std::string_view key;                 // "/index.html"
    std::span<const uint8_t> data;        // identity bytes (empty when !resident)
    std::span<const uint8_t> gzip_data;   // gzip variant (empty when none, or when !resident)
    uint64_t size = 0;                    // identity size
    uint64_t gzip_size = 0;               // 0: no gzip variant
    std::string_view content_type;        // media type for Content-Type
    std::string_view etag;                // strong ETag of the identity bytes, quoted
    std::string_view gzip_etag;           // strong ETag of the gzip variant, quoted (or empty)
    int64_t modified = 0;                 // last modification, seconds since the Unix epoch
    bool resident = true;                 // data/gzip_data hold the bytes

    bool has_gzip() const noexcept { return gzip_size != 0; }
};

enum class Variant : uint8_t { identity, gzip };

class KvStore {
public:
    // The entry for `key` (exact match; keys start with '/'); Error::not_found if none.
    virtual Result<KvEntry> get(std::string_view key) const = 0;
    // Number of entries, and the i-th in key order (for listings); Error::not_found past the end.
    virtual size_t size() const = 0;
    virtual Result<KvEntry> at(size_t index) const = 0;
    // Copies up to out.size() bytes of a variant of the entry, from `offset`, into `out`; returns
    // the count (0 at the end). Resident stores copy from memory and finish at once; a
    // block-backed store reads its device here.
    virtual Task<Result<size_t>> read(const KvEntry& entry, Variant v, uint64_t offset,
                                      std::span<uint8_t> out) const;

protected:
    ~KvStore() = default;
};

// ---- the baked store ------------------------------------------------------------------------

// One file as unikit-kvbake emits it (constant data; all strings are literals).
struct BakedFile {
    std::string_view key;
    const unsigned char* data;
    uint64_t size;
    const unsigned char* gzip;  // nullptr: no gzip variant
    uint64_t gzip_size;
    std::string_view content_type;
    std::string_view etag;
    std::string_view gzip_etag;
    int64_t modified;
};

struct BakedTable {
    const BakedFile* files;  // sorted by key (bytewise)
    size_t count;
};

namespace detail {
// Defined by the generated source of unikit_app(... FILES dir); an empty table otherwise.
extern const BakedTable g_baked_table;
}  // namespace detail

// A KvStore over a sorted table of BakedFiles; lookups are binary searches.
class BakedStore final : public KvStore {
public:
    constexpr explicit BakedStore(BakedTable table) noexcept : table_(table) {}
    Result<KvEntry> get(std::string_view key) const override;
    size_t size() const override { return table_.count; }
    Result<KvEntry> at(size_t index) const override;

private:
    BakedTable table_;
};

// The files baked into this image (empty if the app declared no FILES).
const BakedStore& baked() noexcept;

}  // namespace unikit::kv
