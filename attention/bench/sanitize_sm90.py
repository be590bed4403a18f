"""Runs the Hopper Sage kernels (sage_int8_{fp16,fp8}_sm90_d{64,128}) and the two-launch Sage
preprocessing (pre_sage_stats_f16, pre_sage_quant_f16) on small shapes, for compute-sanitizer: no
torch (ctypes on libcuda, numpy for the inputs), so the tool sees only these launches and starts in
seconds. Each shape runs with fewer CTAs than tiles (the CTAs walk several
tiles through one K/V ring) and, causal, with one CTA per tile; key tails, GQA and q_len != kv_len.
The inputs are what the preprocessing kernels would produce (random INT8 Q/K with positive scales;
fp16 V, or e4m3 V^T with per-channel scales); the outputs must be finite.

    compute-sanitizer --tool memcheck python3 sanitize_sm90.py --fatbin F
    (also --tool racecheck, --tool synccheck)
"""
import argparse
import ctypes
import sys

import numpy as np

from ssdriver import Module, cdiv, check, cuda, panels16, rows8

cuda.cuMemAlloc_v2.argtypes = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t]
cuda.cuMemcpyHtoD_v2.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
cuda.cuMemcpyDtoH_v2.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t]
cuda.cuMemFree_v2.argtypes = [ctypes.c_uint64]

KERNELS = [f"sage_int8_{pv}_sm90_d{d}" for pv in ("fp16", "fp8") for d in (64, 128)]
# (B, Hq, Hkv, Nq, Nk, causal, CTAs: None = one per tile)
SHAPES = [(1, 2, 1, 200, 333, False, 2), (1, 2, 1, 200, 333, True, None), (1, 1, 1, 130, 65, False, 1)]


def upload(a):
    ptr = ctypes.c_uint64()
    check(cuda.cuMemAlloc_v2(ctypes.byref(ptr), max(a.nbytes, 16)), "cuMemAlloc")
    check(cuda.cuMemcpyHtoD_v2(ptr.value, a.ctypes.data, a.nbytes), "cuMemcpyHtoD")
    return ptr.value


