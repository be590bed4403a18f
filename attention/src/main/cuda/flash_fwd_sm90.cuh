// flash-fp16 / bf16 forward on Hopper (sm_90a) with warpgroup MMA: the full-precision kernel that
// flash_fwd_sm80.cuh is on the mma.sync path, built from the pieces of the Sage wgmma kernel
// (sage_int8_sm90.cuh: tile scheduler, named-barrier ping-pong, producer warpgroup, mbarrier rings).
//   Q·K^T  wgmma m64n128k16 f32.{f16,bf16}, Q and K both from shared memory (K-major)
//   softmax fp32 online softmax in base 2, softmax_scale·log2 e folded into the exp2's FFMA
//   P·V    wgmma m64nDk16 with P from registers (the Q·K^T accumulator layout is the A fragment),
//          V N-major from shared memory, fp32 accumulation
// Inputs: FlashParams (ABI.md §2), any strides, read through its tensor maps tq, tk, tv by the copy
// engine (TMA). Block 384 = 2 compute warpgroups × 64 query rows (a 128-row tile) + 1 producer warpgroup
// whose first thread issues every copy; keys in blocks of 128. Any grid:
// the CTAs walk the tiles as the Sage kernel's do (ABI.md §3), one K ring and one V ring across
// them. Per key block j a compute warpgroup issues Q·K^T(j) and the P·V of block j-1, waits for
// Q·K^T(j) only, and runs softmax(j) while P·V(j-1) runs on the tensor cores.
#pragma once
#include "attn_common.cuh"
#include "params.cuh"
#include "sage_int8_sm90.cuh"
#include "tma.cuh"
#include "wgmma_f16.cuh"

namespace ss {

// Shared memory: two Q buffers, K_STAGES K blocks, V_STAGES V blocks, then the mbarriers; every
// tile starts on a 1024-byte boundary (the base is rounded up: traits keep 1 KiB of slack). Each
// tile is a row of 64-column panels (D / 64 of them), panel p holding columns 64p..64p+63 of every
// row, 128 bytes a row, 128-byte swizzled: load_tile's PANELB = 128 layout, which wgmma reads as
// K-major (Q, K) or N-major (V) with kSwizzle128B.
template <int D>
struct Sm90FlashSmem {
  using Tr = Sm90FlashTraits<D>;
  uint32_t q0;

  __device__ __forceinline__ explicit Sm90FlashSmem(char* smem) : q0((smem_addr(smem) + 1023u) & ~1023u) {}

  __device__ __forceinline__ uint32_t q(int buf) const { return q0 + buf * Tr::Q_BYTES; }
  __device__ __forceinline__ uint32_t k(int st) const { return q0 + 2 * Tr::Q_BYTES + st * Tr::K_BYTES; }
  __device__ __forceinline__ uint32_t v(int st) const { return k(Tr::K_STAGES) + st * Tr::V_BYTES; }
  __device__ __forceinline__ uint32_t bars() const { return v(Tr::V_STAGES); }
  __device__ __forceinline__ uint32_t kfull_bar(int st) const { return bars() + st * 8; }
  __device__ __forceinline__ uint32_t kempty_bar(int st) const { return kfull_bar(Tr::K_STAGES + st); }
  __device__ __forceinline__ uint32_t vfull_bar(int st) const { return kfull_bar(2 * Tr::K_STAGES + st); }
  __device__ __forceinline__ uint32_t vempty_bar(int st) const { return vfull_bar(Tr::V_STAGES + st); }
  __device__ __forceinline__ uint32_t qfull_bar(int buf) const { return vfull_bar(2 * Tr::V_STAGES + buf); }
  __device__ __forceinline__ uint32_t qempty_bar(int buf) const { return qfull_bar(2 + buf); }

