#include "common/tender_image.h"

#include <unikit/platform.h>

namespace unikit::tender_image {

std::expected<Checked, std::string> check(const std::string& path, std::string_view target, std::string_view who,
                                          uint64_t mem_bytes, std::vector<devargs::Attachment>& devices) {
    Checked c;
    auto file = elf::read_file(path);
    if (!file) return std::unexpected(file.error());
    c.file = std::move(*file);  // moving keeps the buffer, so the spans below stay valid
    auto img = elf::read_elf(c.file);
    if (!img) return std::unexpected(img.error());
    c.elf = std::move(*img);
    auto man = read_manifest(c.elf);
    if (!man) return std::unexpected(man.error());
    c.manifest = std::move(*man);
    if (c.manifest.target != target)
        return std::unexpected("built for target " + c.manifest.target + ", not " + std::string(target));
    if (c.manifest.abi_version != UK_ABI_VERSION)
        return std::unexpected("built for platform ABI version " + std::to_string(c.manifest.abi_version) + ", this " +
                               std::string(who) + " implements " + std::to_string(UK_ABI_VERSION));
    elf::LoadPolicy pol;
    pol.machine = elf::kEmX86_64;
    pol.mem_limit = mem_bytes;
    pol.page_size = 4096;
    auto ext = elf::check_loadable(c.elf, pol);
    if (!ext) return std::unexpected(ext.error());
    c.extent = *ext;
    if (auto m = devargs::match(c.manifest.devices, devices); !m) return std::unexpected(m.error());
    return c;
}

}  // namespace unikit::tender_image
