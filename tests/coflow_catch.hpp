// coflow_catch.hpp: the one header a test includes to get Catch2's macros, for Catch2 v3 or v2.
// tests/CMakeLists.txt defines COFLOW_CATCH2_V3=1 when it found Catch2 v3; the runner's main comes from Catch2WithMain.
#pragma once

#if defined(COFLOW_CATCH2_V3) && COFLOW_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
