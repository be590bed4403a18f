// SageAttention forward on Hopper (sm_90a) with warpgroup MMA: INT8 Q·K^T as wgmma m64n128k32
// s8·s8→s32 (Q and K K-major in swizzled shared memory), dequantization by δQ·δK (Q already carries
// softmax_scale·log2 e), exp2 online softmax in fp32, then P·V as wgmma m64nDk16 with FP16 P from
// registers (the QK accumulator layout is the A-fragment layout, no shuffles) and FP16 V read
// N-major from shared memory, fp32 accumulation. Same launch contract and inputs as
// sage_int8_fp16_dD (ABI.md §3) except block = 256 and its own shared-memory size.
//
// CTA = 128 query rows (the grid of the sm80 kernel), 2 warpgroups × 64 rows; warp w of warpgroup
// g owns rows 64g+16w..+15, inside one 32-row Q-scale group. Keys in blocks of 128 (two 64-key K
// scales: columns 0-63 and 64-127). K/V blocks stream through a STAGES-deep cp.async ring.
// With SS_SM90_OVERLAP (default), the P·V of block j-1 runs on the tensor cores while the softmax
// of block j runs on the ALUs (issue QK(j), issue PV(j-1), wait for QK(j) only); that keeps one more
// block in flight, so loads run STAGES-2 blocks ahead instead of STAGES-1.
// The three switches below are compile-time experiments measured on the H100 (attention/bench/
// NOTES.md, runs 4-6); the defaults are the measured best (overlap + mbarrier ring + ping-pong).
#pragma once
#include "attn_common.cuh"
#include "wgmma.cuh"
#include <type_traits>

#ifndef SS_SM90_OVERLAP
#define SS_SM90_OVERLAP 1
#endif
// SS_SM90_MBAR: the K/V ring is synchronized by mbarriers (per stage: "full" = every thread's
// copies landed, "empty" = every thread is done reading) instead of one __syncthreads per block, so
// a warpgroup may run up to a block ahead of the other and their softmax phases need not coincide.
#ifndef SS_SM90_MBAR
#define SS_SM90_MBAR 1
#endif
// SS_SM90_PINGPONG (with MBAR): the warpgroups take turns issuing their MMAs (named barriers 1, 2),
// so one warpgroup's softmax runs while the other's MMAs own the tensor cores.
#ifndef SS_SM90_PINGPONG
#define SS_SM90_PINGPONG 1
#endif

