"""A/B (run 15, call 1): the non-finite check check_finite_f16 of two builds (CUDA events over 50 back-to-back
launches on torch's stream, median of 5; GPU time alone and as launched), at the sizes DeviceFiniteCheckGpuTest times: the bundled
video model's attention output (B2 H4 N2048 D128 fp16, 4 MiB) and B2 H24 N4096 D128 (48 MiB). The old kernel
(one 16-byte load per loop step) at its old grid (two blocks per SM) and at eight per SM; the new one (four loads
in flight per thread) at its grid (DeviceFiniteCheck.blocks). Both must find the planted NaN.

    python3 finite_ab.py OLD_FATBIN NEW_FATBIN   (run in attention/bench; manifests next to the fatbins)"""
import statistics
import sys

import torch

import sskernels as S

old, new = S.Kernels(sys.argv[1]), S.Kernels(sys.argv[2])
slot = torch.zeros(2, dtype=torch.int64, device="cuda")


def new_blocks(nbytes, threads=256, sms=S.SMS):
    return max(1, min(S.cdiv(S.cdiv(nbytes, 16), threads * 4), 8 * sms))


def time_us(ks, x, blocks, queued, reps=50):
    """Microseconds per check over `reps` back-to-back launches, median of 5. queued: the stream is held by a
    20 ms sleep kernel while the host enqueues them, so the events time the GPU alone; otherwise the launches run
    as fast as this Python process issues them (as the Java test's do)."""
    vals = {"x": x.data_ptr(), "result": slot.data_ptr(), "n": x.numel()}
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    samples = []
    for _ in range(5):
        if queued:
            torch.cuda._sleep(40_000_000)
        start.record()
        for _ in range(reps):
            ks.launch("check_finite_f16", (blocks, 1, 1), vals)
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) * 1000 / reps)
    return statistics.median(samples)


for B, H, N, D in ((2, 4, 2048, 128), (2, 24, 4096, 128)):
    x = torch.randn(B * H * N * D, dtype=torch.float16, device="cuda")
    x[12345] = float("nan")
    nbytes = x.numel() * 2
    for label, ks, blocks in (("old, 2 blocks/SM", old, 2 * S.SMS), ("old, 8 blocks/SM", old, 8 * S.SMS),
                              ("new", new, new_blocks(nbytes))):
        slot.zero_()
        gpu, launched = time_us(ks, x, blocks, True), time_us(ks, x, blocks, False)
        found = slot[0].item() > 0 and (~slot[1]).item() >> 2 == 12345
        print(f"finite check B{B} H{H} N{N} D{D} ({nbytes / 2**20:.0f} MiB) {label:18s} {blocks:5d} blocks: "
              f"GPU {gpu:6.2f} us, as launched {launched:6.2f} us, finds the NaN {found}", flush=True)
