# The tools/common sources compiled into the spt tender and the hvt monitor (and their unit
# tests). They are compiled into each program, not linked from unikit_host_common, because the
# programs choose their own flags (unikit-spt links statically without sanitizers).
set(UNIKIT_TENDER_COMMON_SOURCES
  ${UNIKIT_ROOT}/tools/common/elf.cpp
  ${UNIKIT_ROOT}/tools/common/manifest_reader.cpp
  ${UNIKIT_ROOT}/tools/common/devargs.cpp
  ${UNIKIT_ROOT}/tools/common/tap.cpp
  ${UNIKIT_ROOT}/tools/common/tender_args.cpp
  ${UNIKIT_ROOT}/tools/common/tender_devices.cpp
  ${UNIKIT_ROOT}/tools/common/tender_image.cpp)