namespace ss {

__device__ __forceinline__ void named_bar_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Copies ROWS rows of ROWB bytes into 128-byte-wide column panels (panel p holds bytes
// [128p, 128p+128) of every row, rows 128 B apart, 128B-swizzled): the wgmma MN-major layout with
// 64 fp16 per panel. Rows >= rows_valid are zero-filled. Not unrolled, as load_tile.
template <int ROWB, int ROWS, int THREADS>
__device__ __forceinline__ void load_tile_panels128(uint32_t sbase, const char* gbase, long long stride_bytes,
                                                    int rows_valid, int tid) {
  constexpr int CPR = ROWB / 16, RSTEP = THREADS / CPR, PANEL = ROWS * 128;
  static_assert(ROWB % 128 == 0 && THREADS % CPR == 0 && ROWS % RSTEP == 0 && RSTEP % 8 == 0, "tile/thread mapping");
  const int r0 = tid / CPR, c = tid % CPR;
  uint32_t dst = sbase + (c >> 3) * PANEL + swz<128>(r0, c & 7);
  const char* src = gbase + r0 * stride_bytes + c * 16;
  const long long step = RSTEP * stride_bytes;
#pragma unroll 1
  for (int r = r0; r < ROWS; r += RSTEP) {
    const bool ok = r < rows_valid;
    cp_async16(dst, ok ? src : gbase, ok);
    dst += RSTEP * 128;
    src += step;
  }
}

// int32 -> fp32 without I2F: conversions issue at the MUFU-class rate (16/clk/SM on sm_90), so one
// I2F per score costs as much issue time as its exp2. Exact for |x| < 2^22: x is added to the
// mantissa of 1.5·2^23 (ulp 1), and an INT8 dot product is at most 127²·128 = 2 064 512.
__device__ __forceinline__ float small_int_to_float(int x) {
  return __int_as_float(x + 0x4B400000) - 12582912.f;
}

template <int D, bool CAUSAL>
__device__ __forceinline__ void sage_fwd_sm90_body(const int8_t* __restrict__ q8, const float* __restrict__ qs,
                                                   const int8_t* __restrict__ k8, const float* __restrict__ ks,
                                                   const __half* __restrict__ v, void* __restrict__ o, SageArgs a,
                                                   long long v_sb, long long v_sh, long long v_sn, long long o_sb,
                                                   long long o_sh, long long o_sn, int out_dtype, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90SageTraits<D>;
  constexpr int NT = Tr::NT, DT = Tr::DT, BN = Tr::BN, STAGES = Tr::STAGES;
  constexpr bool OVERLAP = SS_SM90_OVERLAP != 0;
  constexpr int AHEAD = OVERLAP ? STAGES - 2 : STAGES - 1;  // blocks loaded ahead of the one computed
  static_assert(AHEAD >= 1, "OVERLAP needs STAGES >= 3, otherwise STAGES >= 2");
  constexpr int QK_SWIZZLE = D == 128 ? kSwizzle128B : kSwizzle64B;  // rows of D int8 bytes

  const int tid = threadIdx.x, wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const int qblk = gridDim.x - 1 - blockIdx.x;  // heavy causal blocks first
  const int h = blockIdx.y, b = blockIdx.z, hk = h / (a.Hq / a.Hkv);
  const int q0 = qblk * Tr::BM;
  const int NqP = gridDim.x * Tr::BM, NkP = cdiv(a.Nk, 64) * 64;

  const char* qg = reinterpret_cast<const char*>(q8 + (((long long)b * a.Hq + h) * NqP + q0) * D);
  const char* kg = reinterpret_cast<const char*>(k8 + ((long long)b * a.Hkv + hk) * NkP * D);
  const float* ksb = ks + ((long long)b * a.Hkv + hk) * (NkP / 64);
  const int nks = NkP / 64;
  const float qscale = qs[((long long)b * a.Hq + h) * (NqP / 32) + qblk * 4 + wg * 2 + (warp >> 1)];
  const char* vg = reinterpret_cast<const char*>(v + b * v_sb + hk * v_sh);
  const long long vstr = v_sn * 2;

  const uint32_t sQ = (smem_addr(smem) + 1023u) & ~1023u;
  auto sK = [&](int st) { return sQ + Tr::Q_BYTES + st * Tr::STAGE_BYTES; };
  auto sV = [&](int st) { return sK(st) + Tr::K_BYTES; };
  constexpr bool MBAR = SS_SM90_MBAR != 0;
  constexpr bool PINGPONG = SS_SM90_PINGPONG != 0;
  static_assert(!PINGPONG || (MBAR && OVERLAP), "ping-pong needs the mbarrier ring and OVERLAP");
  // Turns: warpgroup g waits on barrier 1+g, then hands the turn over on barrier 2-g (128 + 128 threads).
  auto wait_turn = [&] { if (PINGPONG) named_bar_sync(1 + wg, Tr::THREADS); };
  auto pass_turn = [&] { if (PINGPONG) named_bar_arrive(2 - wg, Tr::THREADS); };
  const uint32_t bars = sQ + Tr::Q_BYTES + STAGES * Tr::STAGE_BYTES;
  auto full_bar = [&](int st) { return bars + st * 8; };
  auto empty_bar = [&](int st) { return bars + (STAGES + st) * 8; };
  if constexpr (MBAR) {
    if (tid == 0) {
      for (int st = 0; st < STAGES; ++st) {
        mbar_init(full_bar(st), Tr::THREADS);
        mbar_init(empty_bar(st), Tr::THREADS);
      }
      asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();
  }
  auto load_block = [&](int blk) {
    const int st = blk % STAGES, n0 = blk * BN;
    // MBAR: the buffer's previous block (blk - STAGES) must be released by every thread
    if (MBAR && blk >= STAGES) mbar_wait(empty_bar(st), (blk / STAGES - 1) & 1);
    load_tile<D, BN, Tr::THREADS>(sK(st), kg + (long long)n0 * D, D, NkP - n0, tid);  // k8 rows end at NkP
    load_tile_panels128<D * 2, BN, Tr::THREADS>(sV(st), vg + n0 * vstr, vstr, a.Nk - n0, tid);
    if (MBAR) cp_async_mbar_arrive(full_bar(st));
  };

  const int kv_end = CAUSAL ? min(a.Nk, q0 + Tr::BM) : a.Nk;
  const int nblk = cdiv(kv_end, BN);

  load_tile<D, Tr::BM, Tr::THREADS>(sQ, qg, D, Tr::BM, tid);  // padded: all rows exist
  load_block(0);
  cp_async_commit();
#pragma unroll 1
  for (int s = 1; s < AHEAD; ++s) {
    if (s < nblk) load_block(s);
    cp_async_commit();  // empty groups keep the group count = block index
  }

  const uint64_t desc_q = wgmma_desc(sQ + wg * Tr::WM * D, 16, 8 * D, QK_SWIZZLE);
  auto desc_k = [&](int st) { return wgmma_desc(sK(st), 16, 8 * D, QK_SWIZZLE); };
  auto desc_v = [&](int st) { return wgmma_desc(sV(st), BN * 128, 1024, kSwizzle128B); };

  float acc[1][DT][4];
  float m[1][2] = {{-INFINITY, -INFINITY}}, l[1][2] = {{0.f, 0.f}};
#pragma unroll
  for (int dj = 0; dj < DT; ++dj)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[0][dj][e] = 0.f;
  uint32_t pa[BN / 16][4];  // P of the block whose P·V is pending (OVERLAP)
  const int wrow0 = q0 + wg * Tr::WM + warp * 16;

  auto issue_pv = [&](int st) {
    const uint64_t dv = desc_v(st);
#pragma unroll
    for (int kb = 0; kb < BN / 16; ++kb) {
      if constexpr (D == 128) wgmma_m64n128k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
      else wgmma_m64n64k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
    }
  };

  // One key block. FIRST (a compile-time constant: the first block has no pending P·V) is peeled
  // off so that ptxas sees no path on which a pending wgmma's accumulators are read: with a
  // run-time condition it serializes every wgmma (C7514).
  auto key_block = [&](int j, auto first_tag) {
    constexpr bool FIRST = decltype(first_tag)::value;
    constexpr bool PV_PENDING = OVERLAP && !FIRST;
    if constexpr (MBAR) {
      if (j + AHEAD < nblk) load_block(j + AHEAD);
      mbar_wait(full_bar(j % STAGES), (j / STAGES) & 1);
      fence_proxy_async_smem();
    } else {
      cp_async_wait<AHEAD - 1>();
      fence_proxy_async_smem();
      __syncthreads();  // block j visible to both warpgroups; buffer of block j+AHEAD-STAGES free
      if (j + AHEAD < nblk) load_block(j + AHEAD);
      cp_async_commit();
    }
    const int st = j % STAGES;

    int si[NT][4];
    wgmma_pin(acc[0]);
    wgmma_pin(pa);
    wait_turn();
    wgmma_fence();
    {
      const uint64_t dk = desc_k(st);
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) wgmma_m64n128k32_s8(si, desc_q + kk * 2, dk + kk * 2, kk);  // +32 B
    }
    wgmma_commit();
    if constexpr (PV_PENDING) {
      issue_pv((j - 1) % STAGES);
      wgmma_commit();
      pass_turn();
      wgmma_wait<1>();  // QK(j) done; PV(j-1) may still run
    } else {
      pass_turn();
      wgmma_wait<0>();
    }
    wgmma_pin(si);

    // δQ·δK of the two 64-key halves; a half past NkP holds only masked keys (any positive scale).
    const float dq_lo = qscale * ksb[2 * j];
    const float dq_hi = 2 * j + 1 < nks ? qscale * ksb[2 * j + 1] : dq_lo;
    float s[1][NT][4];
#pragma unroll
    for (int nj = 0; nj < NT; ++nj)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[0][nj][e] = small_int_to_float(si[nj][e]);
    const int n0 = j * BN;
    if (n0 + BN > a.Nk || (CAUSAL && n0 + BN - 1 > wrow0)) mask_scores<1, NT, CAUSAL>(s, wrow0, n0, a.Nk, lane);

    float alpha[1][2];
    const bool changed = online_softmax<1, NT>(s, dq_lo, dq_hi, m, l, alpha);
    if constexpr (PV_PENDING) {
      wgmma_wait<0>();  // PV(j-1) has landed in acc
      wgmma_pin(acc[0]);
      if (MBAR) mbar_arrive(empty_bar((j - 1) % STAGES));  // this thread is done with block j-1
    }
    if (changed) rescale_o<1, DT>(acc, alpha);
#pragma unroll
    for (int kb = 0; kb < BN / 16; ++kb) {
      pa[kb][0] = pack2<__half>(s[0][2 * kb][0], s[0][2 * kb][1]);
      pa[kb][1] = pack2<__half>(s[0][2 * kb][2], s[0][2 * kb][3]);
      pa[kb][2] = pack2<__half>(s[0][2 * kb + 1][0], s[0][2 * kb + 1][1]);
      pa[kb][3] = pack2<__half>(s[0][2 * kb + 1][2], s[0][2 * kb + 1][3]);
    }
    if constexpr (!OVERLAP) {
      wgmma_pin(acc[0]);
      wgmma_pin(pa);
      wgmma_fence();
      issue_pv(st);
      wgmma_commit();
      wgmma_wait<0>();
      wgmma_pin(acc[0]);
      if (MBAR) mbar_arrive(empty_bar(st));
    }
  };
  if (PINGPONG && wg == 1) named_bar_arrive(1, Tr::THREADS);  // warpgroup 0 goes first
  key_block(0, std::true_type{});
#pragma unroll 1
  for (int j = 1; j < nblk; ++j) key_block(j, std::false_type{});
  if (OVERLAP) {
    wgmma_pin(acc[0]);
    wgmma_pin(pa);
    wait_turn();
    wgmma_fence();
    issue_pv((nblk - 1) % STAGES);
    wgmma_commit();
    if (wg == 0) pass_turn();  // warpgroup 1 has no turn left to take
    wgmma_wait<0>();
    wgmma_pin(acc[0]);
  }
  store_output<1, DT>(acc, l, o, b * o_sb + h * o_sh, o_sn, wrow0, a.Nq, lane, nullptr, 1.f, out_dtype);
#else
  __trap();  // only the sm_90a SASS has wgmma; the Java side launches this entry on cc 9.0 only
#endif
}

}  // namespace ss
