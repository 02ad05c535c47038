// unikit-kvbake over tests/kv/data: keys, order, content types, ETags, gzip variants, empty
// files, nested directories, deterministic output, and the tool's command line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bake.h"
#include "deflate.h"
#include "kv/inflate.h"

using namespace unikit::kvbake;

namespace {

std::vector<BakedInput> bake_test_data() {
    std::vector<BakedInput> v;
    std::string err;
    EXPECT_TRUE(collect(KV_TEST_DATA, v, err)) << err;
    return v;
}

const BakedInput* find(const std::vector<BakedInput>& v, std::string_view key) {
    for (const auto& e : v)
        if (e.key == key) return &e;
    return nullptr;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(ContentType, ByExtension) {
    EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("/a/b.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(content_type_for("/app.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(content_type_for("/x.json"), "application/json");
    EXPECT_EQ(content_type_for("/i.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("/i.png"), "image/png");
    EXPECT_EQ(content_type_for("/i.jpg"), "image/jpeg");
    EXPECT_EQ(content_type_for("/favicon.ico"), "image/x-icon");
    EXPECT_EQ(content_type_for("/r.txt"), "text/plain; charset=utf-8");
    EXPECT_EQ(content_type_for("/m.wasm"), "application/wasm");
    EXPECT_EQ(content_type_for("/f.woff2"), "font/woff2");
    EXPECT_EQ(content_type_for("/noext"), "application/octet-stream");
    EXPECT_EQ(content_type_for("/dir.d/.hidden"), "application/octet-stream");
    EXPECT_EQ(content_type_for("/weird.xyz"), "application/octet-stream");
}

TEST(Fnv1a, KnownVectors) {
    EXPECT_EQ(fnv1a64(nullptr, 0), 0xcbf29ce484222325ull);
    const uint8_t a[] = {'a'};
    EXPECT_EQ(fnv1a64(a, 1), 0xaf63dc4c8601ec8cull);
}

TEST(Collect, KeysAreSortedNestedAndComplete) {
    auto v = bake_test_data();
    std::vector<std::string> keys;
    for (const auto& e : v) keys.push_back(e.key);
    std::vector<std::string> expected = {"/UPPER.PNG",    "/app.js",        "/empty.txt",
                                         "/index.html",   "/style.css",     "/sub/deeper/notes.txt",
                                         "/sub/page.json", "/sub/pixel.png", "/tiny.bin"};
    EXPECT_EQ(keys, expected);
}

TEST(Collect, EntriesCarryTypesEtagsAndData) {
    auto v = bake_test_data();
    const BakedInput* idx = find(v, "/index.html");
    ASSERT_NE(idx, nullptr);
    EXPECT_EQ(idx->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(std::string(idx->data.begin(), idx->data.begin() + 15), "<!doctype html>");
    char hex[19];
    std::snprintf(hex, sizeof hex, "\"%016llx\"", (unsigned long long)fnv1a64(idx->data.data(), idx->data.size()));
    EXPECT_EQ(idx->etag, hex);
    EXPECT_EQ(idx->etag.size(), 18u);
    EXPECT_EQ(find(v, "/UPPER.PNG")->content_type, "image/png");
    EXPECT_EQ(find(v, "/sub/page.json")->content_type, "application/json");
    EXPECT_EQ(find(v, "/tiny.bin")->content_type, "application/octet-stream");
}

TEST(Collect, GzipVariantOnlyWhenSmallerAndItDecompresses) {
    auto v = bake_test_data();
    for (const auto& e : v) {
        if (e.gzip.empty()) {
            EXPECT_TRUE(e.gzip_etag.empty());
            EXPECT_GE(gzip(e.data).size(), e.data.size()) << e.key;
            continue;
        }
        EXPECT_LT(e.gzip.size(), e.data.size()) << e.key;
        auto back = testinflate::gunzip(e.gzip);
        ASSERT_TRUE(back.has_value()) << e.key;
        EXPECT_EQ(*back, e.data) << e.key;
        EXPECT_EQ(e.gzip_etag, e.etag.substr(0, e.etag.size() - 1) + "-gz\"");
    }
    EXPECT_FALSE(find(v, "/sub/deeper/notes.txt")->gzip.empty());
    EXPECT_FALSE(find(v, "/index.html")->gzip.empty());
    EXPECT_TRUE(find(v, "/tiny.bin")->gzip.empty());
}

TEST(Collect, EmptyFile) {
    auto v = bake_test_data();
    const BakedInput* e = find(v, "/empty.txt");
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->data.empty());
    EXPECT_TRUE(e->gzip.empty());
    EXPECT_EQ(e->etag, "\"cbf29ce484222325\"");
}

TEST(Collect, SourceDateEpochClampsModificationTimes) {
    setenv("SOURCE_DATE_EPOCH", "1000", 1);
    auto v = bake_test_data();
    unsetenv("SOURCE_DATE_EPOCH");
    for (const auto& e : v) EXPECT_EQ(e.mtime, 1000) << e.key;
}

TEST(Collect, MissingDirectoryIsAnError) {
    std::vector<BakedInput> v;
    std::string err;
    EXPECT_FALSE(collect("/nonexistent/kvbake/dir", v, err));
    EXPECT_NE(err.find("not a directory"), std::string::npos);
}

TEST(Generate, DeterministicAndSelfDescribing) {
    auto a = generate(bake_test_data(), "data");
    auto b = generate(bake_test_data(), "data");
    EXPECT_EQ(a, b);
    EXPECT_NE(a.find("#include <unikit/kv.h>"), std::string::npos);
    EXPECT_NE(a.find("g_baked_table = {kFiles, 9u}"), std::string::npos);
    EXPECT_NE(a.find("{\"/index.html\", d3, "), std::string::npos);
}

TEST(Generate, EscapesBytesUnambiguously) {
    BakedInput e;
    e.key = "/k";
    e.data = {'"', '\\', '\n', 0, '7', '?', 0xff, 'a'};
    e.content_type = "x";
    e.etag = "\"e\"";
    auto s = generate({e}, "");
    EXPECT_NE(s.find("\"\\042\\134\\012\\0007\\077\\377a\""), std::string::npos) << s;
}

TEST(Tool, CommandLineOutputIsDeterministic) {
    std::string out1 = ::testing::TempDir() + "kvbake_a.cpp";
    std::string out2 = ::testing::TempDir() + "kvbake_b.cpp";
    std::string cmd = std::string(KVBAKE_EXE) + " " + KV_TEST_DATA + " ";
    ASSERT_EQ(std::system((cmd + out1).c_str()), 0);
    ASSERT_EQ(std::system((cmd + out2).c_str()), 0);
    std::string a = slurp(out1);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, slurp(out2));
    EXPECT_NE(std::system((std::string(KVBAKE_EXE) + " 2>/dev/null").c_str()), 0);
    EXPECT_NE(std::system((std::string(KVBAKE_EXE) + " /nonexistent " + out1 + " 2>/dev/null").c_str()), 0);
}
