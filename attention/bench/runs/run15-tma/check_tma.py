"""Run 15, call 1: the copy-engine build against the cp.async build (the commit before it, through its own
sskernels.py) on the same inputs: every sm90 entry's output must be bit-identical (same shared-memory bytes, same
consumers) on key and query tails, GQA, causal, q_len != kv_len, decode and NHD views.

    python3 check_tma.py OLD_BENCH_DIR OLD_FATBIN NEW_FATBIN   (run in attention/bench)"""
import importlib.util
import math
import os
import sys

import torch

import sskernels as NEW

spec = importlib.util.spec_from_file_location("sskernels_old", os.path.join(sys.argv[1], "sskernels.py"))
OLD = importlib.util.module_from_spec(spec)
spec.loader.exec_module(OLD)
old_k, new_k = OLD.Kernels(sys.argv[2]), NEW.Kernels(sys.argv[3])
torch.manual_seed(15)
bad = 0
for backend in (NEW.FLASH_SM90, NEW.SM90, NEW.SM90_FP8):
    for D in (64, 128):
        for causal in (False, True):
            for (B, Hq, Hkv, Nq, Nk, nhd) in ((2, 4, 2, 700, 777, False), (1, 2, 2, 1, 300, False),
                                              (1, 2, 1, 260, 1000, True), (2, 4, 4, 129, 65, True)):
                def make(h, n):
                    if nhd:
                        return torch.randn(B, n, h, D, device="cuda", dtype=torch.float16).transpose(1, 2)
                    return torch.randn(B, h, n, D, device="cuda", dtype=torch.float16)
                q, k, v = make(Hq, Nq), make(Hkv, Nk) + 2.0, make(Hkv, Nk)
                outs = []
                for mod, ks in ((OLD, old_k), (NEW, new_k)):
                    o = torch.full((B, Hq, Nq, D), float("nan"), device="cuda", dtype=torch.float16)
                    mod.Plan(ks, backend, q, k, v, o, causal, 1 / math.sqrt(D), sm90_grid=5).run()
                    outs.append(o)
                torch.cuda.synchronize()
                same = torch.equal(outs[0], outs[1])
                bad += not same
                print(f"check {backend} D={D} causal={int(causal)} B,Hq,Hkv,Nq,Nk={B},{Hq},{Hkv},{Nq},{Nk}"
                      f"{' NHD' if nhd else ''}: copy engine bit-identical to cp.async {same}, finite "
                      f"{bool(torch.isfinite(outs[1]).all())}", flush=True)
print(f"check_tma: {bad} of 48 differ")
sys.exit(1 if bad else 0)
