#!/usr/bin/env bash
# The package test (ctest: package_install). Installs the build into a temporary prefix, then,
# like a user with only the installed package:
#   - compiles each public header on its own and checks no other header was installed;
#   - configures and builds project/ (its own .wf catalog and C++ step, a one-line main calling
#     wfrun::run_cli) with find_package(wfrun CONFIG), and runs create_mailbox with it on a
#     temporary SQLite file, the catalog found as ./workflows;
#   - compiles and links the same project with `pkg-config --cflags --libs wfrun` and lints;
#   - runs the installed `wfrun` from an empty folder: it finds the installed tutorial catalog.
# Usage: run.sh BUILD_DIR CXX   (the build to install, the compiler it was built with)
set -euo pipefail
build=$1
cxx=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wfrun-package-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset WFRUN_WORKFLOWS WFRUN_DB
fail() { echo "package test: $*" >&2; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

echo "== installed headers"
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
[[ $headers == "./wfrun/cli.hpp ./wfrun/step.hpp " ]] || fail "unexpected headers: $headers"
for h in step cli; do
    echo "#include <wfrun/$h.hpp>" | "$cxx" -std=c++20 -fsyntax-only -x c++ -I"$prefix/include" - ||
        fail "<wfrun/$h.hpp> does not compile on its own"
done

echo "== build project/ with find_package(wfrun CONFIG)"
cmake -S "$here/project" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$tmp/build" >/dev/null

echo "== run create_mailbox with the project's program"
mkdir "$tmp/run"
cp -r "$here/project/workflows" "$tmp/run/workflows"
cd "$tmp/run"
mailbox() { WFRUN_DB="$tmp/run/mail.db" "$tmp/build/mailbox" "$@"; }
mailbox lint >/dev/null || fail "the project's catalog does not lint"
product=$(mailbox products --json | jq -r '.[] | select(.name == "Mailbox") | .product_id')
[[ -n $product ]] || fail "no Mailbox product in ./workflows"
started=$(mailbox start create_mailbox --json \
    --input "[{\"product\": \"$product\"}, {\"address\": \"ada@example.org\"}]")
[[ $(jq -r .status <<<"$started") == completed ]] || fail "create_mailbox did not complete: $started"
pid=$(jq -r .id <<<"$started")
step=$(mailbox show "$pid" --json | jq -r '.steps[] | select(.name == "Provision mailbox") | .status')
[[ $step == success ]] || fail "the step Provision mailbox is '$step', not success"
row=$(sqlite3 mail.db "SELECT address FROM mailboxes")
[[ $row == ada@example.org ]] || fail "the mail system holds '$row'"
sub=$(mailbox subscriptions --type Mailbox --json | jq -r '.[0].subscription_id')
model=$(mailbox subscription "$sub" --json)
[[ $(jq -r .status <<<"$model") == active && $(jq -r .mailbox.address <<<"$model") == ada@example.org ]] ||
    fail "the subscription is not an active mailbox: $model"
# The step's own check: an address without @ fails the process in the step.
if mailbox start create_mailbox --json --input "[{\"product\": \"$product\"}, {\"address\": \"nobody\"}]" \
    >"$tmp/bad.json"; then
    fail "create_mailbox completed with a bad address"
fi
[[ $(jq -r .status "$tmp/bad.json") == failed ]] || fail "a bad address did not fail: $(cat "$tmp/bad.json")"

echo "== build the same project with pkg-config"
pc=$(dirname "$(find "$prefix" -name wfrun.pc)")
export PKG_CONFIG_PATH=$pc
libdir=$(pkg-config --variable=libdir wfrun)
# shellcheck disable=SC2046
"$cxx" -std=c++20 $(pkg-config --cflags wfrun) -o "$tmp/mailbox-pc" \
    "$here/project/main.cpp" "$here/project/mailbox_steps.cpp" $(pkg-config --libs wfrun) -Wl,-rpath,"$libdir"
WFRUN_DB="$tmp/run/pc.db" "$tmp/mailbox-pc" lint >/dev/null || fail "the pkg-config build does not lint"

echo "== the installed wfrun finds the installed tutorial catalog"
mkdir "$tmp/empty"
cd "$tmp/empty"
groups=$(WFRUN_DB="$tmp/empty/wfrun.db" "$prefix/bin/wfrun" products --json | jq -r '.[].name' | tr '\n' ' ')
[[ $groups == *"User Group"* ]] || fail "the installed wfrun lists products '$groups'"
[[ -f "$prefix/share/wfrun/workflows/user_group/create_user_group.wf" ]] || fail "the catalog is not installed"
echo "== package test passed"
