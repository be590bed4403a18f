#!/usr/bin/env bash
# The device path's GPU tests from the unpacked ONNX Runtime GPU bundle, gpu required (a missing GPU, kernel build or
# CUDA EP fails instead of skipping): GpuDeviceMemoryGpuTest, DevicePathGpuTest, PipelineDevicePathGpuTest,
# GpuPipelineTest, DevicePathSoakGpuTest, DevicePathFaultGpuTest, ImportedPipelinesGpuTest, CapturedStepsGpuTest. One list for both ways it runs:
#   - sourced by run-ort-gpu-bundle.sh (after it unpacked the bundle): `device_path_tests REPORT`;
#   - run on its own, in a call after bench-real-shapes.sh `final` on the same warm machine:
#       bash models/scripts/device-path-tests.sh   (from the repository root; KIT: the folder of
#       unpack-ort-gpu-bundle.sh, default this script's); the report goes to $OUT/tests.tgz, a summary is printed.

# Runs the tests with the bundle's JAVA, JVM, CONSOLE, B and CP (set by unpack-ort-gpu-bundle.sh) and REPO (the
# repository root: the unpacking changes directory), the tree of results into REPORT; returns the console's exit status.
# ImportedPipelinesGpuTest reproduces the imported pipelines' diffusers runs with the GPU backends: on the bundles
# check_import.py packed in this machine's cache (IMPORTED_TGZ, default /root/cache/bench/check: SD3, SDXL, Wan and
# PixArt-Σ) where there are any, else on the committed PixArt-Σ bundle.
DEVICE_PATH_TEST_CLASSES=(
  dev.sagestudio.models.runtime.device.GpuDeviceMemoryGpuTest
  dev.sagestudio.models.runtime.DevicePathGpuTest
  dev.sagestudio.models.runtime.CapturedStepsGpuTest
  dev.sagestudio.models.pipeline.PipelineDevicePathGpuTest
  dev.sagestudio.models.pipeline.GpuPipelineTest
  dev.sagestudio.models.pipeline.DevicePathSoakGpuTest
  dev.sagestudio.models.pipeline.DevicePathFaultGpuTest
  dev.sagestudio.models.pipeline.ImportedPipelinesGpuTest
)

device_path_tests() {
  local imported="$REPO/models/src/test/resources/bundles/imported-random"
  local packed=("${IMPORTED_TGZ:-/root/cache/bench/check}"/*-bundle.tgz)
  if [[ -f "${packed[0]}" ]]; then
    imported=$(mktemp -d)
    for tgz in "${packed[@]}"; do tar -C "$imported" -xzf "$tgz"; done
    echo "imported bundles for ImportedPipelinesGpuTest: $(ls "$imported" | tr '\n' ' ')"
  fi
  # QUEUE_RUNS=false: the device path's ONNX Runtime runs wait for the stream (AttentionResolver.QUEUE_RUNS_PROPERTY; default: queued, as in the app)
  # DEVICE_TESTS: a subset of DEVICE_PATH_TEST_CLASSES by simple name, e.g. when device time is short ("-": none, when
  # run on its own: the attention tests alone)
  local selected=()
  for class in "${DEVICE_PATH_TEST_CLASSES[@]}"; do
    [[ -z "${DEVICE_TESTS:-}" || " $DEVICE_TESTS " == *" ${class##*.} "* ]] && selected+=(--select-class "$class")
  done
  "$JAVA" "${JVM[@]}" -Dsagestudio.gpu.required=true -Dsagestudio.bundled="$REPO/models/bundled" \
    -Dsagestudio.devicePath.queueRuns="${QUEUE_RUNS:-true}" \
    -Dsagestudio.importedBundles="$imported" -jar "$CONSOLE" execute \
    --class-path "$B/tests/models-classes:$CP" \
    "${selected[@]}" \
    --details=tree --disable-banner >"$1" 2>&1
}

# ATTENTION_TESTS: attention's GPU test classes by simple name (package dev.sagestudio.attention.gpu, e.g.
# "CudaGraphGpuTest HopperSageKernelGpuTest GpuKernelsGpuTest"), run from the bundle's attention test classes into
# REPORT; returns the console's exit status (0 when none are asked for).
attention_gpu_tests() {
  [[ -n "${ATTENTION_TESTS:-}" ]] || return 0
  local selected=()
  for name in $ATTENTION_TESTS; do selected+=(--select-class "dev.sagestudio.attention.gpu.$name"); done
  "$JAVA" "${JVM[@]}" -Dsagestudio.gpu.required=true -jar "$CONSOLE" execute \
    --class-path "$B/tests/classes:$CP" "${selected[@]}" --details=tree --disable-banner >"$1" 2>&1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -uo pipefail
  REPO=$(pwd)
  HERE=${KIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
  CACHE=${ORT_CACHE:-/root/cache/ort}
  RESULTS=${OUT:-/tmp}/tests
  mkdir -p "$RESULTS"
  LAST=$CACHE
  # Sets B, JAVA, CP, CONSOLE, JVM and LD_LIBRARY_PATH from the bundle unpacked earlier.
  source "$HERE/unpack-ort-gpu-bundle.sh" || exit 1
  attention_gpu_tests "$RESULTS/attention-gpu-tests.txt"
  attention_status=$?
  [[ -n "${ATTENTION_TESTS:-}" ]] && grep -E "tests (successful|failed|aborted)|✘" "$RESULTS/attention-gpu-tests.txt" | head -20
  status=0
  if [[ "${DEVICE_TESTS:-}" != "-" ]]; then   # DEVICE_TESTS=-: the attention tests alone
    device_path_tests "$RESULTS/device-path-tests.txt"
    status=$?
  fi
  [[ $status -eq 0 ]] && status=$attention_status
  grep -E "tests (successful|failed|aborted)|device-path soak|against the diffusers pipeline|recorded steps|✘" "$RESULTS/device-path-tests.txt" 2>/dev/null | head -40
  tar -C "$RESULTS" -czf "${OUT:-/tmp}/tests.tgz" .
  exit $status
fi
