#!/usr/bin/env bash
# Run 15, device call 2 (issue #16, branch kern4): the final build in the full harness, ONE call.
#  1. the bundle (make-gpu-bundle.sh re-packed by pack-bundle.sh) with the final sm_90a cubin as its kernel resource
#     (same sources, nvcc and flags as the fatbin's sm_90a part);
#  2. run-gpu-benchmarks.sh: gpu-tagged JUnit suite, Java harness (GpuBenchmark), torch SDPA peers, merged table;
#  3. compute-sanitizer memcheck / racecheck / synccheck on sanitize_sm90.py and sanitize_flash_sm90.py.
# Everything lands in $OUT/run15-2.tgz, refreshed after each step; a short table last.
set -uo pipefail
C=$PWD/.carry-kern4
W=/tmp/r15b; O=$W/out; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/run15-2.tgz out; }
python3 - "$C" "$W" <<'PY'
import glob, io, lzma, os, shutil, sys, tarfile, zipfile
C, W = sys.argv[1:]
tarfile.open(f"{C}/bundle.txz").extractall(W)
tarfile.open(fileobj=io.BytesIO(lzma.open(f"{C}/final.txz").read())).extractall(f"{W}/k")
shutil.move(f"{W}/k/k.cubin", f"{W}/k/sagestudio_kernels.fatbin")
jar = [j for j in glob.glob(f"{W}/sagestudio-gpu/lib/attention-*.jar") if "sources" not in j and "tests" not in j][0]
# The jar's kernel resources become the final build's: its sm_90a cubin as the fatbin, its manifest.
res = "dev/sagestudio/attention/gpu/sagestudio_kernels."
with zipfile.ZipFile(jar) as src, zipfile.ZipFile(jar + ".new", "w", zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        if info.filename not in (res + "fatbin", res + "json"):
            dst.writestr(info, src.read(info.filename))
    dst.write(f"{W}/k/sagestudio_kernels.fatbin", res + "fatbin")
    dst.write(f"{C}/final.json", res + "json")
os.replace(jar + ".new", jar)
print("kernels ->", jar)
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
echo "setup $((SECONDS - t0)) s"
t=$SECONDS
timeout 250 bash $C/run-gpu-benchmarks.sh $W/sagestudio-gpu $C/bench $O/full full 75 > $O/full.log 2>&1
echo "full: exit $? after $((SECONDS - t)) s"
grep -E "tests (successful|failed)|=== .*exit" $O/full.log; save
grep -E "finite check on|MethodSource|✘" $O/full/gpu-tests.log | head -8
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck synccheck; do
  for s in sanitize_sm90 sanitize_flash_sm90; do
    t=$SECONDS
    (cd $C/bench && timeout 40 $SAN --tool $tool --error-exitcode 3 python3 $s.py --fatbin $W/k/sagestudio_kernels.fatbin \
      --manifest $C/final.json) > $O/san-$tool-$s.log 2>&1
    echo "sanitizer $tool $s: exit $? after $((SECONDS - t)) s"
    grep -E "ERROR SUMMARY|RACECHECK SUMMARY|^sanitize" $O/san-$tool-$s.log | head -3
  done
  save
done
echo "total $((SECONDS - t0)) s"
grep -E "^\| *(4096|8192|16384|32768) " $O/full/results/*.md | head -40
