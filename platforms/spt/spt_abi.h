/*
 * The contract between the spt tender (platforms/spt/tender) and the spt bindings inside an
 * image (platforms/spt/bindings). The tender and the guest share one process and one address
 * space: the tender builds a struct spt_boot in the guest memory region and jumps to the
 * image's entry with its address in %rdi (and %rsp at the top of the guest stack).
 * Bump SPT_BOOT_VERSION on any change.
 */
#ifndef UNIKIT_SPT_ABI_H
#define UNIKIT_SPT_ABI_H

#include <stdint.h>

#include <unikit/platform.h>

#define SPT_BOOT_MAGIC 0x544f4f4254505355ull /* "USPTBOOT" */
#define SPT_BOOT_VERSION 2
#define SPT_DEVICE_NAME_MAX 32

struct spt_device {
    char name[SPT_DEVICE_NAME_MAX]; /* manifest name, NUL-terminated */
    uint32_t kind;                  /* UK_DEV_NET or UK_DEV_BLOCK */
    int32_t fd;                     /* TAP fd (non-blocking) or block file fd */
    /* net */
    uint8_t mac[6];
    uint16_t mtu;
    /* block */
    uint32_t block_size;
    /* net: 1 when the TAP fd was opened with IFF_VNET_HDR, a 12-byte struct virtio_net_hdr_v1
     * before every frame (readv/writev), and TUNSETOFFLOAD CSUM|TSO4|TSO6: reads may return
     * GSO frames up to 64 KiB with a partial checksum. 0: plain frames (read/write). */
    uint32_t vnet_hdr;
    uint64_t capacity;
};

struct spt_boot {
    uint64_t magic;   /* SPT_BOOT_MAGIC */
    uint32_t version; /* SPT_BOOT_VERSION */
    uint32_t ndevices;
    struct uk_boot_info info;        /* argc/argv, heap, entropy: handed to uk_main */
    const struct spt_device *devices; /* ndevices entries; handle = index */
    int32_t epoll_fd;                /* epoll set holding every TAP fd (data.u32 = handle) */
    int32_t have_epoll_pwait2;       /* 1: wait with epoll_pwait2 (ns), 0: epoll_pwait (ms) */
    uint64_t mem_base;               /* the guest memory region */
    uint64_t mem_size;
};

#endif /* UNIKIT_SPT_ABI_H */
