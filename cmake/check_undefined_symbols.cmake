# Fails when object files or static libraries reference a symbol a freestanding image lacks.
# Tests use it to keep the freestanding flavour of a library free of libc/libstdc++ code
# (DESIGN rules 2 and 5): every undefined symbol must match ALLOW.
#
#   cmake -DNM=nm "-DFILES=a.o;b.a" "-DALLOW=^(memcpy|_ZN6unikit.*)$" -DWHAT="wire/" -P check_undefined_symbols.cmake
#
# Weak undefined symbols ("w") count too: an image could still call them.
foreach(v NM FILES ALLOW WHAT)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "check_undefined_symbols: ${v} is not set")
  endif()
endforeach()
execute_process(COMMAND ${NM} -u ${FILES} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(bad)
foreach(line IN LISTS lines)
  if(line MATCHES "^ *[Uw] +(.+)$")
    set(sym ${CMAKE_MATCH_1})
    if(NOT sym MATCHES "${ALLOW}")
      list(APPEND bad ${sym})
    endif()
  endif()
endforeach()
if(bad)
  list(REMOVE_DUPLICATES bad)
  message(FATAL_ERROR "${WHAT} needs symbols a freestanding image lacks: ${bad}")
endif()
message(STATUS "${WHAT}: every undefined symbol is one the freestanding runtime provides")
