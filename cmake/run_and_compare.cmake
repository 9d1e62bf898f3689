# run_and_compare.cmake: runs EXE and fails if it exits non-zero or, when the file EXPECTED exists, if its
# stdout differs from that file byte for byte. When the file INPUT exists, it is EXE's stdin.
# With SOURCE set, first compiles SOURCE into EXE with only
#   <CXX> -std=c++20 [<CXX_FLAGS>] -I <INCLUDE_DIR> [-I <MORE_INCLUDE_DIR>] <SOURCE> -o <EXE>
# (used to prove an example builds against the single header alone; CXX_FLAGS: extra flags separated by spaces;
# MORE_INCLUDE_DIR: searched after INCLUDE_DIR, for an optional adapter header).
# Usage: cmake -DEXE=<exe> [-DEXPECTED=<file.out>] [-DINPUT=<file.in>] [-DCXX=<c++> [-DCXX_FLAGS=<flags>]
#              -DINCLUDE_DIR=<dir> [-DMORE_INCLUDE_DIR=<dir>] -DSOURCE=<file.cpp>] -P run_and_compare.cmake
cmake_policy(VERSION 3.20)

if(NOT DEFINED EXE)
  message(FATAL_ERROR "run_and_compare.cmake: -DEXE=... is required")
endif()

# Details go out verbatim (message(NOTICE) does not re-wrap); the FATAL_ERROR line is the summary.
function(_coflow_fail summary details)
  message(NOTICE "${details}")
  message(FATAL_ERROR "${summary}")
endfunction()

if(DEFINED SOURCE)
  get_filename_component(_exe_dir "${EXE}" DIRECTORY)
  file(MAKE_DIRECTORY "${_exe_dir}")
  separate_arguments(_flags UNIX_COMMAND "${CXX_FLAGS}")
  set(_includes -I "${INCLUDE_DIR}")
  if(DEFINED MORE_INCLUDE_DIR)
    list(APPEND _includes -I "${MORE_INCLUDE_DIR}")
  endif()
  execute_process(
    COMMAND "${CXX}" -std=c++20 ${_flags} ${_includes} "${SOURCE}" -o "${EXE}"
    RESULT_VARIABLE _rc
    OUTPUT_VARIABLE _out
    ERROR_VARIABLE _err)
  if(NOT _rc STREQUAL "0")
    string(REPLACE ";" " " _shown "${_includes}")
    _coflow_fail("compiling ${SOURCE} with only '${CXX} -std=c++20 ${CXX_FLAGS} ${_shown}' failed (${_rc})"
                 "${_out}${_err}")
  endif()
endif()

set(_input "")
if(DEFINED INPUT AND EXISTS "${INPUT}")
  set(_input INPUT_FILE "${INPUT}")
endif()
execute_process(
  COMMAND "${EXE}"
  ${_input}
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _actual
  ERROR_VARIABLE _stderr)
if(NOT _rc STREQUAL "0")
  _coflow_fail("${EXE} exited with ${_rc}" "--- stdout\n${_actual}--- stderr\n${_stderr}")
endif()
if(NOT DEFINED EXPECTED OR NOT EXISTS "${EXPECTED}")
  return()
endif()
file(READ "${EXPECTED}" _expected)
if(_actual STREQUAL _expected)
  return()
endif()

# Split text into a CMake list of lines, hiding characters that lists treat specially.
string(ASCII 1 _semi)
string(ASCII 2 _open)
string(ASCII 3 _close)
function(_coflow_lines text out)
  string(REGEX REPLACE "\n$" "" text "${text}")  # a final newline ends the last line, it does not start one
  string(REPLACE ";" "${_semi}" text "${text}")
  string(REPLACE "[" "${_open}" text "${text}")
  string(REPLACE "]" "${_close}" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
function(_coflow_unhide line out)
  string(REPLACE "${_semi}" ";" line "${line}")
  string(REPLACE "${_open}" "[" line "${line}")
  string(REPLACE "${_close}" "]" line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()
function(_coflow_numbered text out)
  _coflow_lines("${text}" _lines)
  set(_result "")
  set(_n 0)
  foreach(_line IN LISTS _lines)
    math(EXPR _n "${_n} + 1")
    _coflow_unhide("${_line}" _line)
    string(APPEND _result "  ${_n}| ${_line}\n")
  endforeach()
  if(NOT text STREQUAL "" AND NOT text MATCHES "\n$")
    string(APPEND _result "  (no newline at end)\n")
  endif()
  set(${out} "${_result}" PARENT_SCOPE)
endfunction()

_coflow_lines("${_expected}" _expected_lines)
_coflow_lines("${_actual}" _actual_lines)
list(LENGTH _expected_lines _expected_count)
list(LENGTH _actual_lines _actual_count)
set(_first "")
set(_i 0)
while(_i LESS _expected_count OR _i LESS _actual_count)
  set(_e "<no line>")
  set(_a "<no line>")
  if(_i LESS _expected_count)
    list(GET _expected_lines ${_i} _e)
    _coflow_unhide("${_e}" _e)
    set(_e "|${_e}|")
  endif()
  if(_i LESS _actual_count)
    list(GET _actual_lines ${_i} _a)
    _coflow_unhide("${_a}" _a)
    set(_a "|${_a}|")
  endif()
  if(NOT _e STREQUAL _a)
    math(EXPR _line_no "${_i} + 1")
    set(_first "first difference at line ${_line_no}:\n  expected: ${_e}\n  actual:   ${_a}\n")
    break()
  endif()
  math(EXPR _i "${_i} + 1")
endwhile()
if(_first STREQUAL "")
  set(_first "the texts differ in line endings or a trailing newline\n")
endif()
_coflow_numbered("${_expected}" _expected_numbered)
_coflow_numbered("${_actual}" _actual_numbered)
_coflow_fail("stdout of ${EXE} differs from ${EXPECTED}"
  "${_first}--- expected (${EXPECTED})\n${_expected_numbered}+++ actual\n${_actual_numbered}\
--- stderr\n${_stderr}(to accept the new output: ${EXE} > ${EXPECTED})\n")
