// Preprocessing kernels (bodies; the extern "C" entry points are in sagestudio_kernels.cu):
// dtype conversion, K mean (smoothing), INT8 quantization of Q and K, FP8 quantization of V.
// Inputs are strided views [B,H,N,D] (element strides sb, sh, sn; D contiguous), D in {64, 128}.
#pragma once
#include "common.cuh"
#include "quant.cuh"

namespace ss {

struct View {
  int B, H, N, D;
  long long sb, sh, sn;
};

// ---- to fp16, contiguous HND. grid (cdiv(N*D, 2048), H, B), block 256.
template <typename T>
__device__ __forceinline__ void to_f16(const T* src, __half* dst, View v) {
  const int h = blockIdx.y, b = blockIdx.z;
  const long long idx = ((long long)blockIdx.x * 256 + threadIdx.x) * 8;
  if (idx >= (long long)v.N * v.D) return;
  const int n = (int)(idx / v.D), d = (int)(idx % v.D);
  float x[8];
  load8(src + b * v.sb + h * v.sh + n * v.sn + d, x);
  uint4 out;
  out.x = pack2<__half>(x[0], x[1]);
  out.y = pack2<__half>(x[2], x[3]);
  out.z = pack2<__half>(x[4], x[5]);
  out.w = pack2<__half>(x[6], x[7]);
  *reinterpret_cast<uint4*>(dst + (((long long)b * v.H + h) * v.N + n) * v.D + d) = out;
}

// ---- per-channel reduction over all tokens of one (b, h): sum (K mean) or max |x| (V fp8 scale).
// grid (H, B), block 256. Each thread walks every RP-th row of one 8-channel chunk; partials are
// combined in a fixed order (deterministic).
template <typename T, bool MAXABS, int D>
__device__ __forceinline__ void channel_reduce(const T* src, float* out, View v, float* red) {
  constexpr int CPR = D / 8, RP = 256 / CPR;
  const int h = blockIdx.x, b = blockIdx.y, tid = threadIdx.x;
  const int r0 = tid / CPR, c = tid % CPR;
  const T* base = src + b * v.sb + h * v.sh + c * 8;
  float acc[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = 0.f;
  int n = r0;
  for (; n + 3 * RP < v.N; n += 4 * RP) {  // 4 independent loads in flight
    float x[4][8];
#pragma unroll
    for (int u = 0; u < 4; ++u) load8(base + (long long)(n + u * RP) * v.sn, x[u]);
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] = MAXABS ? fmaxf(acc[i], fabsf(x[u][i])) : acc[i] + x[u][i];
  }
  for (; n < v.N; n += RP) {
    float x[8];
    load8(base + (long long)n * v.sn, x);
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[i] = MAXABS ? fmaxf(acc[i], fabsf(x[i])) : acc[i] + x[i];
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) red[r0 * D + c * 8 + i] = acc[i];
  __syncthreads();
  if (tid < D) {
    float* o = out + ((long long)b * v.H + h) * D + tid;
    if (MAXABS) {
      float a = 0.f;
      for (int r = 0; r < RP; ++r) a = fmaxf(a, red[r * D + tid]);
      *o = fmaxf(a, kAmaxFloor) / kFp8Max;
    } else {
      double s = 0.0;
      for (int r = 0; r < RP; ++r) s += red[r * D + tid];
      *o = round_to((float)(s / v.N), (const T*)nullptr);  // km is kept in the input dtype
    }
  }
}

// ---- INT8 quantization of ROWS-row blocks; each warp owns ROWS/4 consecutive rows.
// Q: ROWS = 128 (per-warp groups of 32, or one group of 128); K: ROWS = 64 (one group).
// x = src * mul - (km ? km[d] : 0). Rows >= N are written as 0 and excluded from amax.
template <typename T, int D, int ROWS>
__device__ __forceinline__ void quant_int8_block(const T* src, const float* km, int8_t* dst, float* scales,
                                                 View v, float mul, bool per_warp, int n_pad) {
  constexpr int WR = ROWS / 4;        // rows per warp
  constexpr int CPR = D / 8;          // 8-element chunks per row
  constexpr int RPP = 32 / CPR;       // rows per pass of a warp
  constexpr int PASSES = WR / RPP;
  __shared__ float wmax[4];
  const int h = blockIdx.y, b = blockIdx.z, blk = blockIdx.x;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int lr = lane / CPR, c = lane % CPR;
  const int row0 = blk * ROWS + warp * WR;
  const T* base = src + b * v.sb + h * v.sh + c * 8;
  float sub[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) sub[i] = km ? km[((long long)b * v.H + h) * D + c * 8 + i] : 0.f;
  float x[PASSES][8];
  float amax = 0.f;
#pragma unroll
  for (int p = 0; p < PASSES; ++p) {
    const int n = row0 + p * RPP + lr;
    if (n < v.N) {
      load8(base + (long long)n * v.sn, x[p]);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        x[p][i] = x[p][i] * mul - sub[i];
        amax = fmaxf(amax, fabsf(x[p][i]));
      }
    } else {
#pragma unroll
      for (int i = 0; i < 8; ++i) x[p][i] = 0.f;
    }
  }
  amax = warp_max(amax);
  if (!per_warp) {
    if (lane == 0) wmax[warp] = amax;
    __syncthreads();
    amax = fmaxf(fmaxf(wmax[0], wmax[1]), fmaxf(wmax[2], wmax[3]));
  }
  amax = fmaxf(amax, kAmaxFloor);
  const float scale = amax / 127.f, inv = 127.f / amax;
  if (lane == 0) {
    if (ROWS == 128) {
      scales[((long long)b * v.H + h) * (n_pad / 32) + blk * 4 + warp] = scale;
    } else if (warp == 0) {
      scales[((long long)b * v.H + h) * (n_pad / ROWS) + blk] = scale;
    }
  }
#pragma unroll
  for (int p = 0; p < PASSES; ++p) {
    const int n = row0 + p * RPP + lr;
    uint2 q;
    q.x = pack_i8x4(quant_i8(x[p][0], inv), quant_i8(x[p][1], inv), quant_i8(x[p][2], inv), quant_i8(x[p][3], inv));
    q.y = pack_i8x4(quant_i8(x[p][4], inv), quant_i8(x[p][5], inv), quant_i8(x[p][6], inv), quant_i8(x[p][7], inv));
    *reinterpret_cast<uint2*>(dst + (((long long)b * v.H + h) * n_pad + n) * D + c * 8) = q;
  }
}

