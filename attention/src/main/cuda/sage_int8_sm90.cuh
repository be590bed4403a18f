// SageAttention forward on Hopper (sm_90a) with warpgroup MMA: INT8 Q·K^T as wgmma m64n128k32
// s8·s8→s32 (Q and K K-major in swizzled shared memory), dequantization by δQ·δK (Q already carries
// softmax_scale·log2 e), exp2 online softmax in fp32, then P·V with P from registers (the QK
// accumulator layout is the A-fragment layout, no shuffles) in one of two modes (traits PV):
//   kPvF16F32  FP16 P, FP16 V read N-major, wgmma m64nDk16, fp32 accumulation   (sage_int8_fp16_sm90)
//   kPvFp8     P·448 in e4m3 (the 448 folded into the exp2), per-channel e4m3 V^T read K-major (pre_sage_quant's token order
//              matches the register layout of P), wgmma m64nDk32 e4m3; two-level accumulation: each
//              128-key block accumulates in its own registers (the tensor core keeps ~22 bits while
//              accumulating FP8 products), then is added to the fp32 output accumulator; V scale
//              in the epilogue (the row sums carry the 448)                     (sage_int8_fp8_sm90)
// Same inputs as the mma.sync entries (ABI.md §3); block 384 (512 with three consumer warpgroups), any grid (the
// CTAs walk the tiles).
//
// The kernel is split as FlashAttention-3 splits its Hopper kernel:
//   Sm90TileScheduler  which (batch, head, 128-row) tiles a CTA computes, in which order
//   Sm90Smem           the shared-memory layout: Q buffers, the K/V ring, the mbarriers
//   sm90_producer      the producer warpgroup: Q of each tile and its K/V blocks into the ring
//   Sm90Consumer       a compute warpgroup: one key block (QK, softmax, pending P·V), the epilogue
//
// CTA = 2 compute warpgroups × 64 query rows (a 128-row tile, as the sm80 kernel; traits WGS = 3 at D = 64 under
// SS_SM90_WGS3: 192 rows) + 1 producer warpgroup; warp w of compute warpgroup g owns rows 64g+16w..+15, inside one 32-row Q-scale
// group. Keys in blocks of 128 (two 64-key K scales: columns 0-63 and 64-127). The producer streams
// Q (two buffers) and K/V blocks (a STAGES-deep ring) through the copy engine (tensor maps in
// SageParams), synchronized by mbarriers. Each warpgroup issues QK(j) and PV(j-1) together and waits for QK(j) first; ptxas moves
// the wait for PV(j-1) above the softmax of block j (its accumulators are folded and rescaled right
// after it), so the P·V overlaps only the score conversion. At D = 128 the two compute warpgroups take
// turns issuing their MMAs (ping-pong), so one's softmax runs under the other's MMAs. The
// alternatives (no overlap, one __syncthreads per block, ping-pong at D = 64, copies by the compute
// warps, and a forced softmax-under-P·V order with the fold inside the warpgroup's turn) were measured
// slower on the H100 and removed (attention/bench/NOTES.md, runs 4-6, 9, 13 and 14).
#pragma once
#include "attn_common.cuh"
#include "params.cuh"
#include "quant.cuh"
#include "tma.cuh"
#include "wgmma.cuh"
#include <type_traits>

