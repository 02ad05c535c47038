#include "net/dev/pcap.h"

namespace unikit::net::dev {

namespace {
void le16(std::uint8_t* p, std::uint16_t v) {
    p[0] = std::uint8_t(v);
    p[1] = std::uint8_t(v >> 8);
}
void le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i));
}
}  // namespace

void PcapFormat::write_header() {
    std::uint8_t h[kPcapFileHeaderLen] = {};
    le32(h, res_ == PcapResolution::nano ? kPcapMagicNano : kPcapMagicMicro);
    le16(h + 4, 2);   // version major
    le16(h + 6, 4);   // version minor
    le32(h + 8, 0);   // thiszone
    le32(h + 12, 0);  // sigfigs
    le32(h + 16, snaplen_);
    le32(h + 20, kLinktypeEthernet);
    sink_.write({h, sizeof h});
}

void PcapFormat::write_record(std::uint64_t time_ns, std::span<const std::uint8_t> frame) {
    std::uint8_t h[kPcapRecordHeaderLen];
    std::uint64_t sec = time_ns / 1'000'000'000ULL;
    std::uint64_t frac = time_ns % 1'000'000'000ULL;
    if (res_ == PcapResolution::micro) frac /= 1000;
    std::size_t incl = frame.size() > snaplen_ ? snaplen_ : frame.size();
    le32(h, std::uint32_t(sec));
    le32(h + 4, std::uint32_t(frac));
    le32(h + 8, std::uint32_t(incl));
    le32(h + 12, std::uint32_t(frame.size()));
    sink_.write({h, sizeof h});
    sink_.write(frame.first(incl));
}

PcapWriter::PcapWriter(NetDevice& inner, PcapSink& sink, PcapResolution res, std::uint32_t snaplen)
    : inner_(inner), fmt_(sink, res, snaplen) {
    fmt_.write_header();
}

Result<std::size_t> PcapWriter::receive(std::span<Frame> frames) {
    auto r = inner_.receive(frames);
    if (r) {
        for (std::size_t i = 0; i < *r; ++i) fmt_.write_record(now_, frames[i].bytes());
        records += *r;
    }
    return r;
}

Result<std::size_t> PcapWriter::transmit(std::span<const FrameRef> frames) {
    auto r = inner_.transmit(frames);
    if (r) {  // record only what the device took
        for (std::size_t i = 0; i < *r; ++i) fmt_.write_record(now_, frames[i].bytes());
        records += *r;
    }
    return r;
}

}  // namespace unikit::net::dev
