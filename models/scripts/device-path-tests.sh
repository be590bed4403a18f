#!/usr/bin/env bash
# On the GPU machine, after a bench-real-shapes.sh `final` (or run-ort-gpu-bundle.sh) call unpacked the ONNX Runtime
# GPU bundle on the same warm machine: the device path's GPU tests (gpu required, so a missing GPU, kernel build or
# CUDA EP fails instead of skipping): GpuDeviceMemoryGpuTest, DevicePathGpuTest, PipelineDevicePathGpuTest,
# DevicePathSoakGpuTest, DevicePathFaultGpuTest. The report goes to $OUT/tests.tgz; a summary is printed.
#   usage: bash models/scripts/device-path-tests.sh   (from the repository root; KIT: the folder of
#          unpack-ort-gpu-bundle.sh, default this script's)
set -uo pipefail
HERE=${KIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
REPO=$(pwd)
CACHE=${ORT_CACHE:-/root/cache/ort}
RESULTS=${OUT:-/tmp}/tests
mkdir -p "$RESULTS"
LAST=$CACHE
# Sets B, JAVA, CP, CONSOLE, JVM and LD_LIBRARY_PATH from the bundle unpacked earlier.
source "$HERE/unpack-ort-gpu-bundle.sh" || exit 1
"$JAVA" "${JVM[@]}" -Dsagestudio.gpu.required=true -Dsagestudio.bundled="$REPO/models/bundled" -jar "$CONSOLE" execute \
  --class-path "$B/tests/models-classes:$CP" \
  --select-class dev.sagestudio.models.runtime.device.GpuDeviceMemoryGpuTest \
  --select-class dev.sagestudio.models.runtime.DevicePathGpuTest \
  --select-class dev.sagestudio.models.pipeline.PipelineDevicePathGpuTest \
  --select-class dev.sagestudio.models.pipeline.DevicePathSoakGpuTest \
  --select-class dev.sagestudio.models.pipeline.DevicePathFaultGpuTest \
  --details=tree --disable-banner >"$RESULTS/device-path-tests.txt" 2>&1
status=$?
grep -E "tests (successful|failed|aborted)|device-path soak|✘" "$RESULTS/device-path-tests.txt" | head -40
tar -C "$RESULTS" -czf "${OUT:-/tmp}/tests.tgz" .
exit $status
