// single_header_test.cpp: proves single_include/coflow/coflow.hpp builds on its own.
// CMake puts only single_include/ on the include path for this file (not include/), and links no Catch2.
#include <coflow/coflow.hpp>

int main() {
    static_assert(coflow::version.major >= 0, "coflow::version must be usable in constant expressions");
    return coflow::version.major >= 0 ? 0 : 1;
}
