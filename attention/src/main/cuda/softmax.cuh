// Online softmax in base 2 over one key block, on the m16n8 accumulator layout: a thread holds, for
// each m-tile mi, rows g (h=0, elements 0,1) and g+8 (h=1, elements 2,3) of NT n8 tiles. The four
// lanes of a quad share a row, so row reductions are two xor-shuffles. Scores are already in the
// log2 domain (Q pre-multiplied by softmax_scale * log2 e). Masked scores are -inf.
#pragma once
#include "common.cuh"

namespace ss {

template <int MT, int NT>
__device__ __forceinline__ void online_softmax(float (&s)[MT][NT][4], float (&m)[MT][2], float (&l)[MT][2],
                                               float (&alpha)[MT][2]) {
#pragma unroll
  for (int mi = 0; mi < MT; ++mi) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float mx = m[mi][h];
#pragma unroll
      for (int nj = 0; nj < NT; ++nj) mx = fmaxf(mx, fmaxf(s[mi][nj][2 * h], s[mi][nj][2 * h + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      // A row with nothing visible yet keeps m = -inf; use 0 as reference so no (-inf) - (-inf).
      const float ref = (mx == -INFINITY) ? 0.f : mx;
      alpha[mi][h] = (m[mi][h] == -INFINITY) ? 0.f : exp2f(m[mi][h] - ref);
      m[mi][h] = mx;
      float sum = 0.f;
#pragma unroll
      for (int nj = 0; nj < NT; ++nj) {
        float p0 = exp2f(s[mi][nj][2 * h] - ref);
        float p1 = exp2f(s[mi][nj][2 * h + 1] - ref);
        s[mi][nj][2 * h] = p0;
        s[mi][nj][2 * h + 1] = p1;
        sum += p0 + p1;
      }
      l[mi][h] = l[mi][h] * alpha[mi][h] + sum;  // per-thread partial; quad-reduced at the end
    }
  }
}

// Full row sum of the per-thread partial sums.
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  v += __shfl_xor_sync(0xffffffffu, v, 2);
  return v;
}

}  // namespace ss
