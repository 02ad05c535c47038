#include "net/dev/fault_injector.h"

#include <cstring>

namespace unikit::net::dev {

FaultInjector::FaultInjector(NetDevice& inner, util::Rng& rng, std::span<std::uint8_t> storage,
                             FaultConfig rx, FaultConfig tx)
    : inner_(inner), rng_(rng), rx_cfg_(rx), tx_cfg_(tx) {
    std::size_t slot = max_frame_len(inner.mtu()) + 32;
    std::size_t third = storage.size() / 3;
    rx_hold_.reset(storage.first(third), slot);
    tx_hold_.reset(storage.subspan(third, third), slot);
    tx_scratch_.reset(storage.subspan(2 * third, third), slot);
}

FaultInjector::Decision FaultInjector::decide(const FaultConfig& c) {
    // Always draw the same number of values per frame so the stream stays aligned.
    Decision d;
    d.drop = rng_.chance_ppm(c.drop_ppm);
    d.corrupt = rng_.chance_ppm(c.corrupt_ppm);
    d.reorder = rng_.chance_ppm(c.reorder_ppm);
    d.duplicate = rng_.chance_ppm(c.duplicate_ppm);
    d.corrupt_at = rng_.next_u64();
    return d;
}

Result<std::size_t> FaultInjector::receive(std::span<Frame> frames) {
    const std::uint64_t call = ++rx_call_;
    auto got = inner_.receive(frames);
    if (!got) return got;
    std::size_t w = 0;
    for (std::size_t i = 0; i < *got; ++i) {
        Frame& f = frames[i];
        ++rx_stats.frames;
        Decision d = decide(rx_cfg_);
        if (d.drop) {
            ++rx_stats.dropped;
            continue;
        }
        if (d.corrupt && f.len > 0) {
            std::uint64_t bit = d.corrupt_at % (f.len * 8);
            f.data[bit / 8] ^= std::uint8_t(1u << (bit % 8));
            f.flags &= ~kFrameCsumValid;
            ++rx_stats.corrupted;
        }
        if (d.reorder && rx_hold_.push(Held{call + 1, f.flags}, f.bytes())) {
            ++rx_stats.reordered;
            continue;
        }
        if (d.duplicate && rx_hold_.push(Held{call + 1, f.flags}, f.bytes())) ++rx_stats.duplicated;
        if (w != i) {
            if (frames[w].cap < f.len) continue;  // cannot move it: lost
            std::memmove(frames[w].data, f.data, f.len);
            frames[w].len = f.len;
            frames[w].flags = f.flags;
        }
        ++w;
    }
    // Deliver frames held back by earlier calls, after this call's frames.
    while (w < frames.size() && !rx_hold_.empty() && rx_hold_.front().meta.release_call <= call) {
        auto rec = rx_hold_.front();
        if (frames[w].cap >= rec.data.size()) {
            std::memcpy(frames[w].data, rec.data.data(), rec.data.size());
            frames[w].len = rec.data.size();
            frames[w].flags = rec.meta.flags;
            ++w;
        }
        rx_hold_.pop();
    }
    return w;
}

Result<std::size_t> FaultInjector::transmit(std::span<const FrameRef> frames) {
    const std::uint64_t call = ++tx_call_;
    // Frames held by earlier calls are at the front of tx_hold_ (everything pushed during this
    // call is due at call + 1, behind them). They go out after this call's frames.
    const std::size_t old_held = tx_hold_.size();

    constexpr std::size_t kBatch = 32;
    FrameRef out[kBatch];
    std::size_t n = 0;
    auto flush = [&]() -> Result<void> {
        if (n == 0) return {};
        auto r = inner_.transmit({out, n});
        std::size_t taken = 0;
        if (r) {
            taken = *r;
        } else if (r.error() != Error::again && r.error() != Error::invalid) {
            return fail(r.error());
        }
        tx_stats.refused += n - taken;
        n = 0;
        tx_scratch_.clear();  // corrupted copies are no longer referenced
        return {};
    };
    auto emit = [&](FrameRef f) -> Result<void> {
        out[n++] = f;
        if (n == kBatch) return flush();
        return {};
    };

    for (const FrameRef& f : frames) {
        ++tx_stats.frames;
        Decision d = decide(tx_cfg_);
        if (d.drop) {
            ++tx_stats.dropped;
            continue;
        }
        FrameRef cur = f;
        if (d.corrupt && f.len > 0 && tx_scratch_.push(Held{0}, f.bytes())) {
            auto data = tx_scratch_.mutable_data(tx_scratch_.size() - 1);
            std::uint64_t bit = d.corrupt_at % (f.len * 8);
            data[bit / 8] ^= std::uint8_t(1u << (bit % 8));
            ++tx_stats.corrupted;
            cur = FrameRef(data.data(), data.size());
        }
        if (d.reorder && tx_hold_.push(Held{call + 1}, cur.bytes())) {
            ++tx_stats.reordered;
            continue;
        }
        if (auto r = emit(cur); !r) return fail(r.error());
        if (d.duplicate && tx_hold_.push(Held{call + 1}, cur.bytes())) ++tx_stats.duplicated;
    }
    for (std::size_t i = 0; i < old_held; ++i)
        if (auto r = emit(FrameRef(tx_hold_.at(i).data)); !r) return fail(r.error());
    if (auto r = flush(); !r) return fail(r.error());
    for (std::size_t i = 0; i < old_held; ++i) tx_hold_.pop();
    return frames.size();
}

}  // namespace unikit::net::dev
