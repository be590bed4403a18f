"""Loads sagestudio_kernels.fatbin through the CUDA driver API (ctypes on libcuda) in torch's
primary context, and launches every kernel exactly as attention/src/main/cuda/ABI.md says, so
this file doubles as an executable check of the ABI."""
import ctypes
import math

import torch

LOG2E = 1.4426950408889634
_cuda = ctypes.CDLL("libcuda.so.1")
_cuda.cuLaunchKernel.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p,
                                                                            ctypes.POINTER(ctypes.c_void_p),
                                                                            ctypes.c_void_p]
_cuda.cuModuleGetFunction.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p]
_cuda.cuFuncSetAttribute.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_cuda.cuModuleLoadData.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
_cuda.cuFuncGetAttribute.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_void_p]


def check(rc, what):
    if rc != 0:
        name = ctypes.c_char_p()
        _cuda.cuGetErrorName(rc, ctypes.byref(name))
        raise RuntimeError(f"{what} failed: {name.value.decode() if name.value else rc}")


SMEM = {"flash_fwd_f16_d64": 49152, "flash_fwd_f16_d128": 98304, "flash_fwd_bf16_d64": 49152,
        "flash_fwd_bf16_d128": 98304, "sage_int8_fp16_d64": 32768, "sage_int8_fp16_d128": 65536,
        "sage_int8_fp16acc_d64": 32768, "sage_int8_fp16acc_d128": 65536, "sage_int8_fp8_d64": 24576,
        "sage_int8_fp8_d128": 49152,
        # Hopper wgmma path (block 256): 2 Q buffers + SS_SM90_STAGES × (K + V) blocks + 1 KiB alignment slack +
        # mbarriers; sized for 4 stages, which also covers builds with fewer (ABI.md §3).
        "sage_int8_fp16_sm90_d64": 2 * 8192 + 4 * 24576 + 1024 + 96,
        "sage_int8_fp16_sm90_d128": 2 * 16384 + 4 * 49152 + 1024 + 96}
BLOCK = {"sage_int8_fp16_sm90_d64", "sage_int8_fp16_sm90_d128"}  # launched with their launch-bounds block; all others: 128
SMS = torch.cuda.get_device_properties(0).multi_processor_count if torch.cuda.is_available() else 0
SM90 = "sage-int8-fp16-sm90"  # same preprocessing and numerics as sage-int8-fp16, wgmma kernel
DT = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}
OUT = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2}


def P(t):
    return ctypes.c_uint64(0 if t is None else (t if isinstance(t, int) else t.data_ptr()))


def I(x):
    return ctypes.c_int(int(x))


def L(x):
    return ctypes.c_longlong(int(x))


def F(x):
    return ctypes.c_float(float(x))


def cdiv(a, b):
    return (a + b - 1) // b


class Kernels:
    def __init__(self, path):
        torch.zeros(1, device="cuda")  # makes torch's primary context current on this thread
        self._data = ctypes.create_string_buffer(open(path, "rb").read())
        self.mod = ctypes.c_void_p()
        check(_cuda.cuModuleLoadData(ctypes.byref(self.mod), self._data), "cuModuleLoadData")
        self.fns = {}

    def fn(self, name):
        if name not in self.fns:
            f = ctypes.c_void_p()
            check(_cuda.cuModuleGetFunction(ctypes.byref(f), self.mod, name.encode()), f"cuModuleGetFunction({name})")
            smem = SMEM.get(name, 0)
            if smem > 48 * 1024:
                check(_cuda.cuFuncSetAttribute(f, 8, smem), f"cuFuncSetAttribute({name})")
            self.fns[name] = (f, smem)
        return self.fns[name]

    def max_threads(self, name):
        """The entry's __launch_bounds__ block size (CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK)."""
        f, _ = self.fn(name)
        n = ctypes.c_int()
        check(_cuda.cuFuncGetAttribute(ctypes.byref(n), 0, f), f"cuFuncGetAttribute({name})")
        return n.value

    def launch(self, name, grid, block, args):
        f, smem = self.fn(name)
        ptrs = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.pointer(a), ctypes.c_void_p) for a in args])
        stream = torch.cuda.current_stream().cuda_stream
        check(_cuda.cuLaunchKernel(f, grid[0], grid[1], grid[2], block, 1, 1, smem, ctypes.c_void_p(stream),
                                   ptrs, None), f"cuLaunchKernel({name})")


