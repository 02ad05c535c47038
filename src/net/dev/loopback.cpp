#include "net/dev/loopback.h"

namespace unikit::net::dev {

LoopbackPair::LoopbackPair(std::span<std::uint8_t> storage, MacBytes mac_a, MacBytes mac_b,
                           std::uint16_t mtu)
    : a_(mac_a, mtu), b_(mac_b, mtu) {
    std::size_t half = storage.size() / 2;
    a_.inbox.reset(storage.first(half), slot_size(mtu));
    b_.inbox.reset(storage.subspan(half, half), slot_size(mtu));
    a_.peer = &b_;
    b_.peer = &a_;
}

Result<std::size_t> LoopbackPair::End::receive(std::span<Frame> frames) {
    std::size_t n = 0;
    while (n < frames.size() && !inbox.empty()) {
        auto rec = inbox.front();
        if (rec.data.size() <= frames[n].cap) {
            for (std::size_t i = 0; i < rec.data.size(); ++i) frames[n].data[i] = rec.data[i];
            frames[n].len = rec.data.size();
            ++n;
        }  // else: too big for the buffer: dropped, never truncated
        inbox.pop();
    }
    return n;
}

Result<std::size_t> LoopbackPair::End::transmit(std::span<const FrameRef> frames) {
    std::size_t n = 0;
    for (; n < frames.size(); ++n) {
        if (frames[n].len > max_frame_len(mtu_)) {
            if (n == 0) return fail(Error::invalid);
            break;
        }
        if (!peer->inbox.push(util::NoMeta{}, frames[n].bytes())) break;
    }
    return n;
}

}  // namespace unikit::net::dev
