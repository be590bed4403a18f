#!/usr/bin/env bash
# Builds run 17's carry: the sm_90a cubin (whole sagestudio_kernels.cu, nvcc 13.0, the fatbin's flags) and manifest of
# each build below, packed as k.txz, their ptxas -v logs, the bench scripts and call.sh. No bundle: the call needs no
# Java, only torch and libcuda. Run in the repository root of this branch.
#   usage: attention/bench/runs/run17-wgs3/make-carry.sh <carry-dir>
# Builds (D = 128 is the same code in all of them):
#   Bp   the current default (D = 64: 2 consumer warpgroups, QK-ahead 128-key steps, ping-pong)
#   Bb   2 warpgroups, the plain schedule (QK(j) with PV(j-1)), no ping-pong (run 15's D = 64 kernel)
#   W3p  3 consumer warpgroups (192-row tiles), the plain schedule, round-robin ping-pong
#   W3n  3 consumer warpgroups, the plain schedule, no ping-pong
# (3 warpgroups with QK-ahead are not built into the call: at 160 registers ptxas serializes their wgmmas, C7512.)
set -euo pipefail
C=$1
S=$PWD/attention/src/main/cuda; R=$PWD/attention/bench/runs/run17-wgs3; W=$(mktemp -d)
flags() {
  case $1 in
    Bp) echo "" ;;
    Bb) echo "-DSS_SM90_QK_AHEAD=0 -DSS_SM90_PINGPONG=2" ;;
    W3p) echo "-DSS_SM90_WGS3=1 -DSS_SM90_QK_AHEAD=0" ;;
    W3n) echo "-DSS_SM90_WGS3=1 -DSS_SM90_QK_AHEAD=0 -DSS_SM90_PINGPONG=2" ;;
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
for n in Bp Bb W3p W3n; do build $n & done
wait
mkdir -p "$C/bench"
tar -C "$W/k" -cf - . | xz -9e -T2 > "$C/k.txz"
cp "$W"/ptxas-*.log "$C/"
cp attention/bench/{sskernels.py,ssdriver.py,torch_peers.py,ab_builds.py,sanitize_sm90.py} "$R"/{check_wgs.py,table.py} \
  "$C/bench/"
cp "$R/call.sh" "$C/call.sh"
rm -rf "$W"
du -sh "$C"
