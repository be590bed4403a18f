"""A/B experiment (flash3 call 3): flash_fwd_f16_sm90 (16-byte cp.async producer, the build's kernel) against the
same kernel with a copy-engine producer (cp.async.bulk.tensor, tensor maps from cuTensorMapEncodeTiled through ctypes;
flash_tma_ab.cu), in one process with torch-cudnn. First: the TMA kernel's output must be bit-identical to the
build's kernel (same shared-memory bytes, same consumers) on tails, GQA and causal shapes.

    python3 tma_ab.py FATBIN TMA_CUBIN LAYOUT_JSON   (run in attention/bench)"""
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
cu.cuTensorMapEncodeTiled.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
mod = ctypes.c_void_p()
image = ctypes.create_string_buffer(open(cubin, "rb").read())
ssdriver.check(cu.cuModuleLoadData(ctypes.byref(mod), image), "cuModuleLoadData(tma)")
FNS = {}


def function(D):
    if D not in FNS:
        f = ctypes.c_void_p()
        ssdriver.check(cu.cuModuleGetFunction(ctypes.byref(f), mod, f"flash_fwd_f16_sm90tma_d{D}".encode()), "get")
        smem = lay[f"smem{D}"]
        ssdriver.check(cu.cuFuncSetAttribute(f, 8, smem), "smem attribute")
        FNS[D] = (f, smem)
    return FNS[D]


def tensor_map(t):
    """128-byte CUtensorMap of an HND fp16 tensor [B, H, N, D]: dims (D, N, H, B), boxes of 64 × 128 rows."""
    B, H, N, D = t.shape
    assert t.is_contiguous() and t.dtype == torch.float16
    raw = ctypes.create_string_buffer(128 + 128)
    addr = (ctypes.addressof(raw) + 127) // 128 * 128
    dims = (ctypes.c_uint64 * 4)(D, N, H, B)
    strides = (ctypes.c_uint64 * 3)(D * 2, N * D * 2, H * N * D * 2)
    box = (ctypes.c_uint32 * 4)(64, 128, 1, 1)
    ones = (ctypes.c_uint32 * 4)(1, 1, 1, 1)
    # FLOAT16 = 6, INTERLEAVE_NONE = 0, SWIZZLE_128B = 3, L2_PROMOTION_L2_256B = 3, OOB_FILL_NONE (zeros) = 0
    ssdriver.check(cu.cuTensorMapEncodeTiled(ctypes.c_void_p(addr), 6, 4, ctypes.c_void_p(t.data_ptr()), dims, strides,
                                             box, ones, 0, 3, 3, 0), "cuTensorMapEncodeTiled")
    return ctypes.string_at(addr, 128)


class TmaLaunch:
    def __init__(self, q, k, v, o, causal, scale):
        B, Hq, Nq, D = q.shape
        Hkv, Nk = k.shape[1], k.shape[2]
        values = {"q": q.data_ptr(), "k": k.data_ptr(), "v": v.data_ptr(), "o": o.data_ptr(), "B": B, "Hq": Hq,
                  "Hkv": Hkv, "Nq": Nq, "Nk": Nk, **S.strides("q", q), **S.strides("k", k), **S.strides("v", v),
                  **S.strides("o", o), "softmax_scale": scale, "causal": int(causal), "out_dtype": 1}
        buf = bytearray(lay["size"])
        fp = ssdriver.pack(ks.structs["FlashParams"], values)
        buf[lay["f"]:lay["f"] + len(fp)] = fp
        for name, t in (("tq", q), ("tk", k), ("tv", v)):
            buf[lay[name]:lay[name] + 128] = tensor_map(t)
        self.blob = ctypes.create_string_buffer(bytes(buf), len(buf))
        self.ptrs = (ctypes.c_void_p * 1)(ctypes.cast(self.blob, ctypes.c_void_p))
        self.f, self.smem = function(D)
        self.grid = min(S.cdiv(Nq, 128) * Hq * B, S.SMS)

    def run(self):
        ssdriver.check(cu.cuLaunchKernel(self.f, self.grid, 1, 1, 384, 1, 1, self.smem,
                                         ctypes.c_void_p(torch.cuda.current_stream().cuda_stream), self.ptrs, None),
                       "cuLaunchKernel(tma)")


bad = 0
torch.manual_seed(5)
for D in (64, 128):
    for causal in (False, True):
        for (B, Hq, Hkv, Nq, Nk) in ((2, 4, 2, 700, 777), (1, 2, 2, 1, 300)):
            q = torch.randn(B, Hq, Nq, D, device="cuda", dtype=torch.float16)
            k = torch.randn(B, Hkv, Nk, D, device="cuda", dtype=torch.float16)
            v = torch.randn(B, Hkv, Nk, D, device="cuda", dtype=torch.float16)
            o1 = torch.full_like(q, float("nan"))
            o2 = torch.full_like(q, float("nan"))
            S.Plan(ks, "flash-fp16-sm90", q, k, v, o1, causal, 1 / math.sqrt(D)).run()
            TmaLaunch(q, k, v, o2, causal, 1 / math.sqrt(D)).run()
            torch.cuda.synchronize()
            same = torch.equal(o1, o2)
            bad += not same
            print(f"check D={D} causal={int(causal)} {B},{Hq},{Hkv},{Nq},{Nk}: tma bit-identical to cp.async {same}"
                  f" finite {bool(torch.isfinite(o2).all())}", flush=True)
if bad:
    print(f"tma_ab: {bad} checks failed; no timing")
    sys.exit(1)

B, H = 4, 32
for D, seqs in ((128, (4096, 16384)), (64, (16384,))):
    for N in seqs:
        sets = torch_peers.rotation(4 * B * H * N * D * 2)
        data = [[torch.randn(B, H, N, D, dtype=torch.float16, device="cuda") for _ in range(4)] for _ in range(sets)]
        plans = [S.Plan(ks, "flash-fp16-sm90", q, k, v, o, False, 1 / math.sqrt(D)) for q, k, v, o in data]
        tmas = [TmaLaunch(q, k, v, o, False, 1 / math.sqrt(D)) for q, k, v, o in data]
        res = {}
        for rnd in range(2):
            ms = torch_peers.median_ms(lambda i: plans[i % sets].attention())
            res.setdefault("cp.async (build)", []).append(torch_peers.tops(B, H, N, D, False, ms))
            ms = torch_peers.median_ms(lambda i: tmas[i % sets].run())
            res.setdefault("tma", []).append(torch_peers.tops(B, H, N, D, False, ms))
        del data, plans, tmas
        res["torch-cudnn"] = [torch_peers.tops(B, H, N, D, False, torch_peers.time_peer("torch-cudnn", B, H, N, D, False))]
        for label, ts in res.items():
            print(f"D={D:3d} N={N:6d} {label:18s} " + " ".join(f"{t:7.1f}" for t in ts)
                  + f"  median {statistics.median(ts):7.1f} TOPS", flush=True)
