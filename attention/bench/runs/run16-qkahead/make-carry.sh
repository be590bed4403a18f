#!/usr/bin/env bash
# Builds run 16's two carries (one call's would not fit the 64 MiB a call carries next to the tracked tree): the sm_90a
# cubin (whole sagestudio_kernels.cu, nvcc 13.0, the fatbin's flags) and manifest of each of the 12 schedule
# combinations (D = 128 option x D = 64 option, see call-a.sh), packed as k.txz; the bundle re-packed by
# runs/run15-tma/pack-bundle.sh and split in two; the bench scripts. Call A (check, A/B) carries <carry-dir>-a, call B
# (validation), on the same warm machine, <carry-dir>-b. Run in the repository root.
#   usage: attention/bench/runs/run16-qkahead/make-carry.sh <carry-dir> [bundle-folder from make-gpu-bundle.sh]
set -euo pipefail
C=$1; BUNDLE=${2:-.gpu-bundle/sagestudio-gpu}
S=$PWD/attention/src/main/cuda; R=$PWD/attention/bench/runs/run16-qkahead; W=$(mktemp -d)
flags() {  # D = 128 letter (B current, Q QK-ahead + ping-pong, N QK-ahead) + D = 64 letter (b, q, p = q + ping-pong, s)
  local a=${1:0:1} b=${1:1:1} qa=0 pp=0 sub=2
  case $a in Q) qa=$((qa | 2)); pp=$((pp | 2)) ;; N) qa=$((qa | 2)) ;; B) pp=$((pp | 2)) ;; esac
  case $b in q) qa=$((qa | 1)) ;; p) qa=$((qa | 1)); pp=$((pp | 1)) ;; s) qa=$((qa | 1)); sub=$((sub | 1)) ;; esac
  echo "-DSS_SM90_QK_AHEAD=$qa -DSS_SM90_PINGPONG=$pp -DSS_SM90_QK_AHEAD_SUB64=$sub"
}
build() {  # name: cubin, manifest, ptxas -v log
  local o=$W/k/$1; mkdir -p "$o"
  # shellcheck disable=SC2046  # the flags are separate words
  nvcc -std=c++17 -O3 -Xptxas=-warn-spills -Xptxas -v $(flags "$1") -gencode=arch=compute_90a,code=sm_90a -cubin \
    -o "$o/k.cubin" "$S/sagestudio_kernels.cu" > "$W/$1.ptxas.log" 2>&1
  nvcc -std=c++17 $(flags "$1") -o "$W/abi-$1" "$S/abi_manifest.cpp"
  { echo "{"; echo '  "fatbin": "sagestudio_kernels.fatbin",'; echo '  "sass_archs": ["sm_90a"],'; "$W/abi-$1"; echo "}"; } \
    > "$o/sagestudio_kernels.json"
  echo "$1: sm90 spill stores $(grep -A2 "entry function 'sage_int8_fp[0-9]*_sm90" "$W/$1.ptxas.log" \
    | grep -o '[0-9]* bytes spill stores' | cut -d' ' -f1 | tr '\n' ' ')(fp8 d128, fp8 d64, fp16 d128, fp16 d64)"
}
for n in Bb Qq Nq Qp Qs Bq Bp Bs Nb Np Ns Qb; do build $n; done
mkdir -p "$C/bench"
tar -C "$W/k" -cf - . | xz -9e -T2 > "$C/k.txz"
bash "$PWD/attention/bench/runs/run15-tma/pack-bundle.sh" "$BUNDLE" "$C/bundle.txz"
cp attention/bench/{sskernels.py,ssdriver.py,torch_peers.py,ab_builds.py,merge_results.py,sanitize_sm90.py,sass_summary.py,bundle_kernels.py} \
  "$R"/{check_sched.py,pick_winner.py} "$C/bench/"
cp attention/scripts/run-gpu-benchmarks.sh "$C/"
mkdir -p "$C-a" "$C-b"
split -b 6800000 -d "$C/bundle.txz" "$W/part"
mv "$W/part00" "$C-a/bundle.txz.00"
mv "$W/part01" "$C-b/bundle.txz.01"
cp -r "$C/bench" "$C/k.txz" "$C/run-gpu-benchmarks.sh" "$C-a/"
cp "$R/call-a.sh" "$C-a/call.sh"
cp "$R/call-b.sh" "$C-b/call.sh"
rm -rf "$W" "$C"
du -sh "$C-a" "$C-b"