// ---- V -> FP8 E4M3, transposed to [B,H,D,NkP] with the token permutation of the PV mma
// (ABI.md). grid (NkP/64, H, B), block 256.
__device__ __forceinline__ int fp8_token_position(int n) {
  const int s = n >> 4, u = n & 15;
  const int t = (u & 7) >> 1, j = (u & 1) + ((u >> 3) << 1);
  return (s << 4) + (t << 2) + j;
}

template <typename T, int D>
__device__ __forceinline__ void quant_v_fp8(const T* src, const float* vs, uint8_t* dst, View v, int n_pad) {
  __shared__ __align__(16) uint8_t tile[D][64 + 16];
  constexpr int CPR = D / 8;
  const int h = blockIdx.y, b = blockIdx.z, n0 = blockIdx.x * 64, tid = threadIdx.x;
  const float* scale = vs + ((long long)b * v.H + h) * D;
  for (int i = tid; i < 64 * CPR; i += 256) {
    const int r = i / CPR, c = i % CPR, n = n0 + r;
    float x[8];
    if (n < v.N) {
      load8(src + b * v.sb + h * v.sh + (long long)n * v.sn + c * 8, x);
    } else {
#pragma unroll
      for (int k = 0; k < 8; ++k) x[k] = 0.f;
    }
    // within a 64-token block: 32-token groups, permuted inside each 32
    const int pos = (r & 32) + fp8_token_position(r & 31);
#pragma unroll
    for (int k = 0; k < 8; ++k) tile[c * 8 + k][pos] = to_e4m3(__fdiv_rn(x[k], scale[c * 8 + k]));
  }
  __syncthreads();
  for (int i = tid; i < D * 4; i += 256) {
    const int d = i / 4, c = i % 4;
    *reinterpret_cast<uint4*>(dst + (((long long)b * v.H + h) * D + d) * n_pad + n0 + c * 16) =
        *reinterpret_cast<const uint4*>(&tile[d][c * 16]);
  }
}

}  // namespace ss
