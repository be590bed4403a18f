// FP8 PV for the sm_89 / sm_120 path (SageAttention2): P·448 rounded to e4m3 (the static scale
// uses the whole e4m3 range, P <= 1), V per-channel scaled e4m3 stored transposed [D][64 tokens]
// with the token order permuted so the m16n8k32 A-fragment of P comes straight from the S
// accumulator registers (ABI.md, pre_sage_quant). Two-level accumulation: each 64-key block is
// accumulated by the mma into a fresh fp32 accumulator (the tensor core keeps fewer mantissa bits
// than fp32 while accumulating), then added to the fp32 output accumulator with an FADD.
// The V scale and 1/448 are applied once in the epilogue.
#pragma once
#include "common.cuh"
#include "copy.cuh"
#include "mma.cuh"
#include "quant.cuh"
#include "swizzle.cuh"

namespace ss {

// s: scores of NT*8 keys starting at token column 16*c0 of the [D][64] V^T tile.
template <int MT, int NT, int D>
__device__ __forceinline__ void pv_fp8(const float (&s)[MT][NT][4], uint32_t sVt, int c0, float (&acc)[MT][D / 8][4],
                                       int lane) {
  static_assert(NT % 4 == 0, "k32 steps");
  constexpr int KSTEPS = NT / 4;
  uint32_t pa[MT][KSTEPS][4];
#pragma unroll
  for (int mi = 0; mi < MT; ++mi)
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ++ks) {
      const int n = 4 * ks;
      pa[mi][ks][0] = pack_e4m3x4(s[mi][n][0] * kFp8Max, s[mi][n][1] * kFp8Max, s[mi][n + 1][0] * kFp8Max,
                                  s[mi][n + 1][1] * kFp8Max);
      pa[mi][ks][1] = pack_e4m3x4(s[mi][n][2] * kFp8Max, s[mi][n][3] * kFp8Max, s[mi][n + 1][2] * kFp8Max,
                                  s[mi][n + 1][3] * kFp8Max);
      pa[mi][ks][2] = pack_e4m3x4(s[mi][n + 2][0] * kFp8Max, s[mi][n + 2][1] * kFp8Max, s[mi][n + 3][0] * kFp8Max,
                                  s[mi][n + 3][1] * kFp8Max);
      pa[mi][ks][3] = pack_e4m3x4(s[mi][n + 2][2] * kFp8Max, s[mi][n + 2][3] * kFp8Max, s[mi][n + 3][2] * kFp8Max,
                                  s[mi][n + 3][3] * kFp8Max);
    }
#pragma unroll
  for (int dc = 0; dc < D / 32; ++dc) {
    float c[MT][4][4];
#pragma unroll
    for (int mi = 0; mi < MT; ++mi)
#pragma unroll
      for (int x = 0; x < 4; ++x)
#pragma unroll
        for (int e = 0; e < 4; ++e) c[mi][x][e] = 0.f;
#pragma unroll
    for (int ks = 0; ks < KSTEPS; ++ks)
#pragma unroll
      for (int dp = 0; dp < 2; ++dp) {
        uint32_t vb[4];
        ldsm_x4(vb, sVt + swz<64>(dc * 32 + dp * 16 + (lane >> 4) * 8 + (lane & 7), c0 + ks * 2 + ((lane >> 3) & 1)));
#pragma unroll
        for (int mi = 0; mi < MT; ++mi) {
          mma_e4m3_f32(c[mi][2 * dp], pa[mi][ks], vb[0], vb[1]);
          mma_e4m3_f32(c[mi][2 * dp + 1], pa[mi][ks], vb[2], vb[3]);
        }
      }
#pragma unroll
    for (int mi = 0; mi < MT; ++mi)
#pragma unroll
      for (int x = 0; x < 4; ++x)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[mi][dc * 4 + x][e] += c[mi][x][e];
  }
}

}  // namespace ss
