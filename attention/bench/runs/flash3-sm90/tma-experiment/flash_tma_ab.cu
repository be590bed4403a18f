// A/B experiment only (flash3 call 3, not a project entry): flash_fwd_sm90 with the producer's 16-byte cp.async
// replaced by the copy engine (cp.async.bulk.tensor.4d, 128-byte swizzle, boxes of 64 columns × 128 rows = the
// kernel's panel layout), tensor maps from cuTensorMapEncodeTiled on the host, passed as __grid_constant__
// kernel parameters after the FlashParams. HND inputs only (dims D, N, H, B). Consumers unchanged.
#include <cuda.h>
#include "common.cuh"
#include "params.cuh"
#include "flash_fwd_sm90.cuh"

struct FlashTmaParams {
  ss::FlashParams f;
  CUtensorMap tq, tk, tv;
};

namespace ss {

__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const CUtensorMap* map, uint32_t bar, int c0, int c1, int c2,
                                            int c3) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], [%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
}

// One thread: each Q / K / V tile as D/64 boxes (64 columns × 128 rows, 128-byte rows swizzled), rows past
// the tensor zero-filled by the copy engine (the transaction count is the whole box all the same).
template <int D, bool CAUSAL>
__device__ __forceinline__ void flash_tma_producer(const FlashTmaParams& P, const Sm90TileScheduler<128, 128, CAUSAL>& sched,
                                                   const Sm90FlashSmem<D>& sm) {
  using Tr = Sm90FlashTraits<D>;
  int lf = 0;
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile tile = sched.tile(t);
    const int buf = i & 1;
    if (i >= 2) mbar_wait(sm.qempty_bar(buf), ((i >> 1) - 1) & 1);
    mbar_expect_tx(sm.qfull_bar(buf), Tr::Q_BYTES);
    for (int pn = 0; pn < D / 64; ++pn)
      tma_load_4d(sm.q(buf) + pn * Tr::BM * 128, &P.tq, sm.qfull_bar(buf), 64 * pn, tile.qblk * Tr::BM, tile.h, tile.b);
    for (int j = 0; j < tile.nblk; ++j, ++lf) {
      const RingSlot<Tr::K_STAGES> ks(lf);
      if (lf >= Tr::K_STAGES) mbar_wait(sm.kempty_bar(ks.stage), ks.phase ^ 1);
      mbar_expect_tx(sm.kfull_bar(ks.stage), Tr::K_BYTES);
      for (int pn = 0; pn < D / 64; ++pn)
        tma_load_4d(sm.k(ks.stage) + pn * Tr::BN * 128, &P.tk, sm.kfull_bar(ks.stage), 64 * pn, j * Tr::BN, tile.hk, tile.b);
      const RingSlot<Tr::V_STAGES> vs(lf);
      if (lf >= Tr::V_STAGES) mbar_wait(sm.vempty_bar(vs.stage), vs.phase ^ 1);
      mbar_expect_tx(sm.vfull_bar(vs.stage), Tr::V_BYTES);
      for (int pn = 0; pn < D / 64; ++pn)
        tma_load_4d(sm.v(vs.stage) + pn * Tr::BN * 128, &P.tv, sm.vfull_bar(vs.stage), 64 * pn, j * Tr::BN, tile.hk, tile.b);
    }
  }
}

template <typename T, int D, bool CAUSAL>
__device__ __forceinline__ void flash_fwd_sm90_tma(const FlashTmaParams& P, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90FlashTraits<D>;
  const FlashParams& p = P.f;
  const Sm90TileScheduler<Tr::BM, Tr::BN, CAUSAL> sched(p);
  const Sm90FlashSmem<D> sm(smem);
  const int tid = threadIdx.x;
  if (tid == 0) sm.init_barriers(1, Tr::THREADS);
  __syncthreads();
  if (!sched.valid(sched.first())) return;
  if (tid >= Tr::THREADS) {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kSm90ProducerRegs));
    if (tid == Tr::THREADS) flash_tma_producer<D, CAUSAL>(P, sched, sm);
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kSm90ConsumerRegs));
  FlashSm90Consumer<T, D, CAUSAL> c(sm, tid, p.softmax_scale);
  if (Tr::PINGPONG && c.wg == 1) named_bar_arrive(1, Tr::THREADS);
  int f0 = 0;
#pragma unroll 1
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile tile = sched.tile(t);
    const int qbuf = i & 1;
    c.begin_tile(tile, qbuf);
    mbar_wait(sm.qfull_bar(qbuf), (i >> 1) & 1);
    c.template key_block<true>(0, f0, tile.nblk, qbuf, p.Nk);
#pragma unroll 1
    for (int j = 1; j < tile.nblk; ++j) c.template key_block<false>(j, f0 + j, tile.nblk, qbuf, p.Nk);
    c.epilogue(p, tile, f0 + tile.nblk - 1, sched.valid(sched.next(t)));
    f0 += tile.nblk;
  }
#else
  __trap();
#endif
}

}  // namespace ss

#define TMA_ENTRY(HD)                                                                                       \
  extern "C" __global__ void __launch_bounds__(ss::Sm90FlashTraits<HD>::BLOCK, 1)                          \
      flash_fwd_f16_sm90tma_d##HD(const __grid_constant__ FlashTmaParams p) {                               \
    extern __shared__ __align__(128) char smem[];                                                           \
    if (p.f.causal) ss::flash_fwd_sm90_tma<__half, HD, true>(p, smem);                                      \
    else ss::flash_fwd_sm90_tma<__half, HD, false>(p, smem);                                                 \
  }
TMA_ENTRY(64)
TMA_ENTRY(128)
