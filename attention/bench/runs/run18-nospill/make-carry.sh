#!/usr/bin/env bash
# Builds run 18's carry: the sm_90a cubin (whole sagestudio_kernels.cu, nvcc 13.0, the fatbin's flags) and manifest of
# each build below, packed as k.txz, their ptxas -v logs, the bench scripts and call.sh. No bundle: the call needs no
# Java, only torch and libcuda. Run in the repository root of this branch.
#   usage: attention/bench/runs/run18-nospill/make-carry.sh <carry-dir>
# Builds (only sage_int8_fp8_sm90_d64 differs between them; every other section of the cubins is the same bytes):
#   W3n  the current default (D = 64: 3 consumer warpgroups, plain schedule, no ping-pong); FP8 D = 64 spills 48 / 56 B
#   NS   W3n with SS_SM90_FP8_D64_NOSPILL=1 (warp-uniform Q descriptor and first row): no spills
set -euo pipefail
C=$1
S=$PWD/attention/src/main/cuda; R=$PWD/attention/bench/runs/run18-nospill; W=$(mktemp -d)
flags() {
  case $1 in
    W3n) echo "" ;;
    NS) echo "-DSS_SM90_FP8_D64_NOSPILL=1" ;;
  esac
}
build() {  # name: cubin, manifest, ptxas -v log
  local o=$W/k/$1; mkdir -p "$o"
  # shellcheck disable=SC2046  # the flags are separate words
  nvcc -std=c++17 -O3 -Xptxas=-warn-spills -Xptxas -v $(flags "$1") -gencode=arch=compute_90a,code=sm_90a -cubin \
    -o "$o/k.cubin" "$S/sagestudio_kernels.cu" > "$W/ptxas-$1.log" 2>&1
  nvcc -std=c++17 $(flags "$1") -o "$W/abi-$1" "$S/abi_manifest.cpp"
  { echo "{"; echo '  "fatbin": "sagestudio_kernels.fatbin",'; echo '  "sass_archs": ["sm_90a"],'; "$W/abi-$1"; echo "}"; } \
    > "$o/sagestudio_kernels.json"
  echo "$1: sm90 spill stores/loads $(grep -A2 "entry function 'sage_int8_fp[0-9]*_sm90" "$W/ptxas-$1.log" \
    | grep -o '[0-9]* bytes spill stores, [0-9]* bytes spill loads' | sed 's/ bytes spill stores, /\//; s/ bytes spill loads//' \
    | tr '\n' ' ')(fp8 d128, fp8 d64, fp16 d128, fp16 d64)"
}
for n in W3n NS; do build $n & done
wait
mkdir -p "$C/bench"
tar -C "$W/k" -cf - . | xz -9e -T2 > "$C/k.txz"
cp "$W"/ptxas-*.log "$C/"
cp attention/bench/{sskernels.py,ssdriver.py,torch_peers.py,ab_builds.py,sanitize_sm90.py} \
  attention/bench/runs/run17-wgs3/{check_wgs.py,table.py} "$C/bench/"
cp "$R/call.sh" "$C/call.sh"
rm -rf "$W"
du -sh "$C"
