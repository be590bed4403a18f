#!/usr/bin/env bash
# Run 16, call B of 2: the winner's cubin into the bundle; gpu JUnit suite, Java harness, torch peers; sanitizers; SASS.
set -uo pipefail
C=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # the carry folder (make-carry.sh)
W=/root/cache/r16; O=$W/out; K=$W/k
[[ -f $W/winner ]] || { echo "call A's state is gone (machine not warm)"; exit 2; }
WIN=$(cat $W/winner); t0=$SECONDS
save() { tar -C $W -czf $OUT/run16.tgz out; }
cat $W/c/bundle.txz.00 $C/bundle.txz.01 > $W/bundle.txz
python3 -c "import tarfile; tarfile.open('$W/bundle.txz').extractall('$W')"
B=$W/sagestudio-gpu
cd $W/c/bench
python3 bundle_kernels.py $B/lib $K/$WIN/k.cubin
t=$SECONDS
timeout 170 bash $W/c/run-gpu-benchmarks.sh $B $W/c/bench $O/full full 55 > $O/full.log 2>&1
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
echo "winner $WIN; total $((SECONDS - t0)) s"
grep -E "^\| *(4096|8192|16384|32768) " $O/full/results/*.md | head -24
