#!/usr/bin/env bash
# Run 18 (one call, about 60-85 s; each step has its own timeout: 28 + 34 + 10 + 10 s): the FP8 D = 64 Hopper Sage
# kernel without spills (SS_SM90_FP8_D64_NOSPILL). Bit identity of NS against W3n (check_wgs.py: 28 cases, FP16 and
# FP8, 3 grids), A/B timing in one process with torch-cudnn as peer (ab_builds.py, D = 64, N = 8k / 16k, 2 rounds),
# compute-sanitizer memcheck and synccheck on NS, then the table. Carry: make-carry.sh's folder; outputs:
# $OUT/run18.tgz (and the logs).
set -uo pipefail
C=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # the carry folder
W=$(mktemp -d); O=$W/out; K=$W/k; mkdir -p "$O"
t0=$SECONDS
save() { tar -C "$W" -czf "$OUT/run18.tgz" out; cp "$O"/*.log "$O"/*.txt "$O"/*.json "$OUT/" 2>/dev/null; }
python3 -c "import io,lzma,tarfile; tarfile.open(fileobj=io.BytesIO(lzma.open('$C/k.txz').read())).extractall('$K')"
cp "$C"/ptxas-*.log "$O/"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$O/gpu.txt"
cd "$C/bench"
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 28 python3 check_wgs.py "$K" W3n NS > "$O/check.log" 2>&1
echo "check_wgs: exit $? after $((SECONDS - t)) s; $(grep -c ' BAD' "$O/check.log") BAD cases"; grep "^build" "$O/check.log"; save
t=$SECONDS
BE=sage-int8-fp16-sm90,sage-int8-fp8-sm90
PYTHONUNBUFFERED=1 timeout 34 python3 ab_builds.py --old-dir . --old-fatbin "$K/W3n/k.cubin" --new-fatbin "$K/NS/k.cubin" \
  --old-backends $BE --new-backends $BE --peers torch-cudnn --dims 64 --seqs 8192,16384 --rounds 2 \
  --out "$O/ab.json" > "$O/ab.log" 2>&1
echo "ab_builds: exit $? after $((SECONDS - t)) s"; save
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [[ -x $SAN ]]; then
  for tool in memcheck synccheck; do
    t=$SECONDS
    timeout 10 "$SAN" --tool $tool --error-exitcode 3 python3 sanitize_sm90.py --fatbin "$K/NS/k.cubin" > "$O/san-$tool.log" 2>&1
    echo "sanitizer $tool (NS): exit $? after $((SECONDS - t)) s; $(grep -hE 'ERROR SUMMARY' "$O/san-$tool.log" | head -1)"
  done
else
  echo "no compute-sanitizer on this machine"
fi
save
echo "total $((SECONDS - t0)) s"
grep -E "^check " "$O/ab.log" | sed 's/  */ /g'
python3 table.py --builds W3n,NS "$O/ab.json" "$O/check.log" | tee "$O/table.txt"
save
