#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, runs every test; then builds again
# with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/) and runs every test there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

echo "== every C++ file formatted with .clang-format"
scripts/format.sh --check

echo "== build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWFRUN_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

if [ "${WFRUN_SKIP_SANITIZERS:-0}" != 1 ]; then
    echo "== build with address and undefined-behaviour sanitizers"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWFRUN_WERROR=ON -DWFRUN_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "== tests under the sanitizers"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi
if [ "${WFRUN_SKIP_FUZZ:-0}" != 1 ] && command -v clang++ >/dev/null; then
    echo "== fuzz the parser, linter and formatter (60 s)"
    # scripts/fuzz.sh fails on a crash, a sanitizer report, a failed check or a timeout, and
    # leaves the input that caused it in build-fuzz/ (crash-*, timeout-*).
    if ! scripts/fuzz.sh 60; then
        echo "!! the fuzzer found a problem: see the crash file in build-fuzz/" >&2
        exit 1
    fi
fi
echo "== all tests passed"
