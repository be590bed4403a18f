"""For each flash_fwd_*_sm90 entry in `cuobjdump -sass` output: the order of the warpgroup MMA waits
and the softmax's MUFU.EX2 in the key loop, as a run-length string (G = HGMMA, W0 / W1 = WARPGROUP.DEPBAR
waiting for 0 / 1 pending groups, E = MUFU.EX2, B = BAR.SYNC / BAR.ARV, S = SYNCS (mbarrier)). The overlap
of softmax(j) with P·V(j-1) exists only if EX2s sit between a W1 and the next W0."""
import re
import sys

fn, seqs = None, {}
for line in open(sys.argv[1]):
    m = re.search(r"Function : (\w+)", line)
    if m:
        fn = m.group(1) if "flash_fwd" in m.group(1) else None
        if fn:
            seqs[fn] = []
        continue
    if not fn:
        continue
    if "HGMMA" in line:
        tok = "G"
    elif "WARPGROUP.DEPBAR" in line:
        tok = "W1" if re.search(r"0x1\b", line) else "W0"
    elif "MUFU.EX2" in line:
        tok = "E"
    elif re.search(r"\bBAR\.(SYNC|ARV)", line):
        tok = "B"
    else:
        continue
    seqs[fn].append(tok)
for fn, toks in seqs.items():
    out, prev, n = [], None, 0
    for t in toks + [None]:
        if t == prev:
            n += 1
            continue
        if prev:
            out.append(f"{prev}{'x' + str(n) if n > 1 else ''}")
        prev, n = t, 1
    print(f"{fn}: {' '.join(out)}")
