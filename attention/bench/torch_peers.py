"""Times PyTorch's SDPA backends (flash = FlashAttention-2, efficient = xformers' memory-efficient
kernel, cuDNN) on the benchmark shapes and writes JSON records
{gpu, date, backend, batch, heads, head_dim, seq_len, causal, includes_quant, tops}.
TOPS = 4·B·H·N²·D / t, halved when causal. Timing: CUDA events, warm-up, median of >= 20 runs,
inputs rotated over several buffers when they would fit in L2.

    python3 torch_peers.py --out peers.json [--heads 32 --batch 4 --dims 64,128 --seqs 1024,...]
"""
import argparse
import datetime
import json
import statistics

import torch
import torch.nn.functional as Fn
from torch.nn.attention import SDPBackend, sdpa_kernel

PEERS = {"torch-flash": SDPBackend.FLASH_ATTENTION, "torch-efficient": SDPBackend.EFFICIENT_ATTENTION,
         "torch-cudnn": SDPBackend.CUDNN_ATTENTION}


def tops(B, H, N, D, causal, ms):
    flops = 4.0 * B * H * N * N * D * (0.5 if causal else 1.0)
    return flops / (ms * 1e-3) / 1e12


def rotation(bytes_per_set):
    return 3 if bytes_per_set < 256 * 2**20 else 1


def median_ms(fn, reps=20, warmup=2):
    for i in range(warmup):
        fn(i)
    torch.cuda.synchronize()
    ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    for i, (s, e) in enumerate(ev):
        s.record()
        fn(i)
        e.record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in ev)


def time_peer(backend, B, H, N, D, causal, dtype=torch.float16):
    sets = rotation(4 * B * H * N * D * 2)
    qkv = [[torch.randn(B, H, N, D, dtype=dtype, device="cuda") for _ in range(3)] for _ in range(sets)]

    def fn(i):
        q, k, v = qkv[i % sets]
        with sdpa_kernel([PEERS[backend]]):
            Fn.scaled_dot_product_attention(q, k, v, is_causal=causal)

    ms = median_ms(fn)
    del qkv
    return ms


def record(gpu, backend, B, H, D, N, causal, includes_quant, t):
    return {"gpu": gpu, "date": datetime.date.today().isoformat(), "backend": backend, "batch": B, "heads": H,
            "head_dim": D, "seq_len": N, "causal": causal, "includes_quant": includes_quant,
            "tops": round(t, 2)}


def run(batch, heads, dims, seqs, causals, log=print):
    gpu = torch.cuda.get_device_name()
    out = []
    for D in dims:
        for causal in causals:
            for N in seqs:
                for name in PEERS:
                    try:
                        ms = time_peer(name, batch, heads, N, D, causal)
                    except RuntimeError as e:  # a backend that refuses this shape: say so, no record
                        log(f"{name} D={D} N={N} causal={causal}: not run ({str(e).splitlines()[0][:100]})")
                        continue
                    t = tops(batch, heads, N, D, causal, ms)
                    log(f"{name:16s} D={D:3d} N={N:6d} causal={int(causal)} {ms:9.3f} ms {t:7.1f} TOPS")
                    out.append(record(gpu, name, batch, heads, D, N, causal, False, t))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--seqs", default="1024,2048,4096,8192,16384,32768")
    a = ap.parse_args()
    recs = run(a.batch, a.heads, [int(x) for x in a.dims.split(",")], [int(x) for x in a.seqs.split(",")],
               [False, True])
    json.dump(recs, open(a.out, "w"), indent=1)
