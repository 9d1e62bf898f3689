#!/usr/bin/env bash
# run_tests.sh: coflow's one test command. Checks the single header is fresh, then configures, builds and runs
# ctest with g++ and clang++ (Debug, warnings as errors): in CI (COFLOW_SANITIZE_RUN=1, the default when
# CI=true) the clang++ build is the ASan/UBSan one, elsewhere a plain one. Then the realtime executor's hand-off
# tests under TSan, the leak test under valgrind and, in CI, a short fuzz run.
# Build trees: build/g++, build/clang++ (without the sanitizer run), build/asan, build/tsan, build/fuzz.
#
# Which tree checks what. Each check runs once per compiler at most, where it proves something:
#   g++ and the clang++ tree (asan in CI): the Catch2 tests, the nortti/noexcept/error-handler checks, the
#       exports check, the single-header test program, the examples (stdout compared); clang++ also the ICF
#       check (where ld.lld links). A plain clang++ build in CI would only repeat the sanitized one, which is
#       the same compiler with the same warnings as errors and more checks.
#   g++ only: checks that only compile (COFLOW_COMPILER_TESTS: headers compiled alone, coflow.hpp and the
#       adapters without exceptions/RTTI, compile-fail cases, the consumer projects add_subdirectory,
#       FetchContent and find_package), README.md's complete programs, the bench smoke test (-O2); its
#       examples are built against the single header alone (COFLOW_EXAMPLES_SINGLE_HEADER), the clang++
#       tree's against include/
#   g++ tree, after the builds: the leak test under valgrind; build/fuzz: the fuzzers, for COFLOW_FUZZ_SECONDS
#   before any build: the single header is fresh
# The clang++ trees share one precompiled Catch2 + coflow.hpp among the unit tests (COFLOW_TEST_PCH); the g++
# tree compiles each test file alone, which also proves each includes what it uses.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

JOBS="${COFLOW_JOBS:-2}"
COFLOW_SANITIZE_RUN="${COFLOW_SANITIZE_RUN:-$([[ "${CI:-}" == "true" ]] && echo 1 || echo 0)}"
# Debug info of the three build trees. CI only needs line tables (valgrind's and the sanitizers' stack
# traces), and -g1 compiles about 10% faster than -g; locally the trees keep full debug info for a debugger.
COFLOW_DEBUG_FLAGS="${COFLOW_DEBUG_FLAGS:-$([[ "${CI:-}" == "true" ]] && echo -g1 || echo -g)}"

stage="start"
stage_t0=$SECONDS  # each stage prints its seconds when it passes
done_stages=()
on_exit() {
    local rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "run_tests.sh: ALL PASSED in ${SECONDS}s (${done_stages[*]})"
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
    cmake -S . -B "${dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="${COFLOW_DEBUG_FLAGS}" \
        -DCOFLOW_WERROR=ON "$@"
    echo "== ${stage}: build ${dir}"
    cmake --build "${dir}" -j "${JOBS}"
    echo "== ${stage}: test ${dir}"
    # A per-test timeout: a workflow that never suspends would otherwise spin until CI gives up.
    ctest --test-dir "${dir}" --output-on-failure -j "${JOBS}" --timeout 300
}

check_single_header() {
    stage="single-header check"
    stage_t0=$SECONDS
    python3 tools/make_single_header.py --check
    done_stages+=("single-header $((SECONDS - stage_t0))s")
}

# test_compiler <c++> <cmake args...>
test_compiler() {
    local cxx="$1"
    shift
    stage="${cxx}"
    stage_t0=$SECONDS
    build_and_test "build/${cxx}" -DCMAKE_CXX_COMPILER="${cxx}" "$@"
    done_stages+=("${cxx} $((SECONDS - stage_t0))s")
}

