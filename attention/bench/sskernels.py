"""Loads sagestudio_kernels.fatbin through the CUDA driver API (ctypes on libcuda) in torch's
primary context, and launches every kernel exactly as attention/src/main/cuda/ABI.md says, so
this file doubles as an executable check of the ABI. Block sizes, shared memory and the layout of
each kernel's one parameter struct come from the build manifest next to the fatbin
(sagestudio_kernels.json): this file packs the structs by field name at the manifest's offsets."""
import math

import torch

import ssdriver
from ssdriver import NO_TENSOR_MAP, Module, cdiv, pack, rows8  # noqa: F401  (cdiv, pack: part of the interface)

LOG2E = 1.4426950408889634
SMS = torch.cuda.get_device_properties(0).multi_processor_count if torch.cuda.is_available() else 0
SM90 = "sage-int8-fp16-sm90"  # same preprocessing and numerics as sage-int8-fp16, wgmma kernel
SM90_FP8 = "sage-int8-fp8-sm90"  # same preprocessing as sage-int8-fp8, wgmma kernel with FP8 P·V
FLASH_SM90 = "flash-fp16-sm90"  # flash-fp16's wgmma kernel (flash_fwd_*_sm90_d*); "flash-fp16" = the mma.sync one
FLASH = ("flash-fp16", FLASH_SM90)
DT = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}
OUT = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2}


def P(t):
    """A device pointer field: a tensor's address, an int, or None (null)."""
    return 0 if t is None else (t if isinstance(t, int) else t.data_ptr())


class Kernels(Module):
    """The kernels in torch's primary context; launches go to torch's current stream."""

    def __init__(self, path, manifest=None):
        """path: the fatbin (or a cubin); manifest: its sagestudio_kernels.json (default: next to it)."""
        torch.zeros(1, device="cuda")  # makes torch's primary context current on this thread
        super().__init__(path, manifest)

    def launch(self, name, grid, values):
        """Launches entry `name` with the manifest's block and shared memory; values: its struct's fields."""
        super().launch(name, grid, values, torch.cuda.current_stream().cuda_stream)


def view(t, prefix=""):
    """Extents and element strides of t, a logical [B,H,N,D] view (HND or NHD storage)."""
    B, H, N, D = t.shape
    assert t.stride(3) == 1
    return {"B": B, "H": H, "N": N, "D": D, "sb": t.stride(0), "sh": t.stride(1), "sn": t.stride(2)}


def strides(prefix, t):
    return {prefix + "_sb": t.stride(0), prefix + "_sh": t.stride(1), prefix + "_sn": t.stride(2)}


def panels16(what, t):
    """Tensor map of a 16-bit [B, H, N, D] torch view for the Hopper kernels (ssdriver.panels16)."""
    assert t.stride(3) == 1 and t.element_size() == 2
    return ssdriver.panels16(what, t.data_ptr(), *t.shape, t.stride(0), t.stride(1), t.stride(2))


def pre(src, out):
    """PreParams of pre_to_f16_* (ABI.md §1)."""
    return {"in": P(src), "in_aux": 0, "out": P(out), "out_scale": 0, **view(src), "mul": 1.0, "rows_per_scale": 0}


def stat_splits(Nk):
    """Token ranges per (batch, kv-head) that pre_sage_stats reduces in parallel (ABI.md §1); the Java side
    (GpuAttentionBackend.statSplits) uses the same rule, so both give the same K mean bits."""
    return min(8, cdiv(Nk, 1024))


