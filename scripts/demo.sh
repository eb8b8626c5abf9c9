#!/usr/bin/env bash
# The main job: installs what is missing, builds wfrun, and runs the tutorial's UserGroup story
# on an embedded SQLite file: create the user group "Group One", show the terminate form, submit
# it, and watch terminate_user_group run step by step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

export WFRUN_DB="${WFRUN_DB:-$PWD/demo/wfrun.db}"
mkdir -p "$(dirname "$WFRUN_DB")"
rm -f "$WFRUN_DB" "$WFRUN_DB-wal" "$WFRUN_DB-shm"
wfrun() { build/wfrun "$@"; }
say() { printf '\n\033[1m$ wfrun %s\033[0m\n' "$*"; }


say "products"
wfrun products
product=$(wfrun products --json | jq -r '.[0].product_id')

say "start create_user_group --input '[{\"product\": \"$product\"}, {\"group_name\": \"Group One\"}]'"
wfrun start create_user_group --input "[{\"product\": \"$product\"}, {\"group_name\": \"Group One\"}]"
group=$(wfrun subscriptions --type UserGroup --json | jq -r '.[0].subscription_id')

say "subscription $group"
wfrun subscription "$group"

say "form terminate_user_group --input '[{\"subscription_id\": \"$group\"}]'"
set +e
wfrun form terminate_user_group --input "[{\"subscription_id\": \"$group\"}]"
echo "(exit $?: the form is not complete; its next page asks the question above)"
set -e

say "start terminate_user_group --input '[{\"subscription_id\": \"$group\"}, {}]'"
wfrun start terminate_user_group --input "[{\"subscription_id\": \"$group\"}, {}]"

say "subscriptions"
wfrun subscriptions
say "ps"
wfrun ps
