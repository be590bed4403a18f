#!/usr/bin/env bash
# Run 15, device call 1 (issue #16, branch kern4): A/B in one process each, sm_90a cubins built here.
#  1. check_tma.py: the copy-engine build ("new") against the v12 cp.async build ("base", through its own
#     sskernels.py): 48 outputs of flash-fp16-sm90 / sage-int8-fp16-sm90 / sage-int8-fp8-sm90 must be bit-identical.
#  2. the prepared flash TMA experiment (runs/flash3-sm90/tma-experiment/tma_ab.py) against base, with torch-cudnn.
#  3. ab_builds.py: base vs new vs P (next-prep-loads) vs M (DPX row max at D = 64) vs S6 (6 K/V stages for FP8 at
#     D = 128) vs R40 (setmaxnreg 40/232 instead of 24/240), kernel alone and +quant, N = 8k.
#  4. finite_ab.py: the non-finite check of base vs new at the DeviceFiniteCheckGpuTest sizes.
# Everything lands in $OUT/run15-1.tgz; a short table last.
set -uo pipefail
C=$PWD/.carry-kern4
W=/tmp/r15; O=$W/out; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/run15-1.tgz out; }
python3 - "$C" "$W" <<'PY'
import lzma, shutil, sys, tarfile, io, os
C, W = sys.argv[1:]
tarfile.open(fileobj=io.BytesIO(lzma.open(f"{C}/k.txz").read())).extractall(f"{W}/k")
for b in os.listdir(f"{W}/k"):
    shutil.move(f"{W}/k/{b}/k.cubin", f"{W}/k/{b}/sagestudio_kernels.fatbin")
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
K=$W/k
cd $C/bench
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 60 python3 check_tma.py $C/bench_old $K/base/sagestudio_kernels.fatbin $K/new/sagestudio_kernels.fatbin > $O/check-tma.log 2>&1
echo "check_tma: exit $? after $((SECONDS - t)) s"; tail -1 $O/check-tma.log; grep -v "True, finite True" $O/check-tma.log | grep "^check" | head -5; save
t=$SECONDS
PYTHONPATH=$C/bench_old PYTHONUNBUFFERED=1 timeout 70 python3 $C/tma/tma_ab.py $K/base/sagestudio_kernels.fatbin $C/tma/tma.cubin $C/tma/layout.json > $O/tma-ab.log 2>&1
echo "tma_ab (prepared flash experiment): exit $? after $((SECONDS - t)) s"; grep -c "bit-identical to cp.async True" $O/tma-ab.log; save
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 160 python3 ab_builds.py --old-dir $C/bench_old --old-fatbin $K/base/sagestudio_kernels.fatbin \
  --new-fatbin $K/new/sagestudio_kernels.fatbin --variant P=$K/P/sagestudio_kernels.fatbin --variant M=$K/M/sagestudio_kernels.fatbin --variant S6=$K/S6/sagestudio_kernels.fatbin \
  --variant R40=$K/R40/sagestudio_kernels.fatbin \
  --old-backends flash-fp16-sm90,sage-int8-fp8-sm90,sage-int8-fp16-sm90,sage-int8-fp8-sm90+quant \
  --new-backends flash-fp16-sm90,sage-int8-fp8-sm90,sage-int8-fp16-sm90,sage-int8-fp8-sm90+quant \
  --variant-backends sage-int8-fp8-sm90,sage-int8-fp16-sm90,sage-int8-fp8-sm90+quant \
  --peers torch-cudnn --dims 128,64 --seqs 8192 --rounds 2 --out $O/ab.json > $O/ab.log 2>&1
echo "ab_builds: exit $? after $((SECONDS - t)) s"; save
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 30 python3 finite_ab.py $K/base/sagestudio_kernels.fatbin $K/new/sagestudio_kernels.fatbin > $O/finite-ab.log 2>&1
echo "finite_ab: exit $? after $((SECONDS - t)) s"; save
echo "total $((SECONDS - t0)) s"
grep "^check " $O/ab.log | sed 's/  */ /g'
grep -E "finite check" $O/finite-ab.log | sed 's/  */ /g' | cut -c1-120
grep -E "median" $O/tma-ab.log | sed 's/  */ /g'
grep -E "median" $O/ab.log | sed 's/  */ /g' | sed 's/causal=0 //' | cut -c1-110
