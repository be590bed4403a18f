// SageAttention forward on Hopper (sm_90a) with warpgroup MMA: INT8 Q·K^T as wgmma m64n128k32
// s8·s8→s32 (Q and K K-major in swizzled shared memory), dequantization by δQ·δK (Q already carries
// softmax_scale·log2 e), exp2 online softmax in fp32, then P·V as wgmma m64nDk16 with FP16 P from
// registers (the QK accumulator layout is the A-fragment layout, no shuffles) and FP16 V read
// N-major from shared memory, fp32 accumulation. Same inputs as sage_int8_fp16_dD (ABI.md §3);
// block 384, its own shared-memory size, and any grid (the CTAs walk the tiles).
//
// CTA = 2 compute warpgroups × 64 query rows (a 128-row tile, as the sm80 kernel) + 1 producer
// warpgroup; warp w of compute warpgroup g owns rows 64g+16w..+15, inside one 32-row Q-scale
// group. Keys in blocks of 128 (two 64-key K scales: columns 0-63 and 64-127). The producer streams
// Q (two buffers) and K/V blocks (a STAGES-deep ring) with 16-byte cp.async, synchronized by
// mbarriers. The P·V of block j-1 runs on the tensor cores while the softmax of block j runs on the
// ALUs (issue QK(j), issue PV(j-1), wait for QK(j) only), and the two compute warpgroups take turns
// issuing their MMAs (ping-pong), so one's softmax runs under the other's MMAs. The alternatives (no
// overlap, one __syncthreads per block, no ping-pong) were measured slower on the H100 and removed
// (attention/bench/NOTES.md, runs 4-6); SS_SM90_PRODUCER=0 (copies by the compute warps) stays for A/B.
#pragma once
#include "attn_common.cuh"
#include "wgmma.cuh"
#include <type_traits>