namespace ss {

__device__ __forceinline__ void named_bar_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// int32 -> fp32 without I2F (conversions issue at the MUFU-class rate, 16/clk/SM on sm_90, as the
// exp2 does): the int is added to the mantissa of kScoreBias = 1.5·2^23 (ulp 1), so the float reads
// kScoreBias + x, exactly for |x| < 2^22 (an INT8 dot product is at most 127²·128 = 2 064 512). The
// bias is never subtracted score by score: sm90_online_softmax folds it into the bias of its FFMA.
constexpr float kScoreBias = 12582912.f;
constexpr float kLog2Fp8Max = 8.807354922057604f;  // log2(448)
__device__ __forceinline__ float biased_score(int x) { return __int_as_float(x + 0x4B400000); }

// The online softmax of softmax.cuh on biased scores (see biased_score) and with P scaled by
// 2^log2_pmul (FP8: P·448, the e4m3 range the P·V reads it in; FP16: 1), one FFMA + EX2 per score:
//   p = 2^(x·scale - ref + log2_pmul) = 2^(f·scale - (kScoreBias·scale + ref - log2_pmul)),
// where f = kScoreBias + x. The FFMA forms f·scale exactly and rounds once; the bias term's own
// rounding is an ulp of kScoreBias·scale (≈ 2^-17 relative for logits of ±20), far below P's
// rounding to fp16 / e4m3. The row sums l add p as it is (FP8: 448·P; the epilogue divides by l, so
// the 448 cancels). Masked scores are -inf; 128-key blocks: n8 tiles [0, NT/2) use scale_lo, the
// rest scale_hi. Returns whether any row of the warp changed its max.
// Max of N ints as a tree of Hopper's three-input integer max (DPX, one VIMNMX3 each): N = 16 in 8 instructions
// and depth 3, where fmaxf needs 15 in a chain.
template <int N>
__device__ __forceinline__ int imax_tree(const int (&v)[N]) {
  if constexpr (N == 1) {
    return v[0];
  } else if constexpr (N == 2) {
    return max(v[0], v[1]);
  } else {
    constexpr int M = (N + 2) / 3;
    int w[M];
#pragma unroll
    for (int i = 0; i < M; ++i) {
      if (3 * i + 2 < N) w[i] = __vimax3_s32(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
      else if (3 * i + 1 < N) w[i] = max(v[3 * i], v[3 * i + 1]);
      else w[i] = v[3 * i];
    }
    return imax_tree<M>(w);
  }
}

// The pieces of the online softmax, one row (h = 0: rows g, h = 1: rows g + 8) at a time.
// sm90_row_max: the row's max over the block as a log2-domain score, reduced over the quad (not yet with m).
template <int NT, bool DPX>
__device__ __forceinline__ float sm90_row_max(const float (&s)[1][NT][4], int h, float scale_lo, float scale_hi) {
  float mx_lo = -INFINITY, mx_hi = -INFINITY;
  if constexpr (DPX) {
    // Biased scores are positive floats and a masked one is -inf (a negative int): the int order of the
    // bits is the float order.
    int lo[NT], hi[NT];
#pragma unroll
    for (int nj = 0; nj < NT / 2; ++nj) {
      lo[2 * nj] = __float_as_int(s[0][nj][2 * h]);
      lo[2 * nj + 1] = __float_as_int(s[0][nj][2 * h + 1]);
      hi[2 * nj] = __float_as_int(s[0][NT / 2 + nj][2 * h]);
      hi[2 * nj + 1] = __float_as_int(s[0][NT / 2 + nj][2 * h + 1]);
    }
    mx_lo = __int_as_float(imax_tree<NT>(lo));
    mx_hi = __int_as_float(imax_tree<NT>(hi));
  } else {
#pragma unroll
    for (int nj = 0; nj < NT; ++nj) {
      const float v = fmaxf(s[0][nj][2 * h], s[0][nj][2 * h + 1]);
      if (nj < NT / 2) mx_lo = fmaxf(mx_lo, v);
      else mx_hi = fmaxf(mx_hi, v);
    }
  }
  // The max as a log2-domain score (the subtraction is exact; -inf stays -inf).
  float mx = fmaxf((mx_lo - kScoreBias) * scale_lo, (mx_hi - kScoreBias) * scale_hi);
  mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
  return fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
}

// sm90_row_update: the running max m of row h takes the block's max; alpha = 2^(m_old - m_new); returns the
// reference the exponentials subtract (0 while nothing is visible: no (-inf) - (-inf)); changed |= the max moved.
__device__ __forceinline__ float sm90_row_update(float block_max, int h, float (&m)[1][2], float (&alpha)[1][2],
                                                 bool& changed) {
  const float mx = fmaxf(m[0][h], block_max);
  const float ref = (mx == -INFINITY) ? 0.f : mx;
  alpha[0][h] = (m[0][h] == -INFINITY) ? 0.f : fast_exp2(m[0][h] - ref);
  changed |= (mx != m[0][h]);
  m[0][h] = mx;
  return ref;
}

// sm90_row_offsets: the c of sm90_row_exp for row h's two 64-key halves: the scores' bias (in each half's scale),
// the row's reference, and log2 of P's multiplier (448 for FP8 P, else 1).
__device__ __forceinline__ void sm90_row_offsets(float ref, float scale_lo, float scale_hi, float log2_pmul,
                                                 float& c_lo, float& c_hi) {
  c_lo = fmaf(kScoreBias, scale_lo, ref - log2_pmul);
  c_hi = fmaf(kScoreBias, scale_hi, ref - log2_pmul);
}

// sm90_row_exp: p = 2^(f·scale - c) in place of row h's scores (c_lo / c_hi for the two 64-key halves); returns
// their sum.
template <int NT>
__device__ __forceinline__ float sm90_row_exp(float (&s)[1][NT][4], int h, float scale_lo, float scale_hi, float c_lo,
                                              float c_hi) {
  float sum = 0.f;
#pragma unroll
  for (int nj = 0; nj < NT; ++nj) {
    const float scale = nj < NT / 2 ? scale_lo : scale_hi, c = nj < NT / 2 ? c_lo : c_hi;
    const float p0 = fast_exp2(fmaf(s[0][nj][2 * h], scale, -c));
    const float p1 = fast_exp2(fmaf(s[0][nj][2 * h + 1], scale, -c));
    s[0][nj][2 * h] = p0;
    s[0][nj][2 * h + 1] = p1;
    sum += p0 + p1;
  }
  return sum;
}

// The online softmax in two halves, so that a caller can put other work (the wait for a P·V, issuing the next
// Q·K^T) between them. sm90_softmax_max: the rows' new max m, alpha, and the exp2 offsets c[h][0 / 1] of the two
// 64-key halves; returns whether one of this thread's rows changed its max (the caller votes).
template <int NT, bool DPX = false>
__device__ __forceinline__ bool sm90_softmax_max(const float (&s)[1][NT][4], float scale_lo, float scale_hi,
                                                 float log2_pmul, float (&m)[1][2], float (&alpha)[1][2],
                                                 float (&c)[2][2]) {
  bool changed = false;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float ref = sm90_row_update(sm90_row_max<NT, DPX>(s, h, scale_lo, scale_hi), h, m, alpha, changed);
    sm90_row_offsets(ref, scale_lo, scale_hi, log2_pmul, c[h][0], c[h][1]);
  }
  return changed;
}

// sm90_softmax_exp: P in place of the scores, and the row sums l (scaled by alpha first).
template <int NT>
__device__ __forceinline__ void sm90_softmax_exp(float (&s)[1][NT][4], float scale_lo, float scale_hi,
                                                 const float (&c)[2][2], const float (&alpha)[1][2], float (&l)[1][2]) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float sum = sm90_row_exp<NT>(s, h, scale_lo, scale_hi, c[h][0], c[h][1]);
    l[0][h] = l[0][h] * alpha[0][h] + sum;  // per-thread partial; quad-reduced at the end
  }
}

