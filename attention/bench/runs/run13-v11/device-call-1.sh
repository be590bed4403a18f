#!/usr/bin/env bash
# One device call (run 13, issue #16 v11): the full run-gpu-benchmarks.sh with build B (gpu JUnit
# suite + Java harness + torch peers + merge), an A/B of the builds (v10 base, v11 A, v11 B,
# B + 8 stages at D=64) with the torch peers, then compute-sanitizer on the sm90 kernels of B.
# Everything lands in $OUT/run13.tgz, refreshed after each step.
set -uo pipefail
C=$PWD/.carry-kern2
W=/tmp/r13; mkdir -p $W/out $W/ab; O=$W/out
t0=$SECONDS
save() { tar -C $W -czf $OUT/run13.tgz out; }
python3 - "$C" "$W" <<'PY'
import lzma, os, shutil, sys, tarfile
C, W = sys.argv[1:]
tarfile.open(f"{C}/bundle.txz").extractall(W)
for v in ("base", "A", "B", "st8"):
    os.makedirs(f"{W}/ab/{v}", exist_ok=True)
    open(f"{W}/ab/{v}/k.cubin", "wb").write(lzma.open(f"{C}/ab/{v}.cubin.xz").read())
    shutil.copy(f"{C}/ab/{v}.json", f"{W}/ab/{v}/sagestudio_kernels.json")
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
echo "setup $((SECONDS - t0)) s"
t=$SECONDS
bash $C/run-gpu-benchmarks.sh $W/sagestudio-gpu $C/bench $O/full full 100 > $O/full.log 2>&1
echo "full: exit $? after $((SECONDS - t)) s"
grep -E "tests (successful|failed)|=== .*exit" $O/full.log; save
t=$SECONDS
(cd $C/bench && PYTHONUNBUFFERED=1 timeout 130 python3 ab_builds.py --old-dir . --old-fatbin $W/ab/base/k.cubin \
  --new-fatbin $W/ab/B/k.cubin --variant A=$W/ab/A/k.cubin --variant st8=$W/ab/st8/k.cubin \
  --old-backends sage-int8-fp16-sm90,sage-int8-fp8-sm90 --dims 128,64 --seqs 4096,8192,16384 --rounds 2 \
  --out $O/ab.json) > $O/ab.log 2>&1
echo "ab: exit $? after $((SECONDS - t)) s"; save
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck synccheck racecheck; do
  t=$SECONDS
  timeout 50 $SAN --tool $tool --error-exitcode 3 python3 $C/bench/sanitize_sm90.py --fatbin $W/ab/B/k.cubin > $O/san-$tool.log 2>&1
  echo "sanitizer $tool: exit $? after $((SECONDS - t)) s"; grep -E "ERROR SUMMARY|sanitize_sm90:" $O/san-$tool.log | head -3
  save
done
echo "total $((SECONDS - t0)) s"
grep -E "^check|median" $O/ab.log | sed 's/  */ /g' | cut -c1-100
grep -E "^\| *(4096|8192|16384|32768) " $O/full/results/*.md | head -40
