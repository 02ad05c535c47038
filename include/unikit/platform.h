/*
 * unikit platform ABI — the only door between the library OS and a backend.
 *
 * Every backend (platforms/unix, platforms/spt, ...) implements the functions declared here,
 * and nothing else. Everything above this header is portable C++ that never includes a Linux,
 * KVM or virtio header. The library OS provides exactly one function to the backend:
 * uk_main(), which the backend calls once after boot.
 *
 * Conventions
 *  - All calls are made from the single thread of the unikernel. None is re-entrant.
 *  - Functions returning uk_result return UK_OK (0) on success, or one of the negative error
 *    codes below. Each function lists the codes it can return; no other code is returned.
 *  - Handles are small non-negative integers obtained from uk_device_lookup(). There is no fixed
 *    cap on how many devices a backend offers.
 *  - Times are nanoseconds. Monotonic time starts at an unspecified origin and never goes back.
 *
 * ABI version: bump UK_ABI_VERSION on any incompatible change; images record the version they
 * were built against in their manifest and tenders refuse a mismatch.
 */
#ifndef UNIKIT_PLATFORM_H
#define UNIKIT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UK_ABI_VERSION 2

typedef int32_t uk_result;
#define UK_OK 0
#define UK_AGAIN (-1)   /* nothing to do now (no frame to read, ring full); try after yield */
#define UK_EINVAL (-2)  /* an argument is invalid (bad handle, wrong kind, misaligned, out of range) */
#define UK_ENOENT (-3)  /* no device of that name and kind */
#define UK_EIO (-4)     /* the device failed (host I/O error); the operation did not happen */

typedef uint64_t uk_time_ns;
typedef int32_t uk_handle;

typedef enum uk_device_kind {
    UK_DEV_NET = 1,   /* Ethernet frames */
    UK_DEV_BLOCK = 2, /* fixed-size blocks */
} uk_device_kind;

/* ---- boot ------------------------------------------------------------------------------- */

struct uk_boot_info {
    /* Command-line arguments for the application (argv[0] is the image name). The strings and the
     * array live in memory that stays valid for the whole run. */
    int argc;
    const char *const *argv;
    /* The heap: one contiguous, writable, zeroed region the runtime may allocate from.
     * On the unix target this is empty (heap_size == 0): the host allocator is used. */
    uintptr_t heap_start;
    size_t heap_size;
    /* 32 bytes from the host's random source, fresh at each boot (stack guard, ISNs, ...). */
    uint8_t entropy[32];
};

/* Provided by the library OS, called once by the backend after boot. Returns the exit status
 * that the backend passes to uk_exit(). */
int uk_main(const struct uk_boot_info *info);

/* ---- console and lifecycle -------------------------------------------------------------- */

/* Write len bytes to the console. Never fails from the caller's view; output may be dropped
 * if the host cannot take it. */
void uk_console_write(const char *buf, size_t len);

/* End the unikernel with a status (0..255). Never returns. */
__attribute__((noreturn)) void uk_exit(int status);

/* End the unikernel abnormally after a fatal error (already reported on the console by the
 * caller). The backend reports an abnormal end (spt/hvt: exit status UK_EXIT_ABORT). */
#define UK_EXIT_ABORT 112
__attribute__((noreturn)) void uk_abort(void);

/* ---- clocks ----------------------------------------------------------------------------- */

/* Monotonic time in ns; never decreases. */
uk_time_ns uk_clock_monotonic(void);

/* Wall-clock time in ns since 1970-01-01T00:00:00Z (may jump). */
uk_time_ns uk_clock_wall(void);

/* ---- waiting ---------------------------------------------------------------------------- */

/*
 * Block until at least one device has input ready or the monotonic clock reaches `deadline`
 * (a deadline in the past means: poll and return at once).
 * Writes up to `cap` handles of devices with input ready into `ready` and their number into
 * *nready (0 when the deadline passed with nothing ready). If more than `cap` devices are ready,
 * the rest are reported by the next call. `ready` may be NULL when `cap` is 0.
 * A device reported ready stays ready until its input is drained (level-triggered).
 * Returns UK_OK, or UK_EINVAL if ready is NULL with cap > 0 or nready is NULL.
 */
