// Broken copies of a good check image, each with the start of the refusal every unikit loader
// gives for it (the shared reader in tools/common): the spt and hvt tests run their tender or
// monitor on each. The image must be a static-pie check image as unikit_app builds it (a note
// segment with the manifest; PT_LOADs 1 = code R+X, 2 = data R+W) run with the default 64 MiB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uktest {

struct BrokenImage {
    std::string tag;
    std::vector<uint8_t> bytes;
    std::string message;  // how the one-line refusal continues after "IMAGE: "
};

enum class Breakage {
    truncated,        // cut short: inside the header, the program headers, the code, the data
    elf_header,       // class, byte order, version, machine, type, program header table
    program_headers,  // segments beyond the file, W+X, entry, overlap, too big, filesz > memsz
    manifest,         // magic, ABI version, target (`other_target`), target field, owner, size
    not_elf,          // a script, an empty file
};

// `target` is the image's target and `other_target` another one; `who` is "tender" or
// "monitor" (the ABI message names the program). Empty if `image` does not have the expected
// shape (the caller's ASSERT then says so).
std::vector<BrokenImage> broken_images(Breakage kind, const std::vector<uint8_t>& image, std::string_view target,
                                       std::string_view other_target, std::string_view who);

}  // namespace uktest
