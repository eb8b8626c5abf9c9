#!/usr/bin/env bash
# Every benchmark figure from one run: builds the benchmarks in Release mode (build-release/),
# runs the peers (when their runner is there), the linter benchmark and the engine benchmark,
# prints their tables, then one JSON object with every figure and every ratio.
#
#   bench/run.sh [N] [LARGE]
#
# N terminate_user_group processes per engine figure (default 2000); LARGE processes for the
# second peak-memory run (default 100000). WFRUN_PEERS names the peers' runner (default
# ../shared/bench/peers/run, which needs Node.js and npm); without it the ratios to the peers
# are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
large=${2:-100000}
peers=${WFRUN_PEERS:-../shared/bench/peers/run}

cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DWFRUN_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target wfrun_engine_bench wfrun_lint_bench >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
engine_args=(--n "$n" --rss-large "$large")
if [[ -x $peers ]]; then
  echo "# peers ($peers)"
  # asl-validator lints 1,000 small definitions, as wfrun lints 1,000 small files.
  "$peers" "$(( n * 5 ))" 1000 10000 | tee "$out/peers.txt"
  engine_args+=(--peers "$out/peers.txt")
else
  echo "# peers: $peers not found, ratios to the peers left out"
  : > "$out/peers.txt"
fi
echo "# lint"
build-release/bench/wfrun_lint_bench 5 | tee "$out/lint.txt"
echo "# engine"
build-release/bench/wfrun_engine_bench "${engine_args[@]}" | tee "$out/engine.txt"

tail -n 1 "$out/lint.txt" > "$out/lint.json"
tail -n 1 "$out/engine.txt" > "$out/engine.json"
# The ratios to asl-validator: its two lines give definitions/s for small definitions and
# seconds for the 10,000-state chain.
asl_small=$(awk '/peer=asl-validator/ && /small_definitions=/ {for (i=1;i<=NF;i++) if ($i ~ /^definitions_per_s=/) {sub(/.*=/, "", $i); print $i}}' "$out/peers.txt")
asl_chain=$(awk '/peer=asl-validator/ && /chain_states=/ {for (i=1;i<=NF;i++) if ($i ~ /^seconds=/) {sub(/.*=/, "", $i); print $i}}' "$out/peers.txt")
echo "# all figures"
jq -c -n --slurpfile lint "$out/lint.json" --slurpfile engine "$out/engine.json" \
    --arg asl_small "${asl_small:-}" --arg asl_chain "${asl_chain:-}" '
  ($lint[0] + $engine[0]) as $f
  | $f
  + (if $asl_chain != "" then {asl_validator_chain_seconds: ($asl_chain | tonumber),
       lint_chain_over_asl_validator: (($asl_chain | tonumber) / $f.lint_chain_seconds)} else {} end)
  + (if $asl_small != "" then {asl_validator_definitions_per_s: ($asl_small | tonumber),
       lint_files_over_asl_validator: (($f.lint_files / $f.lint_files_seconds) / ($asl_small | tonumber))} else {} end)
  | . + {targets_met: {
      durable_over_floor_at_least_0_7: (.durable_over_floor >= 0.7),
      memory_over_aws_local_stepfunctions_at_least_10: (if .memory_over_aws_local_stepfunctions then .memory_over_aws_local_stepfunctions >= 10 else null end),
      durable_over_bpmn_engine_at_least_100: (if .durable_over_bpmn_engine then .durable_over_bpmn_engine >= 100 else null end),
      full_group_over_full_at_least_5: (.full_group_over_full >= 5),
      lint_chain_over_asl_validator_at_least_100: (if .lint_chain_over_asl_validator then .lint_chain_over_asl_validator >= 100 else null end),
      rss_large_within_10_percent_of_1000: (.rss_large_over_1000 <= 1.1)}}'
