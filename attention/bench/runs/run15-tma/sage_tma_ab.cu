// A/B experiment only (run 15, call 1; not a project entry): sage_fwd_sm90 with the producer's 16-byte cp.async
// replaced by the copy engine (tma.cuh). One producer thread issues per tile Q (int8 [B·Hq, NqP, D]) and per key
// block K (int8 [B·Hkv, NkP, D]) and V: FP8 V^T (e4m3 [B·Hkv, D, NkP]) or FP16 V (4-d strided view, 64-column
// panels as load_tile writes them). Boxes: 128 rows of D bytes (Q, K; 128-byte swizzle at D = 128, 64-byte at
// D = 64), D rows of 128 token bytes (V^T), 128 rows of 64 fp16 columns (V). The copy engine zero-fills what lies
// past NkP (K, V^T) or Nk (V), as the cp.async producer does; consumers unchanged.
#include "common.cuh"
#include "params.cuh"
#include "sage_int8_sm90.cuh"
#include "tma.cuh"

struct SageTmaParams {
  ss::SageParams s;
  ss::TensorMap tq, tk, tv;
};

namespace ss {

template <int D, bool CAUSAL, int PV>
__device__ __forceinline__ void sage_tma_producer(const SageTmaParams& P, const Sm90TileScheduler<128, 128, CAUSAL>& sched,
                                                  const Sm90Smem<D, PV>& sm) {
  using Tr = Sm90SageTraits<D, PV>;
  const SageParams& p = P.s;
  tma_prefetch_map(P.tq);
  tma_prefetch_map(P.tk);
  tma_prefetch_map(P.tv);
  int lf = 0;
#pragma unroll 1
  for (int t = sched.first(), i = 0; sched.valid(t); t = sched.next(t), ++i) {
    const Sm90Tile T = sched.tile(t);
    const int buf = i & 1;
    if (i >= 2) mbar_wait(sm.qempty_bar(buf), ((i >> 1) - 1) & 1);
    mbar_arrive_expect_tx(sm.qfull_bar(buf), Tr::Q_BYTES);
    tma_load_3d(sm.q(buf), P.tq, sm.qfull_bar(buf), 0, T.qblk * Tr::BM, T.b * p.Hq + T.h);
    const int kvh = T.b * p.Hkv + T.hk;
#pragma unroll 1
    for (int j = 0; j < T.nblk; ++j, ++lf) {
      const int st = lf % Tr::STAGES, n0 = j * Tr::BN;
      if (lf >= Tr::STAGES) mbar_wait(sm.empty_bar(st), (lf / Tr::STAGES - 1) & 1);
      mbar_arrive_expect_tx(sm.full_bar(st), Tr::STAGE_BYTES);
      tma_load_3d(sm.k(st), P.tk, sm.full_bar(st), 0, n0, kvh);
      if constexpr (PV == kPvFp8) {
        tma_load_3d(sm.v(st), P.tv, sm.full_bar(st), n0, 0, kvh);
      } else {
#pragma unroll
        for (int pn = 0; pn < D / 64; ++pn)
          tma_load_4d(sm.v(st) + pn * Tr::BN * 128, P.tv, sm.full_bar(st), 64 * pn, n0, T.hk, T.b);
      }
    }
  }
}

template <int D, bool CAUSAL, int PV>
__device__ __forceinline__ void sage_fwd_sm90_tma(const SageTmaParams& P, char* smem) {
#if SS_HAS_WGMMA
  using Tr = Sm90SageTraits<D, PV>;
  const SageParams& p = P.s;
  const Sm90TileScheduler<Tr::BM, Tr::BN, CAUSAL> sched(p);
  const Sm90Smem<D, PV> sm(smem);
  const int tid = threadIdx.x;
  if (tid == 0) sm.init_barriers(1, Tr::THREADS);  // full: the producer thread's arrival + the bytes
  __syncthreads();
  if (!sched.valid(sched.first())) return;
  if (tid >= Tr::THREADS) {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kSm90ProducerRegs));
    if (tid == Tr::THREADS) sage_tma_producer<D, CAUSAL, PV>(P, sched, sm);
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kSm90ConsumerRegs));
  Sm90Consumer<D, CAUSAL, PV> c(sm, tid);
  const int NqP = sched.nq * Tr::BM;
  if (Tr::PINGPONG && c.wg == 1) named_bar_arrive(1, Tr::THREADS);
  sm90_consume_tiles(c, sched, sm, p, [&](const Sm90Tile& T, int qbuf) { c.begin_tile(p, T, NqP, qbuf); });
#else
  __trap();
#endif
}

}  // namespace ss

#define SAGE_TMA_ENTRY(NAME, PV, HD)                                                                       \
  extern "C" __global__ void __launch_bounds__(ss::Sm90SageTraits<HD, PV>::BLOCK, 1)                      \
      NAME##_d##HD(const __grid_constant__ SageTmaParams p) {                                              \
    extern __shared__ __align__(128) char smem[];                                                          \
    if (p.s.causal) ss::sage_fwd_sm90_tma<HD, true, PV>(p, smem);                                          \
    else ss::sage_fwd_sm90_tma<HD, false, PV>(p, smem);                                                    \
  }
SAGE_TMA_ENTRY(sage_int8_fp16_sm90tma, ss::kPvF16F32, 64)
SAGE_TMA_ENTRY(sage_int8_fp16_sm90tma, ss::kPvF16F32, 128)
SAGE_TMA_ENTRY(sage_int8_fp8_sm90tma, ss::kPvFp8, 64)
SAGE_TMA_ENTRY(sage_int8_fp8_sm90tma, ss::kPvFp8, 128)