  // By one thread, before the CTA-wide barrier that publishes them. full: the producer thread armed it and
  // the copy engine's bytes landed; empty: every compute thread is done reading.
  __device__ __forceinline__ void init_barriers(int producers, int consumers) const {
    for (int st = 0; st < Tr::K_STAGES; ++st) {
      mbar_init(kfull_bar(st), producers);
      mbar_init(kempty_bar(st), consumers);
    }
    for (int st = 0; st < Tr::V_STAGES; ++st) {
      mbar_init(vfull_bar(st), producers);
      mbar_init(vempty_bar(st), consumers);
    }
    for (int buf = 0; buf < 2; ++buf) {
      mbar_init(qfull_bar(buf), producers);
      mbar_init(qempty_bar(buf), consumers);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
};

// Ring position of flat block index f in a ring of S stages: the stage, and the parity of the
// phase in which the block occupies it.
template <int S>
struct RingSlot {
  int stage, phase;
  __device__ __forceinline__ explicit RingSlot(int f) : stage(f % S), phase((f / S) & 1) {}
};

// The producer: one thread of the producer warpgroup drives the copy engine (tma.cuh). For each of this
// CTA's tiles it loads Q (buffer i & 1, once tile i-2's readers released it), then per key block K (once
// the K block K_STAGES earlier was released) and V (likewise in the V ring), each tile as D / 64 boxes of
// the FlashParams tensor maps: 64 columns × 128 rows, 128-byte swizzled = one panel of the layout above.
// The copy engine zero-fills rows past Nq / Nk (the full box still counts in the expected bytes); the
// consumers mask keys past Nk and store rows below Nq only, from the true lengths.
template <int D, bool CAUSAL>
__device__ __forceinline__ void flash_sm90_producer(const FlashParams& p, const Sm90TileScheduler<128, 128, CAUSAL>& sched,
                                                    const Sm90FlashSmem<D>& sm) {
  using Tr = Sm90FlashTraits<D>;
  constexpr int BM = Tr::BM, BN = Tr::BN, PANELS = D / Tr::PANEL_COLS;
  tma_prefetch_map(p.tq);
  tma_prefetch_map(p.tk);
  tma_prefetch_map(p.tv);
  int lf = 0;  // flat block index over all of this CTA's tiles
#pragma unroll 1
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile tile = sched.tile(t);
    {
      const int buf = i & 1;
      if (i >= 2) mbar_wait(sm.qempty_bar(buf), ((i >> 1) - 1) & 1);
      mbar_arrive_expect_tx(sm.qfull_bar(buf), Tr::Q_BYTES);
#pragma unroll
      for (int pn = 0; pn < PANELS; ++pn)
        tma_load_4d(sm.q(buf) + pn * BM * 128, p.tq, sm.qfull_bar(buf), pn * Tr::PANEL_COLS, tile.qblk * BM, tile.h,
                    tile.b);
    }
#pragma unroll 1
    for (int j = 0; j < tile.nblk; ++j, ++lf) {
      const int n0 = j * BN;
      const RingSlot<Tr::K_STAGES> ks(lf);
      if (lf >= Tr::K_STAGES) mbar_wait(sm.kempty_bar(ks.stage), ks.phase ^ 1);  // block lf - K_STAGES released
      mbar_arrive_expect_tx(sm.kfull_bar(ks.stage), Tr::K_BYTES);
#pragma unroll
      for (int pn = 0; pn < PANELS; ++pn)
        tma_load_4d(sm.k(ks.stage) + pn * BN * 128, p.tk, sm.kfull_bar(ks.stage), pn * Tr::PANEL_COLS, n0, tile.hk,
                    tile.b);
      const RingSlot<Tr::V_STAGES> vs(lf);
      if (lf >= Tr::V_STAGES) mbar_wait(sm.vempty_bar(vs.stage), vs.phase ^ 1);
      mbar_arrive_expect_tx(sm.vfull_bar(vs.stage), Tr::V_BYTES);
#pragma unroll
      for (int pn = 0; pn < PANELS; ++pn)
        tma_load_4d(sm.v(vs.stage) + pn * BN * 128, p.tv, sm.vfull_bar(vs.stage), pn * Tr::PANEL_COLS, n0, tile.hk,
                    tile.b);
    }
  }
}

// One compute warpgroup (wg 0 or 1) over its 64 rows of each tile: the running output, the softmax
// state, and the P of the block whose P·V is pending.
template <typename T, int D, bool CAUSAL>
struct FlashSm90Consumer {
  using Tr = Sm90FlashTraits<D>;
  static constexpr int NT = Tr::NT, DT = Tr::DT, BN = Tr::BN, BM = Tr::BM;

