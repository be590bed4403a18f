"""The accuracy floor of FP8 (e4m3) P.V on the FP8 check's biased-K inputs, without any kernel: Q, K, V standard normal
in fp16, K with a per-channel bias of 2 + N(0, 1) (smoothed away, as SageAttention does), exact Q.K^T, online softmax by
128-key blocks with P in [0, 1] scaled to 448 and rounded to e4m3 (nearest even, subnormals, saturating), V rounded to
e4m3 with one scale per channel, exact accumulation. Against the float64 result: cosine and relative L1 over the
whole output, three seeds, N = 2048, D = 128 (the check case (1, 2, 2, 2048, 2048, biased)). No INT8 Q.K^T error and
no FP22 accumulator: the kernel can only be worse than this.

    python3 attention/bench/fp8_floor.py
"""
import numpy as np
def e4m3(x):
    """round to nearest-even e4m3 (bias 7, max 448, subnormals down to 2^-9), saturating"""
    x = np.asarray(x, dtype=np.float64)
    s = np.sign(x); a = np.minimum(np.abs(x), 448.0)
    e = np.floor(np.log2(np.maximum(a, 1e-300)))
    e = np.maximum(e, -6)                    # subnormal range shares exponent -6
    q = 2.0 ** (e - 3)                       # 3 mantissa bits
    return s * np.minimum(np.round(a / q) * q, 448.0)
def run(N=2048, D=128, seed=0, l_from_quantized=False, vsmooth=False, block=128):
    r = np.random.default_rng(seed)
    q = r.standard_normal((N, D)).astype(np.float16).astype(np.float64)
    k = r.standard_normal((N, D)).astype(np.float16).astype(np.float64)
    k += 2.0 + r.standard_normal(D)
    v = r.standard_normal((N, D)).astype(np.float16).astype(np.float64)
    s = q @ k.T / np.sqrt(D)
    p = np.exp(s - s.max(1, keepdims=True)); exact = (p @ v) / p.sum(1, keepdims=True)
    ks = k - k.mean(0)                        # smoothing: the softmax is unchanged
    ss = q @ ks.T / np.sqrt(D)
    vm = v.mean(0) if vsmooth else np.zeros(D)
    vc = v - vm
    vscale = np.abs(vc).max(0) / 448.0
    vq = e4m3(vc / vscale)
    acc = np.zeros((N, D)); l = np.zeros((N, 1)); m = np.full((N, 1), -np.inf)
    for j in range(0, N, block):              # online softmax by key blocks, P in [0,1] scaled to 448
        sb = ss[:, j:j+block]
        mn = np.maximum(m, sb.max(1, keepdims=True)); corr = np.exp(m - mn)
        pb = np.exp(sb - mn)
        pq = e4m3(pb * 448.0) / 448.0
        acc = acc * corr + pq @ (vq[j:j+block] * 1.0)
        l = l * corr + (pq if l_from_quantized else pb).sum(1, keepdims=True); m = mn
    out = acc * vscale / l + vm
    d = out - exact
    cos = (out * exact).sum() / np.sqrt((out**2).sum() * (exact**2).sum())
    return cos, np.abs(d).sum() / np.abs(exact).sum()
for name, kw in [("fp8 P and V, l from fp32 P", {}), ("l from the quantized P", {"l_from_quantized": True}),
                 ("V smoothed by its mean", {"vsmooth": True})]:
    res = [run(seed=s, **kw) for s in range(3)]
    print(f"{name:32s} cos {min(c for c,_ in res):.5f}-{max(c for c,_ in res):.5f}  relL1 {min(l for _,l in res):.4f}-{max(l for _,l in res):.4f}")
