"""Run 16: the build to validate and ship, from ab_builds' timings and check_sched's verdicts. Per head dim, each
schedule option's ratio to the current schedule (build Bb): geometric mean over N of the median TOPS, FP8 and FP16
separately, over the builds that carry that option's code for this head dim. An option is taken only if its builds
passed check_sched at that head dim, FP8 gains more than 3 % and FP16 loses no more than 2 % (run 15 measured ~4 % between identical
kernels; two rounds' medians of two sequence lengths narrow that). Prints the build name (D = 128 letter + D = 64
letter), the reasoning on stderr.

    python3 pick_winner.py ab.json check.log"""
import json
import math
import re
import statistics
import sys

recs = json.load(open(sys.argv[1]))
passed = {(b, int(d)) for b, d in re.findall(r"^build (\w+) D=(\d+): pass$", open(sys.argv[2]).read(), re.M)}
med = {}
for r in recs:
    med[(r["label"], r["head_dim"], r["seq_len"])] = statistics.median(r["tops"])
label = {"Bb": "old", "Qq": "new"}
FP8, FP16 = "sage-int8-fp8-sm90", "sage-int8-fp16-sm90"


def ratio(build, backend, D):
    rs = []
    for (lab, d, n), t in med.items():
        if lab == f"{label.get(build, build)}:{backend}" and d == D:
            base = med.get((f"old:{backend}", d, n))
            if base:
                rs.append(t / base)
    return math.exp(sum(map(math.log, rs)) / len(rs)) if rs else 0.0


# Which timed builds carry each option's code for a head dim.
OPTIONS = {128: {"Q": ["Qq", "Qp", "Qs"], "N": ["Nq"]}, 64: {"q": ["Qq", "Nq"], "p": ["Qp"], "s": ["Qs"]}}
choice = {128: "B", 64: "b"}
for D, opts in OPTIONS.items():
    best = 1.0
    for opt, builds in opts.items():
        fp8 = statistics.median([ratio(b, FP8, D) for b in builds])
        fp16 = statistics.median([ratio(b, FP16, D) for b in builds])
        ok = all((b, D) in passed for b in builds)
        take = ok and fp8 > 1.03 and fp16 > 0.98
        print(f"D={D} option {opt} ({','.join(builds)}): fp8 x{fp8:.3f} fp16 x{fp16:.3f} check {'pass' if ok else 'FAIL'}"
              f" -> {'candidate' if take else 'no'}", file=sys.stderr)
        if take and fp8 > best:
            best, choice[D] = fp8, opt
print(choice[128] + choice[64])
