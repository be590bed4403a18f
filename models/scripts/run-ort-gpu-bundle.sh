#!/usr/bin/env bash
# On the GPU machine, from the repository root, in the LAST of the device calls listed by
# models/scripts/make-ort-gpu-bundle.sh: moves the last part next to the earlier ones in
# /root/cache/ort, checks every part against SHA256SUMS, unpacks the bundle and runs
#   1. the device path's GPU tests (models/scripts/device-path-tests.sh; gpu-required: a missing GPU, kernel build or
#      CUDA EP fails instead of skipping),
#   2. run-onnx --ep cuda on the bundled t2i denoiser with flash-fp16 and sage-int8-fp16, and on its text
#      encoder (head dim 32, which our kernels lack: the reported host fallback) with flash-fp16,
#   3. the CLI's generate (sage-int8-fp16) and compare (flash-fp16 vs sage-int8-fp16) on the device path,
#      and compare on the bundled video model (2048-token spatio-temporal attention), each compare with its
#      exported report (logs/compare-heart.html, logs/compare-rocket.html and their .json), and the video
#      compare once more with sage-int8-fp8 as B (logs/compare-rocket-fp8.html),
# writing summary.txt, the two pictures and logs.tgz (every log) to $OUT (or /root/cache/ort/out).
#
#   usage: bash models/scripts/run-ort-gpu-bundle.sh .gpu-bundle/ort-parts/pNN
set -uo pipefail
LAST=${1:?usage: run-ort-gpu-bundle.sh <folder of the last part>}
REPO=$(pwd)
CACHE=${ORT_CACHE:-/root/cache/ort}   # ORT_CACHE: only to rehearse the assembly on another machine
OUTDIR=${OUT:-$CACHE/out}
RESULTS=$OUTDIR/logs   # a device call returns at most 8 files: the logs travel packed
mkdir -p "$CACHE" "$RESULTS"
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # the unpacking changes directory
# Sets B, JAVA, CP, CONSOLE, JVM and LD_LIBRARY_PATH.
source "$SCRIPTS/unpack-ort-gpu-bundle.sh" || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$RESULTS/gpu.txt" 2>&1

source "$SCRIPTS/device-path-tests.sh"
device_path_tests "$RESULTS/device-path-tests.txt"
tests=$?

T2I=$REPO/models/bundled/sage-emoji-t2i
declare -A runs
cli() { "$JAVA" "${JVM[@]}" -Dsagestudio.home="$REPO" -cp "$CP" dev.sagestudio.app.cli.SageStudioCli "$@"; }
for backend in flash-fp16 sage-int8-fp16; do
  cli run-onnx "$T2I/denoiser.onnx" --ep cuda \
    --backend "$backend" --runs 10 --min-cosine 0.9999 >"$RESULTS/run-onnx-$backend.txt" 2>&1
  runs[$backend]=$?
done
cli run-onnx "$T2I/text_encoder.onnx" --ep cuda \
  --backend flash-fp16 --runs 3 --min-cosine 0.9999 >"$RESULTS/run-onnx-text-encoder.txt" 2>&1
runs[text-encoder]=$?
cli generate "a red heart, twemoji style" --seed 7 --backend sage-int8-fp16 -o "$OUTDIR/heart-sage-int8-fp16.png" \
  >"$RESULTS/generate-sage.txt" 2>&1
runs[generate]=$?
# The exported reports (self-contained HTML + JSON) travel in logs.tgz: a device call returns at most 8 files.
cli compare "a red heart, twemoji style" --seed 7 --a flash-fp16 --b sage-int8-fp16 -o "$OUTDIR/compare-heart.png" \
  --report "$RESULTS/compare-heart.html" >"$RESULTS/compare.txt" 2>&1
runs[compare]=$?
# The video model: 2048-token spatio-temporal attention (head dim 96 padded to 128) through the kernels.
cli compare "a rocket moving up, twemoji style" -m sage-emoji-t2v --seed 7 --a flash-fp16 --b sage-int8-fp16 \
  -o "$OUTDIR/compare-rocket.gif" --report "$RESULTS/compare-rocket.html" >"$RESULTS/compare-video.txt" 2>&1
runs[compare-video]=$?
# The same clip with FP8 P·V (issue 16's end-to-end target: PSNR >= 40 dB against flash-fp16).
cli compare "a rocket moving up, twemoji style" -m sage-emoji-t2v --seed 7 --a flash-fp16 --b sage-int8-fp8 \
  -o "$OUTDIR/compare-rocket-fp8.gif" --report "$RESULTS/compare-rocket-fp8.html" >"$RESULTS/compare-video-fp8.txt" 2>&1
runs[compare-video-fp8]=$?

{
  echo "GPU: $(tail -n +2 "$RESULTS/gpu.txt")"
  echo "DevicePathGpuTest exit $tests: $(grep -E 'tests (successful|failed|aborted)' "$RESULTS/device-path-tests.txt" | tr -s ' ' | tr '\n' ';')"
  grep -E '^ *(tiny|denoiser|.*\| cosine|.*copy nodes|  segment copy|pipeline device path)' \
    "$RESULTS/device-path-tests.txt" | cut -c1-400 | head -40
  grep -E '^[A-Za-z.]*(Error|Exception)|=> ' "$RESULTS/device-path-tests.txt" | cut -c1-400 | head -10
  for run in flash-fp16 sage-int8-fp16 text-encoder; do
    echo "run-onnx $run exit ${runs[$run]}:"
    grep -E 'device path:|warning:|fallback:|^[a-z_0-9]+ +\[|ONNX Runtime alone|partitioned total|copies per run|copy nodes|Memcpy' \
      "$RESULTS/run-onnx-$run.txt" | cut -c1-300 | sed 's/^/  /'
  done
  for run in generate compare compare-video compare-video-fp8; do
    echo "$run exit ${runs[$run]}:"
  done
  grep -v -E '^\s*$|denoising' "$RESULTS/generate-sage.txt" | cut -c1-300 | tail -12 | sed 's/^/  /'
  grep -v -E '^\s*$|denoising' "$RESULTS/compare.txt" | cut -c1-300 | tail -30 | sed 's/^/  /'
  echo "compare-video:"
  grep -v -E '^\s*$|denoising' "$RESULTS/compare-video.txt" | cut -c1-300 | tail -30 | sed 's/^/  /'
  echo "compare-video-fp8:"
  grep -v -E '^\s*$|denoising' "$RESULTS/compare-video-fp8.txt" | cut -c1-300 | tail -30 | sed 's/^/  /'
} | tee "$OUTDIR/summary.txt"
tar -C "$OUTDIR" -czf "$OUTDIR/logs.tgz" logs && rm -rf "$RESULTS"
[[ $tests -eq 0 && ${runs[flash-fp16]} -eq 0 && ${runs[sage-int8-fp16]} -eq 0 && ${runs[generate]} -eq 0 && ${runs[compare]} -eq 0 && ${runs[compare-video]} -eq 0 && ${runs[compare-video-fp8]} -eq 0 ]]