// Both halves row by row (max, then exponentials of row g, then of row g + 8): the current schedule's order.
template <int NT, bool DPX = false>
__device__ __forceinline__ bool sm90_online_softmax(float (&s)[1][NT][4], float scale_lo, float scale_hi,
                                                    float log2_pmul, float (&m)[1][2], float (&l)[1][2],
                                                    float (&alpha)[1][2]) {
  bool changed = false;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float ref = sm90_row_update(sm90_row_max<NT, DPX>(s, h, scale_lo, scale_hi), h, m, alpha, changed);
    float c_lo, c_hi;
    sm90_row_offsets(ref, scale_lo, scale_hi, log2_pmul, c_lo, c_hi);
    const float sum = sm90_row_exp<NT>(s, h, scale_lo, scale_hi, c_lo, c_hi);
    l[0][h] = l[0][h] * alpha[0][h] + sum;  // per-thread partial; quad-reduced at the end
  }
  return __any_sync(0xffffffffu, changed);
}

// setmaxnreg moves registers from the producer warpgroup to the two compute warpgroups. The sum
// must stay within what the launch gave the CTA (168 per thread at 384 threads): 24 + 2·240 = 3·168.
// More, and setmaxnreg.inc waits forever for registers nobody frees. The producer only drives the copy
// engine from one thread, so 24 (the minimum) is enough; with 40 / 232 the FP8 D = 128 consumers spilled
// 44 bytes once the parameter struct carried its 64-byte-aligned tensor maps. (The Sage kernel takes its
// split from Sm90SageTraits, which has a second one for three consumer warpgroups.)
constexpr int kSm90ProducerRegs = 24, kSm90ConsumerRegs = 240;

// One (batch, head, 128-query-row) tile of the work.
struct Sm90Tile {
  int qblk, h, b, hk, nblk;
};

// Work distribution: the tiles are numbered query block fastest (the CTAs running at one time share
// a head's K/V in L2), heavy causal blocks first, then head, then batch; CTA c (linear index over
// the grid) takes tiles c, c + #CTAs, c + 2·#CTAs, ... So the grid (NqP/128, Hq, B) runs one tile
// per CTA, and a persistent grid of one CTA per SM walks several tiles per CTA with one continuous
// K/V ring across them: the next tile's Q (double-buffered) and first K/V blocks load while the
// current tile finishes, and one warpgroup's output stores overlap the other's MMAs.
template <int BM, int BN, bool CAUSAL>
struct Sm90TileScheduler {
  int nq, tiles, ncta, cta, Hq, Hkv, Nk;

  // Params: SageParams or FlashParams (the flash kernel of flash_fwd_sm90.cuh walks the same tiles).
  template <class Params>
  __device__ __forceinline__ explicit Sm90TileScheduler(const Params& p)
      : nq(cdiv(p.Nq, BM)), tiles(cdiv(p.Nq, BM) * p.Hq * p.B), ncta(gridDim.x * gridDim.y * gridDim.z),
        cta(blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z)), Hq(p.Hq), Hkv(p.Hkv), Nk(p.Nk) {}

  __device__ __forceinline__ int first() const { return cta; }
  __device__ __forceinline__ int next(int t) const { return t + ncta; }
  __device__ __forceinline__ bool valid(int t) const { return t < tiles; }

  __device__ __forceinline__ Sm90Tile tile(int t) const {
    Sm90Tile T;
    const int r = t / nq;
    T.qblk = nq - 1 - (t - r * nq);
    T.h = r % Hq;
    T.b = r / Hq;
    T.hk = T.h / (Hq / Hkv);
    const int kv_end = CAUSAL ? min(Nk, T.qblk * BM + BM) : Nk;
    T.nblk = cdiv(kv_end, BN);
    return T;
  }
};

// Shared memory: two Q buffers, STAGES × (K block, V block), the mbarriers. The tiles start on
// 1024-byte boundaries (the wgmma swizzle atoms): the dynamic base is rounded up (traits: 1 KiB slack).
// Per K/V stage: full = the producer thread armed it with the stage's bytes and the copy engine's bytes
// landed, empty = every compute thread is done reading; per Q buffer the same pair.
template <int D, int PV>
struct Sm90Smem {
  using Tr = Sm90SageTraits<D, PV>;
  uint32_t q0;

  __device__ __forceinline__ explicit Sm90Smem(char* smem) : q0((smem_addr(smem) + 1023u) & ~1023u) {}

  __device__ __forceinline__ uint32_t q(int buf) const { return q0 + buf * Tr::Q_BYTES; }
  __device__ __forceinline__ uint32_t k(int st) const { return q0 + 2 * Tr::Q_BYTES + st * Tr::STAGE_BYTES; }
  __device__ __forceinline__ uint32_t v(int st) const { return k(st) + Tr::K_BYTES; }
  __device__ __forceinline__ uint32_t bars() const { return q0 + 2 * Tr::Q_BYTES + Tr::STAGES * Tr::STAGE_BYTES; }
  __device__ __forceinline__ uint32_t full_bar(int st) const { return bars() + st * 8; }
  __device__ __forceinline__ uint32_t empty_bar(int st) const { return bars() + (Tr::STAGES + st) * 8; }
  __device__ __forceinline__ uint32_t qfull_bar(int buf) const { return bars() + (2 * Tr::STAGES + buf) * 8; }
  __device__ __forceinline__ uint32_t qempty_bar(int buf) const { return bars() + (2 * Tr::STAGES + 2 + buf) * 8; }

