# unikit build functions.
#
# Code above the platform ABI is built in two flavours from the same sources:
#   hosted        - for the unix target and the tests: the host's libc and libstdc++ are linked.
#   freestanding  - for spt, hvt and virtio: -ffreestanding, no libc, no libstdc++; src/rt
#                   supplies what C++ needs. Target names carry the suffix ".fs".
# Both flavours compile without exceptions and RTTI, so the unix build behaves as the others.

set(UNIKIT_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
get_filename_component(UNIKIT_ROOT "${UNIKIT_ROOT}" ABSOLUTE)

set(UNIKIT_FREESTANDING_TARGETS spt hvt virtio)
set(UNIKIT_NEED_FREESTANDING OFF)
foreach(t IN LISTS UNIKIT_TARGETS)
  if(t IN_LIST UNIKIT_FREESTANDING_TARGETS)
    set(UNIKIT_NEED_FREESTANDING ON)
  endif()
endforeach()

set(UNIKIT_WARNINGS -Wall -Wextra -Wshadow -Wno-unused-parameter)

add_library(unikit_flags_common INTERFACE)
target_include_directories(unikit_flags_common INTERFACE ${UNIKIT_ROOT}/include ${UNIKIT_ROOT}/src)
# __FILE__ (panic lines, assertions) relative to the repository: "PANIC at src/rt/...", not the
# build machine's absolute path.
target_compile_options(unikit_flags_common INTERFACE
  ${UNIKIT_WARNINGS}
  -fmacro-prefix-map=${UNIKIT_ROOT}/=
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)

add_library(unikit_flags_hosted INTERFACE)
target_link_libraries(unikit_flags_hosted INTERFACE unikit_flags_common)
if(UNIKIT_SANITIZE)
  target_compile_options(unikit_flags_hosted INTERFACE -fsanitize=${UNIKIT_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(unikit_flags_hosted INTERFACE -fsanitize=${UNIKIT_SANITIZE})
endif()

add_library(unikit_flags_freestanding INTERFACE)
target_link_libraries(unikit_flags_freestanding INTERFACE unikit_flags_common)
target_compile_definitions(unikit_flags_freestanding INTERFACE UNIKIT_FREESTANDING=1)
target_compile_options(unikit_flags_freestanding INTERFACE
  -ffreestanding -fPIE -fno-plt -mno-red-zone
  -fstack-protector-strong -mstack-protector-guard=global
  -fno-asynchronous-unwind-tables -fno-unwind-tables
  -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0
  -ffunction-sections -fdata-sections
  $<$<COMPILE_LANGUAGE:CXX>:-fno-threadsafe-statics -fno-use-cxa-atexit>)

# unikit_libos_library(NAME SOURCES src... [DEPS lib...])
# Builds NAME (hosted) and, when a freestanding target is enabled, NAME.fs (freestanding).
# DEPS are other libos libraries, given by their hosted name; the .fs build links their .fs twin.
function(unikit_libos_library name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${arg_SOURCES})
  target_link_libraries(${name} PUBLIC unikit_flags_hosted ${arg_DEPS})
  if(UNIKIT_NEED_FREESTANDING)
    add_library(${name}.fs STATIC ${arg_SOURCES})
    set(fs_deps)
    foreach(d IN LISTS arg_DEPS)
      list(APPEND fs_deps ${d}.fs)
    endforeach()
    target_link_libraries(${name}.fs PUBLIC unikit_flags_freestanding ${fs_deps})
  endif()
endfunction()

# unikit_flavor_of(TARGET OUTVAR): "hosted" for unix, "fs" for the freestanding targets.
function(unikit_flavor_of target out)
  if(target IN_LIST UNIKIT_FREESTANDING_TARGETS)
    set(${out} fs PARENT_SCOPE)
  else()
    set(${out} hosted PARENT_SCOPE)
  endif()
endfunction()

set(UNIKIT_IMAGE_DIR ${CMAKE_BINARY_DIR}/images)

# unikit_app(NAME SOURCES file... [DEVICES name:net|block ...] [FILES dir])
#
# Declares an application. For every target in UNIKIT_TARGETS it builds the image
# ${UNIKIT_IMAGE_DIR}/NAME.TARGET, linking the app's sources with the library OS of the
# matching flavour and the target's platform library (unikit_platform_TARGET), and embeds the
# manifest note naming the devices. Apps know nothing of targets: the same sources serve all.
function(unikit_app name)
  cmake_parse_arguments(arg "" "FILES" "SOURCES;DEVICES;LIBS" ${ARGN})
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "unikit_app(${name}): SOURCES is required")
  endif()
  string(LENGTH "${name}" name_len)
  if(name_len GREATER 31)
    message(FATAL_ERROR "unikit_app(${name}): name longer than 31 characters")
  endif()
  set(dev_entries "")
  set(ndev 0)
  foreach(dev IN LISTS arg_DEVICES)
    if(NOT dev MATCHES "^([A-Za-z0-9_.-]+):(net|block)$")
      message(FATAL_ERROR "unikit_app(${name}): device '${dev}' is not NAME:net or NAME:block")
    endif()
    set(dname ${CMAKE_MATCH_1})
    string(LENGTH "${dname}" dlen)
    if(dlen GREATER 31)
      message(FATAL_ERROR "unikit_app(${name}): device name '${dname}' longer than 31 characters")
    endif()
    if(CMAKE_MATCH_2 STREQUAL "net")
      set(kind UK_DEV_NET)
    else()
      set(kind UK_DEV_BLOCK)
    endif()
    string(APPEND dev_entries "        { \"${dname}\", ${kind}, 0 },\n")
    math(EXPR ndev "${ndev} + 1")
  endforeach()
  if(ndev EQUAL 0)
    set(dev_array_decl "")
    set(dev_array_init "")
  else()
    set(dev_array_decl "    struct uk_manifest_device devices[${ndev}];\n")
    set(dev_array_init "    {\n${dev_entries}    },\n")
  endif()

  # FILES dir: unikit-kvbake (tools/kvbake) bakes every file under dir into generated C++ that
  # is compiled into each image (unikit::kv::baked()). The glob is re-checked at build time, so
  # added, removed and edited files all re-bake.
  set(files_src "")
  if(arg_FILES)
    get_filename_component(files_dir "${arg_FILES}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT IS_DIRECTORY "${files_dir}")
      message(FATAL_ERROR "unikit_app(${name}): FILES '${arg_FILES}' is not a directory")
    endif()
    file(GLOB_RECURSE files_deps CONFIGURE_DEPENDS LIST_DIRECTORIES false "${files_dir}/*")
    set(files_src ${CMAKE_CURRENT_BINARY_DIR}/${name}.files.cpp)
    add_custom_command(OUTPUT ${files_src}
      COMMAND unikit-kvbake "${files_dir}" "${files_src}"
      DEPENDS unikit-kvbake ${files_deps}
      COMMENT "Baking ${arg_FILES} into ${name}"
      VERBATIM)
  endif()

  foreach(target IN LISTS UNIKIT_TARGETS)
    unikit_flavor_of(${target} flavor)
    set(manifest_c ${CMAKE_CURRENT_BINARY_DIR}/${name}.${target}.manifest.c)
    file(CONFIGURE OUTPUT ${manifest_c} CONTENT
"/* Generated by unikit_app(${name}) for target ${target}. Do not edit. */
#include <unikit/manifest.h>
#include <unikit/platform.h>

struct uk_manifest_note {
    uint32_t namesz, descsz, type;
    char name[8];
    struct uk_manifest m;
${dev_array_decl}};

__attribute__((section(\".note.unikit\"), aligned(4), used))
const struct uk_manifest_note uk_manifest_note = {
    sizeof(UK_NOTE_NAME),
    sizeof(struct uk_manifest_note) - 3 * sizeof(uint32_t) - 8,
    UK_NOTE_MANIFEST,
    UK_NOTE_NAME,
    { UK_MANIFEST_MAGIC, UK_ABI_VERSION, \"${target}\", \"${name}\", ${ndev}, 0 },
${dev_array_init}};
" @ONLY)
    set(exe ${name}.${target})
    add_executable(${exe} ${arg_SOURCES} ${manifest_c} ${files_src})
    set_target_properties(${exe} PROPERTIES
      OUTPUT_NAME ${name}.${target}
      RUNTIME_OUTPUT_DIRECTORY ${UNIKIT_IMAGE_DIR})
    if(flavor STREQUAL "fs")
      target_link_libraries(${exe} PRIVATE unikit_platform_${target} unikit_libos.fs)
      foreach(l IN LISTS arg_LIBS)
        target_link_libraries(${exe} PRIVATE ${l}.fs)
      endforeach()
    else()
      target_link_libraries(${exe} PRIVATE unikit_platform_${target} unikit_libos)
      foreach(l IN LISTS arg_LIBS)
        target_link_libraries(${exe} PRIVATE ${l})
      endforeach()
    endif()
    # Resolve the platform's start code and the app's symbols in one group: the platform
    # calls uk_main (libos), which calls app_main (app).
    if(NOT TARGET unikit_images)
      add_custom_target(unikit_images)
    endif()
    add_dependencies(unikit_images ${exe})
  endforeach()
endfunction()
