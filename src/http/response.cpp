// unikit::http - Response, JsonWriter, Router.
#include <unikit/http.h>

#include <algorithm>

namespace unikit::http {

// ---- Response --------------------------------------------------------------------------------

void Response::add_header(std::string_view name, std::string_view value) noexcept {
    size_t need = name.size() + 2 + value.size() + 2;
    if (hdr_len_ + need > hdr_.size()) {
        overflow_ = true;
        return;
    }
    char* p = hdr_.data() + hdr_len_;
    p = std::copy(name.begin(), name.end(), p);
    *p++ = ':';
    *p++ = ' ';
    p = std::copy(value.begin(), value.end(), p);
    *p++ = '\r';
    *p++ = '\n';
    hdr_len_ += need;
}

void Response::write(std::span<const uint8_t> s) noexcept {
    size_t n = std::min(s.size(), body_buf_.size() - body_len_);
    if (n < s.size()) overflow_ = true;
    std::copy_n(s.data(), n, body_buf_.data() + body_len_);
    body_len_ += n;
}

void Response::write(std::string_view s) noexcept {
    write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

void Response::clear() noexcept {
    hdr_len_ = 0;
    body_len_ = 0;
    external_ = {};
    content_type_ = {};
    status_ = 200;
    has_external_ = overflow_ = omit_body_ = close_ = false;
}

// ---- JsonWriter ------------------------------------------------------------------------------

JsonWriter::JsonWriter(Response& r) noexcept : r_(r) { r_.write("{"); }

void JsonWriter::key(std::string_view name) noexcept {
    if (!first_[depth_]) r_.write(",");
    first_[depth_] = false;
    string(name);
    r_.write(":");
}

void JsonWriter::string(std::string_view s) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    r_.write("\"");
    size_t run = 0;  // plain characters are copied in runs
    for (size_t i = 0; i < s.size(); ++i) {
        uint8_t c = uint8_t(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++run;
            continue;
        }
        r_.write(s.substr(i - run, run));
        run = 0;
        char esc[7] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15], 0};
        switch (c) {
            case '"': r_.write("\\\""); break;
            case '\\': r_.write("\\\\"); break;
            case '\n': r_.write("\\n"); break;
            case '\r': r_.write("\\r"); break;
            case '\t': r_.write("\\t"); break;
            default: r_.write(std::string_view(esc, 6));
        }
    }
    r_.write(s.substr(s.size() - run, run));
    r_.write("\"");
}

JsonWriter& JsonWriter::field(std::string_view name, std::string_view value) noexcept {
    key(name);
    string(value);
    return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, bool value) noexcept {
    key(name);
    r_.write(value ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::begin_object(std::string_view name) noexcept {
    if (depth_ >= 8) {
        r_.overflow_ = true;
        return *this;
    }
    key(name);
    r_.write("{");
    first_[++depth_] = true;
    return *this;
}

JsonWriter& JsonWriter::end_object() noexcept {
    if (depth_ > 1) {
        r_.write("}");
        --depth_;
    }
    return *this;
}

void JsonWriter::end() noexcept {
    if (depth_ == 0) return;
    while (depth_ > 0) {
        r_.write("}");
        --depth_;
    }
}

// ---- Router ----------------------------------------------------------------------------------

bool Router::route(Method m, std::string_view path, Handler h, void* ctx) noexcept {
    if (count_ == kMaxRoutes || path.empty() || !h) return false;
    routes_[count_++] = Route{m, path, h, nullptr, ctx};
    return true;
}

bool Router::route(Method m, std::string_view path, SimpleHandler h) noexcept {
    if (count_ == kMaxRoutes || path.empty() || !h) return false;
    routes_[count_++] = Route{m, path, nullptr, h, nullptr};
    return true;
}

const Router::Route* Router::find(Method m, std::string_view path, unsigned& allow) const noexcept {
    allow = 0;
    const Route* hit = nullptr;
    for (size_t i = 0; i < count_; ++i) {
        const Route& r = routes_[i];
        bool match = r.path.back() == '*' ? path.starts_with(r.path.substr(0, r.path.size() - 1)) : path == r.path;
        if (!match) continue;
        allow |= 1u << unsigned(r.method);
        if (r.method == Method::GET) allow |= 1u << unsigned(Method::HEAD);
        if (!hit && (r.method == m || (m == Method::HEAD && r.method == Method::GET))) hit = &r;
    }
    return hit;
}

}  // namespace unikit::http