  // By one thread, before the CTA-wide barrier that publishes them.
  __device__ __forceinline__ void init_barriers(int producers, int consumers) const {
    for (int st = 0; st < Tr::STAGES; ++st) {
      mbar_init(full_bar(st), producers);
      mbar_init(empty_bar(st), consumers);
    }
    for (int buf = 0; buf < 2; ++buf) {
      mbar_init(qfull_bar(buf), producers);
      mbar_init(qempty_bar(buf), consumers);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
};

// The producer: one thread of the producer warpgroup drives the copy engine (tma.cuh) through the
// SageParams tensor maps. For each of this CTA's tiles it loads Q (buffer i & 1, once tile i-2's readers
// released it; int8 [B·Hq, NqP, D], one box of BM rows: the manifest's tile_rows), then its K/V blocks into the ring (stage = flat
// block index % STAGES, once the block STAGES earlier was released), as far ahead as the ring allows: K
// (int8 [B·Hkv, NkP, D], 128 rows) and V, FP8 V^T (e4m3 [B·Hkv, D, NkP], D rows of 128 tokens) or FP16 V
// (the strided [B, Hkv, Nk, D] view, D / 64 boxes of 64 columns × 128 rows: the 128-byte panels P·V reads
// MN-major). Rows of Q/K are D bytes (128- or 64-byte swizzle = swz<D>), V^T rows 128 bytes. A 128-key block
// may end 64 keys past NkP (or Nk): the copy engine zero-fills those, the consumers mask them.
template <int D, bool CAUSAL, int PV>
__device__ __forceinline__ void sm90_producer(const SageParams& p,
                                              const Sm90TileScheduler<Sm90SageTraits<D, PV>::BM, 128, CAUSAL>& sched,
                                              const Sm90Smem<D, PV>& sm) {
  using Tr = Sm90SageTraits<D, PV>;
  constexpr int BM = Tr::BM, BN = Tr::BN, STAGES = Tr::STAGES;
  tma_prefetch_map(p.tq);
  tma_prefetch_map(p.tk);
  tma_prefetch_map(p.tv);
  int lf = 0;  // flat block index over all of this CTA's tiles
#pragma unroll 1
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile T = sched.tile(t);
    {
      const int buf = i & 1;
      if (i >= 2) mbar_wait(sm.qempty_bar(buf), ((i >> 1) - 1) & 1);
      mbar_arrive_expect_tx(sm.qfull_bar(buf), Tr::Q_BYTES);
      tma_load_3d(sm.q(buf), p.tq, sm.qfull_bar(buf), 0, T.qblk * BM, T.b * p.Hq + T.h);
    }
    const int kvh = T.b * p.Hkv + T.hk;
#pragma unroll 1
    for (int j = 0; j < T.nblk; ++j, ++lf) {
      const int st = lf % STAGES, n0 = j * BN;
      if (lf >= STAGES) mbar_wait(sm.empty_bar(st), (lf / STAGES - 1) & 1);  // block lf - STAGES released
      mbar_arrive_expect_tx(sm.full_bar(st), Tr::STAGE_BYTES);
      tma_load_3d(sm.k(st), p.tk, sm.full_bar(st), 0, n0, kvh);
      if constexpr (PV == kPvFp8) {
        tma_load_3d(sm.v(st), p.tv, sm.full_bar(st), n0, 0, kvh);
      } else {
#pragma unroll
        for (int pn = 0; pn < D / 64; ++pn)
          tma_load_4d(sm.v(st) + pn * BN * 128, p.tv, sm.full_bar(st), 64 * pn, n0, T.hk, T.b);
      }
    }
  }
}

// One compute warpgroup (wg 0 .. WGS-1) over its 64 rows of each tile: the running output, softmax
// state and the P of the block whose P·V is still pending.
template <int D, bool CAUSAL, int PV>
struct Sm90Consumer {
  using Tr = Sm90SageTraits<D, PV>;
  static constexpr int NT = Tr::NT, DT = Tr::DT, BN = Tr::BN, STAGES = Tr::STAGES;
  static constexpr bool FP8 = PV == kPvFp8;
  static constexpr int PV_K = FP8 ? 32 : 16;  // keys per P·V wgmma
  static constexpr int QK_SWIZZLE = D == 128 ? kSwizzle128B : kSwizzle64B;  // rows of D int8 bytes

  const Sm90Smem<D, PV>& sm;
  const int wg, warp, lane;
  float acc[1][DT][4];
  float pv[1][FP8 ? DT : 1][4];  // FP8: the pending block's P·V (first accumulation level)
  float m[1][2], l[1][2];
  // The running max's change at the last softmax (alpha = 2^(m_old - m_new) per row, changed = any row
  // of the warp moved): applied to the output once the previous P·V has landed and been folded in.
  float alpha[1][2];
  bool changed;
  uint32_t pa[BN / PV_K][4];  // P of the block whose P·V is pending

  // Per tile: where the tile's Q, scales and rows are.
  uint64_t desc_q;
  const float* ksb;
  float qscale;
  int wrow0;

  __device__ __forceinline__ Sm90Consumer(const Sm90Smem<D, PV>& smem, int tid)
      : sm(smem), wg(tid >> 7), warp((tid >> 5) & 3), lane(tid & 31) {}

  // Warpgroup ping-pong: the warpgroups take turns issuing their MMAs (named barriers 1 .. WGS), so one
  // warpgroup's softmax runs while another's MMAs own the tensor cores. Warpgroup g waits on barrier
  // 1+g, then hands the turn to the next one round robin, on barrier 1 + (g+1) % WGS (128 + 128 threads:
  // the one passing arrives, the one waiting syncs). Without ping-pong (traits PINGPONG false) every
  // warpgroup issues as soon as it is ready.
  static constexpr int TURN_THREADS = 2 * 128;
  __device__ __forceinline__ void wait_turn() const {
    if constexpr (Tr::PINGPONG) named_bar_sync(1 + wg, TURN_THREADS);
  }
  __device__ __forceinline__ void pass_turn() const {
    if constexpr (Tr::PINGPONG) named_bar_arrive(Tr::WGS == 2 ? 2 - wg : 1 + (wg + 1) % Tr::WGS, TURN_THREADS);
  }
  // At a tile's last turn the last warpgroup passes only if another tile follows (nobody else would wait for it).
  // (wg == 0 for two: the same instructions as before three existed.)
  __device__ __forceinline__ bool passes_last_turn(bool more) const {
    return (Tr::WGS == 2 ? wg == 0 : wg < Tr::WGS - 1) || more;
  }

