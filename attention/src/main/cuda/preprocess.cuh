// Preprocessing kernels (bodies; the extern "C" entry points are in sagestudio_kernels.cu):
// dtype conversion, K mean (smoothing), INT8 quantization of Q and K, FP8 quantization of V.
// Inputs are strided views [B,H,N,D] (element strides sb, sh, sn; D contiguous), D in {64, 128}.
#pragma once
#include "common.cuh"
#include "params.cuh"
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

// ---- Sage preprocessing in two launches (SagePrepParams; ABI.md §1):
//   pre_sage_stats: per (batch, kv-head), `splits` blocks each reduce one token range of K (column
//     sums, for the K mean) and of V (column max |v|, for the FP8 scales) into `partials`; the other
//     blocks of the same launch quantize Q (it needs no statistics).
//   pre_sage_quant: per 64-token block of K and V, combines the partials of its (batch, kv-head) in a
//     fixed order (deterministic), then quantizes K (INT8, smoothed) and V (FP8, transposed).
// partials: double K sums [B,Hkv,splits,D], then float V maxima [B,Hkv,splits,D].
// INT8 quantization of ROWS-row block blk of head h, batch b; each warp owns ROWS/4 consecutive rows.
// Q: ROWS = 128 (per-warp groups of 32, or one group of 128); K: ROWS = 64 (one group).
// x = src * mul - (sub ? sub[d] : 0). Rows >= N are written as 0 and excluded from amax.
template <typename T, int D, int ROWS>
__device__ __forceinline__ void quant_int8_block(const T* src, const float* sub_d, int8_t* dst, float* scales,
                                                 View v, float mul, bool per_warp, int n_pad, int blk, int h, int b) {
  constexpr int WR = ROWS / 4;        // rows per warp
  constexpr int CPR = D / 8;          // 8-element chunks per row
  constexpr int RPP = 32 / CPR;       // rows per pass of a warp
  constexpr int PASSES = WR / RPP;
  __shared__ float wmax[4];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int lr = lane / CPR, c = lane % CPR;
  const int row0 = blk * ROWS + warp * WR;
  const T* base = src + b * v.sb + h * v.sh + c * 8;
  float sub[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) sub[i] = sub_d ? sub_d[c * 8 + i] : 0.f;
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

// Per-channel sum (MAXABS false) or max |x| (true) over tokens [n_begin, n_end) of one (b, h) by
// the block's THREADS threads into out[0..D): each thread walks every RP-th row of one 8-channel
// chunk with 4 loads in flight; the row groups are combined in a fixed order (deterministic).
template <typename T, bool MAXABS, int D, int THREADS, typename Out>
__device__ __forceinline__ void channel_reduce(const T* base, long long sn, int n_begin, int n_end, Out* out,
                                               float* red) {
  constexpr int CPR = D / 8, RP = THREADS / CPR;
  const int tid = threadIdx.x, r0 = tid / CPR, c = tid % CPR;
  base += c * 8;
  float acc[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = 0.f;
  int n = n_begin + r0;
  for (; n + 3 * RP < n_end; n += 4 * RP) {
    float x[4][8];
#pragma unroll
    for (int u = 0; u < 4; ++u) load8(base + (long long)(n + u * RP) * sn, x[u]);
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] = MAXABS ? fmaxf(acc[i], fabsf(x[u][i])) : acc[i] + x[u][i];
  }
  for (; n < n_end; n += RP) {
    float x[8];
    load8(base + (long long)n * sn, x);
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[i] = MAXABS ? fmaxf(acc[i], fabsf(x[i])) : acc[i] + x[i];
  }
  __syncthreads();  // red may still be read by an earlier reduction of this block
#pragma unroll
  for (int i = 0; i < 8; ++i) red[r0 * D + c * 8 + i] = acc[i];
  __syncthreads();
  for (int d = tid; d < D; d += THREADS) {
    if constexpr (MAXABS) {
      float a = 0.f;
      for (int r = 0; r < RP; ++r) a = fmaxf(a, red[r * D + d]);
      out[d] = a;
    } else {
      double s = 0.0;
      for (int r = 0; r < RP; ++r) s += red[r * D + d];
      out[d] = s;
    }
  }
}

// Token range of statistics block `split` of `splits` over N tokens.
__device__ __forceinline__ void split_range(int split, int splits, int N, int& n_begin, int& n_end) {
  const int len = cdiv(N, splits);
  n_begin = min(N, split * len);
  n_end = min(N, n_begin + len);
}

// ---- V -> FP8 E4M3, transposed to [B,H,D,NkP] with the token permutation of the PV mma (ABI.md):
// tokens n0..n0+63 of (b, h) by THREADS threads, scale[d] = vs of this (b, h).
__device__ __forceinline__ int fp8_token_position(int n) {
  const int s = n >> 4, u = n & 15;
  const int t = (u & 7) >> 1, j = (u & 1) + ((u >> 3) << 1);
  return (s << 4) + (t << 2) + j;
}

template <typename T, int D, int THREADS>
__device__ __forceinline__ void quant_v_fp8(const T* src, const float* scale, uint8_t* dst, View v, int n_pad, int n0,
                                            int h, int b) {
  __shared__ __align__(16) uint8_t tile[D][64 + 16];
  constexpr int CPR = D / 8;
  const int tid = threadIdx.x;
  for (int i = tid; i < 64 * CPR; i += THREADS) {
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
  for (int i = tid; i < D * 4; i += THREADS) {
    const int d = i / 4, c = i % 4;
    *reinterpret_cast<uint4*>(dst + (((long long)b * v.H + h) * D + d) * n_pad + n0 + c * 16) =
        *reinterpret_cast<const uint4*>(&tile[d][c * 16]);
  }
}

// pre_sage_stats: grid (splits + (Hq/Hkv)·NqP/128, Hkv, B). Blocks x < splits: statistics of token
// range x of (b, kv-head y); the others: INT8 Q of query head y·(Hq/Hkv) + i / (NqP/128), 128-row
// block i % (NqP/128), i = x - splits.
template <typename T, int D, int THREADS>
__device__ __forceinline__ void sage_stats(const SagePrepParams& p) {
  __shared__ float red[THREADS / (D / 8) * D];
  const int x = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  if (x >= p.splits) {
    const int nqb = cdiv(p.Nq, 128), i = x - p.splits;
    const View qv{p.B, p.Hq, p.Nq, D, p.q_sb, p.q_sh, p.q_sn};
    quant_int8_block<T, D, 128>(static_cast<const T*>(p.q), nullptr, p.q8, p.qs, qv, p.mul, p.rows_per_scale == 32,
                                nqb * 128, i % nqb, h * (p.Hq / p.Hkv) + i / nqb, b);
    return;
  }
  int n_begin, n_end;
  split_range(x, p.splits, p.Nk, n_begin, n_end);
  const long long slot = ((long long)(b * p.Hkv + h) * p.splits + x) * D;
  if (p.km) {
    double* sums = static_cast<double*>(p.partials);
    channel_reduce<T, false, D, THREADS>(static_cast<const T*>(p.k) + b * p.k_sb + h * p.k_sh, p.k_sn, n_begin,
                                         n_end, sums + slot, red);
  }
  if (p.vt8) {
    float* maxima = reinterpret_cast<float*>(static_cast<double*>(p.partials) + (long long)p.B * p.Hkv * p.splits * D);
    channel_reduce<T, true, D, THREADS>(static_cast<const T*>(p.v) + b * p.v_sb + h * p.v_sh, p.v_sn, n_begin,
                                        n_end, maxima + slot, red);
  }
}

// pre_sage_quant: grid (NkP/64, Hkv, B). K mean = (Σ over splits, in order, in double) / Nk rounded
// to the input dtype; vs = max(max over splits, 1e-7) / 448; block x = 0 also writes them out.
template <typename T, int D, int THREADS>
__device__ __forceinline__ void sage_quant(const SagePrepParams& p) {
  __shared__ float km[D], vs[D];
  const int x = blockIdx.x, h = blockIdx.y, b = blockIdx.z, nkp = cdiv(p.Nk, 64) * 64;
  const long long head = (long long)(b * p.Hkv + h);
  const double* sums = static_cast<const double*>(p.partials);
  const float* maxima = reinterpret_cast<const float*>(sums + (long long)p.B * p.Hkv * p.splits * D);
  for (int d = threadIdx.x; d < D; d += THREADS) {
    if (p.km) {
      double s = 0.0;
      for (int i = 0; i < p.splits; ++i) s += sums[(head * p.splits + i) * D + d];
      km[d] = round_to((float)(s / p.Nk), (const T*)nullptr);  // km is kept in the input dtype
      if (x == 0) p.km[head * D + d] = km[d];
    }
    if (p.vt8) {
      float a = 0.f;
      for (int i = 0; i < p.splits; ++i) a = fmaxf(a, maxima[(head * p.splits + i) * D + d]);
      vs[d] = fmaxf(a, kAmaxFloor) / kFp8Max;
      if (x == 0) p.vs[head * D + d] = vs[d];
    }
  }
  __syncthreads();
  const View kv{p.B, p.Hkv, p.Nk, D, p.k_sb, p.k_sh, p.k_sn};
  quant_int8_block<T, D, 64>(static_cast<const T*>(p.k), p.km ? km : nullptr, p.k8, p.ks, kv, 1.f, false, nkp, x, h, b);
  if (p.vt8) {
    const View vv{p.B, p.Hkv, p.Nk, D, p.v_sb, p.v_sh, p.v_sn};
    quant_v_fp8<T, D, THREADS>(static_cast<const T*>(p.v), vs, p.vt8, vv, nkp, x * 64, h, b);
  }
}

}  // namespace ss
