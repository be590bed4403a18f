#!/usr/bin/env bash
# Run 16, call A of 2 (the whole call did not fit 64 MiB): check_sched + A/B of the builds. Keeps everything in
# /root/cache/r16 (kept while the machine stays warm) for call B, which brings the second half of the bundle.
set -uo pipefail
C=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # the carry folder (make-carry.sh)
W=/root/cache/r16; O=$W/out; K=$W/k; mkdir -p $O $W/c
cp -r $C/* $W/c/
t0=$SECONDS
save() { tar -C $W -czf $OUT/run16.tgz out; }
python3 -c "import io,lzma,tarfile; tarfile.open(fileobj=io.BytesIO(lzma.open('$C/k.txz').read())).extractall('$K')"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
cd $W/c/bench
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
[[ -d $K/$WIN && -n $WIN ]] || WIN=Bb
echo "$WIN" > $W/winner; echo "winner: $WIN" | tee -a $O/winner.txt; save
echo "total $((SECONDS - t0)) s"
grep -E "^check " $O/ab.log | sed 's/  */ /g'
grep -E "median" $O/ab.log | sed 's/  */ /g; s/causal=0 //' | cut -c1-110