  // SS_SM90_FP8_D64_NOSPILL (FP8 at D = 64 only; issue #16 item 5): the tile's Q descriptor and first row, the two
  // per-tile values that depend on the warp, are formed from the warp's indices broadcast from lane 0, which ptxas
  // then knows to be warp-uniform and keeps in uniform registers across the key loop. Without it, at 160 registers,
  // the FP8 D = 64 consumer spills 48 B (-Xptxas -v): both k32 steps' 64-bit Q descriptors (two LDL.64 in every key
  // block, right before its Q·K^T) and its first row. The same values, so the same bits.
  static constexpr bool NOSPILL = FP8 && D == 64 && SS_SM90_FP8_D64_NOSPILL;

  // NqP: Nq rounded up to the 128 rows the preprocessing pads Q to (qs has NqP / 32 scales per head).
  __device__ __forceinline__ void begin_tile(const SageParams& p, const Sm90Tile& T, int NqP, int qbuf) {
    ksb = p.ks + ((long long)T.b * p.Hkv + T.hk) * cdiv(p.Nk, 64);
    if constexpr (NOSPILL) {  // the same row, warp-uniform (see NOSPILL)
      wrow0 = T.qblk * Tr::BM + __shfl_sync(0xffffffffu, wg * Tr::WM + warp * 16, 0);
    } else {
      wrow0 = T.qblk * Tr::BM + wg * Tr::WM + warp * 16;
    }
    if constexpr (Tr::BM == 128) {
      qscale = p.qs[((long long)T.b * p.Hq + T.h) * (NqP / 32) + T.qblk * 4 + wg * 2 + (warp >> 1)];
    } else {  // a 192-row tile may reach 64 rows past NqP (copied as zeros, never stored): any scale, here the last
      qscale = p.qs[((long long)T.b * p.Hq + T.h) * (NqP / 32) + min(wrow0 / 32, NqP / 32 - 1)];
    }
    if constexpr (NOSPILL) {  // the same descriptor, warp-uniform
      desc_q = wgmma_desc(sm.q(qbuf) + __shfl_sync(0xffffffffu, wg, 0) * Tr::WM * D, 16, 8 * D, QK_SWIZZLE);
    } else {
      desc_q = wgmma_desc(sm.q(qbuf) + wg * Tr::WM * D, 16, 8 * D, QK_SWIZZLE);
    }
#pragma unroll
    for (int dj = 0; dj < DT; ++dj)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[0][dj][e] = 0.f;
    m[0][0] = m[0][1] = -INFINITY;
    l[0][0] = l[0][1] = 0.f;
  }

  __device__ __forceinline__ void pin_pv_operands() {
    if constexpr (FP8) wgmma_pin(pv[0]);
    else wgmma_pin(acc[0]);
    wgmma_pin(pa);
  }

