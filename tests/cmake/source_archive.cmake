# source_archive.cmake: packs what a coflow source release needs into ARCHIVE (for the FetchContent
# consumer test), and removes CLEAN, the consumer's build tree, so that FetchContent extracts afresh.
# Usage: cmake -DSOURCE_DIR=<repo> -DARCHIVE=<file.tar.gz> -DCLEAN=<dir> -P source_archive.cmake
cmake_policy(VERSION 3.20)

foreach(_var IN ITEMS SOURCE_DIR ARCHIVE CLEAN)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "source_archive.cmake: -D${_var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${CLEAN}")
file(REMOVE "${ARCHIVE}")
get_filename_component(_dir "${ARCHIVE}" DIRECTORY)
file(MAKE_DIRECTORY "${_dir}")
# Only the library: a consumer must not need tests/, examples/, tools/ or bench/.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E tar czf "${ARCHIVE}" -- CMakeLists.txt LICENSE cmake include
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE _rc)
if(NOT _rc STREQUAL "0")
  message(FATAL_ERROR "source_archive.cmake: packing ${SOURCE_DIR} into ${ARCHIVE} failed (${_rc})")
endif()
message(STATUS "packed ${SOURCE_DIR} into ${ARCHIVE}")
