// Extract and validate the unikit manifest note (include/unikit/manifest.h) from an image.
// Host code, shared by the tenders, monitors and `unikit inspect`.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "common/elf.h"

namespace unikit {

struct ManifestDevice {
    std::string name;
    uint32_t kind = 0;  // UK_DEV_NET or UK_DEV_BLOCK
};

struct Manifest {
    uint32_t abi_version = 0;
    std::string target;  // "unix", "spt", "hvt", "virtio"
    std::string app;
    std::vector<ManifestDevice> devices;
};

// "net", "block" or "unknown".
const char* device_kind_name(uint32_t kind);

// The manifest of a parsed image. Errors: "no unikit manifest (not a unikit image?)",
// "malformed manifest: <what>".
std::expected<Manifest, std::string> read_manifest(const elf::ElfImage& img);

// Convenience: parse the ELF file then its manifest (errors from either).
std::expected<Manifest, std::string> read_manifest(std::span<const uint8_t> file);

}  // namespace unikit