  const Sm90FlashSmem<D>& sm;
  const int wg, warp, lane;
  const float scale_log2;  // softmax_scale · log2 e: the scores' factor inside the exp2
  float acc[1][DT][4];
  float m[1][2], l[1][2];
  float alpha[1][2];  // per row 2^(m_old - m_new) of the last softmax, applied before the next P·V
  bool changed;       // whether any row max of the warp moved at the last softmax
  uint32_t pa[BN / 16][4];
  uint64_t desc_q;  // this warpgroup's 64 rows of the tile's Q
  int wrow0;        // first query row of this warp (16 rows)

  __device__ __forceinline__ FlashSm90Consumer(const Sm90FlashSmem<D>& smem, int tid, float softmax_scale)
      : sm(smem), wg(tid >> 7), warp((tid >> 5) & 3), lane(tid & 31), scale_log2(softmax_scale * kLog2e) {}

  // The ping-pong of sage_int8_sm90.cuh (named barriers 1, 2); no-ops without it.
  __device__ __forceinline__ void wait_turn() const {
    if constexpr (Tr::PINGPONG) named_bar_sync(1 + wg, Tr::THREADS);
  }
  __device__ __forceinline__ void pass_turn() const {
    if constexpr (Tr::PINGPONG) named_bar_arrive(2 - wg, Tr::THREADS);
  }

  __device__ __forceinline__ void begin_tile(const Sm90Tile& tile, int qbuf) {
    wrow0 = tile.qblk * BM + wg * Tr::WM + warp * 16;
    desc_q = wgmma_desc(sm.q(qbuf) + wg * Tr::WM * 128, 16, 1024, kSwizzle128B);
#pragma unroll
    for (int dj = 0; dj < DT; ++dj)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[0][dj][e] = 0.f;
    m[0][0] = m[0][1] = -INFINITY;
    l[0][0] = l[0][1] = 0.f;
  }

  __device__ __forceinline__ void pin_pv_operands() {
    wgmma_pin(acc[0]);
    wgmma_pin(pa);
  }

  // Descriptor offset (16-byte units) of k16 step kk in a tile of `rows` rows: 4 steps of 32 bytes
  // per 128-byte panel row, then the next panel.
  static __device__ __forceinline__ uint64_t k_step(int kk, int rows) {
    return (uint64_t)(((kk >> 2) * rows * 128 + (kk & 3) * 32) >> 4);
  }

  __device__ __forceinline__ void issue_qk(float (&s)[NT][4], int kst) {
    const uint64_t dk = wgmma_desc(sm.k(kst), 16, 1024, kSwizzle128B);
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) wgmma_m64n128k16_ss<T>(s, desc_q + k_step(kk, BM), dk + k_step(kk, BN), kk);
  }

  // P·V of the block in V stage vst into acc: 8 steps of 16 keys (16 rows of each 128-byte panel).
  __device__ __forceinline__ void issue_pv(int vst) {
    const uint64_t dv = wgmma_desc(sm.v(vst), BN * 128, 1024, kSwizzle128B);  // N-major V, 128-byte panels
#pragma unroll
    for (int kb = 0; kb < BN / 16; ++kb) wgmma_pv_rs<T, D>(acc[0], pa[kb], dv + kb * (16 * 128 >> 4));
  }