  // Issues the P·V of the block in stage st: into acc (FP16), or into pv from zero (FP8).
  __device__ __forceinline__ void issue_pv(int st) {
    if constexpr (FP8) {
      const uint64_t dv = wgmma_desc(sm.v(st), 16, 8 * BN, kSwizzle128B);  // K-major V^T, 128-byte rows
#pragma unroll
      for (int kb = 0; kb < BN / 32; ++kb) {
        if constexpr (D == 128) wgmma_m64n128k32_e4m3_rs(pv[0], pa[kb], dv + kb * 2, kb);  // +32 B
        else wgmma_m64n64k32_e4m3_rs(pv[0], pa[kb], dv + kb * 2, kb);
      }
    } else {
      const uint64_t dv = wgmma_desc(sm.v(st), BN * 128, 1024, kSwizzle128B);  // MN-major V, 128-byte panels
#pragma unroll
      for (int kb = 0; kb < BN / 16; ++kb) {
        if constexpr (D == 128) wgmma_m64n128k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
        else wgmma_m64n64k16_f16_rs(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
      }
    }
  }

  // FP8: the landed P·V of a block joins the fp32 accumulator (the second level).
  __device__ __forceinline__ void fold_pv() {
    if constexpr (FP8) {
#pragma unroll
      for (int dj = 0; dj < DT; ++dj)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[0][dj][e] += pv[0][dj][e];
    }
  }

  // Key block j of the tile (flat index fj = f0 + j over the CTA's blocks). FIRST (a compile-time
  // constant: the first block has no pending P·V) is peeled off so that ptxas sees no path on
  // which a pending wgmma's accumulators are read: with a run-time condition it serializes every
  // wgmma (C7514).
  template <bool FIRST>
  __device__ __forceinline__ void key_block(int j, int fj, int nblk, int qbuf, int Nk) {
    const int st = fj % STAGES;
    // K scales of the two 64-key halves, loaded early (their latency hides under the waits below);
    // a half past NkP holds only masked keys (any positive scale).
    const float ks_lo = ksb[2 * j];
    const float ks_hi = 2 * j + 1 < cdiv(Nk, 64) ? ksb[2 * j + 1] : ks_lo;
    mbar_wait(sm.full_bar(st), (fj / STAGES) & 1);
    fence_proxy_async_smem();

    int si[NT][4];
    pin_pv_operands();
    wait_turn();
    wgmma_fence();
    {
      const uint64_t dk = wgmma_desc(sm.k(st), 16, 8 * D, QK_SWIZZLE);
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
    if (j == nblk - 1) mbar_arrive(sm.qempty_bar(qbuf));  // this thread's reads of this Q are done

    float s[1][NT][4];
#pragma unroll
    for (int nj = 0; nj < NT; ++nj)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[0][nj][e] = biased_score(si[nj][e]);
    const int n0 = j * BN;
    if (n0 + BN > Nk || (CAUSAL && n0 + BN - 1 > wrow0)) mask_scores<1, NT, CAUSAL>(s, wrow0, n0, Nk, lane);

    changed = sm90_online_softmax<NT, Tr::DPX_MAX>(s, qscale * ks_lo, qscale * ks_hi, FP8 ? kLog2Fp8Max : 0.f, m, l, alpha);
    // ptxas hoists this wait above the softmax (same basic block). Forcing the softmax under the P·V
    // instead (a branch between the two, the fold moved before the P·V issue, inside the warpgroup's
    // turn: v11) measured 2-5 % slower than this order (run 14).
    if constexpr (!FIRST) {
      wgmma_wait<0>();  // PV(j-1) has landed in acc (FP8: in pv); its A operand pa is free again
      pin_pv_operands();
      mbar_arrive(sm.empty_bar((fj - 1) % STAGES));  // this thread is done with block j-1
      fold_pv();
    }
    if (changed) rescale_o<1, DT>(acc, alpha);
    pack_p(s, pa);
  }

  // P of a block or step (N fragments of 8 keys) as the A operand of its P·V: fp16 pairs, or P·448 as e4m3
  // quadruples (keys 2t, 2t+1, 8+2t, 9+2t of each 16: the order pre_sage_quant gives V's tokens).
  template <int N>
  __device__ __forceinline__ static void pack_p(const float (&s)[1][N][4], uint32_t (&q)[N * 8 / PV_K][4]) {
    if constexpr (FP8) {
#pragma unroll
      for (int kb = 0; kb < N / 4; ++kb) {
        const int n = 4 * kb;
        q[kb][0] = pack_e4m3x4(s[0][n][0], s[0][n][1], s[0][n + 1][0], s[0][n + 1][1]);
        q[kb][1] = pack_e4m3x4(s[0][n][2], s[0][n][3], s[0][n + 1][2], s[0][n + 1][3]);
        q[kb][2] = pack_e4m3x4(s[0][n + 2][0], s[0][n + 2][1], s[0][n + 3][0], s[0][n + 3][1]);
        q[kb][3] = pack_e4m3x4(s[0][n + 2][2], s[0][n + 2][3], s[0][n + 3][2], s[0][n + 3][3]);
      }
    } else {
      pack_p16<__half>(s, q);
    }
  }

  // After the tile's last key block: its pending P·V (the last warpgroup hands the turn on only if there
  // is a next tile), then O / l written (FP8: times vs[d]; l sums 448·P, which cancels P's 448).
  __device__ __forceinline__ void epilogue(const SageParams& p, const Sm90Tile& T, int last_fj, bool more) {
    pin_pv_operands();
    wait_turn();
    wgmma_fence();
    issue_pv(last_fj % STAGES);
    wgmma_commit();
    if (passes_last_turn(more)) pass_turn();
    wgmma_wait<0>();
    pin_pv_operands();
    mbar_arrive(sm.empty_bar(last_fj % STAGES));
    fold_pv();
    store_tile(p, T);
  }

  // O / l of the tile into the output (FP8: times vs[d]; l sums 448·P, which cancels P's 448).
  __device__ __forceinline__ void store_tile(const SageParams& p, const Sm90Tile& T) const {
    const long long obase = T.b * p.o_sb + T.h * p.o_sh;
    if constexpr (FP8) {
      store_output<1, DT>(acc, l, p.o, obase, p.o_sn, wrow0, p.Nq, lane, p.vs + ((long long)T.b * p.Hkv + T.hk) * D,
                          1.f, p.out_dtype);
    } else {
      store_output<1, DT>(acc, l, p.o, obase, p.o_sn, wrow0, p.Nq, lane, nullptr, 1.f, p.out_dtype);
    }
  }

  // ---- The QK-ahead schedule (traits QK_AHEAD): each warpgroup issues step u+1's Q·K^T before step u's
  // exponentials and step u's P·V right after them, so its own tensor work runs under its softmax:
  //   max(u) | wait P·V(u-1), fold, rescale | issue Q·K^T(u+1) | exp(u), pack P(u) | issue P·V(u) | wait Q·K^T(u+1)
  // The fold and the rescale come before the warpgroup's turn (ping-pong), the exponentials inside it. Live
  // across the exponentials: the output (DT·4 registers), the next scores in flight and this step's (NS·4 each).
  // A step is SUB keys of a 128-key stage (traits QK_AHEAD_SUB): 128 where that fits the registers, 64 at
  // D = 128 (two steps per stage, one K scale each).
  static constexpr int SUB = Tr::QK_AHEAD_SUB, SPB = BN / SUB, NS = SUB / 8;

  // The landed Q·K^T of the step at key n0 as biased float scores, invisible keys masked.
  __device__ __forceinline__ void to_scores(const int (&si)[NS][4], float (&s)[1][NS][4], int n0, int Nk) const {
#pragma unroll
    for (int nj = 0; nj < NS; ++nj)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[0][nj][e] = biased_score(si[nj][e]);
    if (n0 + SUB > Nk || (CAUSAL && n0 + SUB - 1 > wrow0)) mask_scores<1, NS, CAUSAL>(s, wrow0, n0, Nk, lane);
  }

  // Issues the Q·K^T of keys [SUB·h, SUB·h + SUB) of the block in stage st into si (overwritten).
  __device__ __forceinline__ void issue_qk(int (&si)[NS][4], int st, int h) const {
    const uint64_t dk = wgmma_desc(sm.k(st) + h * SUB * D, 16, 8 * D, QK_SWIZZLE);
#pragma unroll
    for (int kk = 0; kk < D / 32; ++kk) {  // +32 B along the row per k32 step
      if constexpr (NS == 16) wgmma_m64n128k32_s8(si, desc_q + kk * 2, dk + kk * 2, kk);
      else wgmma_m64n64k32_s8(si, desc_q + kk * 2, dk + kk * 2, kk);
    }
  }

  // The P·V of keys [SUB·h, SUB·h + SUB) of the block in stage st: into acc (FP16), or into pv, overwritten (FP8).
  __device__ __forceinline__ void issue_pv_step(const uint32_t (&q)[SUB / PV_K][4], int st, int h) {
    if constexpr (FP8) {
      const uint64_t dv = wgmma_desc(sm.v(st), 16, 8 * BN, kSwizzle128B) + h * (SUB / 32) * 2;  // K-major V^T
      if constexpr (D == 128) wgmma_m64n128k32_e4m3_rs_zero(pv[0], q[0], dv);
      else wgmma_m64n64k32_e4m3_rs_zero(pv[0], q[0], dv);
#pragma unroll
      for (int kb = 1; kb < SUB / 32; ++kb) {
        if constexpr (D == 128) wgmma_m64n128k32_e4m3_rs(pv[0], q[kb], dv + kb * 2, 1);  // +32 B
        else wgmma_m64n64k32_e4m3_rs(pv[0], q[kb], dv + kb * 2, 1);
      }
    } else {
      const uint64_t dv = wgmma_desc(sm.v(st), BN * 128, 1024, kSwizzle128B) + h * (SUB / 16) * (16 * 128 >> 4);
#pragma unroll
      for (int kb = 0; kb < SUB / 16; ++kb) {
        if constexpr (D == 128) wgmma_m64n128k16_f16_rs(acc[0], q[kb], dv + kb * (16 * 128 >> 4));
        else wgmma_m64n64k16_f16_rs(acc[0], q[kb], dv + kb * (16 * 128 >> 4));
      }
    }
  }

  // The K scales of step u (64-key groups; a group past NkP holds only masked keys: any positive scale).
  __device__ __forceinline__ void step_scales(int u, int Nk, float& lo, float& hi) const {
    if constexpr (SUB == 128) {
      lo = ksb[2 * u];
      hi = 2 * u + 1 < cdiv(Nk, 64) ? ksb[2 * u + 1] : lo;
    } else {  // the last block's second half may lie wholly past NkP
      lo = hi = ksb[min(u, cdiv(Nk, 64) - 1)];
    }
  }

  // Step u of the tile (f0: the tile's first flat block) whose scores s have landed; leaves step u+1's scores
  // in s and P·V(u) in flight. FIRST: no P·V pending yet. LAST: no next step (the tile's last turn: warpgroup 1
  // passes it only if another tile follows). (ks_lo, ks_hi): this step's K scales in, the next step's out.
  template <bool FIRST, bool LAST>
  __device__ __forceinline__ void ahead_step(float (&s)[1][NS][4], int u, int f0, int nsteps, int qbuf, int Nk,
                                             float& ks_lo, float& ks_hi, bool more) {
    const float sc_lo = qscale * ks_lo, sc_hi = qscale * ks_hi;
    if constexpr (!LAST) step_scales(u + 1, Nk, ks_lo, ks_hi);
    float c[2][2];
    changed = __any_sync(0xffffffffu, sm90_softmax_max<NS, Tr::DPX_MAX>(s, sc_lo, sc_hi, FP8 ? kLog2Fp8Max : 0.f,
                                                                       m, alpha, c));
    if constexpr (!FIRST) {
      wgmma_wait<0>();  // P·V(u-1) has landed in pv (FP8) / acc (FP16); its P registers are free again
      pin_pv_operands();
      if ((u - 1) % SPB == SPB - 1) mbar_arrive(sm.empty_bar((f0 + (u - 1) / SPB) % STAGES));  // block done
      fold_pv();
    }
    if (changed) rescale_o<1, DT>(acc, alpha);
    int si[NS][4];
    if constexpr (!LAST) {
      const int b1 = f0 + (u + 1) / SPB, st = b1 % STAGES;
      if ((u + 1) % SPB == 0) {
        mbar_wait(sm.full_bar(st), (b1 / STAGES) & 1);
        fence_proxy_async_smem();
      }
      wgmma_pin(acc[0]);
      wait_turn();
      wgmma_fence();
      issue_qk(si, st, (u + 1) % SPB);
      wgmma_commit();
    } else {
      wgmma_pin(acc[0]);
      wait_turn();
    }
    wgmma_pin(s[0]);  // the exponentials after the issue: the tensor pipe works under them
    sm90_softmax_exp<NS>(s, sc_lo, sc_hi, c, alpha, l);
    uint32_t (&q)[SUB / PV_K][4] = *reinterpret_cast<uint32_t (*)[SUB / PV_K][4]>(&pa[0][0]);
    pack_p(s, q);
    wgmma_pin(q);
    wgmma_fence();
    issue_pv_step(q, (f0 + u / SPB) % STAGES, u % SPB);
    wgmma_commit();
    if (!LAST || passes_last_turn(more)) pass_turn();
    if constexpr (!LAST) {
      wgmma_wait<1>();  // Q·K^T(u+1) done; P·V(u) may still run
      wgmma_pin(si);
      if (u + 1 == nsteps - 1) mbar_arrive(sm.qempty_bar(qbuf));  // this thread's reads of this Q are done
      to_scores(si, s, (u + 1) * SUB, Nk);
    }
  }

  // One tile in the QK-ahead schedule: Q·K^T(0) in a turn of its own, the steps, the last P·V, the output.
  __device__ __forceinline__ void tile_ahead(const SageParams& p, const Sm90Tile& T, int f0, int qbuf, bool more) {
    const int nsteps = T.nblk * SPB;
    float s[1][NS][4];
    float ks_lo, ks_hi;
    step_scales(0, p.Nk, ks_lo, ks_hi);
    {
      int si[NS][4];
      const int st = f0 % STAGES;
      mbar_wait(sm.full_bar(st), (f0 / STAGES) & 1);
      fence_proxy_async_smem();
      wait_turn();
      wgmma_fence();
      issue_qk(si, st, 0);
      wgmma_commit();
      pass_turn();
      wgmma_wait<0>();
      wgmma_pin(si);
      if (nsteps == 1) mbar_arrive(sm.qempty_bar(qbuf));
      to_scores(si, s, 0, p.Nk);
    }
    if (nsteps == 1) {
      ahead_step<true, true>(s, 0, f0, nsteps, qbuf, p.Nk, ks_lo, ks_hi, more);
    } else {
      ahead_step<true, false>(s, 0, f0, nsteps, qbuf, p.Nk, ks_lo, ks_hi, more);
#pragma unroll 1
      for (int u = 1; u < nsteps - 1; ++u) ahead_step<false, false>(s, u, f0, nsteps, qbuf, p.Nk, ks_lo, ks_hi, more);
      ahead_step<false, true>(s, nsteps - 1, f0, nsteps, qbuf, p.Nk, ks_lo, ks_hi, more);
    }
    wgmma_wait<0>();
    pin_pv_operands();
    mbar_arrive(sm.empty_bar((f0 + T.nblk - 1) % STAGES));
    fold_pv();
    store_tile(p, T);
  }
};

// The consumer warpgroups' walk over their CTA's tiles, shared by the Sage and the flash sm90 kernels: the Q buffer
// alternates between tiles, the first key block is peeled, and the epilogue learns whether another tile follows (it
// then passes the ping-pong turn). begin(tile, qbuf) starts a tile, since the two consumers need different arguments.
template <class Consumer, class Sched, class Smem, class Params, class Begin>
__device__ __forceinline__ void sm90_consume_tiles(Consumer& c, const Sched& sched, const Smem& sm, const Params& p,
                                                   Begin begin) {
  int f0 = 0;  // flat index of the tile's first block
#pragma unroll 1
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile tile = sched.tile(t);
    const int qbuf = i & 1;
    begin(tile, qbuf);
    mbar_wait(sm.qfull_bar(qbuf), (i >> 1) & 1);
    c.template key_block<true>(0, f0, tile.nblk, qbuf, p.Nk);
#pragma unroll 1
    for (int j = 1; j < tile.nblk; ++j) c.template key_block<false>(j, f0 + j, tile.nblk, qbuf, p.Nk);
    c.epilogue(p, tile, f0 + tile.nblk - 1, sched.valid(sched.next(t)));
    f0 += tile.nblk;
  }
}

template <int D, bool CAUSAL, int PV>
__device__ __forceinline__ void sage_fwd_sm90(const SageParams& p, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90SageTraits<D, PV>;
  static_assert(Tr::STAGES >= 3, "the overlapped P·V holds one stage besides the one computed");
  const Sm90TileScheduler<Tr::BM, Tr::BN, CAUSAL> sched(p);
  const Sm90Smem<D, PV> sm(smem);
  const int tid = threadIdx.x;
  if (tid == 0) sm.init_barriers(1, Tr::THREADS);
  __syncthreads();
  if (!sched.valid(sched.first())) return;  // (only when launched with more CTAs than tiles)

  if (tid >= Tr::THREADS) {  // the producer warpgroup: its first thread issues every copy
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(Tr::PRODUCER_REGS));
    if (tid == Tr::THREADS) sm90_producer<D, CAUSAL, PV>(p, sched, sm);
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(Tr::CONSUMER_REGS));

