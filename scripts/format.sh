#!/usr/bin/env bash
# Formats every C++ file of the repository with its .clang-format; with --check, changes nothing
# and fails naming the files that are not formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = "--check" ]; then
    bad=()
    for f in "${files[@]}"; do
        clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    if ((${#bad[@]})); then
        printf 'not formatted (run scripts/format.sh):\n' >&2
        printf '  %s\n' "${bad[@]}" >&2
        exit 1
    fi
    echo "all ${#files[@]} files formatted"
else
    clang-format -i "${files[@]}"
fi
