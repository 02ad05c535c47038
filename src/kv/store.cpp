// unikit::kv - the KvStore default read() and the baked store (include/unikit/kv.h).
#include <unikit/kv.h>

#include <algorithm>

namespace unikit::kv {

Task<Result<size_t>> KvStore::read(const KvEntry& entry, Variant v, uint64_t offset, std::span<uint8_t> out) const {
    std::span<const uint8_t> src = v == Variant::gzip ? entry.gzip_data : entry.data;
    uint64_t total = v == Variant::gzip ? entry.gzip_size : entry.size;
    if (src.size() != total) co_return fail(Error::unsupported);  // not resident: a subclass reads it
    if (offset >= src.size()) co_return size_t{0};
    size_t n = std::min<size_t>(out.size(), src.size() - offset);
    std::copy_n(src.data() + offset, n, out.data());
    co_return n;
}

namespace {
KvEntry entry_of(const BakedFile& f) {
    KvEntry e;
    e.key = f.key;
    e.data = {f.data, static_cast<size_t>(f.size)};
    if (f.gzip) e.gzip_data = {f.gzip, static_cast<size_t>(f.gzip_size)};
    e.size = f.size;
    e.gzip_size = f.gzip ? f.gzip_size : 0;
    e.content_type = f.content_type;
    e.etag = f.etag;
    e.gzip_etag = f.gzip ? f.gzip_etag : std::string_view{};
    e.modified = f.modified;
    return e;
}
}  // namespace

Result<KvEntry> BakedStore::get(std::string_view key) const {
    const BakedFile* first = table_.files;
    const BakedFile* last = table_.files + table_.count;
    const BakedFile* it = std::lower_bound(first, last, key, [](const BakedFile& f, std::string_view k) { return f.key < k; });
    if (it == last || it->key != key) return fail(Error::not_found);
    return entry_of(*it);
}

Result<KvEntry> BakedStore::at(size_t index) const {
    if (index >= table_.count) return fail(Error::not_found);
    return entry_of(table_.files[index]);
}

const BakedStore& baked() noexcept {
    static const BakedStore store(detail::g_baked_table);
    return store;
}

}  // namespace unikit::kv
