#!/usr/bin/env bash
# Run 16 (issue #16, branch kern5): ONE device call.
#  1. check_sched.py: the QK-ahead builds against the current schedule (Bb) on the check inputs (float64 reference).
#  2. ab_builds.py, one process: Bb (old) vs Qq (new) vs Nq, Qp, Qs; sage-int8-fp8/fp16-sm90 kernels alone, D = 128 and
#     64, N = 8k and 16k, two rounds alternating, torch-cudnn. Build names: D = 128 option + D = 64 option:
#       D = 128  B current schedule (ping-pong)  Q QK-ahead, 64-key steps, ping-pong  N the same without ping-pong
#       D = 64   b current schedule (no ping-pong)  q QK-ahead, 128-key steps  p q with ping-pong  s QK-ahead, 64-key steps
#  3. the winner per head dim (prebuilt combination, pick_winner.py) -> its sm_90a cubin and manifest into the bundle;
#  4. run-gpu-benchmarks.sh: gpu JUnit suite, Java harness, torch peers, merged table;
#  5. compute-sanitizer memcheck / racecheck / synccheck on sanitize_sm90.py (winner); SASS summary of Bb and winner.
# Everything lands in $OUT/run16.tgz, refreshed after each step; a short table last.
set -uo pipefail
C=$PWD/.carry-kern5
W=/tmp/r16; O=$W/out; K=$W/k; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/run16.tgz out; }
python3 - "$C" "$W" <<'PY'
import io, lzma, sys, tarfile
C, W = sys.argv[1:]
tarfile.open(fileobj=io.BytesIO(lzma.open(f"{C}/k.txz").read())).extractall(f"{W}/k")
tarfile.open(f"{C}/bundle.txz").extractall(W)
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
echo "setup $((SECONDS - t0)) s"
cd $C/bench
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 60 python3 check_sched.py $K Bb Qq Nq Qp Qs > $O/check.log 2>&1
echo "check_sched: exit $? after $((SECONDS - t)) s"; grep "^build" $O/check.log; echo "$(grep -c ' BAD' $O/check.log) BAD cases"; save
t=$SECONDS
BE=sage-int8-fp8-sm90,sage-int8-fp16-sm90
PYTHONUNBUFFERED=1 timeout 160 python3 ab_builds.py --old-dir . --old-fatbin $K/Bb/k.cubin --new-fatbin $K/Qq/k.cubin \
  --variant Nq=$K/Nq/k.cubin --variant Qp=$K/Qp/k.cubin --variant Qs=$K/Qs/k.cubin \
  --old-backends $BE --new-backends $BE --peers torch-cudnn --dims 128,64 --seqs 8192,16384 --rounds 2 \
  --out $O/ab.json > $O/ab.log 2>&1
echo "ab_builds: exit $? after $((SECONDS - t)) s"; save
WIN=$(python3 pick_winner.py $O/ab.json $O/check.log 2>>$O/winner.txt)
[[ -d $K/$WIN && -n $WIN ]] || WIN=Bb  # no verdict (a step failed): validate the current schedule
echo "winner: $WIN" | tee -a $O/winner.txt
B=$W/sagestudio-gpu
python3 bundle_kernels.py $B/lib $K/$WIN/k.cubin
save
t=$SECONDS
timeout 170 bash $C/run-gpu-benchmarks.sh $B $C/bench $O/full full 55 > $O/full.log 2>&1
echo "full: exit $? after $((SECONDS - t)) s"
grep -E "tests (successful|failed)|=== .*exit" $O/full.log; grep -E "✘" $O/full/gpu-tests.log | head -8; save
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck synccheck; do
  t=$SECONDS
  timeout 25 $SAN --tool $tool --error-exitcode 3 python3 sanitize_sm90.py --fatbin $K/$WIN/k.cubin > $O/san-$tool.log 2>&1
  echo "sanitizer $tool: exit $? after $((SECONDS - t)) s; $(grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY' $O/san-$tool.log | head -1)"
done
OBJ=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
for b in Bb $WIN; do $OBJ -sass $K/$b/k.cubin | python3 sass_summary.py | grep -E "sm90|Function|arch|HGMMA" > $O/sass-$b.txt 2>&1; done
save
echo "total $((SECONDS - t0)) s"
grep -E "^check " $O/ab.log | sed 's/  */ /g'
grep -E "median" $O/ab.log | sed 's/  */ /g; s/causal=0 //' | cut -c1-100
grep -E "^\| *(4096|8192|16384|32768) " $O/full/results/*.md | head -24
