#!/usr/bin/env bash
# Installs the Debian 12 packages wfrun builds with, when any is missing.
set -euo pipefail
packages=(cmake g++ make clang-format tao-pegtl-dev nlohmann-json3-dev libfmt-dev libsqlite3-dev catch2 libcli11-dev sqlite3 jq clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
