"""Runs flash-fp16's Hopper kernels (flash_fwd_{f16,bf16}_sm90_d{64,128}) on the small shapes of
sanitize_sm90.py, for compute-sanitizer (no torch: ctypes on libcuda, numpy for the inputs): fewer CTAs than
tiles, one CTA per tile, key tails, GQA, q_len != kv_len, causal. Q, K, V random fp16 / bf16 stored NHD (strided
rows) read through tensor maps by the copy engine; the outputs must be finite.

    compute-sanitizer --tool memcheck python3 sanitize_flash_sm90.py --fatbin F
    (also --tool racecheck, --tool synccheck)
"""
import argparse
import sys

import numpy as np

from sanitize_sm90 import SHAPES, upload
from ssdriver import Module, cdiv, check, cuda, panels16, primary_context

KERNELS = [f"flash_fwd_{dt}_sm90_d{d}" for dt in ("f16", "bf16") for d in (64, 128)]


def to_bf16_bits(x):
    """float32 array -> bfloat16 bit patterns (uint16, round to nearest even)."""
    u = x.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def run(mod, name, shape, rng):
    """One launch on NHD tensors [B, N, H, D]; prints and returns the number of non-finite outputs."""
    B, Hq, Hkv, Nq, Nk, causal, ctas = shape
    D = int(name.rsplit("_d", 1)[1])
    bf16 = "_bf16_" in name

    def tensor(n, h):
        x = rng.standard_normal((B, n, h, D)).astype(np.float32)
        return to_bf16_bits(x) if bf16 else x.astype(np.float16)

    def nhd(prefix, n, h):
        return {prefix + "_sb": n * h * D, prefix + "_sh": D, prefix + "_sn": h * D}

    o = np.full((B, Nq, Hq, D), np.nan, dtype=np.float16)
    bufs = {key: upload(a) for key, a in {"q": tensor(Nq, Hq), "k": tensor(Nk, Hkv), "v": tensor(Nk, Hkv),
                                          "o": o}.items()}
    tiles = cdiv(Nq, 128) * Hq * B

    def panels(key, n, h):  # the tensor map of an NHD view (ABI.md §2)
        return panels16(key, bufs[key], B, h, n, D, n * h * D, D, h * D)

    mod.launch(name, (min(tiles, ctas or tiles), 1, 1),
               {**bufs, "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": Nq, "Nk": Nk, **nhd("q", Nq, Hq), **nhd("k", Nk, Hkv),
                **nhd("v", Nk, Hkv), **nhd("o", Nq, Hq), "softmax_scale": D ** -0.5, "causal": int(causal),
                "out_dtype": 1, "tq": panels("q", Nq, Hq), "tk": panels("k", Nk, Hkv), "tv": panels("v", Nk, Hkv)})
    check(cuda.cuCtxSynchronize(), f"{name} {shape}")
    check(cuda.cuMemcpyDtoH_v2(o.ctypes.data, bufs["o"], o.nbytes), "cuMemcpyDtoH")
    for p in bufs.values():
        cuda.cuMemFree_v2(p)
    nonfinite = int((~np.isfinite(o)).sum())
    print(f"{name} B,Hq,Hkv,Nq,Nk,causal,CTAs={shape}: non-finite outputs {nonfinite}", flush=True)
    return nonfinite


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fatbin", required=True)
    ap.add_argument("--manifest", default=None)
    a = ap.parse_args()
    primary_context()
    mod, rng = Module(a.fatbin, a.manifest), np.random.default_rng(16)
    bad = sum(run(mod, name, shape, rng) > 0 for name in KERNELS for shape in SHAPES)
    print(f"sanitize_flash_sm90: {len(KERNELS) * len(SHAPES)} launches, {bad} with non-finite outputs")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
