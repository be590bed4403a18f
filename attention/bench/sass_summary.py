"""Counts selected SASS opcodes per kernel in `cuobjdump -sass` output (stdin): tensor-core ops
(HMMA/IMMA/QMMA, wgmma: HGMMA/IGMMA/QGMMA), fp8 conversions (F2FP), local-memory spills (LDL/STL), ldmatrix (LDSM)."""
import collections
import re
import sys

KEYS = ["HMMA", "IMMA", "QMMA", "HGMMA", "IGMMA", "QGMMA", "F2FP", "F2F", "I2F", "LDSM", "LDGSTS", "MUFU.EX2", "LDL", "STL"]
arch, fn = None, None
counts = collections.OrderedDict()
for line in sys.stdin:
    m = re.search(r"arch = (sm_\w+)", line)
    if m:
        arch = m.group(1)
    m = re.search(r"Function : (\w+)", line)
    if m:
        fn = (arch, m.group(1))
        counts[fn] = collections.Counter()
        continue
    m = re.search(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]+)", line)
    if m and fn:
        op = m.group(1)
        for k in KEYS:
            if op == k or op.startswith(k + "."):
                counts[fn][k] += 1
print(f"{'arch':7s} {"function":30s} " + " ".join(f"{k:>8s}" for k in KEYS))
for (a, f), c in counts.items():
    if f.startswith("pre_"):
        continue
    print(f"{str(a):7s} {f:30s} " + " ".join(f"{c[k]:8d}" for k in KEYS))
