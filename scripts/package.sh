#!/usr/bin/env bash
# Builds the Debian packages: a Release build in build-package/ (no tests), then CPack writes
# wfrun_<version>_<arch>.deb (the `wfrun` program, libwfrun and the tutorial's catalog) and
# libwfrun-dev_<version>_<arch>.deb (headers, CMake package, pkg-config file) into dist/, and
# prints each package's dependencies. Extra arguments go to cmake's configure step;
# WFRUN_JOBS sets the parallel build jobs (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=${WFRUN_JOBS:-$(nproc)}
cmake -S . -B build-package -DCMAKE_BUILD_TYPE=Release -DWFRUN_TESTS=OFF "$@" >/dev/null
cmake --build build-package -j"$jobs"
mkdir -p dist
(cd build-package && cpack -G DEB -B "$PWD/../dist" >/dev/null)
rm -rf dist/_CPack_Packages
for deb in dist/*.deb; do
    echo "$deb"
    dpkg-deb -f "$deb" Package Version Depends | sed 's/^/    /'
done
