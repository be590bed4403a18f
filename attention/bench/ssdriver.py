"""The CUDA driver API through ctypes (libcuda alone, no torch): loading sagestudio_kernels.fatbin,
packing a kernel's parameter struct from the build manifest's layout, launching an entry with the
manifest's block and shared memory. sskernels.py launches through it in torch's context;
sanitize_sm90.py uses it on its own, so that compute-sanitizer sees only our kernels."""
import ctypes
import json
import os
import struct

_cuda = ctypes.CDLL("libcuda.so.1")
_cuda.cuLaunchKernel.argtypes = [ctypes.c_void_p] + [ctypes.c_uint] * 7 + [ctypes.c_void_p,
                                                                            ctypes.POINTER(ctypes.c_void_p),
                                                                            ctypes.c_void_p]
_cuda.cuModuleGetFunction.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_char_p]
_cuda.cuFuncSetAttribute.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_cuda.cuModuleLoadData.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
_cuda.cuFuncGetAttribute.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_void_p]
cuda = _cuda  # for callers that manage their own context and memory (sanitize_sm90.py)


def check(rc, what):
    if rc != 0:
        name = ctypes.c_char_p()
        _cuda.cuGetErrorName(rc, ctypes.byref(name))
        raise RuntimeError(f"{what} failed: {name.value.decode() if name.value else rc}")


