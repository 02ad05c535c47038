// The checks the spt tender and the hvt monitor make on an image before anything runs: a
// readable ELF file, a unikit manifest for `target` and this platform ABI version, a static-pie
// layout a loader can map into `mem_bytes` of guest memory (W^X, 4 KiB pages), and the device
// attachments given on the command line against the manifest (devargs::match, which also names
// the unnamed ones). Errors are one phrase without the path, e.g. "built for target hvt, not spt".
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "common/devargs.h"
#include "common/elf.h"
#include "common/manifest_reader.h"

namespace unikit::tender_image {

struct Checked {
    std::vector<uint8_t> file;  // the image's bytes (elf's spans point into them)
    elf::ElfImage elf;
    Manifest manifest;
    elf::LoadExtent extent;
};

// `who` names the program in the ABI mismatch message ("this tender implements 1").
std::expected<Checked, std::string> check(const std::string& path, std::string_view target, std::string_view who,
                                          uint64_t mem_bytes, std::vector<devargs::Attachment>& devices);

}  // namespace unikit::tender_image
