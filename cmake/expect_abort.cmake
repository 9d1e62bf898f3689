# expect_abort.cmake: passes only if EXE, run with the argument ARG, ends abnormally (std::abort: no exit code)
# and its stderr matches the regular expression EXPECT, and nothing on stdout matches "not reached".
# ctest alone cannot say this: a test that aborts fails whatever its PASS_REGULAR_EXPRESSION or WILL_FAIL.
# Usage: cmake -DEXE=<exe> -DARG=<argument> -DEXPECT=<regex> -P expect_abort.cmake
cmake_policy(VERSION 3.20)

foreach(_var IN ITEMS EXE ARG EXPECT)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "expect_abort.cmake: -D${_var}=... is required")
  endif()
endforeach()

execute_process(
  COMMAND "${EXE}" "${ARG}"
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _out
  ERROR_VARIABLE _err)

message(NOTICE "--- stdout\n${_out}--- stderr\n${_err}--- result: ${_rc}")
if(_rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${EXE} ${ARG} exited with code ${_rc}; it must abort")
endif()
if(_out MATCHES "not reached")
  message(FATAL_ERROR "${EXE} ${ARG} went on after the error")
endif()
if(NOT _err MATCHES "${EXPECT}")
  message(FATAL_ERROR "${EXE} ${ARG}: stderr does not match: ${EXPECT}")
endif()