class Plan:
    """Workspaces and launch sequence of one backend call (ABI.md section 4)."""

    def __init__(self, ks, backend, q, k, v, o, causal, scale, rows_per_scale=32, smooth=True, sm90_grid="persistent"):
        """sm90_grid (the wgmma kernel only, ABI.md §3): "persistent" = one CTA per SM, "tiles" = one CTA per
        tile (the original grid), or a number = at most that many CTAs."""
        self.ks, self.backend, self.q, self.k, self.v, self.o = ks, backend, q, k, v, o
        self.sm90_grid = sm90_grid
        self.causal, self.scale = causal, scale
        B, Hq, Nq, D = q.shape
        _, Hkv, Nk, _ = k.shape
        self.B, self.Hq, self.Hkv, self.Nq, self.Nk, self.D = B, Hq, Hkv, Nq, Nk, D
        self.dt = DT[q.dtype]
        dev = q.device
        NqP, NkP = cdiv(Nq, 128) * 128, cdiv(Nk, 64) * 64
        self.NqP, self.NkP = NqP, NkP
        self.rows_per_scale, self.smooth = rows_per_scale, smooth
        if backend in FLASH:
            if self.dt == "f32":
                self.q16 = torch.empty(B, Hq, Nq, D, dtype=torch.float16, device=dev)
                self.k16 = torch.empty(B, Hkv, Nk, D, dtype=torch.float16, device=dev)
                self.v16 = torch.empty(B, Hkv, Nk, D, dtype=torch.float16, device=dev)
        else:
            self.km = torch.empty(B, Hkv, D, dtype=torch.float32, device=dev)
            self.q8 = torch.empty(B, Hq, NqP, D, dtype=torch.int8, device=dev)
            self.qs = torch.empty(B, Hq, NqP // 32, dtype=torch.float32, device=dev)
            self.k8 = torch.empty(B, Hkv, NkP, D, dtype=torch.int8, device=dev)
            self.kscale = torch.empty(B, Hkv, NkP // 64, dtype=torch.float32, device=dev)
            self.splits = stat_splits(Nk)
            self.partials = torch.empty(B * Hkv * self.splits * D * 12, dtype=torch.uint8, device=dev)
            if backend in ("sage-int8-fp8", SM90_FP8):
                self.vs = torch.empty(B, Hkv, D, dtype=torch.float32, device=dev)
                self.vt8 = torch.empty(B, Hkv, D, NkP, dtype=torch.uint8, device=dev)
            elif self.dt != "f16":
                self.v16 = torch.empty(B, Hkv, Nk, D, dtype=torch.float16, device=dev)

    def to_f16(self, src, dst):
        B, H, N, D = src.shape
        self.ks.launch(f"pre_to_f16_{self.dt}", (cdiv(N * D, 2048), H, B), pre(src, dst))

    def preprocess(self):
        ks, dt = self.ks, self.dt
        if self.backend in FLASH:
            if dt == "f32":
                self.to_f16(self.q, self.q16)
                self.to_f16(self.k, self.k16)
                self.to_f16(self.v, self.v16)
            return
        B, Hq, Hkv, D = self.B, self.Hq, self.Hkv, self.D
        fp8 = self.backend in ("sage-int8-fp8", SM90_FP8)
        params = {"q": P(self.q), "k": P(self.k), "v": P(self.v), "q8": P(self.q8), "qs": P(self.qs),
                  "k8": P(self.k8), "ks": P(self.kscale), "km": P(self.km if self.smooth else None),
                  "vt8": P(self.vt8 if fp8 else None), "vs": P(self.vs if fp8 else None), "partials": P(self.partials),
                  "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": self.Nq, "Nk": self.Nk, "D": D, **strides("q", self.q),
                  **strides("k", self.k), **strides("v", self.v), "mul": self.scale * LOG2E,
                  "rows_per_scale": self.rows_per_scale, "splits": self.splits}
        ks.launch(f"pre_sage_stats_{dt}", (self.splits + Hq // Hkv * (self.NqP // 128), Hkv, B), params)
        ks.launch(f"pre_sage_quant_{dt}", (self.NkP // 64, Hkv, B), params)
        if not fp8 and dt != "f16":
            self.to_f16(self.v, self.v16)

    def attention(self):
        ks, o = self.ks, self.o
        B, Hq, Hkv, Nq, Nk, D = self.B, self.Hq, self.Hkv, self.Nq, self.Nk, self.D
        grid = (self.NqP // 128, Hq, B)
        common = {"o": P(o), "B": B, "Hq": Hq, "Hkv": Hkv, "Nq": Nq, "Nk": Nk, **strides("o", o),
                  "causal": int(self.causal), "out_dtype": OUT[o.dtype]}
        if self.backend in FLASH:
            arch = "_sm90" if self.backend == FLASH_SM90 else ""
            if self.dt == "f32":
                q, k, v, name = self.q16, self.k16, self.v16, f"flash_fwd_f16{arch}_d{D}"
            else:
                q, k, v, name = self.q, self.k, self.v, f"flash_fwd_{self.dt}{arch}_d{D}"
            if self.backend == FLASH_SM90:
                grid = self.sm90_launch_grid(name)
                maps = {"tq": panels16("q", q), "tk": panels16("k", k), "tv": panels16("v", v)}
            else:
                maps = {"tq": NO_TENSOR_MAP, "tk": NO_TENSOR_MAP, "tv": NO_TENSOR_MAP}
            ks.launch(name, grid, {**common, "q": P(q), "k": P(k), "v": P(v), **strides("q", q), **strides("k", k),
                                   **strides("v", v), "softmax_scale": self.scale, **maps})
            return
        if self.backend in ("sage-int8-fp8", SM90_FP8):
            v, vs, vstr = self.vt8, self.vs, {"v_sb": 0, "v_sh": 0, "v_sn": 0}
        else:
            v = self.v if self.dt == "f16" else self.v16
            vs, vstr = None, strides("v", v)
        kind = {"sage-int8-fp16acc": "fp16acc", SM90: "fp16_sm90", "sage-int8-fp8": "fp8",
                SM90_FP8: "fp8_sm90"}.get(self.backend, "fp16")
        name = f"sage_int8_{kind}_d{D}"
        if self.backend in (SM90, SM90_FP8):
            grid = self.sm90_launch_grid(name)
            maps = self.sage_maps(v, self.tile_rows(name))
        else:
            maps = {"tq": NO_TENSOR_MAP, "tk": NO_TENSOR_MAP, "tv": NO_TENSOR_MAP}
        ks.launch(name, grid, {**common, "q8": P(self.q8), "qs": P(self.qs), "k8": P(self.k8), "ks": P(self.kscale),
                               "v": P(v), "vs": P(vs), **vstr, **maps})

    def sage_maps(self, v, q_rows):
        """The tensor maps of the Sage sm90 entries (ABI.md §3): q8 as [B·Hq, NqP, D] bytes in boxes of q_rows rows
        (the entry's tile), k8 as [B·Hkv, NkP, D] in 128-row boxes, V as vt8 ([B·Hkv, D, NkP] bytes, D rows of 128
        tokens) or as the fp16 view (flash's panels)."""
        B, Hq, Hkv, D, NqP, NkP = self.B, self.Hq, self.Hkv, self.D, self.NqP, self.NkP
        return {"tq": rows8("q8", P(self.q8), D, NqP, B * Hq, D, q_rows),
                "tk": rows8("k8", P(self.k8), D, NkP, B * Hkv, D, 128),
                "tv": rows8("vt8", P(self.vt8), NkP, D, B * Hkv, 128, D) if self.backend == SM90_FP8
                else panels16("v", v)}

    def tile_rows(self, name):
        """Query rows per tile of wgmma entry `name` (the manifest's tile_rows; a manifest without it: 128)."""
        return self.ks.entries[name].get("tile_rows", 128)

    def sm90_launch_grid(self, name):
        """The grid of wgmma entry `name` (any grid, ABI.md §3) for self.sm90_grid, from its one-CTA-per-tile grid."""
        tile_grid = (cdiv(self.Nq, self.tile_rows(name)), self.Hq, self.B)
        if self.sm90_grid == "tiles":
            return tile_grid
        tiles = tile_grid[0] * tile_grid[1] * tile_grid[2]
        cap = SMS if self.sm90_grid == "persistent" else int(self.sm90_grid)
        return (min(tiles, cap), 1, 1)

    def run(self):
        self.preprocess()
        self.attention()
