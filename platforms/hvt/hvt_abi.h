/*
 * The contract between the hvt monitor (platforms/hvt/monitor, host program) and the hvt
 * bindings inside an image (platforms/hvt/bindings). See docs/hvt.md.
 *
 * The guest runs in 64-bit long mode at CPL3 with an identity map: guest virtual address ==
 * guest physical address. The monitor enters the image's entry with %rdi = address of a struct
 * hvt_boot (read-only for the guest) and %rsp = top of the guest stack.
 *
 * Hypercalls: `outl %eax, $port` with port = HVT_PORT_BASE + call and %eax = the guest address
 * of the call's argument struct (8-byte aligned, below 4 GiB, in guest-writable memory: results
 * are written back into it). The I/O exit hands control to the monitor, which validates every
 * address and length against the guest memory before it touches them. A call that fails the
 * checks gets result UK_EINVAL (console/exit calls: ignored); the monitor never crashes for it.
 * Bump HVT_BOOT_VERSION on any change to this file.
 */
#ifndef UNIKIT_HVT_ABI_H
#define UNIKIT_HVT_ABI_H

#include <stdint.h>

#include <unikit/platform.h>

#define HVT_BOOT_MAGIC 0x544f4f4254564855ull /* "UHVTBOOT" */
#define HVT_BOOT_VERSION 1
#define HVT_DEVICE_NAME_MAX 32

#define HVT_PORT_BASE 0x500
enum hvt_call {
    HVT_CALL_CONSOLE = 0,     /* struct hvt_console */
    HVT_CALL_EXIT = 1,        /* struct hvt_exit: ends the guest with a status */
    HVT_CALL_ABORT = 2,       /* struct hvt_exit (status ignored): uk_abort() */
    HVT_CALL_CLOCK = 3,       /* struct hvt_clock */
    HVT_CALL_YIELD = 4,       /* struct hvt_yield */
    HVT_CALL_NET_WRITE = 5,   /* struct hvt_net_io */
    HVT_CALL_NET_READ = 6,    /* struct hvt_net_io */
    HVT_CALL_BLOCK_WRITE = 7, /* struct hvt_block_io */
    HVT_CALL_BLOCK_READ = 8,  /* struct hvt_block_io */
    HVT_CALL_COUNT = 9,
};

struct hvt_console {
    uint64_t buf; /* guest address */
    uint64_t len;
};

struct hvt_exit {
    int32_t status;
    uint32_t reserved;
};

/* Out: the host's CLOCK_MONOTONIC and CLOCK_REALTIME, in ns. */
struct hvt_clock {
    uint64_t monotonic;
    uint64_t wall;
};

/* Block until a network device has input or the host's CLOCK_MONOTONIC reaches `deadline`.
 * Out: up to `cap` ready handles into `ready` (guest address of int32 array), their count in
 * `nready`, and the clocks at return (the guest re-anchors its TSC clock on them). */
struct hvt_yield {
    uint64_t deadline;
    uint64_t ready;
    uint64_t cap;
    uint64_t nready;     /* out */
    struct hvt_clock now; /* out */
};

/* uk_net_write/uk_net_read: `frames` = guest address of n struct uk_frame (whose `data` are
 * guest addresses). Out: `done` (sent/received), `result` (uk_result), and for reads each
 * frame's `len` and `flags` (0: the monitor offers no receive offload). */
struct hvt_net_io {
    int32_t handle;
    int32_t result; /* out */
    uint64_t frames;
    uint64_t n;
    uint64_t done; /* out */
};

struct hvt_block_io {
    int32_t handle;
    int32_t result; /* out */
    uint64_t offset;
    uint64_t buf; /* guest address */
    uint64_t len;
};

struct hvt_device {
    char name[HVT_DEVICE_NAME_MAX]; /* manifest name, NUL-terminated */
    uint32_t kind;                  /* UK_DEV_NET or UK_DEV_BLOCK */
    uint32_t reserved;
    /* net */
    uint8_t mac[6];
    uint16_t mtu;
    /* block */
    uint32_t block_size;
    uint64_t capacity;
};

struct hvt_boot {
    uint64_t magic;   /* HVT_BOOT_MAGIC */
    uint32_t version; /* HVT_BOOT_VERSION */
    uint32_t ndevices;
    struct uk_boot_info info;         /* argc/argv, heap, entropy: handed to uk_main */
    const struct hvt_device *devices; /* ndevices entries; handle = index */
    uint64_t tsc_khz;                 /* TSC frequency (0: unknown, use HVT_CALL_CLOCK) */
    uint64_t mem_size;                /* guest memory, bytes */
};

#endif /* UNIKIT_HVT_ABI_H */
