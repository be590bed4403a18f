#!/usr/bin/env bash
# Run 13b (issue #16 v11): one process times v10 (base), v11 A, v11 B, st8 (B, 8 stages at D=64) and
# nopp (B without the warpgroup ping-pong) with the torch peers: sm_90a cubins of the whole .cu.
set -uo pipefail
C=$PWD/.carry-kern2; W=/tmp/r13b; O=$W/out; mkdir -p $O
python3 - "$C" "$W" <<'PY'
import lzma, os, shutil, sys
C, W = sys.argv[1:]
for v in ("base", "A", "B", "st8", "nopp"):
    os.makedirs(f"{W}/ab/{v}", exist_ok=True)
    open(f"{W}/ab/{v}/k.cubin", "wb").write(lzma.open(f"{C}/ab/{v}.cubin.xz").read())
    shutil.copy(f"{C}/ab/{v}.json", f"{W}/ab/{v}/sagestudio_kernels.json")
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
t=$SECONDS
(cd $C/bench && PYTHONUNBUFFERED=1 timeout 150 python3 ab_builds.py --old-dir . --old-fatbin $W/ab/base/k.cubin \
  --new-fatbin $W/ab/B/k.cubin --variant A=$W/ab/A/k.cubin --variant st8=$W/ab/st8/k.cubin --variant nopp=$W/ab/nopp/k.cubin \
  --old-backends sage-int8-fp16-sm90,sage-int8-fp8-sm90 --dims 128,64 --seqs 8192,16384 --rounds 2 \
  --out $O/ab.json) > $O/ab.log 2>&1
echo "ab: exit $? after $((SECONDS - t)) s"
tar -C $W -czf $OUT/run13b.tgz out
grep -E "^check|median|Error|error" $O/ab.log | sed 's/  */ /g' | cut -c1-100
