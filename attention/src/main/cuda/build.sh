#!/usr/bin/env bash
# Compiles the attention kernels into ONE fatbin (SASS sm_80, sm_86, sm_89, sm_90a + PTX compute_90)
# and writes the manifest next to it.
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
HASH=$( (cat "$SRC_DIR"/*.cu "$SRC_DIR"/*.cuh "$SRC_DIR"/build.sh; echo "${GENCODE[*]} ${FLAGS[*]} $NVCC_VERSION") | sha256sum | cut -d' ' -f1)
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

# Entry points: name, threads per block, dynamic shared memory (bytes), minimum compute capability.
# Keep in step with ABI.md.
ENTRIES=()
for dt in f32 f16 bf16; do
  ENTRIES+=("pre_to_f16_$dt 256 0 80" "pre_k_mean_$dt 256 0 80" "pre_quant_q_int8_$dt 128 0 80"
            "pre_quant_k_int8_$dt 128 0 80" "pre_v_fp8_scale_$dt 256 0 80" "pre_quant_v_fp8_$dt 256 0 80")
done
ENTRIES+=("flash_fwd_f16_d64 128 49152 80" "flash_fwd_f16_d128 128 98304 80"
          "flash_fwd_bf16_d64 128 49152 80" "flash_fwd_bf16_d128 128 98304 80"
          "sage_int8_fp16_d64 128 32768 80" "sage_int8_fp16_d128 128 65536 80"
          "sage_int8_fp16acc_d64 128 32768 80" "sage_int8_fp16acc_d128 128 65536 80"
          "sage_int8_fp8_d64 128 24576 89" "sage_int8_fp8_d128 128 49152 89"
          "sage_int8_fp16_sm90_d64 384 115808 90" "sage_int8_fp16_sm90_d128 384 230496 90")
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
  echo "  \"entries\": ["
  n=${#ENTRIES[@]}
  for i in "${!ENTRIES[@]}"; do
    read -r name threads smem cc <<<"${ENTRIES[$i]}"
    sep=","; [[ $i -eq $((n - 1)) ]] && sep=""
    echo "    {\"name\": \"$name\", \"block\": $threads, \"dynamic_smem\": $smem, \"min_cc\": $cc}$sep"
  done
  echo "  ]"
  echo "}"
} >"$MANIFEST"
echo "$HASH" >"$STAMP"
echo "[INFO] CUDA kernels built in ${SECONDS_TAKEN}s: $FATBIN"