def view_args(t):
    """t is a logical [B,H,N,D] view (HND or NHD storage); returns B,H,N,D and element strides."""
    B, H, N, D = t.shape
    assert t.stride(3) == 1
    return [I(B), I(H), I(N), I(D), L(t.stride(0)), L(t.stride(1)), L(t.stride(2))]


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
        if backend == "flash-fp16":
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
            if backend == "sage-int8-fp8":
                self.vs = torch.empty(B, Hkv, D, dtype=torch.float32, device=dev)
                self.vt8 = torch.empty(B, Hkv, D, NkP, dtype=torch.uint8, device=dev)
            elif self.dt != "f16":
                self.v16 = torch.empty(B, Hkv, Nk, D, dtype=torch.float16, device=dev)

    def to_f16(self, src, dst):
        B, H, N, D = src.shape
        self.ks.launch(f"pre_to_f16_{self.dt}", (cdiv(N * D, 2048), H, B), 256, [P(src), P(dst)] + view_args(src))

    def preprocess(self):
        ks, dt = self.ks, self.dt
        if self.backend == "flash-fp16":
            if dt == "f32":
                self.to_f16(self.q, self.q16)
                self.to_f16(self.k, self.k16)
                self.to_f16(self.v, self.v16)
            return
        B, Hq, Hkv = self.B, self.Hq, self.Hkv
        if self.smooth:
            ks.launch(f"pre_k_mean_{dt}", (Hkv, B, 1), 256, [P(self.k), P(self.km)] + view_args(self.k))
        ks.launch(f"pre_quant_q_int8_{dt}", (self.NqP // 128, Hq, B), 128,
                  [P(self.q), P(self.q8), P(self.qs)] + view_args(self.q)
                  + [F(self.scale * LOG2E), I(self.rows_per_scale)])
        ks.launch(f"pre_quant_k_int8_{dt}", (self.NkP // 64, Hkv, B), 128,
                  [P(self.k), P(self.km if self.smooth else None), P(self.k8), P(self.kscale)] + view_args(self.k))
        if self.backend == "sage-int8-fp8":
            ks.launch(f"pre_v_fp8_scale_{dt}", (Hkv, B, 1), 256, [P(self.v), P(self.vs)] + view_args(self.v))
            ks.launch(f"pre_quant_v_fp8_{dt}", (self.NkP // 64, Hkv, B), 256,
                      [P(self.v), P(self.vs), P(self.vt8)] + view_args(self.v))
        elif dt != "f16":
            self.to_f16(self.v, self.v16)

    def attention(self):
        ks, o = self.ks, self.o
        B, Hq, Hkv, Nq, Nk, D = self.B, self.Hq, self.Hkv, self.Nq, self.Nk, self.D
        grid = (self.NqP // 128, Hq, B)
        ostr = [L(o.stride(0)), L(o.stride(1)), L(o.stride(2))]
        dims = [I(B), I(Hq), I(Hkv), I(Nq), I(Nk)]
        if self.backend == "flash-fp16":
            if self.dt == "f32":
                q, k, v, name = self.q16, self.k16, self.v16, f"flash_fwd_f16_d{D}"
            else:
                q, k, v, name = self.q, self.k, self.v, f"flash_fwd_{self.dt}_d{D}"
            s = lambda t: [L(t.stride(0)), L(t.stride(1)), L(t.stride(2))]
            ks.launch(name, grid, 128, [P(q), P(k), P(v), P(o)] + dims + s(q) + s(k) + s(v) + ostr
                      + [F(self.scale), I(self.causal), I(OUT[o.dtype])])
            return
        if self.backend == "sage-int8-fp8":
            v, vs, vstr, name = self.vt8, self.vs, [L(0), L(0), L(0)], f"sage_int8_fp8_d{D}"
        else:
            v = self.v if self.dt == "f16" else self.v16
            vs, vstr = None, [L(v.stride(0)), L(v.stride(1)), L(v.stride(2))]
            kind = {"sage-int8-fp16acc": "fp16acc", SM90: "fp16_sm90"}.get(self.backend, "fp16")
            name = f"sage_int8_{kind}_d{D}"
            if self.backend == SM90 and self.sm90_grid != "tiles":
                tiles = grid[0] * grid[1] * grid[2]
                cap = SMS if self.sm90_grid == "persistent" else int(self.sm90_grid)
                grid = (min(tiles, cap), 1, 1)
        block = ks.max_threads(name) if name in BLOCK else 128  # sm90: 256, or 384 with a producer warpgroup
        ks.launch(name, grid, block, [P(self.q8), P(self.qs), P(self.k8), P(self.kscale), P(v), P(vs), P(o)] + dims
                  + vstr + ostr + [I(self.causal), I(OUT[o.dtype])])

    def run(self):
        self.preprocess()
        self.attention()