  // Key block j of the tile (flat index fj over the CTA's blocks). FIRST is a compile-time constant
  // (the first block has no pending P·V): with a run-time condition ptxas serializes every wgmma.
  template <bool FIRST>
  __device__ __forceinline__ void key_block(int j, int fj, int nblk, int qbuf, int Nk) {
    const RingSlot<Tr::K_STAGES> ks(fj);
    const RingSlot<Tr::V_STAGES> vprev(fj - 1);
    mbar_wait(sm.kfull_bar(ks.stage), ks.phase);
    if constexpr (!FIRST) mbar_wait(sm.vfull_bar(vprev.stage), vprev.phase);
    fence_proxy_async_smem();

    float s[1][NT][4];
    pin_pv_operands();
    wait_turn();
    wgmma_fence();
    issue_qk(s[0], ks.stage);
    wgmma_commit();
    if constexpr (!FIRST) {
      if (changed) rescale_o<1, DT>(acc, alpha);  // runs under Q·K^T(j); P·V(j-1) adds at the new max
      wgmma_fence();
      issue_pv(vprev.stage);
      wgmma_commit();
      pass_turn();
      wgmma_wait<1>();  // Q·K^T(j) done; P·V(j-1) may still run
    } else {
      pass_turn();
      wgmma_wait<0>();
    }
    wgmma_pin(s[0]);
    mbar_arrive(sm.kempty_bar(ks.stage));                 // this thread is done with K block j
    if (j == nblk - 1) mbar_arrive(sm.qempty_bar(qbuf));  // and, after the last block, with this Q

    const int n0 = j * BN;
    if (n0 + BN > Nk || (CAUSAL && n0 + BN - 1 > wrow0)) mask_scores<1, NT, CAUSAL>(s, wrow0, n0, Nk, lane);
    changed = online_softmax<1, NT>(s, scale_log2, m, l, alpha);
    // A branch between the softmax and the wait below keeps ptxas from hoisting the wait above the
    // whole softmax (sage_int8_sm90.cuh, NOTES.md v11); the accumulator is under the P·V, so there is
    // nothing to do in it but a zero-length nanosleep that keeps it from being optimized away.
    if (changed) __nanosleep(0);
    if constexpr (!FIRST) {
      wgmma_wait<0>();  // P·V(j-1) has landed in acc; its A operand pa is free again
      pin_pv_operands();
      mbar_arrive(sm.vempty_bar(vprev.stage));  // this thread is done with V block j-1
    }
    pack_p16<T>(s, pa);
  }

  // After the tile's last key block (flat index last_fj): its P·V (warpgroup 1 hands the turn back
  // only if there is a next tile), then O / l written in out_dtype.
  __device__ __forceinline__ void epilogue(const FlashParams& p, const Sm90Tile& tile, int last_fj, bool more) {
    const RingSlot<Tr::V_STAGES> vs(last_fj);
    mbar_wait(sm.vfull_bar(vs.stage), vs.phase);
    fence_proxy_async_smem();
    pin_pv_operands();
    wait_turn();
    if (changed) rescale_o<1, DT>(acc, alpha);
    wgmma_fence();
    issue_pv(vs.stage);
    wgmma_commit();
    if (wg == 0 || more) pass_turn();
    wgmma_wait<0>();
    pin_pv_operands();
    mbar_arrive(sm.vempty_bar(vs.stage));
    store_output<1, DT>(acc, l, p.o, tile.b * p.o_sb + tile.h * p.o_sh, p.o_sn, wrow0, p.Nq, lane, nullptr, 1.f,
                        p.out_dtype);
  }
};

template <typename T, int D, bool CAUSAL>
__device__ __forceinline__ void flash_fwd_sm90(const FlashParams& p, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90FlashTraits<D>;
  const Sm90TileScheduler<Tr::BM, Tr::BN, CAUSAL> sched(p);
  const Sm90FlashSmem<D> sm(smem);
  const int tid = threadIdx.x;
  if (tid == 0) sm.init_barriers(1, Tr::THREADS);
  __syncthreads();
  if (!sched.valid(sched.first())) return;  // (only when launched with more CTAs than tiles)

  if (tid >= Tr::THREADS) {  // the producer warpgroup: its first thread issues every copy
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kSm90ProducerRegs));
    if (tid == Tr::THREADS) flash_sm90_producer<D, CAUSAL>(p, sched, sm);
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kSm90ConsumerRegs));

  FlashSm90Consumer<T, D, CAUSAL> c(sm, tid, p.softmax_scale);
  if (Tr::PINGPONG && c.wg == 1) named_bar_arrive(1, Tr::THREADS);  // warpgroup 0 goes first
  sm90_consume_tiles(c, sched, sm, p, [&](const Sm90Tile& tile, int qbuf) { c.begin_tile(tile, qbuf); });
#else
  __trap();  // only the sm_90a SASS has wgmma; the Java side launches these entries on cc 9.0 only
#endif
}

}  // namespace ss
