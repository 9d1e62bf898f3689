// coflow/version.hpp: the library's version, in one place.
// CMake and the single-header banner read the three macros below; code reads coflow::version.
#pragma once

#define COFLOW_VERSION_MAJOR 0
#define COFLOW_VERSION_MINOR 1
#define COFLOW_VERSION_PATCH 0

namespace coflow {

/// The library version as numbers; compare with `coflow::version.major` etc.
struct version_info {
    int major;
    int minor;
    int patch;
};

inline constexpr version_info version{COFLOW_VERSION_MAJOR, COFLOW_VERSION_MINOR, COFLOW_VERSION_PATCH};

}  // namespace coflow
