#include "common/manifest_reader.h"

#include <cstring>

#include <unikit/manifest.h>
#include <unikit/platform.h>

namespace unikit {
namespace {

std::unexpected<std::string> bad(const std::string& what) {
    return std::unexpected<std::string>("malformed manifest: " + what);
}

// A fixed-size string field must hold a NUL and only printable characters before it.
bool field_ok(const char* p, size_t n, std::string& out) {
    size_t len = strnlen(p, n);
    if (len == n) return false;
    for (size_t i = 0; i < len; ++i)
        if (static_cast<unsigned char>(p[i]) < 0x20 || static_cast<unsigned char>(p[i]) > 0x7e) return false;
    out.assign(p, len);
    return true;
}

}  // namespace

const char* device_kind_name(uint32_t kind) {
    switch (kind) {
        case UK_DEV_NET: return "net";
        case UK_DEV_BLOCK: return "block";
        default: return "unknown";
    }
}

std::expected<Manifest, std::string> read_manifest(const elf::ElfImage& img) {
    const elf::Note* found = nullptr;
    for (const auto& n : img.notes) {
        if (n.name == UK_NOTE_NAME && n.type == UK_NOTE_MANIFEST) {
            if (found) return bad("more than one manifest note");
            found = &n;
        }
    }
    if (!found) return std::unexpected<std::string>("no unikit manifest (not a unikit image?)");
    auto d = found->desc;
    if (d.size() < sizeof(uk_manifest)) return bad("note too short");
    uk_manifest m;
    std::memcpy(&m, d.data(), sizeof m);
    if (m.magic != UK_MANIFEST_MAGIC) return bad("bad magic");
    Manifest out;
    out.abi_version = m.abi_version;
    if (!field_ok(m.target, sizeof m.target, out.target)) return bad("bad target field");
    if (!field_ok(m.app, sizeof m.app, out.app)) return bad("bad app field");
    if (m.ndevices > 1024) return bad("too many devices (" + std::to_string(m.ndevices) + ")");
    if (d.size() < sizeof(uk_manifest) + size_t(m.ndevices) * sizeof(uk_manifest_device))
        return bad("device table truncated");
    for (uint32_t i = 0; i < m.ndevices; ++i) {
        uk_manifest_device dev;
        std::memcpy(&dev, d.data() + sizeof(uk_manifest) + i * sizeof dev, sizeof dev);
        ManifestDevice md;
        if (!field_ok(dev.name, sizeof dev.name, md.name) || md.name.empty())
            return bad("bad name for device " + std::to_string(i));
        if (dev.kind != UK_DEV_NET && dev.kind != UK_DEV_BLOCK)
            return bad("device '" + md.name + "' has unknown kind " + std::to_string(dev.kind));
        for (const auto& o : out.devices)
            if (o.name == md.name) return bad("device '" + md.name + "' named twice");
        md.kind = dev.kind;
        out.devices.push_back(std::move(md));
    }
    return out;
}

std::expected<Manifest, std::string> read_manifest(std::span<const uint8_t> file) {
    auto img = elf::read_elf(file);
    if (!img) return std::unexpected(img.error());
    return read_manifest(*img);
}

}  // namespace unikit
