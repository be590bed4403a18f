#!/usr/bin/env bash
# compute-sanitizer (memcheck, racecheck, synccheck) on the Hopper kernels of the fatbin inside the unpacked ORT GPU
# bundle's attention jar (the kernels main ships), through attention/bench/sanitize_{,flash_}sm90.py. Run in the
# repository root on the GPU machine after the bundle was unpacked in /root/cache/ort; logs to $OUT/sanitize.
set -uo pipefail
S=${OUT:-/tmp}/sanitize; mkdir -p "$S"
JAR=$(ls /root/cache/ort/bundle/sagestudio-ort-gpu/lib/attention-*.jar) || exit 2
python3 - "$JAR" "$S" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if n.endswith(("sagestudio_kernels.fatbin", "sagestudio_kernels.json")):
        open(sys.argv[2] + "/" + n.rsplit("/", 1)[1], "wb").write(z.read(n))
PY
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
cd attention/bench
for script in sanitize_sm90.py sanitize_flash_sm90.py; do
  for tool in memcheck racecheck synccheck; do
    t=$SECONDS
    timeout 60 "$SAN" --tool $tool --error-exitcode 3 python3 $script --fatbin "$S/sagestudio_kernels.fatbin" \
      > "$S/${script%.py}-$tool.log" 2>&1
    echo "$script $tool: exit $? after $((SECONDS - t)) s; $(grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY' "$S/${script%.py}-$tool.log" | head -1)"
  done
done