test_sanitized() {
    stage="asan+ubsan (clang++)"
    stage_t0=$SECONDS
    # The journal's workload tests run smaller here: what ASan adds is checking memory, not more cases.
    COFLOW_CRASH_POINTS="${COFLOW_CRASH_POINTS:-60}" COFLOW_JOURNAL_SEEDS="${COFLOW_JOURNAL_SEEDS:-6}" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1:strict_init_order=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
        build_and_test build/asan -DCMAKE_CXX_COMPILER=clang++ -DCOFLOW_SANITIZE=address,undefined \
        -DCOFLOW_COMPILER_TESTS=OFF -DCOFLOW_BUILD_EXAMPLES=ON -DCOFLOW_EXAMPLES_SINGLE_HEADER=OFF \
        -DCOFLOW_README_PROGRAMS=OFF -DCOFLOW_BUILD_BENCH=OFF -DCOFLOW_TEST_PCH=ON
    done_stages+=("asan $((SECONDS - stage_t0))s")
}

# The realtime executor's hand-off under ThreadSanitizer: build/tsan (clang++) builds only coflow_tsan_test and runs
# its [threads] cases, 8 producer threads x 100,000 signals among them. Skipped where clang++ cannot link TSan.
test_tsan() {
    stage="tsan (clang++)"
    stage_t0=$SECONDS
    local dir=build/tsan
    local generator=()
    if [[ ! -f "${dir}/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
        generator=(-G Ninja)
    fi
    echo "== ${stage}: configure ${dir}"
    cmake -S . -B "${dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCOFLOW_WERROR=ON \
        -DCOFLOW_BUILD_TSAN=ON -DCOFLOW_BUILD_EXAMPLES=OFF -DCOFLOW_BUILD_BENCH=OFF -DCOFLOW_COMPILER_TESTS=OFF >/dev/null
    if ! grep -q '^COFLOW_TSAN_LINKS:INTERNAL=1$' "${dir}/CMakeCache.txt"; then
        echo "== tsan stage skipped: clang++ cannot link -fsanitize=thread"
        return
    fi
    echo "== ${stage}: build and run coflow_tsan_test"
    cmake --build "${dir}" -j "${JOBS}" --target coflow_tsan_test
    ctest --test-dir "${dir}" -R '^tsan_' --output-on-failure --timeout 300
    done_stages+=("tsan $((SECONDS - stage_t0))s")
}

# ==== reliability stages: leaks under valgrind, a short fuzz run =========================================
# Defined here, run at the end of this script (block "reliability stages, run").

# Runs the leak test binary of the g++ build under valgrind: a runtime destroyed with thousands of suspended
# workflows must free every block. Also builds the soak program, which no test runs (soak/README.md).
test_leaks() {
    stage="leaks (valgrind)"
    stage_t0=$SECONDS
    if ! command -v valgrind >/dev/null 2>&1; then
        echo "== leak stage skipped: valgrind is not installed"
        return
    fi
    echo "== ${stage}: build/g++/tests/coflow_leak_test"
    valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
        build/g++/tests/coflow_leak_test
    echo "== ${stage}: build the soak program (not run)"
    cmake --build build/g++ -j "${JOBS}" --target coflow_soak
    done_stages+=("leaks $((SECONDS - stage_t0))s")
}

# Builds the libFuzzer harnesses (clang++ -fsanitize=fuzzer,address,undefined) in build/fuzz: the by-name API
# (fuzz/corpus) and coflow::load (fuzz/corpus_load, with fuzz/load.dict). COFLOW_FUZZ_SECONDS (default 10; 0
# skips) is the whole stage's fuzzing time, split between the two: the by-name harness gets the larger half.
# Each fuzzes from a copy of its seeds in build/fuzz/<corpus>. A finding stops the run and leaves its input in
# build/fuzz/ (crash-*, leak-*, timeout-*): see fuzz/README.md.
test_fuzz() {
    stage="fuzz (libFuzzer)"
    stage_t0=$SECONDS
    local seconds="${COFLOW_FUZZ_SECONDS:-10}"
    if [[ "${seconds}" == "0" ]]; then
        echo "== fuzz stage skipped (COFLOW_FUZZ_SECONDS=0)"
        return
    fi
    if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
        clang++ -x c++ -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1; then
        echo "== fuzz stage skipped: clang++ cannot link -fsanitize=fuzzer"
        return
    fi
    local dir=build/fuzz
    local generator=()
    if [[ ! -f "${dir}/CMakeCache.txt" && -z "${CMAKE_GENERATOR:-}" ]] && command -v ninja >/dev/null 2>&1; then
        generator=(-G Ninja)
    fi
    echo "== ${stage}: configure and build ${dir}"
    cmake -S . -B "${dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
        -DCOFLOW_WERROR=ON -DCOFLOW_BUILD_FUZZ=ON -DCOFLOW_BUILD_EXAMPLES=OFF -DCOFLOW_COMPILER_TESTS=OFF >/dev/null
    cmake --build "${dir}" -j "${JOBS}" --target coflow_fuzz_by_name coflow_fuzz_load
    local load_seconds=$((seconds / 2))
    fuzz_one by_name corpus $((seconds - load_seconds))
    if [[ "${load_seconds}" -gt 0 ]]; then
        fuzz_one load corpus_load "${load_seconds}" -dict=fuzz/load.dict
    fi
    done_stages+=("fuzz $((SECONDS - stage_t0))s")
}

# fuzz_one <harness> <corpus> <seconds> [libFuzzer flags...]: runs build/fuzz/tests/coflow_fuzz_<harness> from
# a copy of fuzz/<corpus>; log in build/fuzz/fuzz_<harness>.log.
fuzz_one() {
    local harness="$1" corpus="$2" seconds="$3"
    shift 3
    local dir=build/fuzz
    local log="${dir}/fuzz_${harness}.log"
    mkdir -p "${dir}/${corpus}"
    cp "fuzz/${corpus}"/* "${dir}/${corpus}/"
    echo "== ${stage}: ${harness}, ${seconds} s from ${dir}/${corpus}"
    if ! "${dir}/tests/coflow_fuzz_${harness}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="${dir}/" "$@" "${dir}/${corpus}" >"${log}" 2>&1; then
        tail -n 80 "${log}" >&2
        echo "== ${stage}: FINDING (log: ${log}; reproduce: ${dir}/tests/coflow_fuzz_${harness} <input>)" >&2
        return 1
    fi
    grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|stat::peak_rss_mb)' "${log}" || true
}
# ==== end of reliability stages ===========================================================================

check_single_header
test_compiler g++ -DCOFLOW_COMPILER_TESTS=ON -DCOFLOW_BUILD_EXAMPLES=ON -DCOFLOW_EXAMPLES_SINGLE_HEADER=ON \
    -DCOFLOW_BUILD_BENCH=ON -DCOFLOW_TEST_PCH=OFF
# clang++: sanitized in CI, plain elsewhere (top of this file).
if [[ "${COFLOW_SANITIZE_RUN}" == "1" ]]; then
    test_sanitized
else
    test_compiler clang++ -DCOFLOW_COMPILER_TESTS=OFF -DCOFLOW_BUILD_EXAMPLES=ON -DCOFLOW_EXAMPLES_SINGLE_HEADER=OFF \
        -DCOFLOW_README_PROGRAMS=OFF -DCOFLOW_BUILD_BENCH=OFF -DCOFLOW_TEST_PCH=ON
    echo "== sanitizer build skipped (set COFLOW_SANITIZE_RUN=1 to run it)"
fi
test_tsan

# ==== reliability stages, run ===========================================================================
test_leaks
if [[ "${COFLOW_SANITIZE_RUN}" == "1" ]]; then
    test_fuzz
else
    echo "== fuzz stage skipped (it runs with COFLOW_SANITIZE_RUN=1)"
fi
# ==== end of reliability stages, run ====================================================================
