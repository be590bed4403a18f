"""Merges benchmark JSON records (from sage_bench.py, torch_peers.py and the Java harness) into
attention/bench/results/<gpu>.json and <gpu>.md: one table per (head_dim, causal), TOPS per
backend and the ratio to torch-flash measured in the same run. Later files win on duplicates.

    python3 merge_results.py --out-dir results a.json b.json ...
"""
import argparse
import json
import os
import re

ORDER = ["flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8", "torch-flash", "torch-efficient",
         "torch-cudnn"]


def load(path):
    data = json.load(open(path))
    return data["records"] if isinstance(data, dict) else data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--notes", default=None, help="markdown file appended to every <gpu>.md")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    recs = {}
    for f in a.files:
        for r in load(f):
            key = (r["gpu"], r["backend"], r["batch"], r["heads"], r["head_dim"], r["seq_len"], r["causal"],
                   r["includes_quant"])
            recs[key] = r
    by_gpu = {}
    for r in recs.values():
        by_gpu.setdefault(r["gpu"], []).append(r)
    os.makedirs(a.out_dir, exist_ok=True)
    for gpu, rs in by_gpu.items():
        slug = re.sub(r"[^A-Za-z0-9]+", "-", gpu).strip("-")
        rs.sort(key=lambda r: (r["head_dim"], r["causal"], r["seq_len"], r["backend"], r["includes_quant"]))
        json.dump(rs, open(os.path.join(a.out_dir, slug + ".json"), "w"), indent=1)
        dates = sorted({r["date"] for r in rs})
        lines = [f"# Attention benchmark on {gpu}", "",
                 f"Dates: {', '.join(dates)}. B={rs[0]['batch']}, H={rs[0]['heads']}, fp16 inputs, HND. "
                 "TOPS = 4·B·H·N²·D / t (halved when causal). Ours: kernel alone, and (+q) with "
                 "quantization/smoothing. Ratio = ours / torch-flash, same run, same card.", ""]
        t = {(r["backend"], r["head_dim"], r["seq_len"], r["causal"], r["includes_quant"]): r["tops"] for r in rs}
        backends = [b for b in ORDER if any(k[0] == b for k in t)] + sorted({k[0] for k in t} - set(ORDER))
        for D in sorted({r["head_dim"] for r in rs}):
            for c in (False, True):
                seqs = sorted({r["seq_len"] for r in rs if r["head_dim"] == D and r["causal"] == c})
                if not seqs:
                    continue
                cols = []
                for b in backends:
                    cols.append((b, False))
                    if any(k[0] == b and k[4] for k in t):
                        cols.append((b, True))
                lines.append(f"## D={D}, {'causal' if c else 'non-causal'}")
                lines.append("")
                hdr = ["N"] + [b + (" (+q)" if q else "") for b, q in cols]
                ours = [b for b in backends if not b.startswith("torch-")]
                hdr += [f"{b} / torch-flash" for b in ours]
                lines.append("| " + " | ".join(hdr) + " |")
                lines.append("|" + "---|" * len(hdr))
                for N in seqs:
                    row = [str(N)]
                    for b, q in cols:
                        v = t.get((b, D, N, c, q))
                        row.append(f"{v:.1f}" if v is not None else "–")
                    tf = t.get(("torch-flash", D, N, c, False))
                    for b in ours:
                        v = t.get((b, D, N, c, False))
                        row.append(f"{v / tf:.2f}×" if (v and tf) else "–")
                    lines.append("| " + " | ".join(row) + " |")
                lines.append("")
        if a.notes:
            lines += ["## Notes", "", open(a.notes).read().strip(), ""]
        open(os.path.join(a.out_dir, slug + ".md"), "w").write("\n".join(lines))
        print(f"wrote {slug}.json/.md ({len(rs)} records)")


if __name__ == "__main__":
    main()
