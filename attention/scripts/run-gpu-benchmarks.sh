#!/usr/bin/env bash
# On a GPU machine, in one go: the gpu-tagged tests, the Java kernel benchmark and the PyTorch SDPA peers
# (same card, same call), then one merged table. Needs the folder from make-gpu-bundle.sh and, for the
# peers, python3 with torch.
#
#   usage: run-gpu-benchmarks.sh <bundle-dir> <bench-dir> <out-dir> [full|quick] [java-budget-seconds]
#   <bench-dir> holds torch_peers.py and merge_results.py (attention/bench); results go to <out-dir>/results.
# Steps run even when an earlier one fails; the exit status is the first failure's.
set -uo pipefail
BUNDLE=$(cd "$1" && pwd); BENCH=$(cd "$2" && pwd); OUT=$3; MODE=${4:-full}; BUDGET=${5:-150}
mkdir -p "$OUT"
status=0
step() { local name=$1; shift; echo "=== $name: $*"; local t0=$SECONDS; "$@"; local rc=$?;
         echo "=== $name: exit $rc after $((SECONDS - t0)) s"; [[ $rc -ne 0 && $status -eq 0 ]] && status=$rc; return 0; }

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
step info "$BUNDLE/run-gpu.sh" info
step tests bash -c "'$BUNDLE/run-gpu.sh' tests > '$OUT/gpu-tests.log' 2>&1; rc=\$?; grep -E '^\[ .*(tests|containers) (found|successful|failed|skipped|aborted)' '$OUT/gpu-tests.log'; exit \$rc"

if [[ "$MODE" == quick ]]; then
  JAVA_ARGS=(--head-dims 128 --seq-lens 4096 --causal false,true)
  PEER_SETS=("--dims 128 --seqs 4096")
else
  JAVA_ARGS=()
  PEER_SETS=("--dims 128" "--dims 64")
fi
step java-bench "$BUNDLE/run-gpu.sh" bench --out "$OUT/java-bench.json" --budget-seconds "$BUDGET" "${JAVA_ARGS[@]}"
i=0
for set in "${PEER_SETS[@]}"; do
  # shellcheck disable=SC2086  # word splitting of the option set is intended
  step "torch-peers $set" python3 "$BENCH/torch_peers.py" --out "$OUT/peers-$i.json" $set
  i=$((i + 1))
done
shopt -s nullglob
inputs=("$OUT"/java-bench.json "$OUT"/peers-*.json)
step merge python3 "$BENCH/merge_results.py" --out-dir "$OUT/results" "${inputs[@]}"
for md in "$OUT"/results/*.md; do cat "$md"; done
exit $status
