# stage_install.cmake: `cmake --install BUILD_DIR --prefix PREFIX` into an emptied PREFIX (for the
# find_package consumer test), then checks what was installed: every public header and nothing else
# under include/, the package files, the licence, and that the version file accepts the requests
# SameMajorVersion should accept (and refuses the others). Removes CLEAN, the consumer's build tree.
# Usage: cmake -DBUILD_DIR=<dir> -DPREFIX=<dir> -DSOURCE_DIR=<repo> -DEXPECTED_VERSION=<x.y.z>
#              -DCLEAN=<dir> -P stage_install.cmake
cmake_policy(VERSION 3.20)

foreach(_var IN ITEMS BUILD_DIR PREFIX SOURCE_DIR EXPECTED_VERSION CLEAN)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "stage_install.cmake: -D${_var}=... is required")
  endif()
endforeach()
set(_failures "")

file(REMOVE_RECURSE "${PREFIX}" "${CLEAN}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE _rc
  OUTPUT_VARIABLE _out
  ERROR_VARIABLE _err)
if(NOT _rc STREQUAL "0")
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed (${_rc}):\n${_out}${_err}")
endif()

# Headers: exactly the source tree's include/ (public and detail).
file(GLOB_RECURSE _expected RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/*")
file(GLOB_RECURSE _installed RELATIVE "${PREFIX}/include" "${PREFIX}/include/*")
list(SORT _expected)
list(SORT _installed)
if(NOT _expected STREQUAL _installed)
  string(APPEND _failures "installed headers differ from include/:\n  expected: ${_expected}\n  installed: ${_installed}\n")
endif()

# Package files, wherever COFLOW_INSTALL_CMAKEDIR put them (default share/cmake/coflow).
file(GLOB_RECURSE _version_file "${PREFIX}/*/coflowConfigVersion.cmake")
if(NOT _version_file)
  message(FATAL_ERROR "no coflowConfigVersion.cmake under ${PREFIX}")
endif()
get_filename_component(_cmakedir "${_version_file}" DIRECTORY)
foreach(_file IN ITEMS coflowConfig.cmake coflowTargets.cmake)
  if(NOT EXISTS "${_cmakedir}/${_file}")
    string(APPEND _failures "missing ${_cmakedir}/${_file}\n")
  endif()
endforeach()
file(GLOB_RECURSE _license "${PREFIX}/*/licenses/coflow/LICENSE")
if(NOT _license)
  string(APPEND _failures "no licenses/coflow/LICENSE under ${PREFIX}\n")
endif()

# The version file, asked as find_package(coflow <request>) would ask it.
function(_coflow_request request want)
  string(REPLACE "." ";" _parts "${request}")
  list(LENGTH _parts PACKAGE_FIND_VERSION_COUNT)
  list(APPEND _parts 0 0 0)
  list(GET _parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET _parts 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET _parts 2 PACKAGE_FIND_VERSION_PATCH)
  set(PACKAGE_FIND_VERSION "${request}")
  set(PACKAGE_FIND_NAME coflow)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
  set(PACKAGE_VERSION_UNSUITABLE FALSE)
  include("${_version_file}")
  if(NOT PACKAGE_VERSION STREQUAL EXPECTED_VERSION)
    set(_failures "${_failures}coflowConfigVersion.cmake says ${PACKAGE_VERSION}, version.hpp says ${EXPECTED_VERSION}\n"
        PARENT_SCOPE)
  endif()
  if(PACKAGE_VERSION_UNSUITABLE OR NOT PACKAGE_VERSION_COMPATIBLE STREQUAL want)
    set(_failures "${_failures}find_package(coflow ${request}): compatible is '${PACKAGE_VERSION_COMPATIBLE}' \
(unsuitable '${PACKAGE_VERSION_UNSUITABLE}'), expected '${want}' for version ${PACKAGE_VERSION}\n" PARENT_SCOPE)
  endif()
endfunction()

string(REPLACE "." ";" _v "${EXPECTED_VERSION}")
list(GET _v 0 _major)
list(GET _v 1 _minor)
math(EXPR _next_major "${_major} + 1")
math(EXPR _next_minor "${_minor} + 1")
_coflow_request("${EXPECTED_VERSION}" TRUE)          # the same version
_coflow_request("${_major}" TRUE)                    # any of this major version
_coflow_request("${_major}.${_minor}" TRUE)
_coflow_request("${_major}.${_next_minor}" FALSE)    # newer than installed
_coflow_request("${_next_major}" FALSE)              # another major version

if(NOT _failures STREQUAL "")
  message(FATAL_ERROR "stage_install.cmake: the staged install in ${PREFIX} is wrong:\n${_failures}")
endif()
message(STATUS "installed coflow ${EXPECTED_VERSION} into ${PREFIX}: headers, package files (${_cmakedir}), licence")
