#!/usr/bin/env bash
# run_tests.sh: coflow's one test command. Checks the single header is fresh, then configures, builds and runs
# ctest with g++ and clang++ (Debug, warnings as errors), plus an ASan/UBSan clang++ build when
# COFLOW_SANITIZE_RUN=1 (default: 1 when CI=true, else 0). Build trees: build/g++, build/clang++, build/asan.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

JOBS="${COFLOW_JOBS:-2}"
COFLOW_SANITIZE_RUN="${COFLOW_SANITIZE_RUN:-$([[ "${CI:-}" == "true" ]] && echo 1 || echo 0)}"

stage="start"
done_stages=()
on_exit() {
    local rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "run_tests.sh: ALL PASSED (${done_stages[*]})"
    else
        echo "run_tests.sh: FAILED at ${stage} (passed before it: ${done_stages[*]:-none})" >&2
    fi
}
trap on_exit EXIT

# build_and_test <build dir> <cmake args...>: configure, build and run ctest in <build dir>.
build_and_test() {
    local dir="$1"
    shift
    local generator=()
    if [[ ! -f "${dir}/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
        generator=(-G Ninja)
    fi
    echo "== ${stage}: configure ${dir}"
    cmake -S . -B "${dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCOFLOW_WERROR=ON "$@"
    echo "== ${stage}: build ${dir}"
    cmake --build "${dir}" -j "${JOBS}"
    echo "== ${stage}: test ${dir}"
    ctest --test-dir "${dir}" --output-on-failure -j "${JOBS}"
}

check_single_header() {
    stage="single-header check"
    python3 tools/make_single_header.py --check
    done_stages+=("single-header")
}

test_compiler() {
    local cxx="$1"
    stage="${cxx}"
    build_and_test "build/${cxx}" -DCMAKE_CXX_COMPILER="${cxx}"
    done_stages+=("${cxx}")
}

test_sanitized() {
    stage="asan+ubsan (clang++)"
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1:strict_init_order=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
        build_and_test build/asan -DCMAKE_CXX_COMPILER=clang++ -DCOFLOW_SANITIZE=address,undefined \
        -DCOFLOW_COMPILER_TESTS=OFF
    done_stages+=("asan")
}

check_single_header
for cxx in g++ clang++; do
    test_compiler "${cxx}"
done
if [[ "${COFLOW_SANITIZE_RUN}" == "1" ]]; then
    test_sanitized
else
    echo "== sanitizer build skipped (set COFLOW_SANITIZE_RUN=1 to run it)"
fi
