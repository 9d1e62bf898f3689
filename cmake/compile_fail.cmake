# compile_fail.cmake: passes only if SOURCE fails to compile and the compiler's stderr contains the text
# given on the source's first line, written "// expect: <text>" (plain substring, not a regex).
# Usage: cmake -DCXX=<compiler> -DINCLUDE_DIR=<repo>/include -DSOURCE=<file.cpp> -P compile_fail.cmake
cmake_policy(VERSION 3.20)

foreach(_var IN ITEMS CXX INCLUDE_DIR SOURCE)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "compile_fail.cmake: -D${_var}=... is required")
  endif()
endforeach()

file(READ "${SOURCE}" _head LIMIT 4096)
string(FIND "${_head}" "\n" _eol)
if(NOT _eol EQUAL -1)
  string(SUBSTRING "${_head}" 0 ${_eol} _head)
endif()
string(REGEX REPLACE "\r$" "" _head "${_head}")
if(NOT _head MATCHES "^//[ \t]*expect:[ \t]*(.*)$")
  message(FATAL_ERROR "${SOURCE}: the first line must be '// expect: <text the compiler error must contain>'")
endif()
string(STRIP "${CMAKE_MATCH_1}" _expect)
if(_expect STREQUAL "")
  message(FATAL_ERROR "${SOURCE}: the '// expect:' line has no text")
endif()

set(ENV{LC_ALL} C)  # plain ASCII quotes in GCC's diagnostics
execute_process(
  COMMAND "${CXX}" -std=c++20 -I "${INCLUDE_DIR}" -fsyntax-only "${SOURCE}"
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _out
  ERROR_VARIABLE _err)

if(_rc STREQUAL "0")
  message(FATAL_ERROR "${SOURCE} compiled, but it must fail with an error containing:\n  ${_expect}")
endif()
string(FIND "${_out}${_err}" "${_expect}" _pos)
if(_pos EQUAL -1)
  message(NOTICE "--- compiler output\n${_out}${_err}---")
  message(FATAL_ERROR
    "${SOURCE} failed to compile, as it must, but the diagnostics above do not contain:\n  ${_expect}")
endif()
message(STATUS "${SOURCE} failed to compile as expected (found: ${_expect})")
