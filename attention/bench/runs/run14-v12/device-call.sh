#!/usr/bin/env bash
# Run 14 (issue #16, branch kern3), ONE device call:
#  1. A/B in one process (ab_builds.py): v11 as committed (5-launch preprocessing; its own sskernels.py)
#     against this branch ("new": ping-pong at D = 128 only + two-launch preprocessing) and three
#     kernel variants of it: C (fold and rescale after the P·V wait), M (row max with 3-input
#     integer max), CM (both); kernel alone and, for old/new, including the preprocessing (+quant).
#  2. The fastest of new/C/M/CM by FP8 kernel-alone TOPS (geometric mean over D and N): its sm_90a
#     cubin goes into the bundle's attention jar as the kernel resource.
#  3. run-gpu-benchmarks.sh with that bundle: gpu JUnit suite, Java harness, torch peers, merged table.
#  4. compute-sanitizer memcheck/racecheck/synccheck on the winner (sanitize_sm90.py, with the preprocessing).
#  5. ncu (clocks untouched) of the winner's FP8 D = 128 kernel (second launch, N = 8k).
# Everything lands in $OUT/run14.tgz, refreshed after each step.
set -uo pipefail
C=$PWD/.carry-kern3
W=/tmp/r14; O=$W/out; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/run14.tgz out; }
python3 - "$C" "$W" <<'PY'
import lzma, os, shutil, sys, tarfile
C, W = sys.argv[1:]
tarfile.open(f"{C}/bundle.txz").extractall(W)
for v in ("old", "new", "C", "M", "CM"):
    os.makedirs(f"{W}/ab/{v}", exist_ok=True)
    open(f"{W}/ab/{v}/k.cubin", "wb").write(lzma.open(f"{C}/ab/{v}.cubin.xz").read())
    shutil.copy(f"{C}/ab/{v}.json", f"{W}/ab/{v}/sagestudio_kernels.json")
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
echo "setup $((SECONDS - t0)) s"

t=$SECONDS
(cd $C/bench && PYTHONUNBUFFERED=1 timeout 150 python3 ab_builds.py --old-dir $C/old --old-fatbin $W/ab/old/k.cubin \
  --new-fatbin $W/ab/new/k.cubin --variant C=$W/ab/C/k.cubin --variant M=$W/ab/M/k.cubin --variant CM=$W/ab/CM/k.cubin \
  --old-backends sage-int8-fp8-sm90,sage-int8-fp8-sm90+quant --new-backends sage-int8-fp8-sm90,sage-int8-fp8-sm90+quant \
  --variant-backends sage-int8-fp8-sm90 --dims 128,64 --seqs 4096,16384 --rounds 2 --out $O/ab.json) > $O/ab.log 2>&1
echo "ab: exit $? after $((SECONDS - t)) s"; save
WIN=$(python3 - $O/ab.json <<'PY'
import json, math, statistics, sys
try:
    recs = json.load(open(sys.argv[1]))
except Exception:
    print("new"); sys.exit()
score = {}
for r in recs:
    b, _, be = r["label"].partition(":")
    if be == "sage-int8-fp8-sm90" and b in ("new", "C", "M", "CM"):
        score.setdefault(b, []).append(math.log(statistics.median(r["tops"])))
n = max(len(v) for v in score.values()) if score else 0
full = {b: sum(v) / len(v) for b, v in score.items() if len(v) == n}
print(max(full, key=full.get) if full else "new")
PY
)
echo "winner: $WIN" | tee $O/winner.txt
B=$W/sagestudio-gpu
# The bundle travels without its fatbin (carry limit): the winner's sm_90a cubin (same sources, nvcc and
# flags as the fatbin's sm_90a part) goes into the attention jar as the kernel resource.
python3 - $B/lib $W/ab/$WIN/k.cubin <<'PY'
import glob, sys, zipfile
lib, cubin = sys.argv[1:]
jar = [j for j in glob.glob(f"{lib}/attention-*.jar") if "sources" not in j and "tests" not in j][0]
with zipfile.ZipFile(jar, "a") as z:
    z.write(cubin, "dev/sagestudio/attention/gpu/sagestudio_kernels.fatbin")
print("kernels", cubin, "->", jar)
PY
t=$SECONDS
timeout 230 bash $C/run-gpu-benchmarks.sh $B $C/bench $O/full full 90 > $O/full.log 2>&1
echo "full: exit $? after $((SECONDS - t)) s"
grep -E "tests (successful|failed)|=== .*exit" $O/full.log; save

SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck synccheck; do
  t=$SECONDS
  (cd $C/bench && timeout 35 $SAN --tool $tool --error-exitcode 3 python3 sanitize_sm90.py --fatbin $W/ab/$WIN/k.cubin) > $O/san-$tool.log 2>&1
  echo "sanitizer $tool: exit $? after $((SECONDS - t)) s"; grep -E "ERROR SUMMARY|sanitize_sm90:|RACECHECK SUMMARY" $O/san-$tool.log | head -3
  save
done

t=$SECONDS
if (( SECONDS - t0 < 300 )); then  # only while the call is inside its device-time share
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
cat > $W/prof.py <<'PY'
import math, sys, torch
sys.path.insert(0, sys.argv[2])
import sskernels as S
ks = S.Kernels(sys.argv[1])
q, k, v = (torch.randn(4, 32, 8192, 128, dtype=torch.float16, device="cuda") for _ in range(3))
p = S.Plan(ks, S.SM90_FP8, q, k, v, torch.empty_like(q), False, 1 / math.sqrt(128))
p.run(); p.run()
torch.cuda.synchronize()
PY
timeout 45 $NCU --clock-control none -k regex:"sage_int8_fp8_sm90" -s 1 -c 1 --section SpeedOfLight \
  --section WarpStateStats --section SchedulerStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  python3 $W/prof.py $W/ab/$WIN/k.cubin $C/bench > $O/ncu.txt 2>&1
echo "ncu: exit $? after $((SECONDS - t)) s"; save
fi
echo "total $((SECONDS - t0)) s"
grep -E "^check|median" $O/ab.log | sed 's/  */ /g' | cut -c1-100
grep -E "^\| *(4096|8192|16384|32768) " $O/full/results/*.md | head -40