  Sm90Consumer<D, CAUSAL, PV> c(sm, tid);
  const int NqP = Tr::BM == 128 ? sched.nq * 128 : cdiv(p.Nq, 128) * 128;  // ABI.md: the preprocessing's padding
  // Warpgroup 0 goes first: its turn comes from the last one.
  if (Tr::PINGPONG && c.wg == Tr::WGS - 1) named_bar_arrive(1, Sm90Consumer<D, CAUSAL, PV>::TURN_THREADS);
  if constexpr (Tr::QK_AHEAD) {
    int f0 = 0;  // flat index of the tile's first block
#pragma unroll 1
    for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
      const Sm90Tile T = sched.tile(t);
      const int qbuf = i & 1;
      c.begin_tile(p, T, NqP, qbuf);
      mbar_wait(sm.qfull_bar(qbuf), (i >> 1) & 1);
      c.tile_ahead(p, T, f0, qbuf, sched.valid(sched.next(t)));
      f0 += T.nblk;
    }
  } else {
    sm90_consume_tiles(c, sched, sm, p, [&](const Sm90Tile& T, int qbuf) { c.begin_tile(p, T, NqP, qbuf); });
  }
#else
  __trap();  // only the sm_90a SASS has wgmma; the Java side launches these entries on cc 9.0 only
#endif
}

}  // namespace ss
