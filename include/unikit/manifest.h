/*
 * The unikit image manifest: an ELF note carried by every image (every target), naming the
 * target the image was built for, the platform ABI version, the application, and the devices it
 * needs. Tenders, monitors and `unikit inspect` read it; they refuse an image whose devices are
 * not supplied, or that is given devices it did not ask for, with a message naming which.
 *
 * The note lives in an allocated SHT_NOTE section named ".note.unikit" (and so in a PT_NOTE
 * segment): owner name "unikit", type UK_NOTE_MANIFEST, descriptor = struct uk_manifest followed
 * by `ndevices` struct uk_manifest_device. All integers are little-endian (the image's byte
 * order). Strings are NUL-terminated within their fixed fields.
 */
#ifndef UNIKIT_MANIFEST_H
#define UNIKIT_MANIFEST_H

#include <stdint.h>

#define UK_NOTE_NAME "unikit"
#define UK_NOTE_MANIFEST 0x554b4d01u /* "UKM" + version 1 of the layout */
#define UK_MANIFEST_MAGIC 0x464d4b55u /* "UKMF" read as little-endian bytes */
#define UK_MANIFEST_NAME_MAX 32
#define UK_MANIFEST_TARGET_MAX 16

struct uk_manifest_device {
    char name[UK_MANIFEST_NAME_MAX]; /* as passed to uk_device_lookup() */
    uint32_t kind;                   /* uk_device_kind */
    uint32_t reserved;               /* 0 */
};

struct uk_manifest {
    uint32_t magic;       /* UK_MANIFEST_MAGIC */
    uint32_t abi_version; /* UK_ABI_VERSION the image was built against */
    char target[UK_MANIFEST_TARGET_MAX]; /* "unix", "spt", "hvt", "virtio" */
    char app[UK_MANIFEST_NAME_MAX];      /* application name */
    uint32_t ndevices;
    uint32_t reserved; /* 0 */
    /* followed by struct uk_manifest_device devices[ndevices] */
};

#endif /* UNIKIT_MANIFEST_H */
