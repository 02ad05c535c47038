# Fails if the freestanding libraries unikit_http.fs / unikit_kv.fs reference anything a
# freestanding image lacks: only unikit symbols, the platform ABI (uk_*), the C/C++ runtime
# pieces src/rt/fs provides (mem*, strlen, operator new/delete, std::nothrow,
# std::__throw_out_of_range_fmt, __cxa_pure_virtual), the stack protector and the GOT.
# Usage: cmake -DNM=nm -DLIBS="a.a;b.a" -P check_freestanding_symbols.cmake
execute_process(COMMAND ${NM} -u ${LIBS} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(bad)
foreach(line IN LISTS lines)
  if(line MATCHES "^ *[Uw] +(.+)$")
    set(sym ${CMAKE_MATCH_1})
    if(NOT sym MATCHES "^(mem(cpy|move|set|cmp|chr)|strlen|__stack_chk_guard|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_|__cxa_pure_virtual|uk_[a-z_]+|_Znw[mj].*|_Zdl.*|_ZSt7nothrow|_ZSt24__throw_out_of_range_fmtPKcz|_ZN6unikit.*|_ZNK6unikit.*|_ZTVN6unikit.*)$")
      list(APPEND bad ${sym})
    endif()
  endif()
endforeach()
if(bad)
  list(REMOVE_DUPLICATES bad)
  message(FATAL_ERROR "http/kv need symbols a freestanding image lacks: ${bad}")
endif()
message(STATUS "http/kv freestanding libraries: only runtime, ABI and unikit symbols undefined")
