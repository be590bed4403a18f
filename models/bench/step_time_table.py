#!/usr/bin/env python3
"""Markdown table of `sagestudio step-time --json` results (one or more files), with the issue-15 ratios:
each backend's step time against flash-fp16 and against ONNX Runtime alone where both ran in the same file.

Usage: python3 models/bench/step_time_table.py step-81f.json [step-33f.json ...] > table.md
"""
import json
import os
import sys


def fmt(value, pattern):
    return "—" if value is None else pattern % value


def table(path):
    with open(path) as f:
        doc = json.load(f)
    rows = doc["rows"]
    ran = {r["backend"]: r for r in rows if r.get("error") is None}
    flash = ran.get("flash-fp16", {}).get("stepMs")
    alone = ran.get("onnxruntime", {}).get("stepMs")
    device = f" on {doc['device']}" if doc.get("device") else ""
    out = [f"**{os.path.basename(doc['model'])}**{device} — inputs "
           + ", ".join(f"{k} {v}" for k, v in doc["inputs"].items())
           + f"; median of {doc['runs']} after {doc['warmup']} warm-up",
           "",
           "| backend | step ms | ONNX Runtime ms | attention ms | attention share | peak device GiB"
           " | cosine vs first | vs flash-fp16 | vs ONNX Runtime alone |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if r.get("error") is not None:
            out.append(f"| {r['backend']} | failed: {r['error'][:200]} | | | | | | | |")
            continue
        step = r["stepMs"]
        peak = r.get("peakDeviceBytes")
        out.append("| " + " | ".join([
            r["backend"], f"{step:.1f}", fmt(r.get("ortMs"), "%.1f"), fmt(r.get("attentionMs"), "%.1f"),
            fmt(None if r.get("attentionShare") is None else 100 * r["attentionShare"], "%.0f%%"),
            fmt(None if peak is None else peak / 2**30, "%.1f"), fmt(r.get("cosineVsFirst"), "%.6f"),
            fmt(None if flash is None else flash / step, "%.2f×"),
            fmt(None if alone is None else alone / step, "%.2f×")]) + " |")
    return "\n".join(out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("\n\n".join(table(p) for p in sys.argv[1:]))


if __name__ == "__main__":
    main()
