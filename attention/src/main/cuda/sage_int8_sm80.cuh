// SageAttention forward on the mma.sync path: INT8 Q·K^T (mma m16n8k32, s32 accumulate, Q
// fragments held in registers for the whole CTA), dequantization by δQ·δK (Q already carries
// softmax_scale·log2 e), online softmax with exp2, then PV in one of three modes:
//   kPvF16F32  fp16 P, fp16 V, mma m16n8k16 with fp32 accumulation            (sm_80+)
//   kPvF16F16  same operands, fp16 accumulation inside each 64-key block, then added to fp32
//   kPvFp8     e4m3 P (P·448) and per-channel e4m3 V (pv_fp8_sm89.cuh)       (sm_89+)
// For the two "two-level" modes the output columns are processed in chunks of 32 so the short-lived
// block accumulator needs only 16 extra registers per m-tile (same arithmetic as a full-width one:
// each column is accumulated over exactly the 64 keys of the block before being added to fp32).
#pragma once
#include "attn_common.cuh"
#include "mma.cuh"
#include "softmax.cuh"
#include "pv_fp8_sm89.cuh"
#include "params.cuh"

namespace ss {

// Fields of p are read where they are used (not unpacked at the entry, as the flash entries do):
// for these kernels, unpacked loads hoisted to the entry stayed live through the key loop
// (sage_int8_fp8_d128: 692 instead of 52 bytes of spills on sm_90a).
template <int D, bool CAUSAL, int PV>
__device__ __forceinline__ void sage_fwd_body(const SageParams& p, char* smem) {
  const int8_t* __restrict__ q8 = p.q8;
  const int8_t* __restrict__ k8 = p.k8;
  const float* __restrict__ qs = p.qs;
  const float* __restrict__ ks = p.ks;
  const void* __restrict__ vptr = p.v;
  using Tr = SageTraits<D, PV>;
  constexpr int MT = Tr::MT, DT = Tr::DT, KS = Tr::KS, NTS = KS / 8;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int qblk = gridDim.x - 1 - blockIdx.x;
  const int h = blockIdx.y, b = blockIdx.z, hk = h / (p.Hq / p.Hkv);
  const int q0 = qblk * Tr::BM;
  const int NqP = gridDim.x * Tr::BM, NkP = cdiv(p.Nk, Tr::BN) * Tr::BN;

  const char* qg = reinterpret_cast<const char*>(q8 + (((long long)b * p.Hq + h) * NqP + q0) * D);
  const char* kg = reinterpret_cast<const char*>(k8 + ((long long)b * p.Hkv + hk) * NkP * D);
  const float* ksb = ks + ((long long)b * p.Hkv + hk) * (NkP / Tr::BN);
  const float qscale = qs[((long long)b * p.Hq + h) * (NqP / 32) + qblk * 4 + warp];

  // V source: fp16 rows [token][D] (strided) or fp8 [D][NkP] (fixed layout).
  const char* vg;
  long long vstr;
  if constexpr (PV == kPvFp8) {
    vg = reinterpret_cast<const char*>(static_cast<const uint8_t*>(vptr) + ((long long)b * p.Hkv + hk) * D * NkP);
    vstr = NkP;
  } else {
    vg = reinterpret_cast<const char*>(static_cast<const __half*>(vptr) + b * p.v_sb + hk * p.v_sh);
    vstr = p.v_sn * 2;
  }

  const uint32_t sQ = smem_addr(smem), sK = sQ + Tr::Q_BYTES, sV = sK + 2 * Tr::K_BYTES;
  auto load_v = [&](uint32_t dst, int n0) {
    if constexpr (PV == kPvFp8) {
      load_tile<Tr::V_ROWB, D, Tr::THREADS>(dst, vg + n0, vstr, D, tid);  // D rows of 64 tokens
    } else {
      load_tile<Tr::V_ROWB, Tr::BN, Tr::THREADS>(dst, vg + n0 * vstr, vstr, p.Nk - n0, tid);
    }
  };

  const int kv_end = CAUSAL ? min(p.Nk, q0 + Tr::BM) : p.Nk;
  const int nblk = cdiv(kv_end, Tr::BN);

  load_tile<D, Tr::BM, Tr::THREADS>(sQ, qg, D, Tr::BM, tid);  // padded: all rows exist
  load_tile<D, Tr::BN, Tr::THREADS>(sK, kg, D, Tr::BN, tid);
  load_v(sV, 0);
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
  const int wrow0 = q0 + warp * Tr::WM;
  uint32_t qa[MT][D / 32][4];  // Q fragments stay in registers for the whole key loop (re-reading them
                               // from shared memory per block: no gain on H100, NOTES.md run 3)

  for (int j = 0; j < nblk; ++j) {
    const int st = j & 1;
    if (j + 1 < nblk) {
      const int n1 = (j + 1) * Tr::BN;
      load_tile<D, Tr::BN, Tr::THREADS>(sK + (st ^ 1) * Tr::K_BYTES, kg + (long long)n1 * D, D, Tr::BN, tid);
      load_v(sV + (st ^ 1) * Tr::V_BYTES, n1);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    if (j == 0) {
#pragma unroll
      for (int mi = 0; mi < MT; ++mi)
#pragma unroll
        for (int kk = 0; kk < D / 32; ++kk)
          ldsm_x4(qa[mi][kk], sQ + swz<D>(warp * Tr::WM + mi * 16 + (lane & 15), kk * 2 + (lane >> 4)));
    }

    const uint32_t sKs = sK + st * Tr::K_BYTES, sVs = sV + st * Tr::V_BYTES;
    const float dq = qscale * ksb[j];
    // The 64-key tile is consumed in softmax steps of KS keys (32 for D = 128, to fit registers).
#pragma unroll 1
    for (int sub = 0; sub < Tr::BN / KS; ++sub) {  // not unrolled: keeps one score set live
      const int kr = sub * KS;
      int si[MT][NTS][4];
#pragma unroll
      for (int mi = 0; mi < MT; ++mi)
#pragma unroll
        for (int nj = 0; nj < NTS; ++nj)
#pragma unroll
          for (int e = 0; e < 4; ++e) si[mi][nj][e] = 0;
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) {
#pragma unroll
        for (int np = 0; np < NTS / 2; ++np) {
          uint32_t kb[4];
          ldsm_x4(kb, sKs + swz<D>(kr + np * 16 + (lane >> 4) * 8 + (lane & 7), kk * 2 + ((lane >> 3) & 1)));
#pragma unroll
          for (int mi = 0; mi < MT; ++mi) {
            mma_s8_s32(si[mi][2 * np], qa[mi][kk], kb[0], kb[1]);
            mma_s8_s32(si[mi][2 * np + 1], qa[mi][kk], kb[2], kb[3]);
          }
        }
      }

      const int n0 = j * Tr::BN + kr;
      float s[MT][NTS][4];
#pragma unroll
      for (int mi = 0; mi < MT; ++mi)
#pragma unroll
        for (int nj = 0; nj < NTS; ++nj)
#pragma unroll
          for (int e = 0; e < 4; ++e) s[mi][nj][e] = static_cast<float>(si[mi][nj][e]);
      if (n0 + KS > p.Nk || (CAUSAL && n0 + KS - 1 > wrow0)) mask_scores<MT, NTS, CAUSAL>(s, wrow0, n0, p.Nk, lane);

      float alpha[MT][2];
      if (online_softmax<MT, NTS>(s, dq, m, l, alpha)) rescale_o<MT, DT>(acc, alpha);

      if constexpr (PV == kPvFp8) {
        pv_fp8<MT, NTS, D>(s, sVs, kr / 16, acc, lane);
      } else {
        uint32_t pa[MT][KS / 16][4];
#pragma unroll
        for (int mi = 0; mi < MT; ++mi)
#pragma unroll
          for (int kb = 0; kb < KS / 16; ++kb) {
            pa[mi][kb][0] = pack2<__half>(s[mi][2 * kb][0], s[mi][2 * kb][1]);
            pa[mi][kb][1] = pack2<__half>(s[mi][2 * kb][2], s[mi][2 * kb][3]);
            pa[mi][kb][2] = pack2<__half>(s[mi][2 * kb + 1][0], s[mi][2 * kb + 1][1]);
            pa[mi][kb][3] = pack2<__half>(s[mi][2 * kb + 1][2], s[mi][2 * kb + 1][3]);
          }
        if constexpr (PV == kPvF16F32) {
#pragma unroll
          for (int kb = 0; kb < KS / 16; ++kb)
#pragma unroll
            for (int dp = 0; dp < DT / 2; ++dp) {
              uint32_t vb[4];
              ldsm_x4_t(vb, sVs + swz<Tr::V_ROWB>(kr + kb * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, dp * 2 + (lane >> 4)));
#pragma unroll
              for (int mi = 0; mi < MT; ++mi) {
                mma_f16_f32(acc[mi][2 * dp], pa[mi][kb], vb[0], vb[1]);
                mma_f16_f32(acc[mi][2 * dp + 1], pa[mi][kb], vb[2], vb[3]);
              }
            }
        } else {  // kPvF16F16: per 32-column chunk, fp16 accumulation over the KS keys, then fp32
#pragma unroll
          for (int dc = 0; dc < DT / 4; ++dc) {
            uint32_t c16[MT][4][2];
#pragma unroll
            for (int mi = 0; mi < MT; ++mi)
#pragma unroll
              for (int x = 0; x < 4; ++x) c16[mi][x][0] = c16[mi][x][1] = 0u;
#pragma unroll
            for (int kb = 0; kb < KS / 16; ++kb)
#pragma unroll
              for (int dp = 0; dp < 2; ++dp) {
                uint32_t vb[4];
                ldsm_x4_t(vb, sVs + swz<Tr::V_ROWB>(kr + kb * 16 + (lane & 7) + ((lane >> 3) & 1) * 8,
                                                    dc * 4 + dp * 2 + (lane >> 4)));
#pragma unroll
                for (int mi = 0; mi < MT; ++mi) {
                  mma_f16_f16(c16[mi][2 * dp], pa[mi][kb], vb[0], vb[1]);
                  mma_f16_f16(c16[mi][2 * dp + 1], pa[mi][kb], vb[2], vb[3]);
                }
              }
#pragma unroll
            for (int mi = 0; mi < MT; ++mi)
#pragma unroll
              for (int x = 0; x < 4; ++x) {
                const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&c16[mi][x][0]));
                const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&c16[mi][x][1]));
                acc[mi][dc * 4 + x][0] += lo.x;
                acc[mi][dc * 4 + x][1] += lo.y;
                acc[mi][dc * 4 + x][2] += hi.x;
                acc[mi][dc * 4 + x][3] += hi.y;
              }
          }
        }
      }
    }
    __syncthreads();
  }

  if constexpr (PV == kPvFp8) {
    void* __restrict__ o = p.o;
    const float* __restrict__ vs = p.vs;
    store_output<MT, DT>(acc, l, o, b * p.o_sb + h * p.o_sh, p.o_sn, wrow0, p.Nq, lane, vs + ((long long)b * p.Hkv + hk) * D,
                         kFp8Max, p.out_dtype);
  } else {
    void* __restrict__ o = p.o;
    store_output<MT, DT>(acc, l, o, b * p.o_sb + h * p.o_sh, p.o_sn, wrow0, p.Nq, lane, nullptr, 1.f, p.out_dtype);
  }
}

}  // namespace ss