def run(mod, name, shape, rng):
    B, Hq, Hkv, Nq, Nk, causal, ctas = shape
    D = int(name.rsplit("_d", 1)[1])
    fp8 = "_fp8_" in name
    NqP, NkP = cdiv(Nq, 128) * 128, cdiv(Nk, 64) * 64
    q8 = rng.integers(-127, 128, (B, Hq, NqP, D), dtype=np.int8)
    k8 = rng.integers(-127, 128, (B, Hkv, NkP, D), dtype=np.int8)
    k8[:, :, Nk:] = 0  # pad rows are zero, as pre_sage_quant writes them
    qs = rng.uniform(1e-3, 4e-3, (B, Hq, NqP // 32)).astype(np.float32)
    ks = rng.uniform(1e-3, 4e-3, (B, Hkv, NkP // 64)).astype(np.float32)
    if fp8:  # e4m3 bytes without the NaN encodings (exponent and mantissa all ones)
        v = rng.integers(0, 0x70, (B, Hkv, D, NkP), dtype=np.uint8) | (rng.integers(0, 2, (B, Hkv, D, NkP),
                                                                                     dtype=np.uint8) << 7)
        vs = rng.uniform(1e-3, 1e-2, (B, Hkv, D)).astype(np.float32)
        vstr = {"v_sb": 0, "v_sh": 0, "v_sn": 0}
    else:
        v = rng.standard_normal((B, Hkv, Nk, D)).astype(np.float16)
        vs = None
        vstr = {"v_sb": Hkv * Nk * D, "v_sh": Nk * D, "v_sn": D}
    o = np.full((B, Hq, Nq, D), np.nan, dtype=np.float16)
    bufs = {k: upload(a) for k, a in {"q8": q8, "k8": k8, "qs": qs, "ks": ks, "v": v, "o": o}.items()}
    bufs["vs"] = upload(vs) if fp8 else 0
    rows = mod.entries[name].get("tile_rows", 128)  # query rows per tile: the work and the Q box (ABI.md §3)
    tiles = cdiv(Nq, rows) * Hq * B
    grid = (min(tiles, ctas or tiles), 1, 1)
    maps = {"tq": rows8("q8", bufs["q8"], D, NqP, B * Hq, D, rows), "tk": rows8("k8", bufs["k8"], D, NkP, B * Hkv, D, 128),
            "tv": rows8("vt8", bufs["v"], NkP, D, B * Hkv, 128, D) if fp8
            else panels16("v", bufs["v"], B, Hkv, Nk, D, Hkv * Nk * D, Nk * D, D)}
    mod.launch(name, grid, {**bufs, "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": Nq, "Nk": Nk, "o_sb": Hq * Nq * D,
                            "o_sh": Nq * D, "o_sn": D, **vstr, "causal": int(causal), "out_dtype": 1, **maps})
    check(cuda.cuCtxSynchronize(), f"{name} {shape}")
    check(cuda.cuMemcpyDtoH_v2(o.ctypes.data, bufs["o"], o.nbytes), "cuMemcpyDtoH")
    for p in bufs.values():
        if p:
            cuda.cuMemFree_v2(p)
    return int((~np.isfinite(o)).sum())


# (B, Hq, Hkv, Nq, Nk): GQA, token tails, several statistics splits (Nk > 1024), q_len != kv_len
PREP_SHAPES = [(1, 4, 2, 200, 2100), (2, 1, 1, 1, 65)]


def run_prep(mod, D, shape, rng):
    """Both preprocessing launches (fp16 inputs, smoothing, FP8 V); returns the count of non-finite or
    non-positive scales and K means that differ from numpy's by more than fp16 rounding."""
    B, Hq, Hkv, Nq, Nk = shape
    NqP, NkP = cdiv(Nq, 128) * 128, cdiv(Nk, 64) * 64
    splits = min(8, cdiv(Nk, 1024))
    q = rng.standard_normal((B, Hq, Nq, D)).astype(np.float16)
    k = (rng.standard_normal((B, Hkv, Nk, D)) + 4 * rng.standard_normal((1, 1, 1, D))).astype(np.float16)
    v = rng.standard_normal((B, Hkv, Nk, D)).astype(np.float16)
    outs = {"q8": np.zeros((B, Hq, NqP, D), np.int8), "qs": np.zeros((B, Hq, NqP // 32), np.float32),
            "k8": np.zeros((B, Hkv, NkP, D), np.int8), "ks": np.zeros((B, Hkv, NkP // 64), np.float32),
            "km": np.zeros((B, Hkv, D), np.float32), "vt8": np.zeros((B, Hkv, D, NkP), np.uint8),
            "vs": np.zeros((B, Hkv, D), np.float32), "partials": np.zeros(B * Hkv * splits * D * 12, np.uint8)}
    bufs = {name: upload(a) for name, a in {"q": q, "k": k, "v": v, **outs}.items()}
    params = {**bufs, "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": Nq, "Nk": Nk, "D": D, "mul": 0.127, "rows_per_scale": 32,
              "splits": splits}
    for t, (n, h) in (("q", (Nq, Hq)), ("k", (Nk, Hkv)), ("v", (Nk, Hkv))):
        params.update({f"{t}_sb": h * n * D, f"{t}_sh": n * D, f"{t}_sn": D})
    mod.launch("pre_sage_stats_f16", (splits + Hq // Hkv * (NqP // 128), Hkv, B), params)
    mod.launch("pre_sage_quant_f16", (NkP // 64, Hkv, B), params)
    check(cuda.cuCtxSynchronize(), f"pre_sage D={D} {shape}")
    for name in ("qs", "ks", "km", "vs"):
        check(cuda.cuMemcpyDtoH_v2(outs[name].ctypes.data, bufs[name], outs[name].nbytes), "cuMemcpyDtoH")
    for p in bufs.values():
        cuda.cuMemFree_v2(p)
    km_ref = k.astype(np.float64).mean(axis=2).astype(np.float16).astype(np.float32)
    bad = sum(int((~np.isfinite(outs[n]) | (outs[n] <= 0)).sum()) for n in ("qs", "ks", "vs"))
    return bad + int((np.abs(outs["km"] - km_ref) > 1e-3 * np.abs(km_ref).clip(1e-3)).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fatbin", required=True)
    ap.add_argument("--manifest", default=None)
    a = ap.parse_args()
    check(cuda.cuInit(0), "cuInit")
    dev, ctx = ctypes.c_int(), ctypes.c_void_p()
    check(cuda.cuDeviceGet(ctypes.byref(dev), 0), "cuDeviceGet")
    check(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
    check(cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
    mod = Module(a.fatbin, a.manifest)
    rng = np.random.default_rng(16)
    bad = 0
    for name in KERNELS:
        for shape in SHAPES:
            nonfinite = run(mod, name, shape, rng)
            bad += nonfinite > 0
            print(f"{name} B,Hq,Hkv,Nq,Nk,causal,CTAs={shape}: non-finite outputs {nonfinite}", flush=True)
    for D in (64, 128):
        for shape in PREP_SHAPES:
            wrong = run_prep(mod, D, shape, rng)
            bad += wrong > 0
            print(f"pre_sage_stats/quant_f16 D={D} B,Hq,Hkv,Nq,Nk={shape}: bad scales or K means {wrong}", flush=True)
    print(f"sanitize_sm90: {len(KERNELS) * len(SHAPES)} attention launches and {2 * 2 * len(PREP_SHAPES)} "
          f"preprocessing launches, {bad} with non-finite outputs or wrong statistics")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
