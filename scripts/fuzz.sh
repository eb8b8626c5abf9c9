#!/usr/bin/env bash
# Fuzzes the parser, the linter and the formatter with libFuzzer for a bounded time.
# Configures a separate clang build (build-fuzz/, -DWFRUN_FUZZ=ON: address and undefined-behaviour
# sanitizers plus libFuzzer's coverage), seeds the corpus with every .wf file of the catalog and
# the lint fixtures, and runs. Any crash, sanitizer report, failed check (the target aborts) or
# timeout fails the script; the input that caused it is left in the build folder.
# Usage: scripts/fuzz.sh [SECONDS]    (default 60; WFRUN_FUZZ_JOBS parallel workers, default 1;
#        WFRUN_FUZZ_DIR the build folder, default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${WFRUN_FUZZ_JOBS:-1}
dir=${WFRUN_FUZZ_DIR:-build-fuzz}
cxx=${CXX_FUZZ:-$(command -v clang++ || true)}
if [[ -z $cxx ]]; then
    echo "fuzz.sh: clang++ is needed for libFuzzer" >&2
    exit 2
fi

echo "== build the fuzz target with $cxx"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DWFRUN_FUZZ=ON -DWFRUN_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target wfrun_fuzz_lint

corpus=$dir/corpus
mkdir -p "$corpus"
find workflows tests/lint -name '*.wf' -exec cp {} "$corpus"/ \;

echo "== fuzz for ${seconds}s"
cd "$dir"
parallel=()
if [[ $jobs -gt 1 ]]; then parallel=(-fork="$jobs"); fi
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ./wfrun_fuzz_lint corpus -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 "${parallel[@]}"
echo "== fuzzing found nothing"
