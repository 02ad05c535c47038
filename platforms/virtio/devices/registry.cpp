#include "platforms/virtio/devices/registry.h"

#include "platforms/virtio/devices/devices.h"
#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/kernel/kernel.h"

namespace unikit::virtio {

namespace {

struct Entry {
    char name[UK_MANIFEST_NAME_MAX];
    uint32_t kind;
    NetDriver* net;
    BlkDriver* blk;
};

Entry* g_entries = nullptr;
uint32_t g_count = 0;
uint32_t g_poll_start = 0;  // rotates, so many ready devices are all reported in turn

const char* ordinal_suffix(unsigned k) {
    if (k % 100 >= 11 && k % 100 <= 13) return "th";
    switch (k % 10) {
        case 1: return "st";
        case 2: return "nd";
        case 3: return "rd";
        default: return "th";
    }
}

Found* nth_of_type(Found* found, uint32_t type, unsigned k) {
    for (Found* f = found; f; f = f->next)
        if (f->type == type && k-- == 0) return f;
    return nullptr;
}

unsigned count_of_type(Found* found, uint32_t type) {
    unsigned n = 0;
    for (Found* f = found; f; f = f->next) n += f->type == type;
    return n;
}

}  // namespace

void bind_devices(const uk_manifest_device* devs, uint32_t n, Found* found) {
    g_entries = n ? static_cast<Entry*>(dma_alloc(sizeof(Entry) * n, alignof(Entry))) : nullptr;
    g_count = 0;
    unsigned nets = 0, blks = 0;
    for (uint32_t i = 0; i < n; ++i) {
        Entry& e = g_entries[i];
        __builtin_memcpy(e.name, devs[i].name, UK_MANIFEST_NAME_MAX);
        e.name[UK_MANIFEST_NAME_MAX - 1] = 0;
        e.kind = devs[i].kind;
        e.net = nullptr;
        e.blk = nullptr;
        const bool is_net = e.kind == UK_DEV_NET;
        if (!is_net && e.kind != UK_DEV_BLOCK) {
            Msg m;
            m << "virtio: the manifest's device '" << e.name << "' has unknown kind " << e.kind;
            m.panic();
        }
        const uint32_t type = is_net ? kDeviceNet : kDeviceBlock;
        const unsigned k = is_net ? nets++ : blks++;
        Found* f = nth_of_type(found, type, k);
        if (!f) {
            Msg m;
            m << "virtio: no device for the manifest's " << (is_net ? "net" : "block") << " device '" << e.name
              << "' (the " << (k + 1) << ordinal_suffix(k + 1) << (is_net ? " virtio-net" : " virtio-blk")
              << " device; found " << count_of_type(found, type) << ")";
            m.panic();
        }
        if (is_net) {
            e.net = make_object<NetDriver>();
            e.net->init(*f->transport, k);
        } else {
            e.blk = make_object<BlkDriver>();
            e.blk->init(*f->transport);
        }
        g_count = i + 1;
    }
}

NetDriver* net_driver(uk_handle h) {
    if (h < 0 || uint32_t(h) >= g_count) return nullptr;
    return g_entries[h].net;
}

BlkDriver* blk_driver(uk_handle h) {
    if (h < 0 || uint32_t(h) >= g_count) return nullptr;
    return g_entries[h].blk;
}

void registry_reset_for_tests() {
    g_entries = nullptr;
    g_count = 0;
    g_poll_start = 0;
}

size_t devices_poll(uk_handle* ready, size_t cap) {
    size_t n = 0;
    for (uint32_t j = 0; j < g_count; ++j) {
        const uint32_t i = (g_poll_start + j) % g_count;
        NetDriver* d = g_entries[i].net;
        if (!d) continue;
        d->reclaim_tx();
        if (n < cap && ready && d->rx_ready()) ready[n++] = uk_handle(i);
    }
    if (g_count) g_poll_start = (g_poll_start + 1) % g_count;
    return n;
}

}  // namespace unikit::virtio

using unikit::virtio::blk_driver;
using unikit::virtio::net_driver;

extern "C" {

uk_result uk_device_lookup(const char* name, uk_device_kind kind, uk_handle* h) {
    using namespace unikit::virtio;
    if (!name || !h) return UK_EINVAL;
    for (uint32_t i = 0; i < g_count; ++i)
        if (g_entries[i].kind == uint32_t(kind) && str_eq_n(g_entries[i].name, name, UK_MANIFEST_NAME_MAX)) {
            *h = uk_handle(i);
            return UK_OK;
        }
    return UK_ENOENT;
}

uk_result uk_net_get_info(uk_handle h, struct uk_net_info* info) {
    auto* d = net_driver(h);
    if (!d || !info) return UK_EINVAL;
    __builtin_memcpy(info->mac, d->mac(), 6);
    info->mtu = d->mtu();
    info->max_rx_frame = uint32_t(d->mtu()) + 14 + 4;  // no receive offload
    return UK_OK;
}

uk_result uk_net_write(uk_handle h, const struct uk_frame* frames, size_t n, size_t* sent) {
    auto* d = net_driver(h);
    if (!d) return UK_EINVAL;
    return d->write(frames, n, sent);
}

uk_result uk_net_read(uk_handle h, struct uk_frame* frames, size_t n, size_t* received) {
    auto* d = net_driver(h);
    if (!d) return UK_EINVAL;
    return d->read(frames, n, received);
}

uk_result uk_block_get_info(uk_handle h, struct uk_block_info* info) {
    auto* d = blk_driver(h);
    if (!d || !info) return UK_EINVAL;
    info->capacity = d->capacity();
    info->block_size = d->block_size();
    return UK_OK;
}

uk_result uk_block_read(uk_handle h, uint64_t offset, void* buf, size_t len) {
    auto* d = blk_driver(h);
    if (!d) return UK_EINVAL;
    return d->read(offset, buf, len);
}

uk_result uk_block_write(uk_handle h, uint64_t offset, const void* buf, size_t len) {
    auto* d = blk_driver(h);
    if (!d) return UK_EINVAL;
    return d->write(offset, buf, len);
}

}  // extern "C"