namespace ss {

__device__ __forceinline__ void named_bar_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// int32 -> fp32 without I2F: conversions issue at the MUFU-class rate (16/clk/SM on sm_90), so one
// I2F per score costs as much issue time as its exp2. Exact for |x| < 2^22: x is added to the
// mantissa of 1.5·2^23 (ulp 1), and an INT8 dot product is at most 127²·128 = 2 064 512.
__device__ __forceinline__ float small_int_to_float(int x) {
  return __int_as_float(x + 0x4B400000) - 12582912.f;
}

// SS_SM90_PRODUCER (default): a third warpgroup (block 384) issues every Q/K/V copy and the two
// compute warpgroups only wait on the ring's full barriers, so the loads run as far ahead as the
// ring has free stages, whatever the compute warps do; setmaxnreg moves registers from the producer
// (SS_SM90_PRODUCER_REGS) to the consumers (SS_SM90_CONSUMER_REGS). The sum must stay within what the
// launch gave the CTA (168 per thread at 384 threads): 40 + 2·232 = 3·168. More, and setmaxnreg.inc
// waits forever for registers nobody frees.
// 0: the compute warpgroups copy their share of each block themselves (block 256; measured 20-25%
// slower on the H100, attention/bench/NOTES.md run 9), kept for A/B.
#ifndef SS_SM90_PRODUCER
#define SS_SM90_PRODUCER 1
#endif
#define SS_SM90_PRODUCER_REGS 40
#define SS_SM90_CONSUMER_REGS 232

// One (batch, head, 128-query-row) tile of the work, in launch order: query block fastest (the
// CTAs running at one time share a head's K/V in L2), heavy causal blocks first.
struct Sm90Tile {
  int qblk, h, b, hk, nblk;
};
template <int BM, int BN, bool CAUSAL>
__device__ __forceinline__ Sm90Tile sm90_tile(int t, int nq, const SageArgs& a) {
  Sm90Tile T;
  const int r = t / nq;
  T.qblk = nq - 1 - (t - r * nq);
  T.h = r % a.Hq;
  T.b = r / a.Hq;
  T.hk = T.h / (a.Hq / a.Hkv);
  const int kv_end = CAUSAL ? min(a.Nk, T.qblk * BM + BM) : a.Nk;
  T.nblk = cdiv(kv_end, BN);
  return T;
}

// Work distribution: the tiles are numbered as above and CTA c (linear index over the grid) takes
// tiles c, c + #CTAs, c + 2·#CTAs, ... So the grid (NqP/128, Hq, B) runs one tile per CTA (the
// original launch), and a persistent grid of one CTA per SM walks several tiles per CTA with one
// continuous K/V ring across them: the next tile's Q (double-buffered) and first K/V blocks load
// while the current tile finishes, and one warpgroup's output stores overlap the other's MMAs.
template <int D, bool CAUSAL>
__device__ __forceinline__ void sage_fwd_sm90_body(const int8_t* __restrict__ q8, const float* __restrict__ qs,
                                                   const int8_t* __restrict__ k8, const float* __restrict__ ks,
                                                   const __half* __restrict__ v, void* __restrict__ o, SageArgs a,
                                                   long long v_sb, long long v_sh, long long v_sn, long long o_sb,
                                                   long long o_sh, long long o_sn, int out_dtype, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90SageTraits<D>;
  constexpr int NT = Tr::NT, DT = Tr::DT, BN = Tr::BN, BM = Tr::BM, STAGES = Tr::STAGES;
  constexpr int AHEAD = STAGES - 2;  // blocks loaded ahead of the one computed (one more holds the pending P·V)
  static_assert(AHEAD >= 1, "the overlapped P·V needs STAGES >= 3");
  constexpr int QK_SWIZZLE = D == 128 ? kSwizzle128B : kSwizzle64B;  // rows of D int8 bytes

  const int tid = threadIdx.x, wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const int nq = cdiv(a.Nq, BM), tiles = nq * a.Hq * a.B;
  const int ncta = gridDim.x * gridDim.y * gridDim.z;
  const int cta = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const int NqP = nq * BM, NkP = cdiv(a.Nk, 64) * 64, nks = NkP / 64;
  const long long vstr = v_sn * 2;

  const uint32_t sQ0 = (smem_addr(smem) + 1023u) & ~1023u;
  auto sQ = [&](int buf) { return sQ0 + buf * Tr::Q_BYTES; };
  auto sK = [&](int st) { return sQ0 + 2 * Tr::Q_BYTES + st * Tr::STAGE_BYTES; };
  auto sV = [&](int st) { return sK(st) + Tr::K_BYTES; };
  // mbarriers per K/V stage: full = every thread's cp.async landed (cp.async.mbarrier.arrive),
  // empty = every thread is done reading; per Q buffer the same pair.
  const uint32_t bars = sQ0 + 2 * Tr::Q_BYTES + STAGES * Tr::STAGE_BYTES;
  auto full_bar = [&](int st) { return bars + st * 8; };
  auto empty_bar = [&](int st) { return bars + (STAGES + st) * 8; };
  auto qfull_bar = [&](int buf) { return bars + (2 * STAGES + buf) * 8; };
  auto qempty_bar = [&](int buf) { return bars + (2 * STAGES + 2 + buf) * 8; };
  constexpr bool PRODUCER = SS_SM90_PRODUCER != 0;
  constexpr int LOADERS = PRODUCER ? 128 : Tr::THREADS;  // threads that copy (and arrive on full barriers)
  const int ltid = PRODUCER ? tid - Tr::THREADS : tid;    // index among them
  if (tid == 0) {
    for (int st = 0; st < STAGES; ++st) {
      mbar_init(full_bar(st), LOADERS);
      mbar_init(empty_bar(st), Tr::THREADS);
    }
    for (int buf = 0; buf < 2; ++buf) {
      mbar_init(qfull_bar(buf), LOADERS);
      mbar_init(qempty_bar(buf), Tr::THREADS);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();
  if (cta >= tiles) return;  // (only when launched with more CTAs than tiles)

  // Warpgroup ping-pong: the warpgroups take turns issuing their MMAs (named barriers 1, 2), so one
  // warpgroup's softmax runs while the other's MMAs own the tensor cores. Warpgroup g waits on
  // barrier 1+g, then hands the turn over on barrier 2-g (128 + 128 threads).
  auto wait_turn = [&] { named_bar_sync(1 + wg, Tr::THREADS); };
  auto pass_turn = [&] { named_bar_arrive(2 - wg, Tr::THREADS); };

  // Loader (the producer warpgroup; with SS_SM90_PRODUCER=0 every compute thread, its share): walks
  // this CTA's tiles in order; flat block index lf counts blocks over all of them (stage lf % STAGES).
  int lt = cta, lblk = 0, lf = 0;
  Sm90Tile LT = sm90_tile<BM, BN, CAUSAL>(lt, nq, a);
  auto load_next = [&] {
    if (lt >= tiles) return;
    const int st = lf % STAGES, n0 = lblk * BN;
    if (lf >= STAGES) mbar_wait(empty_bar(st), (lf / STAGES - 1) & 1);  // block lf - STAGES released
    const long long kvh = (long long)LT.b * a.Hkv + LT.hk;
    const char* kg = reinterpret_cast<const char*>(k8 + (kvh * NkP + n0) * D);
    const char* vg = reinterpret_cast<const char*>(v + LT.b * v_sb + LT.hk * v_sh) + n0 * vstr;
    load_tile<D, BN, LOADERS>(sK(st), kg, D, NkP - n0, ltid);  // k8 rows end at NkP
    load_tile<D * 2, BN, LOADERS, 128>(sV(st), vg, vstr, a.Nk - n0, ltid);  // 128-byte panels: wgmma's MN-major V
    cp_async_mbar_arrive(full_bar(st));
    ++lf;
    if (++lblk == LT.nblk) {
      lblk = 0;
      lt += ncta;
      if (lt < tiles) LT = sm90_tile<BM, BN, CAUSAL>(lt, nq, a);
    }
  };
  // Q of this CTA's i-th tile (tile t) into buffer i & 1, once every thread is done with tile i-2's.
  auto load_q = [&](int i, int t) {
    const int buf = i & 1;
    if (i >= 2) mbar_wait(qempty_bar(buf), ((i >> 1) - 1) & 1);
    const Sm90Tile T = sm90_tile<BM, BN, CAUSAL>(t, nq, a);
    const char* qg = reinterpret_cast<const char*>(q8 + (((long long)T.b * a.Hq + T.h) * NqP + T.qblk * BM) * D);
    load_tile<D, BM, LOADERS>(sQ(buf), qg, D, BM, ltid);  // padded: all rows exist
    cp_async_mbar_arrive(qfull_bar(buf));
  };

  if constexpr (PRODUCER) {
    if (tid >= Tr::THREADS) {  // the producer warpgroup: Q of each tile, then its K/V blocks, as the ring frees up
      asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(SS_SM90_PRODUCER_REGS));
#pragma unroll 1
      for (int t = cta, i = 0; t < tiles; t += ncta, ++i) {
        load_q(i, t);
        const int nb = sm90_tile<BM, BN, CAUSAL>(t, nq, a).nblk;
#pragma unroll 1
        for (int j = 0; j < nb; ++j) load_next();
      }
      cp_async_wait<0>();
      return;
    }
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(SS_SM90_CONSUMER_REGS));
  } else {
    load_q(0, cta);
#pragma unroll 1
    for (int s = 0; s < AHEAD; ++s) load_next();
  }

  auto desc_k = [&](int st) { return wgmma_desc(sK(st), 16, 8 * D, QK_SWIZZLE); };
  auto desc_v = [&](int st) { return wgmma_desc(sV(st), BN * 128, 1024, kSwizzle128B); };

  float acc[1][DT][4];
  float m[1][2], l[1][2];
  uint32_t pa[BN / 16][4];  // P of the block whose P·V is pending

  auto issue_pv = [&](int st) {
    const uint64_t dv = desc_v(st);
#pragma unroll
    for (int kb = 0; kb < BN / 16; ++kb) {
      if constexpr (D == 128) wgmma_m64n128k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
      else wgmma_m64n64k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
    }
  };

  if (wg == 1) named_bar_arrive(1, Tr::THREADS);  // warpgroup 0 goes first
  int f0 = 0;  // flat index of the tile's first block
#pragma unroll 1
  for (int t = cta, i = 0; t < tiles; t += ncta, ++i) {
    const Sm90Tile T = sm90_tile<BM, BN, CAUSAL>(t, nq, a);
    const int q0 = T.qblk * BM, nblk = T.nblk;
    const bool more = t + ncta < tiles;
    const float* ksb = ks + ((long long)T.b * a.Hkv + T.hk) * nks;
    const float qscale = qs[((long long)T.b * a.Hq + T.h) * (NqP / 32) + T.qblk * 4 + wg * 2 + (warp >> 1)];
    const int wrow0 = q0 + wg * Tr::WM + warp * 16;
    const int qbuf = i & 1;
    const uint64_t desc_q = wgmma_desc(sQ(qbuf) + wg * Tr::WM * D, 16, 8 * D, QK_SWIZZLE);
    mbar_wait(qfull_bar(qbuf), (i >> 1) & 1);
#pragma unroll
    for (int dj = 0; dj < DT; ++dj)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[0][dj][e] = 0.f;
    m[0][0] = m[0][1] = -INFINITY;
    l[0][0] = l[0][1] = 0.f;

    // One key block. FIRST (a compile-time constant: the first block has no pending P·V) is peeled
    // off so that ptxas sees no path on which a pending wgmma's accumulators are read: with a
    // run-time condition it serializes every wgmma (C7514).
    auto key_block = [&](int j, auto first_tag) {
      constexpr bool FIRST = decltype(first_tag)::value;
      const int fj = f0 + j, st = fj % STAGES;
      // K scales of the two 64-key halves, loaded early (their latency hides under the waits below);
      // a half past NkP holds only masked keys (any positive scale).
      const float ks_lo = ksb[2 * j];
      const float ks_hi = 2 * j + 1 < nks ? ksb[2 * j + 1] : ks_lo;
      if (!PRODUCER) load_next();
      mbar_wait(full_bar(st), (fj / STAGES) & 1);
      fence_proxy_async_smem();

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
      if constexpr (!FIRST) {
        issue_pv((fj - 1) % STAGES);
        wgmma_commit();
        pass_turn();
        wgmma_wait<1>();  // QK(j) done; PV(j-1) may still run
      } else {
        pass_turn();
        wgmma_wait<0>();
      }
      wgmma_pin(si);
      if (j == nblk - 1) mbar_arrive(qempty_bar(qbuf));         // this thread's reads of this Q are done
      if (!PRODUCER && more && j == max(nblk - 2, 0)) load_q(i + 1, t + ncta);  // the next tile's Q, two blocks early

      float s[1][NT][4];
#pragma unroll
      for (int nj = 0; nj < NT; ++nj)
#pragma unroll
        for (int e = 0; e < 4; ++e) s[0][nj][e] = small_int_to_float(si[nj][e]);
      const int n0 = j * BN;
      if (n0 + BN > a.Nk || (CAUSAL && n0 + BN - 1 > wrow0)) mask_scores<1, NT, CAUSAL>(s, wrow0, n0, a.Nk, lane);

      float alpha[1][2];
      const bool changed = online_softmax<1, NT>(s, qscale * ks_lo, qscale * ks_hi, m, l, alpha);
      if constexpr (!FIRST) {
        wgmma_wait<0>();  // PV(j-1) has landed in acc
        wgmma_pin(acc[0]);
        mbar_arrive(empty_bar((fj - 1) % STAGES));  // this thread is done with block j-1
      }
      if (changed) rescale_o<1, DT>(acc, alpha);
#pragma unroll
      for (int kb = 0; kb < BN / 16; ++kb) {
        pa[kb][0] = pack2<__half>(s[0][2 * kb][0], s[0][2 * kb][1]);
        pa[kb][1] = pack2<__half>(s[0][2 * kb][2], s[0][2 * kb][3]);
        pa[kb][2] = pack2<__half>(s[0][2 * kb + 1][0], s[0][2 * kb + 1][1]);
        pa[kb][3] = pack2<__half>(s[0][2 * kb + 1][2], s[0][2 * kb + 1][3]);
      }
    };
    key_block(0, std::true_type{});
#pragma unroll 1
    for (int j = 1; j < nblk; ++j) key_block(j, std::false_type{});
    // P·V of the last block; warpgroup 1 hands the turn back only if there is a next tile.
    wgmma_pin(acc[0]);
    wgmma_pin(pa);
    wait_turn();
    wgmma_fence();
    issue_pv((f0 + nblk - 1) % STAGES);
    wgmma_commit();
    if (wg == 0 || more) pass_turn();
    wgmma_wait<0>();
    wgmma_pin(acc[0]);
    mbar_arrive(empty_bar((f0 + nblk - 1) % STAGES));
    f0 += nblk;
    store_output<1, DT>(acc, l, o, T.b * o_sb + T.h * o_sh, o_sn, wrow0, a.Nq, lane, nullptr, 1.f, out_dtype);
  }
#else
  __trap();  // only the sm_90a SASS has wgmma; the Java side launches this entry on cc 9.0 only
#endif
}

}  // namespace ss
