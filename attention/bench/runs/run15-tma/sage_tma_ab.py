"""A/B experiment (run 15, call 1): sage_int8_{fp16,fp8}_sm90 (16-byte cp.async producer, the build's kernels)
against the same kernels fed by the copy engine (sage_tma_ab.cu, tensor maps from cuTensorMapEncodeTiled through
ctypes), in one process with torch-cudnn. First the TMA kernels' outputs must be bit-identical to the build's on
tails, GQA, causal and decode shapes (the same preprocessed inputs, the same shared-memory bytes).

    python3 sage_tma_ab.py FATBIN TMA_CUBIN LAYOUT_JSON   (run in attention/bench)"""
import ctypes
import json
import math
import statistics
import sys

import torch

import ssdriver
import sskernels as S
import torch_peers

fatbin, cubin, layout_path = sys.argv[1:4]
ks = S.Kernels(fatbin)
lay = json.load(open(layout_path))
cu = ssdriver.cuda
mod = ctypes.c_void_p()
image = ctypes.create_string_buffer(open(cubin, "rb").read())
ssdriver.check(cu.cuModuleLoadData(ctypes.byref(mod), image), "cuModuleLoadData(sage tma)")
FNS = {}
SWIZZLE = {64: ssdriver.SWIZZLE_64B, 128: ssdriver.SWIZZLE_128B}


def function(kind, D):
    if (kind, D) not in FNS:
        f = ctypes.c_void_p()
        ssdriver.check(cu.cuModuleGetFunction(ctypes.byref(f), mod, f"sage_int8_{kind}_sm90tma_d{D}".encode()), "get")
        smem = lay["smem"][f"{kind}_{D}"]
        ssdriver.check(cu.cuFuncSetAttribute(f, 8, smem), "smem attribute")
        FNS[(kind, D)] = (f, smem)
    return FNS[(kind, D)]


class TmaLaunch:
    """The TMA kernel on a prepared Plan's inputs (same q8/k8/V as the build's kernel reads)."""

    def __init__(self, plan):
        p = plan
        B, Hq, Hkv, Nq, Nk, D = p.B, p.Hq, p.Hkv, p.Nq, p.Nk, p.D
        fp8 = p.backend == S.SM90_FP8
        self.kind = "fp8" if fp8 else "fp16"
        if fp8:
            v, vs, vstr = p.vt8, p.vs, {"v_sb": 0, "v_sh": 0, "v_sn": 0}
        else:
            v = p.v if p.dt == "f16" else p.v16
            vs, vstr = None, S.strides("v", v)
        values = {"o": S.P(p.o), "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": Nq, "Nk": Nk, **S.strides("o", p.o),
                  "causal": int(p.causal), "out_dtype": S.OUT[p.o.dtype], "q8": S.P(p.q8), "qs": S.P(p.qs),
                  "k8": S.P(p.k8), "ks": S.P(p.kscale), "v": S.P(v), "vs": S.P(vs), **vstr}
        buf = bytearray(lay["size"])
        sp = ssdriver.pack(ks.structs["SageParams"], values)
        buf[lay["s"]:lay["s"] + len(sp)] = sp
        sw = SWIZZLE[D]
        tmap = ssdriver.tensor_map
        maps = {"tq": tmap("q8", 1, p.q8.data_ptr(), (D, p.NqP, B * Hq), (D, p.NqP * D), (D, 128), sw),
                "tk": tmap("k8", 1, p.k8.data_ptr(), (D, p.NkP, B * Hkv), (D, p.NkP * D), (D, 128), sw)}
        if fp8:
            maps["tv"] = tmap("vt8", 1, p.vt8.data_ptr(), (p.NkP, D, B * Hkv), (p.NkP, D * p.NkP), (128, D),
                              ssdriver.SWIZZLE_128B)
        else:
            maps["tv"] = S.panels16("v", v)
        for name, m in maps.items():
            buf[lay[name]:lay[name] + 128] = m
        self.blob = ctypes.create_string_buffer(bytes(buf), len(buf))
        self.ptrs = (ctypes.c_void_p * 1)(ctypes.cast(self.blob, ctypes.c_void_p))
        self.f, self.smem = function(self.kind, D)
        self.grid = min(S.cdiv(Nq, 128) * Hq * B, S.SMS)

    def run(self):
        ssdriver.check(cu.cuLaunchKernel(self.f, self.grid, 1, 1, 384, 1, 1, self.smem,
                                         ctypes.c_void_p(torch.cuda.current_stream().cuda_stream), self.ptrs, None),
                       "cuLaunchKernel(tma)")


bad = 0
torch.manual_seed(7)
for backend in (S.SM90, S.SM90_FP8):
    for D in (64, 128):
        for causal in (False, True):
            for (B, Hq, Hkv, Nq, Nk) in ((2, 4, 2, 700, 777), (1, 2, 2, 1, 300), (1, 2, 1, 260, 1000)):
                q = torch.randn(B, Hq, Nq, D, device="cuda", dtype=torch.float16)
                k = torch.randn(B, Hkv, Nk, D, device="cuda", dtype=torch.float16) + 3.0  # biased K
                v = torch.randn(B, Hkv, Nk, D, device="cuda", dtype=torch.float16)
                o1 = torch.full_like(q, float("nan"))
                plan = S.Plan(ks, backend, q, k, v, o1, causal, 1 / math.sqrt(D))
                plan.run()
                o2 = torch.full_like(q, float("nan"))
                plan.o = o2
                TmaLaunch(plan).run()
                torch.cuda.synchronize()
                same = torch.equal(o1, o2)
                bad += not same
                print(f"check {backend} D={D} causal={int(causal)} {B},{Hq},{Hkv},{Nq},{Nk}: tma bit-identical to "
                      f"cp.async {same} finite {bool(torch.isfinite(o2).all())}", flush=True)
if bad:
    print(f"sage_tma_ab: {bad} checks failed; no timing")
    sys.exit(1)

B, H = 4, 32
for D, seqs in ((128, (4096, 16384)), (64, (16384,))):
    for N in seqs:
        sets = torch_peers.rotation(4 * B * H * N * D * 2)
        res = {}
        for backend in (S.SM90_FP8, S.SM90):
            data = [[torch.randn(B, H, N, D, dtype=torch.float16, device="cuda") for _ in range(4)] for _ in range(sets)]
            plans = [S.Plan(ks, backend, q, k, v, o, False, 1 / math.sqrt(D)) for q, k, v, o in data]
            for p in plans:
                p.preprocess()
            tmas = [TmaLaunch(p) for p in plans]
            for rnd in range(2):
                ms = torch_peers.median_ms(lambda i: plans[i % sets].attention())
                res.setdefault(f"{backend} cp.async", []).append(torch_peers.tops(B, H, N, D, False, ms))
                ms = torch_peers.median_ms(lambda i: tmas[i % sets].run())
                res.setdefault(f"{backend} tma", []).append(torch_peers.tops(B, H, N, D, False, ms))
            del data, plans, tmas
        res["torch-cudnn"] = [torch_peers.tops(B, H, N, D, False, torch_peers.time_peer("torch-cudnn", B, H, N, D, False))]
        for label, ts in res.items():
            print(f"D={D:3d} N={N:6d} {label:30s} " + " ".join(f"{t:7.1f}" for t in ts)
                  + f"  median {statistics.median(ts):7.1f} TOPS", flush=True)
