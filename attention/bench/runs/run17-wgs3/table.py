"""Run 17's summary: median TOPS per build and P·V mode at D = 64 (ab_builds' ab.json; "old" = Bp, "new" = W3p), the
ratio to Bp, torch-cudnn of the same process, and check_wgs' verdicts. Run 18 passes its own builds (the first is the
base of the ratios, and ab_builds' "old"; the second its "new"):
    python3 table.py [--builds Bp,W3p,Bb,W3n] ab.json [check.log]"""
import json
import re
import statistics
import sys

args = sys.argv[1:]
order = ["Bp", "W3p", "Bb", "W3n"]
if args[0] == "--builds":
    order, args = args[1].split(","), args[2:]
recs = json.load(open(args[0]))
med = {(r["label"], r["head_dim"], r["seq_len"]): statistics.median(r["tops"]) for r in recs}
name = {"old": order[0], "new": order[1]}
builds = order if len(order) < 4 else ["Bp", "Bb", "W3p", "W3n"]
cells = {}
for (label, d, n), t in med.items():
    if ":" in label:
        b, be = label.split(":", 1)
        cells[(name.get(b, b), "fp8" if "fp8" in be else "fp16", d, n)] = t
    else:
        cells[(label, "", d, n)] = t
print("D  N      mode | " + " | ".join(f"{b:>14s}" for b in builds) + " | torch-cudnn")
for d, n in sorted({(k[2], k[3]) for k in cells}):
    for mode in ("fp16", "fp8"):
        base = cells.get((order[0], mode, d, n))
        row = []
        for b in builds:
            t = cells.get((b, mode, d, n))
            row.append("             -" if t is None else f"{t:6.1f} ({t / base:4.2f}x)" if base else f"{t:14.1f}")
        cud = cells.get(("torch-cudnn", "", d, n))
        print(f"{d:<2d} {n:<6d} {mode:4s} | " + " | ".join(row) + (f" | {cud:6.1f}" if cud else " | -"))
if len(args) > 1:
    for line in open(args[1]):
        if re.match(r"^build ", line):
            print(line.rstrip())
