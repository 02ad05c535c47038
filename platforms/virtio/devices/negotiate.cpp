#include "platforms/virtio/devices/negotiate.h"

#include "platforms/virtio/devices/util.h"
#include "platforms/virtio/devices/virtio_spec.h"

namespace unikit::virtio {

const char* feature_name(const char* what, unsigned b) {
    switch (b) {
        case kFIndirectDesc: return "VIRTIO_F_INDIRECT_DESC";
        case kFEventIdx: return "VIRTIO_F_EVENT_IDX";
        case kFVersion1: return "VIRTIO_F_VERSION_1";
        case kFAccessPlatform: return "VIRTIO_F_ACCESS_PLATFORM";
        case kFRingPacked: return "VIRTIO_F_RING_PACKED";
        default: break;
    }
    const bool net = what[0] && str_eq_n(what, "virtio-net", 10);
    if (net) {
        switch (b) {
            case kNetFCsum: return "VIRTIO_NET_F_CSUM";
            case kNetFMtu: return "VIRTIO_NET_F_MTU";
            case kNetFMac: return "VIRTIO_NET_F_MAC";
            case kNetFMrgRxbuf: return "VIRTIO_NET_F_MRG_RXBUF";
            case kNetFStatus: return "VIRTIO_NET_F_STATUS";
            default: return "";
        }
    }
    switch (b) {
        case kBlkFSizeMax: return "VIRTIO_BLK_F_SIZE_MAX";
        case kBlkFSegMax: return "VIRTIO_BLK_F_SEG_MAX";
        case kBlkFRo: return "VIRTIO_BLK_F_RO";
        case kBlkFBlkSize: return "VIRTIO_BLK_F_BLK_SIZE";
        case kBlkFFlush: return "VIRTIO_BLK_F_FLUSH";
        default: return "";
    }
}

namespace {
[[noreturn]] void fail(Transport& t, const char* what, const char* why, uint64_t missing) {
    t.set_status(uint8_t(t.status() | kStatusFailed));
    Msg m;
    m << what << ": " << why;
    for (unsigned b = 0; b < 64; ++b)
        if (missing & bit(b)) {
            const char* n = feature_name(what, b);
            m << " " << (n[0] ? n : "feature") << " (bit " << b << ")";
        }
    m.panic();
}
}  // namespace

uint64_t negotiate(Transport& t, const char* what, uint64_t required, uint64_t optional) {
    t.reset();
    t.set_status(kStatusAcknowledge);
    t.set_status(kStatusAcknowledge | kStatusDriver);
    if (!t.legacy()) required |= bit(kFVersion1);
    const uint64_t offered = t.device_features();
    if (uint64_t missing = required & ~offered) fail(t, what, "the device lacks", missing);
    const uint64_t chosen = required | (optional & offered);
    t.set_driver_features(chosen);
    if (!t.legacy()) {
        t.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
        if (!(t.status() & kStatusFeaturesOk)) fail(t, what, "the device did not accept (FEATURES_OK) the features", chosen);
    }
    return chosen;
}

void driver_ok(Transport& t) {
    t.set_status(uint8_t(t.status() | kStatusDriverOk));
}

}  // namespace unikit::virtio
