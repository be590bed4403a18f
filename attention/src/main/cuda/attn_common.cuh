// Pieces shared by the attention kernels: tile loads into swizzled shared memory, the score mask
// (key tail and top-left causal), the fp32 output epilogue.
#pragma once
#include "common.cuh"
#include "copy.cuh"
#include "swizzle.cuh"
#include "traits.cuh"
#include "softmax.cuh"

namespace ss {

// Copies ROWS rows of ROWB bytes (row r at gbase + r*stride_bytes) into a swizzled tile; rows
// >= rows_valid are zero-filled. PANELB < ROWB splits the tile into column panels of PANELB bytes
// (panel p holds bytes [PANELB*p, PANELB*(p+1)) of every row, rows PANELB apart, each panel
// swizzled on its own), as wgmma's MN-major operands want (128-byte panels); by default the whole
// row is one panel. Each thread owns one 16-byte column chunk and every RSTEP-th row; the loop is
// deliberately not unrolled: unrolled, the compiler hoists one 64-bit address per row out of the key
// loop and the attention kernels spill.
template <int ROWB, int ROWS, int THREADS, int PANELB = ROWB>
__device__ __forceinline__ void load_tile(uint32_t sbase, const char* gbase, long long stride_bytes, int rows_valid,
                                          int tid) {
  constexpr int CPR = ROWB / 16, RSTEP = THREADS / CPR, CPP = PANELB / 16, PANEL = ROWS * PANELB;
  static_assert(ROWB % PANELB == 0 && THREADS % CPR == 0 && ROWS % RSTEP == 0 && RSTEP % 8 == 0,
                "tile/thread mapping");
  const int r0 = tid / CPR, c = tid % CPR;
  uint32_t dst = sbase;  // the swizzle depends on row & 7 only: same for every pass
  if constexpr (PANELB == ROWB) {
    dst += swz<ROWB>(r0, c);
  } else {  // chunk c is chunk c mod CPP of panel c / CPP
    static_assert((CPP & (CPP - 1)) == 0, "panels of a power-of-two number of chunks");
    dst += (c >> ilog2(CPP)) * PANEL + swz<PANELB>(r0, c & (CPP - 1));
  }
  const char* src = gbase + r0 * stride_bytes + c * 16;
  const long long step = RSTEP * stride_bytes;
#pragma unroll 1
  for (int r = r0; r < ROWS; r += RSTEP) {
    const bool ok = r < rows_valid;
    cp_async16(dst, ok ? src : gbase, ok);
    dst += RSTEP * PANELB;
    src += step;
  }
}

// Sets scores of invisible keys to -inf: keys >= Nk and, when causal, keys after the query row.
template <int MT, int NT, bool CAUSAL>
__device__ __forceinline__ void mask_scores(float (&s)[MT][NT][4], int row0, int n0, int Nk, int lane) {
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int mi = 0; mi < MT; ++mi)
#pragma unroll
    for (int nj = 0; nj < NT; ++nj)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int col = n0 + nj * 8 + 2 * t + (e & 1);
        const int row = row0 + mi * 16 + g + (e >> 1) * 8;
        if (col >= Nk || (CAUSAL && col > row)) s[mi][nj][e] = -INFINITY;
      }
}

// O / l (times an optional per-column factor colscale[c] / colscale_div) written in out_dtype; only rows < Nq.
template <int MT, int DT>
__device__ __forceinline__ void store_output(const float (&o)[MT][DT][4], const float (&l)[MT][2], void* out,
                                             long long obase, long long o_sn, int row0, int Nq, int lane,
                                             const float* colscale, float colscale_div, int out_dtype) {
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int mi = 0; mi < MT; ++mi)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const float lsum = quad_sum(l[mi][h]);
      const float inv = lsum > 0.f ? 1.f / lsum : 0.f;
      const int row = row0 + mi * 16 + g + h * 8;
      if (row >= Nq) continue;
#pragma unroll
      for (int dj = 0; dj < DT; ++dj) {
        const int col = dj * 8 + 2 * t;
        float a = o[mi][dj][2 * h] * inv, b = o[mi][dj][2 * h + 1] * inv;
        if (colscale) {
          a *= __fdiv_rn(colscale[col], colscale_div);
          b *= __fdiv_rn(colscale[col + 1], colscale_div);
        }
        store2(out, obase + row * o_sn + col, a, b, out_dtype);  // uniform branch
      }
    }
}

}  // namespace ss
