// Classic pcap output (LINKTYPE_ETHERNET).
//
// PcapFormat writes the 24-byte file header and 16-byte record headers (little-endian, so the
// magic reads 0xa1b2c3d4 for microsecond or 0xa1b23c4d for nanosecond timestamps) to a PcapSink:
// the caller decides where the bytes go (a block device, a host file, a memory buffer).
// PcapWriter wraps any NetDevice and records every frame it receives and transmits. Timestamps
// are supplied by the caller (set_time) - nothing here reads a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/dev/device.h"

namespace unikit::net::dev {

class PcapSink {
public:
    virtual void write(std::span<const std::uint8_t> bytes) = 0;

protected:
    ~PcapSink() = default;
};

enum class PcapResolution : std::uint8_t { micro, nano };

inline constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
inline constexpr std::uint32_t kLinktypeEthernet = 1;
inline constexpr std::size_t kPcapFileHeaderLen = 24;
inline constexpr std::size_t kPcapRecordHeaderLen = 16;

class PcapFormat {
public:
    PcapFormat(PcapSink& sink, PcapResolution res, std::uint32_t snaplen = 65535)
        : sink_(sink), res_(res), snaplen_(snaplen) {}
    void write_header();
    // One record; time is ns since the epoch (or any origin the caller chooses). Frames longer
    // than snaplen are cut to snaplen (orig_len keeps the true length).
    void write_record(std::uint64_t time_ns, std::span<const std::uint8_t> frame);

private:
    PcapSink& sink_;
    PcapResolution res_;
    std::uint32_t snaplen_;
};

class PcapWriter final : public NetDevice {
public:
    // Writes the file header at once.
    PcapWriter(NetDevice& inner, PcapSink& sink, PcapResolution res = PcapResolution::nano,
               std::uint32_t snaplen = 65535);
    // The timestamp given to the records of the next calls (ns).
    void set_time(std::uint64_t now_ns) { now_ = now_ns; }

    Result<std::size_t> receive(std::span<Frame> frames) override;
    Result<std::size_t> transmit(std::span<const FrameRef> frames) override;
    MacBytes mac() const override { return inner_.mac(); }
    std::uint16_t mtu() const override { return inner_.mtu(); }
    std::size_t max_rx_frame() const override { return inner_.max_rx_frame(); }

    std::uint64_t records = 0;

private:
    NetDevice& inner_;
    PcapFormat fmt_;
    std::uint64_t now_ = 0;
};

}  // namespace unikit::net::dev
