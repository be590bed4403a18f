#!/usr/bin/env python3
"""Keeps the device code of one GPU architecture in a CUDA shared library, in place, to shrink what the
GPU bundle carries: ONNX Runtime's CUDA EP (libonnxruntime_providers_cuda.so, 183 MB) holds machine code
(cubins) for sm_75, 80, 90, 100 and 120 in 230 fat binaries, about 100 MB that xz cannot compress.
The H100/H200 machine loads only the sm_90 code.

Each fat binary (header: magic 0xBA55ED50, version 1, header size 16, size of its entries) is rewritten
at the same offset: its header, then only the entries for the kept architecture, then zeros up to its
old end, with the header's size set to the kept entries. The file keeps its size and every address in
it; the zeros pack to nothing. The library then runs only on GPUs of that architecture (a CUDA
"no kernel image is available" error elsewhere). A fat binary with no entry for the architecture, or
one whose entries do not parse, is left as it is and reported.

Usage: python3 models/scripts/keep_cuda_arch.py LIBRARY.so 90
"""
import struct
import sys

MAGIC = 0xBA55ED50
HEADER = struct.Struct("<IHHQ")        # magic, version, header size, size of the entries that follow
ENTRY = struct.Struct("<HHIQ")         # kind (1 PTX, 2 cubin), version, entry header size, payload size
ARCH_OFFSET = 28                       # uint32 sm number inside an entry header


def entries(data, start, size):
    """(offset, length, kind, arch) of each entry of the fat binary whose entries span [start, start+size)."""
    out, p, end = [], start, start + size
    while p < end:
        kind, _, header_size, payload = ENTRY.unpack_from(data, p)
        if kind not in (1, 2) or header_size < ARCH_OFFSET + 4 or p + header_size + payload > end:
            raise ValueError(f"entry at {p:#x} does not parse")
        arch = struct.unpack_from("<I", data, p + ARCH_OFFSET)[0]
        out.append((p, header_size + payload, kind, arch))
        p += header_size + payload
    if p != end:
        raise ValueError(f"entries end at {p:#x}, not {end:#x}")
    return out


def keep_arch(data, arch):
    """Rewrites `data` (a bytearray) in place; returns (fat binaries rewritten, left as they were, bytes zeroed)."""
    magic = struct.pack("<I", MAGIC)
    rewritten, left, zeroed, pos = 0, 0, 0, 0
    while (i := data.find(magic, pos)) >= 0:
        _, version, header_size, size = HEADER.unpack_from(data, i)
        if version != 1 or header_size != HEADER.size or i + header_size + size > len(data):
            pos = i + 4
            continue
        start, end = i + header_size, i + header_size + size
        try:
            found = entries(data, start, size)
        except ValueError as e:
            print(f"fat binary at {i:#x} left as it is: {e}", file=sys.stderr)
            left += 1
            pos = end
            continue
        kept = [bytes(data[o:o + n]) for o, n, _, a in found if a == arch]
        if not kept:
            print(f"fat binary at {i:#x} has no sm_{arch} entry (has {sorted({a for *_, a in found})}); left as it is",
                  file=sys.stderr)
            left += 1
        elif len(kept) < len(found):
            body = b"".join(kept)
            data[start:end] = body + bytes(size - len(body))
            HEADER.pack_into(data, i, MAGIC, version, header_size, len(body))
            zeroed += size - len(body)
            rewritten += 1
        pos = end
    return rewritten, left, zeroed


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, arch = sys.argv[1], int(sys.argv[2])
    with open(path, "rb") as f:
        data = bytearray(f.read())
    size = len(data)
    rewritten, left, zeroed = keep_arch(data, arch)
    assert len(data) == size
    with open(path, "wb") as f:
        f.write(data)
    print(f"{path}: sm_{arch} kept in {rewritten} fat binaries, {left} left as they were,"
          f" {zeroed / 2**20:.1f} MiB of other architectures' code zeroed")
    if rewritten == 0:
        sys.exit(f"no fat binary of {path} had sm_{arch} code next to other code")


if __name__ == "__main__":
    main()
