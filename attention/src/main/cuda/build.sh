#!/usr/bin/env bash
# Compiles the attention kernels into ONE fatbin (SASS sm_80, sm_86, sm_89, sm_90a + PTX compute_90)
# and writes the manifest next to it (archs, parameter-struct layouts, every entry's launch shape).
#   usage: build.sh <resource-dir> <stamp-dir>
#   e.g.   build.sh target/classes/dev/sagestudio/attention/gpu target
# Without nvcc (NVCC or PATH) it prints a warning and exits 0, writing nothing: the Java side then
# reports "this build has no kernels". When sources, flags and nvcc are unchanged since the last
# successful build (stamp in <stamp-dir>), it does nothing.
set -euo pipefail
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=${1:?usage: build.sh <resource-dir> <stamp-dir>}
STAMP_DIR=${2:?usage: build.sh <resource-dir> <stamp-dir>}
NVCC=${NVCC:-nvcc}
FATBIN="$OUT_DIR/sagestudio_kernels.fatbin"
MANIFEST="$OUT_DIR/sagestudio_kernels.json"
STAMP="$STAMP_DIR/sagestudio_kernels.stamp"

if ! command -v "$NVCC" >/dev/null 2>&1; then
  echo "[WARNING] nvcc not found (set NVCC or PATH): building WITHOUT GPU kernels; the GPU backends will report"
  echo "[WARNING] that this build has no kernels. Install the CUDA toolkit (12.x or newer; built with 13.0) and rebuild to get them."
  rm -f "$FATBIN" "$MANIFEST"
  exit 0
fi

ARCHS=(sm_80 sm_86 sm_89 sm_90a)
GENCODE=(-gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_86,code=sm_86
         -gencode=arch=compute_89,code=sm_89 -gencode=arch=compute_90a,code=sm_90a
         -gencode=arch=compute_90,code=compute_90)
FLAGS=(-std=c++17 -O3 --threads 0 -Xptxas=-warn-spills)

NVCC_VERSION=$("$NVCC" --version | tail -n 2 | tr '\n' ' ')
HASH=$( (cat "$SRC_DIR"/*.cu "$SRC_DIR"/*.cuh "$SRC_DIR"/*.cpp "$SRC_DIR"/build.sh; echo "${GENCODE[*]} ${FLAGS[*]} $NVCC_VERSION") | sha256sum | cut -d' ' -f1)
if [[ -f "$FATBIN" && -f "$MANIFEST" && -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
  echo "[INFO] CUDA kernels up to date ($FATBIN)"
  exit 0
fi

mkdir -p "$OUT_DIR" "$STAMP_DIR"
echo "[INFO] nvcc: compiling CUDA kernels for ${ARCHS[*]} + PTX compute_90 (takes a few minutes)"
START=$(date +%s)
"$NVCC" "${FLAGS[@]}" "${GENCODE[@]}" -fatbin -o "$FATBIN.tmp" "$SRC_DIR/sagestudio_kernels.cu"
mv "$FATBIN.tmp" "$FATBIN"
SECONDS_TAKEN=$(( $(date +%s) - START ))

# The manifest's "structs" (launch-parameter layouts as the compiler lays them out) and "entries"
# (block, dynamic shared memory, min compute capability per kernel) come from a host program built
# from the same headers as the kernels (params.cuh, traits.cuh): no second table to keep in step.
ABI_TOOL="$STAMP_DIR/abi_manifest"
"$NVCC" -std=c++17 -o "$ABI_TOOL" "$SRC_DIR/abi_manifest.cpp"
ABI_JSON=$("$ABI_TOOL")
{
  echo "{"
  echo "  \"fatbin\": \"sagestudio_kernels.fatbin\","
  echo "  \"sass_archs\": [\"sm_80\", \"sm_86\", \"sm_89\", \"sm_90a\"],"
  echo "  \"ptx_arch\": \"compute_90\","
  echo "  \"built_at\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"compile_seconds\": $SECONDS_TAKEN,"
  echo "  \"nvcc\": \"$(echo "$NVCC_VERSION" | sed 's/"/\\"/g' | xargs)\","
  echo "  \"source_sha256\": \"$HASH\","
  echo "  \"abi\": \"attention/src/main/cuda/ABI.md\","
  echo "$ABI_JSON"
  echo "}"
} >"$MANIFEST"
echo "$HASH" >"$STAMP"
echo "[INFO] CUDA kernels built in ${SECONDS_TAKEN}s: $FATBIN"
