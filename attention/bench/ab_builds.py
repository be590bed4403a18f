"""Times our kernels of two builds and PyTorch's SDPA peers in ONE process, on the same card and
inputs: the 'old' build through the sskernels.py of its own commit (its launch ABI), the 'new' one
(and any --variant builds) through this directory's sskernels.py. Kernel alone (preprocessing outside the timing) unless the
backend name ends in '+quant'. Rounds alternate old/new so clock drift hits both.

    python3 ab_builds.py --old-dir DIR_WITH_OLD_sskernels.py --old-fatbin F --new-fatbin F \
        [--old-backends sage-int8-fp16-sm90] [--new-backends sage-int8-fp16-sm90,sage-int8-fp8-sm90] \
        [--variant label=fatbin ... --variant-backends sage-int8-fp8-sm90] \
        [--dims 128 --seqs 4096,8192,16384 --causal 0,1 --rounds 2] --out ab.json
"""
import argparse
import datetime
import importlib.util
import json
import math
import os
import statistics
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sskernels as NEW  # noqa: E402
import torch_peers  # noqa: E402


def load_module(name, directory):
    spec = importlib.util.spec_from_file_location(name, os.path.join(directory, "sskernels.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def time_ours(mod, kernels, backend, B, H, N, D, causal):
    quant = backend.endswith("+quant")
    name = backend[: -len("+quant")] if quant else backend
    sets = torch_peers.rotation(4 * B * H * N * D * 2)
    plans = []
    for _ in range(sets):
        q, k, v = (torch.randn(B, H, N, D, dtype=torch.float16, device="cuda") for _ in range(3))
        plans.append(mod.Plan(kernels, name, q, k, v, torch.empty_like(q), causal, 1 / math.sqrt(D)))
    for p in plans:
        p.preprocess()

    def fn(i):
        p = plans[i % sets]
        if quant:
            p.preprocess()
        p.attention()

    ms = torch_peers.median_ms(fn)
    del plans
    return ms


def check_variants(builds, B, H, N=1000, D=128):
    """Each build's output (the old one's too) against the 'new' build's on one shape: a variant must agree to
    rounding."""
    q, k, v = (torch.randn(B, H, N, D, dtype=torch.float16, device="cuda") for _ in range(3))
    outs = {}
    for build, mod, ks, backends in builds:
        for be in [b for b in backends.split(",") if b and not b.endswith("+quant")]:
            o = torch.empty_like(q)
            mod.Plan(ks, be, q, k, v, o, False, 1 / math.sqrt(D)).run()
            outs[(build, be)] = o.float()
    torch.cuda.synchronize()
    for (build, be), o in outs.items():
        if ("new", be) not in outs:
            continue
        ref = outs[("new", be)]
        rel = ((o - ref).abs().sum() / ref.abs().sum()).item()
        print(f"check {build}:{be} vs new: finite={bool(torch.isfinite(o).all())} rel-L1={rel:.2e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-dir", required=True)
    ap.add_argument("--old-fatbin", required=True)
    ap.add_argument("--old-manifest", default=None)
    ap.add_argument("--new-fatbin", required=True)
    ap.add_argument("--variant", action="append", default=[],
                    help="label=fatbin: another build with this directory's ABI (its manifest next to it), "
                         "timed with --new-backends")
    ap.add_argument("--old-backends", default="sage-int8-fp16-sm90")
    ap.add_argument("--new-backends", default="sage-int8-fp16-sm90,sage-int8-fp8-sm90")
    ap.add_argument("--variant-backends", default=None, help="what the --variant builds time (default: --new-backends)")
    ap.add_argument("--peers", default="torch-flash,torch-efficient,torch-cudnn")
    ap.add_argument("--dims", default="128")
    ap.add_argument("--seqs", default="4096,8192,16384")
    ap.add_argument("--causal", default="0")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    OLD = load_module("sskernels_old", a.old_dir)
    old_k = OLD.Kernels(a.old_fatbin)
    new_k = NEW.Kernels(a.new_fatbin)
    gpu = torch.cuda.get_device_name()
    B, H = a.batch, a.heads
    builds = [("old", OLD, old_k, a.old_backends), ("new", NEW, new_k, a.new_backends)]
    for v in a.variant:
        label, path = v.split("=", 1)
        builds.append((label, NEW, NEW.Kernels(path), a.variant_backends or a.new_backends))
    runs = [(build, mod, ks, b) for build, mod, ks, backends in builds for b in backends.split(",") if b]
    check_variants(builds, B, H)
    recs = []
    for D in [int(x) for x in a.dims.split(",")]:
        for causal in [bool(int(x)) for x in a.causal.split(",")]:
            for N in [int(x) for x in a.seqs.split(",")]:
                res = {}
                for rnd in range(a.rounds):
                    for build, mod, ks, be in runs:
                        ms = time_ours(mod, ks, be, B, H, N, D, causal)
                        res.setdefault(f"{build}:{be}", []).append(torch_peers.tops(B, H, N, D, causal, ms))
                    if rnd == 0:
                        for peer in [p for p in a.peers.split(",") if p]:
                            try:
                                ms = torch_peers.time_peer(peer, B, H, N, D, causal)
                                res.setdefault(peer, []).append(torch_peers.tops(B, H, N, D, causal, ms))
                            except RuntimeError as e:
                                print(f"{peer} D={D} N={N} causal={causal}: not run ({str(e).splitlines()[0][:80]})")
                for label, ts in res.items():
                    print(f"D={D:3d} N={N:6d} causal={int(causal)} {label:34s} "
                          + " ".join(f"{t:7.1f}" for t in ts) + f"  median {statistics.median(ts):7.1f} TOPS")
                    recs.append({"gpu": gpu, "date": datetime.date.today().isoformat(), "label": label, "batch": B,
                                 "heads": H, "head_dim": D, "seq_len": N, "causal": causal,
                                 "tops": [round(t, 1) for t in ts]})
    json.dump(recs, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
