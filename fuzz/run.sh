#!/usr/bin/env bash
# Runs the fuzz targets: fuzz/run.sh [TARGET|all] [SECONDS]   (defaults: all, 600 s each)
# JOBS=2 runs two targets at a time. Needs `cargo install cargo-fuzz` and python3 (seeds).
# New inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET, the libFuzzer output
# to fuzz/logs/TARGET.log (its last lines: executions, coverage). Runs at nice 19.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
TARGETS=(matcher archive git_tree log_name config document image_spec image_bundle chat merge)
target=${1:-all}
seconds=${2:-600}
# Safe Rust throughout, so no ASan (twice the executions); debug assertions for overflow checks.
FLAGS=(--sanitizer none --debug-assertions)

max_len() {
  case $1 in
    matcher) echo 16384 ;;
    archive) echo 65536 ;;
    document) echo 65536 ;;
    chat) echo 65536 ;;
    config) echo 8192 ;;
    image_spec) echo 16384 ;;
    image_bundle) echo 65536 ;;
    git_tree) echo 4096 ;;
    log_name) echo 512 ;;
    merge) echo 16384 ;;
  esac
}

run_one() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t" logs
  local dict=()
  [[ -f dict/$t.dict ]] && dict=("-dict=dict/$t.dict")
  # The first corpus directory receives new inputs; seeds/ is read only.
  nice -n 19 cargo fuzz run "${FLAGS[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 "${dict[@]}" \
    >"logs/$t.log" 2>&1 && status=ok || status="FAILED (see logs/$t.log, artifacts/$t/)"
  echo "$t: $status; $(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)"
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "logs/$t.log" | sed "s/^/  $t /"
  [[ $status == ok ]]
}

python3 seed.py >/dev/null
if [[ $target == all ]]; then
  nice -n 19 cargo fuzz build "${FLAGS[@]}"
  printf '%s\n' "${TARGETS[@]}" | xargs -P "${JOBS:-1}" -I{} "$0" {} "$seconds"
else
  nice -n 19 cargo fuzz build "${FLAGS[@]}" "$target"
  run_one "$target"
fi
