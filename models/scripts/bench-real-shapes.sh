#!/usr/bin/env bash
# Speed at real shapes (issue 15) on the GPU machine, over the device calls that carry the ONNX GPU bundle
# (models/scripts/make-ort-gpu-bundle.sh, KEEP_SM=90): the graphs are exported THERE (torch is there, no
# Java), while the bundle's parts arrive, and timed by `sagestudio step-time` once the last part is in.
# Everything it needs travels in one folder KIT next to this script: this script, unpack-ort-gpu-bundle.sh,
# import/ (models/import/*.py) and training/export_onnx.py, diffusers' source as diffusers-src.tar.xz (never
# committed), and optionally fatbin-check/ (a tiny CUDA program whose library went through
# keep_cuda_arch.py: proof, in the first call, that a library trimmed that way still runs). The first call
# also starts models/import/check_import.py in the background (CPU only): the importer's check on random
# weights, whose PixArt bundle and reference step come back for the Java pipeline on the CPU.
# FIRST_DIR: where diffusers-src.tar.xz and fatbin-check/ are, if not in KIT (they are needed in the first
# call only, so later calls need not carry them); with FIRST_DIR/imported/*-bundle.tgz (an earlier call's importer
# check bundles) the importer check is not run again, and those bundles serve device-path-tests.sh.
#
#   bash KIT/bench-real-shapes.sh start PART_DIR [LAYERS]  first call: starts the exports in the background (PART_DIR
#                                                          "-": no part in this call)
#                                                          (Wan at 33 and 81 frames, and IMAGE_MODELS, in
#                                                          parallel), stores the part
#   bash KIT/bench-real-shapes.sh part PART_DIR            calls 2..n-1: stores the part, shows the exports' progress
#   bash KIT/bench-real-shapes.sh final PART_DIR [PLAN...] last call: unpacks the bundle, waits for each graph,
#                                                          runs step-time; PLAN items are NAME:BACKENDS[:GRAPH[:FLAGS]],
#                                                          NAME a frame count of Wan (33, 81) or an image model
#                                                          (pixart-sigma-1024, sd35-medium-1024, sdxl-1024), GRAPH
#                                                          mha (default) or attention, FLAGS step-time options
#                                                          for this item (e.g. --arenas=per-session); then PyTorch's time;
#                                                          then the importer check's results. PART_DIR may be
#                                                          the cache folder in a later `final` call on the same
#                                                          warm machine: the unpacked bundle is used again
# STEP_RUNS: measured calls per backend (default 3); STEP_FLAGS: more step-time options (e.g.
# --shrink-arenas or --arenas=per-session); TORCH_TIMING="33 81" / TORCH_MODELS="sdxl-1024 ...": PyTorch's own step
# time last. ORT_PROFILE=1: step-time --ort-profile for every item (the per-operator summary goes into the item's
# .txt; the raw profiles stay on the machine under $WORK/profiles). JFR=1: each step-time JVM also records a Java Flight
# Recorder profile (Java and native method samples) into results/<item>.jfr, to read here with `jfr view`. IMAGE_MODELS (start; default all three, "" for none): groups of image models to export, one
# background export per group, groups separated by ";" (default "pixart-sigma-1024 sd35-medium-1024;sdxl-1024").
# WAN_FRAMES (start; default "33 81", "" for none): the Wan graphs' frame counts to export.
# Results go to $OUT as they are made (results.tgz: step-time JSON and logs; gpu.txt; check_import.json and
# <pipeline>-bundle.tgz), so a call stopped at its limit still returns what was done.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PHASE=${1:?usage: bench-real-shapes.sh start|part|final PART_DIR ...}
LAST=${2:?usage: bench-real-shapes.sh start|part|final PART_DIR ...}
shift 2
CACHE=${ORT_CACHE:-/root/cache/ort}   # ORT_CACHE, BENCH_WORK: only to rehearse on another machine
WORK=${BENCH_WORK:-/root/cache/bench}
OUTDIR=${OUT:-$WORK/out}
mkdir -p "$CACHE" "$WORK/graphs" "$OUTDIR"
export PYTHONPATH=$WORK/py PYTHONUNBUFFERED=1

