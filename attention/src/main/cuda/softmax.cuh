// Online softmax in base 2 over one key block, on the m16n8 accumulator layout: a thread holds, for
// each m-tile mi, rows g (h=0, elements 0,1) and g+8 (h=1, elements 2,3) of NT n8 tiles. The four
// lanes of a quad share a row, so row reductions are two xor-shuffles. Scores are already in the
// log2 domain (Q pre-multiplied by softmax_scale * log2 e). Masked scores are -inf.
#pragma once
#include "common.cuh"

namespace ss {

__device__ __forceinline__ float fast_exp2(float x) {  // MUFU.EX2; exp2(-inf) = 0
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// s holds raw scores (masked ones = -inf); the log2-domain score is s * scale (scale > 0), folded
// into one FFMA per element: p = 2^(s*scale - m). n8 tiles [0, NT/2) use scale_lo, [NT/2, NT)
// scale_hi (the sm90 kernel's 128-key blocks span two 64-key K-scale groups; one scale: pass it
// twice). Returns whether any row of the warp changed its max (if not, every alpha is 1 and the
// caller skips rescaling O).
template <int MT, int NT>
__device__ __forceinline__ bool online_softmax(float (&s)[MT][NT][4], float scale_lo, float scale_hi,
                                               float (&m)[MT][2], float (&l)[MT][2], float (&alpha)[MT][2]) {
  bool changed = false;
#pragma unroll
  for (int mi = 0; mi < MT; ++mi) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float mx_lo = -INFINITY, mx_hi = -INFINITY;
#pragma unroll
      for (int nj = 0; nj < NT; ++nj) {
        const float v = fmaxf(s[mi][nj][2 * h], s[mi][nj][2 * h + 1]);
        if (nj < NT / 2) mx_lo = fmaxf(mx_lo, v);
        else mx_hi = fmaxf(mx_hi, v);
      }
      float mx = fmaxf(mx_lo * scale_lo, mx_hi * scale_hi);  // = max(s) * scale when the scales agree
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      mx = fmaxf(m[mi][h], mx);
      // A row with nothing visible yet keeps m = -inf; use 0 as reference so no (-inf) - (-inf).
      const float ref = (mx == -INFINITY) ? 0.f : mx;
      alpha[mi][h] = (m[mi][h] == -INFINITY) ? 0.f : fast_exp2(m[mi][h] - ref);
      changed |= (mx != m[mi][h]);
      m[mi][h] = mx;
      float sum = 0.f;
#pragma unroll
      for (int nj = 0; nj < NT; ++nj) {
        const float scale = nj < NT / 2 ? scale_lo : scale_hi;
        float p0 = fast_exp2(fmaf(s[mi][nj][2 * h], scale, -ref));
        float p1 = fast_exp2(fmaf(s[mi][nj][2 * h + 1], scale, -ref));
        s[mi][nj][2 * h] = p0;
        s[mi][nj][2 * h + 1] = p1;
        sum += p0 + p1;
      }
      l[mi][h] = l[mi][h] * alpha[mi][h] + sum;  // per-thread partial; quad-reduced at the end
    }
  }
  return __any_sync(0xffffffffu, changed);
}
template <int MT, int NT>
__device__ __forceinline__ bool online_softmax(float (&s)[MT][NT][4], float scale, float (&m)[MT][2],
                                               float (&l)[MT][2], float (&alpha)[MT][2]) {
  return online_softmax<MT, NT>(s, scale, scale, m, l, alpha);
}

// O *= alpha per row (skipped by the callers when no row max changed).
template <int MT, int DT>
__device__ __forceinline__ void rescale_o(float (&acc)[MT][DT][4], const float (&alpha)[MT][2]) {
#pragma unroll
  for (int mi = 0; mi < MT; ++mi)
#pragma unroll
    for (int dj = 0; dj < DT; ++dj)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][dj][e] *= alpha[mi][e >> 1];
}

// Full row sum of the per-thread partial sums.
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  v += __shfl_xor_sync(0xffffffffu, v, 2);
  return v;
}

}  // namespace ss
