#include "support/broken_images.h"

#include <cstring>
#include <string>

#include "support/process.h"
#include <unikit/platform.h>

namespace uktest {

std::vector<BrokenImage> broken_images(Breakage kind, const std::vector<uint8_t>& img, std::string_view target,
                                       std::string_view other_target, std::string_view who) {
    std::vector<BrokenImage> out;
    if (img.size() < 8192) return out;
    const size_t text = phdr_of(img, 1, 1), data = phdr_of(img, 1, 2), note = phdr_of(img, 4);
    if (!text || !data || !note || peek<uint32_t>(img, text + 4) != 5) return out;  // code must be R+X
    // Returns a copy to break; it is added with its tag and message.
    auto add = [&](std::string tag, std::string msg) -> std::vector<uint8_t>& {
        out.push_back({std::move(tag), img, std::move(msg)});
        return out.back().bytes;
    };
    switch (kind) {
    case Breakage::truncated: {
        // (Bytes after the last segment, section headers and symbols, are not needed to run.)
        const size_t data_end = peek<uint64_t>(img, data + 8) + peek<uint64_t>(img, data + 32);
        struct Cut {
            size_t at;
            const char* msg;
        } cuts[] = {
            {3, "not an ELF file (bad magic)"},
            {20, "truncated ELF header"},
            {63, "truncated ELF header"},
            {64 + 56, "program headers lie beyond the end of the file"},
            {4096 + 100, "segment 1 lies beyond the end of the file (truncated?)"},    // inside the code
            {data_end - 1, "segment 2 lies beyond the end of the file (truncated?)"},  // inside the data
        };
        for (auto c : cuts) add("cut" + std::to_string(c.at), c.msg).resize(c.at);
        break;
    }
    case Breakage::elf_header:
        add("class", "not a 64-bit ELF file")[4] = 1;
        add("endian", "not a little-endian ELF file")[5] = 2;
        add("version", "unsupported ELF version 9")[6] = 9;
        poke<uint16_t>(add("machine", "built for machine aarch64 (183), not x86-64"), 18, 183);
        poke<uint16_t>(add("type", "not a static-pie image (ET_EXEC"), 16, 2);
        poke<uint16_t>(add("core", "not an executable image (ELF type 4)"), 16, 4);
        poke<uint16_t>(add("phentsize", "bad program header size 32"), 54, 32);
        poke<uint16_t>(add("phnum0", "no program headers"), 56, 0);
        poke<uint64_t>(add("phoff", "program headers lie beyond the end of the file"), 32, ~0ull - 8);
        break;
    case Breakage::program_headers: {
        poke<uint64_t>(add("beyond", "segment 1 lies beyond the end of the file"), text + 8, img.size() + 4096);
        poke<uint64_t>(add("huge", "segment 1 lies beyond the end of the file"), text + 32, uint64_t(1) << 40);
        poke<uint32_t>(add("wx", "segment 1 is both writable and executable (W^X)"), text + 4, 7);
        poke<uint32_t>(add("wx-data", "segment 2 is both writable and executable (W^X)"), data + 4, 7);
        poke<uint64_t>(add("entry", "entry point is not inside an executable segment"), 24, 0x10);
        auto& b = add("overlap", "segment 2 overlaps another segment");
        poke<uint64_t>(b, data + 16, peek<uint64_t>(img, text + 16));
        poke<uint64_t>(b, data + 8, peek<uint64_t>(img, text + 8));
        poke<uint64_t>(add("toobig", "segment 2 does not fit in the guest memory (64 MiB)"), data + 40,
                       uint64_t(1) << 30);
        poke<uint64_t>(add("filesz", "segment 2 has a file size larger than its memory size"), data + 32,
                       peek<uint64_t>(img, data + 40) + 1);
        break;
    }
    case Breakage::manifest: {
        // namesz(4) descsz(4) type(4) "unikit\0\0", then struct uk_manifest: magic, abi, target[16].
        const uint64_t off = peek<uint64_t>(img, note + 8);
        poke<uint32_t>(add("magic", "malformed manifest: bad magic"), off + 20, 0xdeadbeef);
        poke<uint32_t>(add("abi", "built for platform ABI version 99, this " + std::string(who) + " implements " + std::to_string(UK_ABI_VERSION)),
                       off + 24, 99);
        auto& t = add("target", "built for target " + std::string(other_target) + ", not " + std::string(target));
        std::memset(t.data() + off + 28, 0, 16);
        std::memcpy(t.data() + off + 28, other_target.data(), other_target.size());
        std::memset(add("unterminated", "malformed manifest: bad target field").data() + off + 28, 'x', 16);
        add("noname", "no unikit manifest (not a unikit image?)")[off + 12] = 'X';  // the owner's name
        poke<uint32_t>(add("descsz", "note in segment 4 runs past its segment"), off + 4, 4096);
        break;
    }
    case Breakage::not_elf: {
        std::string script = "#!/bin/sh\necho I am a script\n";
        add("text", "not an ELF file (bad magic)").assign(script.begin(), script.end());
        add("empty", "empty file, not an ELF image").clear();
        break;
    }
    }
    return out;
}

}  // namespace uktest
