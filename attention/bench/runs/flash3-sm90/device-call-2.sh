#!/usr/bin/env bash
# Device call 2 (flash3, issue #16 item 3): the same bundle as call 1 (flash_fwd_*_sm90 unchanged since its
# JUnit suite, sanitizer and A/B). Here: the Java harness (GpuBenchmark, flash-fp16 only, through the backend's
# dispatch) and the torch SDPA peers in the same call, merged; then two timing-only diagnostics of the sm90
# kernel (wrong results by design): noload = K/V copied only while the rings first fill, noexp = no MUFU.EX2;
# and DeviceFiniteCheckGpuTest alone (it failed in call 1 on a timing ratio). Results in $OUT/flash3-2.tgz.
set -uo pipefail
C=$PWD/.carry-flash3
W=/tmp/f3b; O=$W/out; mkdir -p $O
t0=$SECONDS
save() { tar -C $W -czf $OUT/flash3-2.tgz out; }
python3 - "$C" "$W" <<'PY'
import lzma, os, shutil, sys, tarfile
C, W = sys.argv[1:]
tarfile.open(f"{C}/bundle.txz").extractall(W)
for v in ("noload", "noexp"):
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
CP=$(printf '%s:' $B/lib/*.jar); CP=${CP%:}
echo "setup $((SECONDS - t0)) s"
t=$SECONDS
timeout 60 $B/jre/bin/java -Xmx8g -cp "$C/jb:$CP" FlashBench $O/java-bench.json > $O/java-bench.log 2>&1
echo "java harness: exit $? after $((SECONDS - t)) s"; grep -E "TOPS|skipped" $O/java-bench.log | head -20; save
cd $C/bench
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 60 python3 - $O/peers.json <<'PY' > $O/peers.log 2>&1
import json, sys
import torch_peers
recs = torch_peers.run(4, 32, [128, 64], [1024, 2048, 4096, 8192, 16384], [False])
json.dump(recs, open(sys.argv[1], "w"), indent=1)
PY
echo "peers: exit $? after $((SECONDS - t)) s"; save
python3 merge_results.py --out-dir $O/results $O/java-bench.json $O/peers.json > $O/merge.log 2>&1
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 60 python3 ab_builds.py --old-dir . --old-fatbin $FAT/sagestudio_kernels.fatbin \
  --new-fatbin $FAT/sagestudio_kernels.fatbin --old-backends "" --new-backends flash-fp16-sm90 \
  --variant noload=$W/ab/noload/k.cubin --variant noexp=$W/ab/noexp/k.cubin --peers torch-cudnn \
  --dims 128,64 --seqs 4096,16384 --rounds 2 --out $O/diag.json > $O/diag.log 2>&1
echo "diagnostics: exit $? after $((SECONDS - t)) s"; save
t=$SECONDS
timeout 40 $B/jre/bin/java -Xmx8g -Dsagestudio.gpu.required=true -jar $B/tests/junit-platform-console-standalone-*.jar \
  execute --class-path "$B/tests/classes:$CP" --select-class dev.sagestudio.attention.gpu.DeviceFiniteCheckGpuTest \
  --details=summary --disable-banner > $O/finite-check-test.log 2>&1
echo "DeviceFiniteCheckGpuTest: exit $? after $((SECONDS - t)) s"; grep -E "finite check on|tests (successful|failed)" $O/finite-check-test.log
save
echo "total $((SECONDS - t0)) s"
grep -E "median" $O/diag.log | sed 's/  */ /g' | cut -c1-100
python3 - $O/java-bench.json $O/peers.json <<'PY'
import json, sys
recs = json.load(open(sys.argv[1])) + json.load(open(sys.argv[2]))
t = {}
for r in recs:
    if not r.get("includes_quant", r.get("includesQuant", False)):
        t[(r.get("backend"), r.get("head_dim", r.get("headDim")), r.get("seq_len", r.get("seqLen")))] = r["tops"]
print("| D | N | flash-fp16 (sm90, Java harness) | torch-cudnn | torch-flash | torch-efficient | flash / cudnn |")
for D in (128, 64):
    for N in (1024, 2048, 4096, 8192, 16384, 32768):
        f, c = t.get(("flash-fp16", D, N)), t.get(("torch-cudnn", D, N))
        if f is None and c is None:
            continue
        ratio = f"{f / c:.2f}x" if f and c else "-"
        print(f"| {D} | {N} | {f} | {c} | {t.get(('torch-flash', D, N))} | {t.get(('torch-efficient', D, N))} | {ratio} |")
PY
