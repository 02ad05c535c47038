// The device half of the platform ABI for the test platforms that have no devices
// (fake_platform.cpp, real_platform.cpp): every lookup fails, every call on a handle is refused.
#include <unikit/platform.h>

extern "C" {

uk_result uk_device_lookup(const char* name, uk_device_kind, uk_handle* h) {
    if (!name || !h) return UK_EINVAL;
    return UK_ENOENT;
}
uk_result uk_net_get_info(uk_handle, struct uk_net_info*) { return UK_EINVAL; }
uk_result uk_net_write(uk_handle, const struct uk_frame*, size_t, size_t*) { return UK_EINVAL; }
uk_result uk_net_read(uk_handle, struct uk_frame*, size_t, size_t*) { return UK_EINVAL; }
uk_result uk_block_get_info(uk_handle, struct uk_block_info*) { return UK_EINVAL; }
uk_result uk_block_read(uk_handle, uint64_t, void*, size_t) { return UK_EINVAL; }
uk_result uk_block_write(uk_handle, uint64_t, const void*, size_t) { return UK_EINVAL; }

}  // extern "C"