uk_result uk_yield(uk_time_ns deadline, uk_handle *ready, size_t cap, size_t *nready);

/* ---- devices ---------------------------------------------------------------------------- */

/* Find the device the manifest named `name` with the given kind.
 * Returns UK_OK and *h, UK_ENOENT if no such device was attached, UK_EINVAL on a NULL argument. */
uk_result uk_device_lookup(const char *name, uk_device_kind kind, uk_handle *h);

/* ---- network ---------------------------------------------------------------------------- */

struct uk_net_info {
    uint8_t mac[6];   /* the MAC address this interface should use */
    uint16_t mtu;     /* largest IP packet (frame payload), e.g. 1500 */
    /* The largest frame uk_net_read may deliver. 0 or mtu + 18 (header + VLAN tag): frames
     * never exceed the MTU. Larger (up to 65535 + 18) when the host hands over receive-offload
     * frames: an IPv4/TCP packet longer than the MTU (a coalesced/GSO segment, never an IP
     * fragment), usually with UK_FRAME_CSUM_VALID set. Writes are still limited to mtu + 18. */
    uint32_t max_rx_frame;
};

/* Returns UK_OK, or UK_EINVAL for a bad handle or a handle that is not a network device. */
uk_result uk_net_get_info(uk_handle h, struct uk_net_info *info);

/* One Ethernet frame (no FCS). For writes, `len` is the frame length and `cap` is ignored.
 * For reads, `data` points to `cap` writable bytes and the backend sets `len` and `flags`.
 * `flags` (UK_FRAME_*) is set by the backend on read (0 when it knows nothing) and ignored on
 * write. */
struct uk_frame {
    uint8_t *data;
    size_t cap;
    size_t len;
    uint32_t flags;
};
/* The host verified this frame's L4 (TCP/UDP) checksum, or the frame never left the host and
 * cannot have been corrupted (its checksum field may hold only the pseudo-header sum): do not
 * verify it. */
#define UK_FRAME_CSUM_VALID 0x1u

/*
 * Send up to n frames, in order. *sent tells how many were taken (0..n); frames after those
 * were not sent and may be retried after a yield.
 * Returns UK_OK when at least one frame was taken (or n == 0), UK_AGAIN when none could be
 * taken now, UK_EINVAL for a bad handle or a frame longer than the MTU plus the 14-byte
 * Ethernet header plus a 4-byte VLAN tag, UK_EIO on a host error.
 */
uk_result uk_net_write(uk_handle h, const struct uk_frame *frames, size_t n, size_t *sent);

/*
 * Receive up to n frames into the buffers given. *received tells how many were filled.
 * A frame longer than its buffer's cap is dropped (never truncated) and not counted.
 * Returns UK_OK when at least one frame was received, UK_AGAIN when none is waiting,
 * UK_EINVAL for a bad handle, UK_EIO on a host error.
 */
uk_result uk_net_read(uk_handle h, struct uk_frame *frames, size_t n, size_t *received);

/* ---- block storage ---------------------------------------------------------------------- */

struct uk_block_info {
    uint64_t capacity;   /* bytes; a multiple of block_size */
    uint32_t block_size; /* bytes; offsets and lengths must be multiples of it */
};

/* Returns UK_OK, or UK_EINVAL for a bad handle or a handle that is not a block device. */
uk_result uk_block_get_info(uk_handle h, struct uk_block_info *info);

/* Read/write len bytes at byte offset `offset`. Both must be multiples of block_size and the
 * range must lie within capacity. Synchronous: data is in place (read) or handed to the host
 * (write) when the call returns.
 * Returns UK_OK, UK_EINVAL (bad handle, misaligned, out of range), or UK_EIO. */
uk_result uk_block_read(uk_handle h, uint64_t offset, void *buf, size_t len);
uk_result uk_block_write(uk_handle h, uint64_t offset, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* UNIKIT_PLATFORM_H */
