#!/usr/bin/env bash
# The main job: installs what is missing, builds wfrun, and runs the beginner tutorial on an
# embedded SQLite file (demo/wfrun.db). First the seed: create the user group "Group One", show
# its terminate form, submit it and watch terminate_user_group run. Then the whole story: two
# groups, an internal and an external user in one of them, the other group renamed, a terminate
# refused while users remain, the users terminated, then their group.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

export WFRUN_DB="${WFRUN_DB:-$PWD/demo/wfrun.db}"
mkdir -p "$(dirname "$WFRUN_DB")"
rm -f "$WFRUN_DB" "$WFRUN_DB-wal" "$WFRUN_DB-shm"

wfrun() { build/wfrun "$@"; }
say() { printf '\n\033[1m$ wfrun %s\033[0m\n' "$*"; }
product() { wfrun products --json | jq -r --arg n "$1" '.[] | select(.name == $n) | .product_id'; }
# Runs a workflow with its pages, printing each step; echoes nothing else.
run() { say "start $1 --input '$2'"; wfrun start "$1" --input "$2"; }
# The subscription a process worked on.
subscription_of() { wfrun show "$1" --json | jq -r '.subscriptions[0].subscription_id'; }
start_quiet() { wfrun start "$1" --json --input "$2" | jq -r .id; }

say "products"
wfrun products
group_product=$(product "User Group")
internal=$(product "User internal")
external=$(product "User external")

echo; echo "== The seed: create and terminate a user group"
run create_user_group "[{\"product\": \"$group_product\"}, {\"group_name\": \"Group One\"}]"
seed=$(wfrun subscriptions --type UserGroup --json | jq -r '.[0].subscription_id')
say "form terminate_user_group --input '[{\"subscription_id\": \"$seed\"}]'"
{ wfrun form terminate_user_group --input "[{\"subscription_id\": \"$seed\"}]" || true; } |
    jq -r '.form.properties.are_you_sure.default'
run terminate_user_group "[{\"subscription_id\": \"$seed\"}, {}]"

echo; echo "== The tutorial: users in a group, a rename, the guards"
say "start create_user_group (Group One)"
one=$(subscription_of "$(start_quiet create_user_group "[{\"product\": \"$group_product\"}, {\"group_name\": \"Group One\"}]")")
say "start create_user_group (Group Two)"
two=$(subscription_of "$(start_quiet create_user_group "[{\"product\": \"$group_product\"}, {\"group_name\": \"Group Two\"}]")")

say "start create_user (my_external_user, 30, in Group Two)"
ext_user=$(subscription_of "$(start_quiet create_user "[{\"product\": \"$external\"}, {\"username\": \"my_external_user\", \"age\": 30, \"user_group_ids\": [\"$two\"]}]")")
say "start create_user (my_internal_user, 40, in Group Two)"
int_user=$(subscription_of "$(start_quiet create_user "[{\"product\": \"$internal\"}, {\"username\": \"my_internal_user\", \"age\": 40, \"user_group_ids\": [\"$two\"]}]")")
say "subscription $ext_user"
wfrun subscription "$ext_user"

run modify_user_group "[{\"subscription_id\": \"$one\"}, {\"group_name\": \"Group One Modified\"}]"

say "start terminate_user_group (Group Two, which still has users)"
wfrun start terminate_user_group --input "[{\"subscription_id\": \"$two\"}, {}]" || echo "(refused, exit $?)"
say "workflows $two"
wfrun workflows "$two"

run terminate_user "[{\"subscription_id\": \"$ext_user\"}, {}]"
run terminate_user "[{\"subscription_id\": \"$int_user\"}, {}]"
run terminate_user_group "[{\"subscription_id\": \"$two\"}, {}]"

say "subscriptions"
wfrun subscriptions
say "ps"
wfrun ps
