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


FORMATS = {"ptr": "Q", "i32": "i", "i64": "q", "f32": "f"}


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
