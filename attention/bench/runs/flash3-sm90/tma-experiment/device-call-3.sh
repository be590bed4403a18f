#!/usr/bin/env bash
# Device call 3 (flash3): A/B of flash_fwd_f16_sm90 (cp.async producer, the build's fatbin of calls 1-2) against the
# same kernel fed by the copy engine (tma/flash_tma_ab.cu, tensor maps from cuTensorMapEncodeTiled via ctypes):
# bit-identity checks first, then timing with torch-cudnn in the same process. Results in $OUT/flash3-3.tgz.
set -uo pipefail
C=$PWD/.carry-flash3
W=/tmp/f3c; O=$W/out; mkdir -p $O
python3 - "$C" "$W" <<'PY'
import lzma, shutil, sys
C, W = sys.argv[1:]
open(f"{W}/sagestudio_kernels.fatbin", "wb").write(lzma.open(f"{C}/k.fatbin.xz").read())
shutil.copy(f"{C}/k.json", f"{W}/sagestudio_kernels.json")
PY
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $O/gpu.txt
cd $C/bench
t=$SECONDS
PYTHONUNBUFFERED=1 timeout 100 python3 $C/tma/tma_ab.py $W/sagestudio_kernels.fatbin $C/tma/tma.cubin $C/tma/layout.json > $O/tma-ab.log 2>&1
echo "tma_ab: exit $? after $((SECONDS - t)) s"
tar -C $W -czf $OUT/flash3-3.tgz out
cat $O/tma-ab.log | grep -v "^$" | tail -30