progress() {
  for log in "$WORK"/export-*.log; do
    [[ -f "$log" ]] && { echo "--- $(basename "$log"):"; tail -n 4 "$log" | cut -c1-300; }
  done
  ls -la "$WORK/graphs" 2>/dev/null | tail -n +2
}

case "$PHASE" in
  start)
    layers=${1:-30}
    mkdir -p "$WORK/py"
    FIRST=${FIRST_DIR:-$HERE}
    tar -xJf "$FIRST/diffusers-src.tar.xz" -C "$WORK/py"
    cp -r "$HERE/import" "$HERE/training" "$WORK/"
    for frames in ${WAN_FRAMES-33 81}; do
      setsid nohup python3 "$WORK/import/export_bench_graphs.py" "$WORK/graphs" --frames "$frames" --layers "$layers" \
        >"$WORK/export-$frames.log" 2>&1 </dev/null &
    done
    IFS=';' read -r -a groups <<<"${IMAGE_MODELS-pixart-sigma-1024 sd35-medium-1024;sdxl-1024}"
    for group in "${groups[@]}"; do
      [[ -n "${group// /}" ]] || continue
      # shellcheck disable=SC2086  # a group is a space-separated list of model names
      setsid nohup python3 "$WORK/import/export_bench_graphs.py" "$WORK/graphs" --model $group \
        >"$WORK/export-${group%% *}.log" 2>&1 </dev/null &
    done
    if compgen -G "$FIRST/imported/*-bundle.tgz" >/dev/null; then
      # the importer check's bundles from an earlier call, carried back: no need to make them again
      mkdir -p "$WORK/check" && cp "$FIRST"/imported/*-bundle.tgz "$WORK/check/" && echo "imported bundles: $(ls "$WORK/check")"
    else
      setsid nohup python3 "$WORK/import/check_import.py" "$WORK/check" >"$WORK/check-import.log" 2>&1 </dev/null &
    fi
    if [[ -x "$FIRST/fatbin-check/main" ]]; then
      echo "library trimmed to sm_90 by keep_cuda_arch.py:"
      LD_LIBRARY_PATH=/usr/local/cuda/lib64 "$FIRST/fatbin-check/main"; echo "exit $?"
    fi
    # PART_DIR may be "-": no part in this call, when diffusers' source and the first part do not fit in one call
    # next to the tracked files (2026-12-06: 50 MiB tracked + 12 MB part + 1.7 MB source was over the 64 MiB).
    [[ "$LAST" == "-" ]] || { cp "$LAST"/* "$CACHE/" && ls -l "$CACHE"; }
    nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv
    ;;
  part)
    cp "$LAST"/* "$CACHE/" && ls -l "$CACHE"
    progress
    ;;
  final)
    RESULTS=$WORK/results
    mkdir -p "$RESULTS"
    pack() {
      cp "$WORK"/*.log "$RESULTS/" 2>/dev/null
      # the importer check's JSON and each small bundle with its reference run (pixart, sd3, sdxl, wan21)
      cp "$WORK"/check/check_import.json "$WORK"/check/*-bundle.tgz "$OUTDIR/" 2>/dev/null
      tar -C "$WORK" -czf "$OUTDIR/results.tgz" results
    }
    # Sets B, JAVA, CP, JVM and LD_LIBRARY_PATH.
    source "$HERE/unpack-ort-gpu-bundle.sh" || exit 1
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUTDIR/gpu.txt"
    # Packs every 15 s too: a call stopped at its limit returns what was written until then (the first
    # real-size run, 2026-12-06, returned nothing: it packed only after each plan item).
    (while sleep 15; do pack; done) &
    packer=$!
    trap 'kill $packer 2>/dev/null; pack' EXIT
    status=0
    for item in "${@:-81:flash-fp16,sage-int8-fp16,onnxruntime}"; do
      IFS=: read -r name backends graph flags <<<"$item"
      [[ "$name" =~ ^[0-9]+$ ]] && name=wan-${name}f   # a frame count: the Wan graph of that many frames
      suffix=$([[ "${graph:-mha}" == mha ]] && echo "-mha" || echo "")
      model=$WORK/graphs/$name$suffix.onnx
      waited=0
      until [[ -f "$WORK/graphs/$name.onnx.done" ]]; do
        if [[ -f "$WORK/graphs/$name.onnx.failed" ]] || ! pgrep -f "export_bench_graphs.py $WORK/graphs" >/dev/null; then
          echo "the export of $name stopped without a graph:"
          cat "$WORK/graphs/$name.onnx.failed" 2>/dev/null | cut -c1-2000
          tail -n 20 "$WORK"/export-*.log | cut -c1-300
          status=1; continue 2
        fi
        sleep 2; waited=$((waited + 2))
      done
      # ONNX Runtime alone on a graph whose opset-23 Attention nodes were not rewritten runs them on the
      # CPU: at 32k tokens that took the whole call (2026-12-06) and measured nothing.
      if [[ ",$backends," == *,onnxruntime,* && "${graph:-mha}" == mha ]] \
          && cat "$WORK"/export-*.log | grep -q -- "$name-mha.onnx: 0 Attention nodes as"; then
        echo "ONNX Runtime alone left out on $name: no Attention node became MultiHeadAttention (its CPU fallback would take the call)"
        backends=$(tr ',' '\n' <<<"$backends" | grep -v -x onnxruntime | paste -sd, -)
      fi
      echo "== $(date -u +%H:%M:%S) $name, ${graph:-mha} graph, $backends ${flags:-} (waited ${waited} s for the export)"
      tag=${flags//--/}; tag=${tag// /-}
      result=step-$name-${graph:-mha}-${backends//,/-}${tag:+-$tag}
      jfr=()
      [[ -n "${JFR:-}" ]] && jfr=("-XX:StartFlightRecording=filename=$RESULTS/$result.jfr,settings=profile")
      (cd "$CACHE" && "$JAVA" "${JVM[@]}" "${jfr[@]}" -cp "$CP" dev.sagestudio.app.cli.SageStudioCli step-time "$model" --ep cuda \
        --backends "$backends" --warmup 1 --runs "${STEP_RUNS:-3}" ${STEP_FLAGS:-} ${flags:-} \
        ${ORT_PROFILE:+--ort-profile "$WORK/profiles/$result"} --json "$RESULTS/$result.json") 2>&1 | tee "$RESULTS/$result.txt" \
        | grep --line-buffered -v -E '^\s*(ONNX Runtime segment|attention step|[A-Z][a-z]{2} [0-9]{2}, [0-9]{4} |WARNING: \[onnxruntime\] ScatterND)' \
        | cut -c1-400
      [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
      pack
    done
    if [[ -n "${TORCH_TIMING:-}" ]]; then
      echo "== PyTorch SDPA, same configuration and random weights"
      python3 "$WORK/import/export_bench_graphs.py" --torch-timing --frames $TORCH_TIMING \
        --json "$RESULTS/torch-sdpa.json" 2>&1 | tee "$RESULTS/torch-sdpa.txt" | tail -n 5
      pack
    fi
    if [[ -n "${TORCH_MODELS:-}" ]]; then
      echo "== PyTorch SDPA, image models, same configurations and random weights"
      # shellcheck disable=SC2086
      python3 "$WORK/import/export_bench_graphs.py" --torch-timing --model $TORCH_MODELS \
        --json "$RESULTS/torch-sdpa-images.json" 2>&1 | tee "$RESULTS/torch-sdpa-images.txt" | tail -n 5
      pack
    fi
    echo "== importer check (CPU, started in the first call):"
    tail -n 12 "$WORK/check-import.log" 2>/dev/null | cut -c1-300
    pack
    exit $status
    ;;
  *)
    echo "unknown phase $PHASE (start, part or final)" >&2; exit 2
    ;;
esac
