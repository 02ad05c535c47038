// The baked KvStore, over the source unikit-kvbake generated from tests/kv/data (linked into
// this test as it is into an image).
#include <gtest/gtest.h>

#include <string>

#include <unikit/kv.h>
#include <unikit/loop.h>

#include "kv/inflate.h"
#include "support/fake_platform.h"

using namespace unikit;
using namespace unikit::kv;

namespace {
std::string str(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }
}  // namespace

TEST(BakedStore, HoldsEveryFileInKeyOrder) {
    const KvStore& s = baked();
    ASSERT_EQ(s.size(), 9u);
    std::string prev;
    for (size_t i = 0; i < s.size(); ++i) {
        auto e = s.at(i);
        ASSERT_TRUE(e);
        EXPECT_GT(std::string(e->key), prev);
        prev = e->key;
        EXPECT_EQ(s.get(e->key)->key, e->key);
    }
    EXPECT_EQ(s.at(9).error(), Error::not_found);
}

TEST(BakedStore, GetFindsExactKeysOnly) {
    const KvStore& s = baked();
    auto e = s.get("/index.html");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(e->size, e->data.size());
    EXPECT_TRUE(e->resident);
    EXPECT_TRUE(str(e->data).starts_with("<!doctype html>"));
    EXPECT_EQ(e->etag.size(), 18u);
    EXPECT_TRUE(e->has_gzip());
    EXPECT_GT(e->modified, 0);
    for (const char* missing : {"", "/", "/index.htm", "/index.html/", "index.html", "/sub", "/zzz", "/A"})
        EXPECT_EQ(s.get(missing).error(), Error::not_found) << missing;
    EXPECT_TRUE(s.get("/sub/deeper/notes.txt"));
}

TEST(BakedStore, GzipVariantDecompressesToTheData) {
    auto e = baked().get("/sub/deeper/notes.txt");
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->has_gzip());
    EXPECT_EQ(e->gzip_data.size(), e->gzip_size);
    EXPECT_LT(e->gzip_size, e->size);
    auto back = testinflate::gunzip(e->gzip_data);
    ASSERT_TRUE(back);
    EXPECT_EQ(str(*back), str(e->data));
    EXPECT_EQ(e->gzip_etag.substr(0, 17), e->etag.substr(0, 17));
}

TEST(BakedStore, EmptyFileAndNoGzip) {
    auto e = baked().get("/empty.txt");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->size, 0u);
    EXPECT_FALSE(e->has_gzip());
    EXPECT_TRUE(e->gzip_data.empty());
    EXPECT_TRUE(e->gzip_etag.empty());
}

TEST(BakedStore, DataLivesInReadOnlyImageMemory) {
    auto a = baked().get("/app.js");
    auto b = baked().get("/app.js");
    EXPECT_EQ(a->data.data(), b->data.data());  // no copies
}

TEST(KvStore, ReadCopiesPiecesOfAVariant) {
    fake::reset();
    Loop loop;
    auto body = [&]() -> Task<int> {
        auto e = baked().get("/index.html");
        std::string got;
        uint8_t buf[100];
        for (uint64_t off = 0;;) {
            auto n = co_await baked().read(*e, Variant::identity, off, buf);
            if (!n || *n == 0) break;
            got.append(buf, buf + *n);
            off += *n;
        }
        EXPECT_EQ(got, str(e->data));
        std::string gz;
        for (uint64_t off = 0;;) {
            auto n = co_await baked().read(*e, Variant::gzip, off, buf);
            if (!n || *n == 0) break;
            gz.append(buf, buf + *n);
            off += *n;
        }
        EXPECT_EQ(gz, str(e->gzip_data));
        co_return 0;
    };
    EXPECT_EQ(loop.run(body()), 0);
}
