#!/usr/bin/env bash
# Device call 1 (flash3, issue #16 item 3): flash_fwd_*_sm90 on the H100 — smoke check against torch SDPA,
# SASS summary, A/B speed (sm80 flash vs sm90 flash and its variants k3 = 3 K stages at D=128, nopp / ppall =
# ping-pong off / on at every D, late = output rescaled after the P·V wait; torch flash/efficient/cudnn), the
# gpu-tagged JUnit suite, compute-sanitizer on the flash sm90 entries. Results in $OUT/flash3-1.tgz.
set -uo pipefail
C=$PWD/.carry-flash3
W=/tmp/f3; O=$W/out; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/flash3-1.tgz out; }
python3 - "$C" "$W" <<'PY'
import lzma, os, shutil, sys, tarfile
C, W = sys.argv[1:]
tarfile.open(f"{C}/bundle.txz").extractall(W)
for v in ("k3", "nopp", "ppall", "late"):
    os.makedirs(f"{W}/ab/{v}", exist_ok=True)
    open(f"{W}/ab/{v}/k.cubin", "wb").write(lzma.open(f"{C}/ab/{v}.cubin.xz").read())
    shutil.copy(f"{C}/ab/{v}.json", f"{W}/ab/{v}/sagestudio_kernels.json")
PY
B=$W/sagestudio-gpu
FAT=$W/fatbin; mkdir -p $FAT
python3 - $B/lib/attention-*.jar $FAT <<'PY'
import os, sys, zipfile
jar, out = sys.argv[1:]
with zipfile.ZipFile(jar) as z:
    for n in ("sagestudio_kernels.fatbin", "sagestudio_kernels.json"):
        open(os.path.join(out, n), "wb").write(z.read("dev/sagestudio/attention/gpu/" + n))
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
echo "setup $((SECONDS - t0)) s"
cd $C/bench
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 60 python3 $C/smoke.py $FAT/sagestudio_kernels.fatbin > $O/smoke.log 2>&1
smoke=$?
echo "smoke: exit $smoke after $((SECONDS - t)) s"; tail -n 20 $O/smoke.log; save
CUOBJ=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
$CUOBJ -sass -arch sm_90a $FAT/sagestudio_kernels.fatbin > $O/sass-sm90a.txt 2>&1
python3 sass_summary.py < $O/sass-sm90a.txt | grep -E "flash_fwd" > $O/sass-summary.txt; cat $O/sass-summary.txt
python3 $C/key_loop_order.py $O/sass-sm90a.txt > $O/sass-order.txt 2>&1; cat $O/sass-order.txt; save
if [[ $smoke -eq 0 ]]; then
  t=$SECONDS
  PYTHONUNBUFFERED=1 timeout 120 python3 ab_builds.py --old-dir . --old-fatbin $FAT/sagestudio_kernels.fatbin \
    --new-fatbin $FAT/sagestudio_kernels.fatbin --old-backends flash-fp16 --new-backends flash-fp16-sm90 \
    --variant k3=$W/ab/k3/k.cubin --variant nopp=$W/ab/nopp/k.cubin --variant late=$W/ab/late/k.cubin \
    --dims 128 --seqs 4096,8192,16384 --rounds 2 --out $O/ab.json > $O/ab.log 2>&1
  echo "ab D=128: exit $? after $((SECONDS - t)) s"; save
  t=$SECONDS
  PYTHONUNBUFFERED=1 timeout 60 python3 ab_builds.py --old-dir . --old-fatbin $FAT/sagestudio_kernels.fatbin \
    --new-fatbin $FAT/sagestudio_kernels.fatbin --old-backends flash-fp16 --new-backends flash-fp16-sm90 \
    --variant ppall=$W/ab/ppall/k.cubin --variant late=$W/ab/late/k.cubin \
    --dims 64 --seqs 8192,16384 --rounds 2 --out $O/ab64.json > $O/ab64.log 2>&1
  echo "ab D=64: exit $? after $((SECONDS - t)) s"; save
  t=$SECONDS
  timeout 100 $B/run-gpu.sh tests > $O/gpu-tests.log 2>&1
  echo "tests: exit $? after $((SECONDS - t)) s"
  grep -E '^\[ .*(tests|containers) (found|successful|failed|skipped|aborted)' $O/gpu-tests.log; save
  SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for tool in memcheck synccheck racecheck; do
    t=$SECONDS
    timeout 40 $SAN --tool $tool --error-exitcode 3 python3 sanitize_sm90.py --family flash \
      --fatbin $FAT/sagestudio_kernels.fatbin > $O/san-$tool.log 2>&1
    echo "sanitizer $tool: exit $? after $((SECONDS - t)) s"; grep -E "ERROR SUMMARY|HAZARD|sanitize_sm90:" $O/san-$tool.log | head -3
    save
  done
fi
echo "total $((SECONDS - t0)) s"
grep -E "(Failures|FAILED|MethodSource|AssertionFailed|expected)" $O/gpu-tests.log | head -20
grep -hE "^check|median|rror" $O/ab.log $O/ab64.log | sed 's/  */ /g' | cut -c1-110
