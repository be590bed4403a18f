// flash-fp16: FlashAttention-2-style forward on the mma.sync path (sm_80 .. sm_90, PTX beyond).
// fp16 (or bf16) operands, fp32 scores, online softmax in base 2, fp32 accumulation; P stays in
// registers and is reused as the A operand of PV. Q tile resident in shared memory; K/V tiles
// double-buffered with cp.async.
#pragma once
#include "attn_common.cuh"
#include "mma.cuh"
#include "softmax.cuh"

namespace ss {

struct AttnArgs {
  int B, Hq, Hkv, Nq, Nk;
};

template <typename T>
__device__ __forceinline__ void mma16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (sizeof(T) == 2 && std::is_same<T, __half>::value) mma_f16_f32(c, a, b0, b1);
  else mma_bf16_f32(c, a, b0, b1);
}

template <typename T, int D, bool CAUSAL>
__device__ __forceinline__ void flash_fwd_body(const T* __restrict__ q, const T* __restrict__ k,
                                               const T* __restrict__ v, void* __restrict__ o, AttnArgs a,
                                               long long q_sb, long long q_sh, long long q_sn, long long k_sb,
                                               long long k_sh, long long k_sn, long long v_sb, long long v_sh,
                                               long long v_sn, long long o_sb, long long o_sh, long long o_sn,
                                               float softmax_scale, int out_dtype, char* smem) {
  using Tr = FlashTraits<D>;
  constexpr int MT = Tr::MT, NT = Tr::NT, DT = Tr::DT, ROWB = Tr::ROWB;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int qblk = gridDim.x - 1 - blockIdx.x;  // longest causal tiles start first
  const int h = blockIdx.y, b = blockIdx.z, hk = h / (a.Hq / a.Hkv);
  const int q0 = qblk * Tr::BM;

  const char* qg = reinterpret_cast<const char*>(q + b * q_sb + h * q_sh + q0 * q_sn);
  const char* kg = reinterpret_cast<const char*>(k + b * k_sb + hk * k_sh);
  const char* vg = reinterpret_cast<const char*>(v + b * v_sb + hk * v_sh);
  const long long kstr = k_sn * 2, vstr = v_sn * 2;
  const uint32_t sQ = smem_addr(smem), sK = sQ + Tr::Q_BYTES, sV = sK + 2 * Tr::KV_BYTES;

  const int kv_end = CAUSAL ? min(a.Nk, q0 + Tr::BM) : a.Nk;
  const int nblk = cdiv(kv_end, Tr::BN);

  load_tile<ROWB, Tr::BM, Tr::THREADS>(sQ, qg, q_sn * 2, a.Nq - q0, tid);
  load_tile<ROWB, Tr::BN, Tr::THREADS>(sK, kg, kstr, a.Nk, tid);
  load_tile<ROWB, Tr::BN, Tr::THREADS>(sV, vg, vstr, a.Nk, tid);
  cp_async_commit();

  float acc[MT][DT][4];
  float m[MT][2], l[MT][2];
#pragma unroll
  for (int mi = 0; mi < MT; ++mi) {
#pragma unroll
    for (int dj = 0; dj < DT; ++dj)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][dj][e] = 0.f;
    m[mi][0] = m[mi][1] = -INFINITY;
    l[mi][0] = l[mi][1] = 0.f;
  }
  const float sl2 = softmax_scale * kLog2e;
  const int wrow0 = q0 + warp * Tr::WM;

  for (int j = 0; j < nblk; ++j) {
    const int st = j & 1;
    if (j + 1 < nblk) {
      const int n1 = (j + 1) * Tr::BN;
      load_tile<ROWB, Tr::BN, Tr::THREADS>(sK + (st ^ 1) * Tr::KV_BYTES, kg + n1 * kstr, kstr, a.Nk - n1, tid);
      load_tile<ROWB, Tr::BN, Tr::THREADS>(sV + (st ^ 1) * Tr::KV_BYTES, vg + n1 * vstr, vstr, a.Nk - n1, tid);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();

    const uint32_t sKs = sK + st * Tr::KV_BYTES, sVs = sV + st * Tr::KV_BYTES;
    float s[MT][NT][4];
#pragma unroll
    for (int mi = 0; mi < MT; ++mi)
#pragma unroll
      for (int nj = 0; nj < NT; ++nj)
#pragma unroll
        for (int e = 0; e < 4; ++e) s[mi][nj][e] = 0.f;

#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t qa[MT][4];
#pragma unroll
      for (int mi = 0; mi < MT; ++mi)
        ldsm_x4(qa[mi], sQ + swz<ROWB>(warp * Tr::WM + mi * 16 + (lane & 15), kk * 2 + (lane >> 4)));
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) {
        uint32_t kb[4];
        ldsm_x4(kb, sKs + swz<ROWB>(np * 16 + (lane >> 4) * 8 + (lane & 7), kk * 2 + ((lane >> 3) & 1)));
#pragma unroll
        for (int mi = 0; mi < MT; ++mi) {
          mma16<T>(s[mi][2 * np], qa[mi], kb[0], kb[1]);
          mma16<T>(s[mi][2 * np + 1], qa[mi], kb[2], kb[3]);
        }
      }
    }

    const int n0 = j * Tr::BN;
    if (n0 + Tr::BN > a.Nk || (CAUSAL && n0 + Tr::BN - 1 > wrow0)) mask_scores<MT, NT, CAUSAL>(s, wrow0, n0, a.Nk, lane);

    float alpha[MT][2];
    if (online_softmax<MT, NT>(s, sl2, m, l, alpha)) rescale_o<MT, DT>(acc, alpha);

#pragma unroll
    for (int kb = 0; kb < Tr::BN / 16; ++kb) {
      uint32_t pa[MT][4];
#pragma unroll
      for (int mi = 0; mi < MT; ++mi) {
        pa[mi][0] = pack2<T>(s[mi][2 * kb][0], s[mi][2 * kb][1]);
        pa[mi][1] = pack2<T>(s[mi][2 * kb][2], s[mi][2 * kb][3]);
        pa[mi][2] = pack2<T>(s[mi][2 * kb + 1][0], s[mi][2 * kb + 1][1]);
        pa[mi][3] = pack2<T>(s[mi][2 * kb + 1][2], s[mi][2 * kb + 1][3]);
      }
#pragma unroll
      for (int dp = 0; dp < DT / 2; ++dp) {
        uint32_t vb[4];
        ldsm_x4_t(vb, sVs + swz<ROWB>(kb * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, dp * 2 + (lane >> 4)));
#pragma unroll
        for (int mi = 0; mi < MT; ++mi) {
          mma16<T>(acc[mi][2 * dp], pa[mi], vb[0], vb[1]);
          mma16<T>(acc[mi][2 * dp + 1], pa[mi], vb[2], vb[3]);
        }
      }
    }
    __syncthreads();  // stage st is overwritten by the next iteration's prefetch
  }

  store_output<MT, DT>(acc, l, o, b * o_sb + h * o_sh, o_sn, wrow0, a.Nq, lane, nullptr, 1.f, out_dtype);
}

}  // namespace ss
