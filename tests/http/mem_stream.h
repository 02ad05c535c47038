// An in-memory Stream (the shape of net::TcpStream) for server tests on the fake platform:
// input arrives in scripted chunks at chosen virtual times; output is captured with the time
// of each write. Reads and writes honour cancellation tokens like the real stream.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <unikit/http.h>
#include <unikit/loop.h>

namespace memstream {

using unikit::Duration;
using unikit::Result;
using unikit::Task;
using unikit::TimePoint;

struct State {
    struct Chunk {
        TimePoint at;
        std::string data;
    };
    std::deque<Chunk> input;
    bool eof_at_end = true;         // after the last chunk: end of input (else: nothing more, ever)
    bool stall_writes = false;      // writes never complete (until cancelled)
    size_t max_read = SIZE_MAX;     // bytes per read at most
    std::string output;
    std::vector<std::pair<TimePoint, size_t>> writes;  // (time, bytes)
    bool shut = false, closed = false, aborted = false;
    TimePoint closed_at{};
    size_t reads = 0;

    // Input that arrives `after_start` after now (the fake clock).
    void add(std::string data, Duration after_start = Duration(0)) {
        input.push_back({unikit::now() + after_start, std::move(data)});
    }
};

class MemStream {
public:
    explicit MemStream(std::shared_ptr<State> st) : st_(std::move(st)) {}

    Task<Result<size_t>> read(std::span<uint8_t> buf, unikit::CancelToken token) {
        ++st_->reads;
        for (;;) {
            if (st_->input.empty()) {
                if (st_->eof_at_end) co_return size_t{0};
                auto r = co_await unikit::sleep(std::chrono::hours(1), token);
                if (!r) co_return unikit::fail(r.error());
                continue;
            }
            auto& c = st_->input.front();
            if (unikit::now() < c.at) {
                auto r = co_await unikit::sleep_until(c.at, token);
                if (!r) co_return unikit::fail(r.error());
                continue;
            }
            size_t n = std::min({buf.size(), c.data.size(), st_->max_read});
            std::copy_n(c.data.data(), n, buf.data());
            c.data.erase(0, n);
            if (c.data.empty()) st_->input.pop_front();
            co_return n;
        }
    }
    Task<Result<void>> write_all(std::span<const uint8_t> data, unikit::CancelToken token) {
        if (st_->closed || st_->aborted) co_return unikit::fail(unikit::Error::closed);
        while (st_->stall_writes) {
            auto r = co_await unikit::sleep(std::chrono::hours(1), token);
            if (!r) co_return unikit::fail(r.error());
        }
        st_->output.append(reinterpret_cast<const char*>(data.data()), data.size());
        st_->writes.push_back({unikit::now(), data.size()});
        co_return Result<void>{};
    }
    Task<Result<void>> shutdown() {
        st_->shut = true;
        co_return Result<void>{};
    }
    Task<Result<void>> close() {
        st_->closed = true;
        st_->closed_at = unikit::now();
        co_return Result<void>{};
    }
    void abort() {
        st_->aborted = true;
        st_->closed_at = unikit::now();
    }

private:
    std::shared_ptr<State> st_;
};

static_assert(unikit::http::Stream<MemStream>);

}  // namespace memstream
