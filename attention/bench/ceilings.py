"""The two ceilings on this card (METHOD.md): device-to-device copy bandwidth (bytes read + written)
and dense matrix-product rates through torch (fp16, and int8 through torch._int_mm)."""
import statistics

import torch


def med(fn, reps=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    for s, e in ev:
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in ev)


if __name__ == "__main__":
    a = torch.empty(2**30, dtype=torch.uint8, device="cuda").random_()
    b = torch.empty_like(a)
    ms = med(lambda: b.copy_(a))
    print(f"copy 1 GiB: {2 * a.numel() / ms / 1e6:.0f} GB/s (read + write)")
    n = 8192
    x = torch.randn(n, n, dtype=torch.float16, device="cuda")
    y = torch.randn(n, n, dtype=torch.float16, device="cuda")
    ms = med(lambda: x @ y)
    print(f"fp16 matmul {n}^3: {2 * n**3 / ms / 1e9:.0f} TFLOPS")
    xi = torch.randint(-127, 127, (n, n), dtype=torch.int8, device="cuda")
    yi = torch.randint(-127, 127, (n, n), dtype=torch.int8, device="cuda")
    try:
        ms = med(lambda: torch._int_mm(xi, yi))
        print(f"int8 matmul {n}^3: {2 * n**3 / ms / 1e9:.0f} TOPS")
    except RuntimeError as e:
        print(f"int8 matmul: not run ({e})")