def primary_context(ordinal=0):
    """Makes device `ordinal`'s primary context current on this thread (for callers without torch)."""
    check(_cuda.cuInit(0), "cuInit")
    dev, ctx = ctypes.c_int(), ctypes.c_void_p()
    check(_cuda.cuDeviceGet(ctypes.byref(dev), ordinal), "cuDeviceGet")
    check(_cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
    check(_cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")


FORMATS = {"ptr": "Q", "i32": "i", "i64": "q", "f32": "f", "tmap": "128s"}  # tmap: a TensorMap's 128 bytes
NO_TENSOR_MAP = bytes(128)  # the tensor map field of an entry that does not read it

_cuda.cuTensorMapEncodeTiled.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p,
                                         ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
TMAP_UINT8, TMAP_UINT16 = 0, 1  # CUtensorMapDataType: the copy engine moves bits, only the width matters
SWIZZLE_64B, SWIZZLE_128B = 2, 3  # CUtensorMapSwizzle: swizzle.cuh's swz<64>, swz<128>


def tensor_map(what, element_bytes, address, dims, stride_bytes, box, swizzle):
    """A tiled CUtensorMap (128 bytes) from cuTensorMapEncodeTiled: dims innermost first, byte strides of dims 1..,
    box sides; elements past the extents read as zeros. The driver's alignment rules are checked first, as the Java
    side's TensorMaps does, and a broken one is refused with what is wrong."""
    n = len(dims)
    problem = None
    if address % 16:
        problem = f"address {address:#x} is not 16-byte aligned"
    elif any(s % 16 or s <= 0 or s >= 1 << 40 for s in stride_bytes):
        problem = f"byte strides {stride_bytes} must be positive multiples of 16 below 2^40"
    elif any(d < 1 or d > 1 << 32 for d in dims) or any(b < 1 or b > 256 for b in box):
        problem = f"extents {dims} must be 1..2^32 and box sides {box} 1..256"
    elif box[0] * element_bytes > {SWIZZLE_64B: 64, SWIZZLE_128B: 128}[swizzle]:
        problem = f"box rows of {box[0] * element_bytes} bytes exceed the swizzle span"
    if problem:
        raise ValueError(f"the copy engine cannot read {what}: {problem}")
    raw = ctypes.create_string_buffer(128 + 64)
    at = (ctypes.addressof(raw) + 63) // 64 * 64  # the map itself must be 64-byte aligned
    check(_cuda.cuTensorMapEncodeTiled(ctypes.c_void_p(at), TMAP_UINT8 if element_bytes == 1 else TMAP_UINT16, n,
                                       ctypes.c_void_p(address), (ctypes.c_uint64 * n)(*dims),
                                       (ctypes.c_uint64 * (n - 1))(*stride_bytes), (ctypes.c_uint32 * n)(*box),
                                       (ctypes.c_uint32 * n)(*([1] * n)), 0, swizzle, 3, 0),
          f"cuTensorMapEncodeTiled({what})")
    return ctypes.string_at(at, 128)


def pack(layout, values):
    """The bytes of one parameter struct: every field of the manifest's layout, by name, at its offset."""
    names = [f["name"] for f in layout["fields"]]
    missing, unknown = set(names) - set(values), set(values) - set(names)
    if missing or unknown:
        raise ValueError(f"struct fields missing {sorted(missing)}, unknown {sorted(unknown)}")
    buf = bytearray(layout["size"])
    for f in layout["fields"]:
        struct.pack_into("<" + FORMATS[f["type"]], buf, f["offset"], values[f["name"]])
    return bytes(buf)


def cdiv(a, b):
    return (a + b - 1) // b


class Module:
    """The fatbin loaded into the current context, with its manifest."""

    def __init__(self, path, manifest=None):
        """path: the fatbin (or a cubin); manifest: its sagestudio_kernels.json (default: next to it)."""
        manifest = manifest or os.path.join(os.path.dirname(path), "sagestudio_kernels.json")
        meta = json.load(open(manifest))
        self.structs = meta["structs"]
        self.entries = {e["name"]: e for e in meta["entries"]}
        self._data = ctypes.create_string_buffer(open(path, "rb").read())
        self.mod = ctypes.c_void_p()
        check(_cuda.cuModuleLoadData(ctypes.byref(self.mod), self._data), "cuModuleLoadData")
        self.fns = {}

    def fn(self, name):
        if name not in self.fns:
            f = ctypes.c_void_p()
            check(_cuda.cuModuleGetFunction(ctypes.byref(f), self.mod, name.encode()), f"cuModuleGetFunction({name})")
            smem = self.entries[name]["dynamic_smem"]
            if smem > 48 * 1024:
                check(_cuda.cuFuncSetAttribute(f, 8, smem), f"cuFuncSetAttribute({name})")
            self.fns[name] = (f, smem)
        return self.fns[name]

    def launch(self, name, grid, values, stream=0):
        """Launches entry `name` with the manifest's block and shared memory; values: its struct's fields."""
        f, smem = self.fn(name)
        entry = self.entries[name]
        blob = ctypes.create_string_buffer(pack(self.structs[entry["params"]], values))
        ptrs = (ctypes.c_void_p * 1)(ctypes.cast(blob, ctypes.c_void_p))
        check(_cuda.cuLaunchKernel(f, grid[0], grid[1], grid[2], entry["block"], 1, 1, smem, ctypes.c_void_p(stream),
                                   ptrs, None), f"cuLaunchKernel({name})")


def panels16(what, address, B, H, N, D, sb, sh, sn):
    """Tensor map of a 16-bit [B, H, N, D] view (element strides sb, sh, sn; D contiguous) for the Hopper kernels
    (ABI.md §2): dims (D, N, H, B), boxes of 64 columns × 128 rows, 128-byte swizzled (Java: TensorMaps.panels16)."""
    return tensor_map(what, 2, address, (D, N, H, B), (sn * 2, sh * 2, sb * 2), (64, 128, 1, 1), SWIZZLE_128B)


def rows8(what, address, row_bytes, rows, count, box_bytes, box_rows):
    """Tensor map of a contiguous byte tensor [count, rows, row_bytes] (q8, k8, vt8) for the Hopper Sage kernels
    (ABI.md §3): boxes of box_rows rows × box_bytes bytes, swizzled by the box's row width (Java: TensorMaps.rows8)."""
    return tensor_map(what, 1, address, (row_bytes, rows, count), (row_bytes, row_bytes * rows), (box_bytes, box_rows, 1),
                      SWIZZLE_128B if box_bytes == 128 else SWIZZLE_64B)

