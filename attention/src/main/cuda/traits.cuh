// Tile shapes of the attention kernels, in one place. Each CTA owns BM = 128 query rows of one
// (batch, head) and walks the keys in blocks of BN = 64 with a two-stage cp.async pipeline; 4 warps,
// each owns WM = 32 query rows (MT = 2 m16 tiles), which is also SageAttention's WARPQ, so a warp
// needs exactly one Q scale.
#pragma once

#ifndef SS_KS_D128  // keys per softmax step at D = 128 in the Sage kernels (override only for experiments)
#define SS_KS_D128 64
#endif

namespace ss {

enum PvMode : int { kPvF16F32 = 0, kPvF16F16 = 1, kPvFp8 = 2 };

struct TileShape {
  static constexpr int BM = 128, BN = 64, WARPS = 4, THREADS = 128, WM = 32, MT = WM / 16, NT = BN / 8;
};

// flash-fp16 / bf16: Q, K, V tiles all 16-bit.
template <int D>
struct FlashTraits : TileShape {
  static constexpr int ROWB = D * 2;
  static constexpr int Q_BYTES = BM * ROWB, KV_BYTES = BN * ROWB;
  static constexpr int SMEM = Q_BYTES + 4 * KV_BYTES;  // Q, K[2], V[2]
  static constexpr int DT = D / 8;                     // n8 tiles of the output
};

// SageAttention: Q, K int8 (row = D bytes); V fp16 [BN][D] or, for FP8 PV, transposed e4m3 [D][BN].
template <int D, int PV>
struct SageTraits : TileShape {
  static constexpr int QK_ROWB = D;
  static constexpr int V_ROWB = PV == kPvFp8 ? BN : D * 2;
  static constexpr int Q_BYTES = BM * D, K_BYTES = BN * D;
  static constexpr int V_BYTES = PV == kPvFp8 ? D * BN : BN * D * 2;
  static constexpr int SMEM = Q_BYTES + 2 * K_BYTES + 2 * V_BYTES;
  static constexpr int DT = D / 8;
  // Keys per online-softmax step. 32 at D = 128 fits O (128 regs) + Q fragments (32) + scores in
  // 255 registers without spills, but measured slower on H100 (NOTES.md, run 2: 389 vs 415 TOPS at
  // N = 16k) than one 64-key step with ~124 bytes of spills, so 64 it is.
  static constexpr int KS = D == 128 ? SS_KS_D128 : 64;
};

// Sage on Hopper wgmma (sage_int8_sm90.cuh): 2 compute warpgroups × 64 query rows = the same 128-row CTA
// (same tiles), 128-key blocks (2 K scales each), STAGES-deep cp.async ring of K + V blocks, two Q
// buffers (a persistent CTA loads the next tile's Q during the current one). The tiles start on
// 1024-byte boundaries (the wgmma swizzle atoms), hence the 1 KiB of slack: the kernel rounds the
// dynamic shared-memory base up.
#ifndef SS_SM90_STAGES
#define SS_SM90_STAGES 4
#endif
template <int D>
struct Sm90SageTraits {
  // THREADS: the compute warpgroups (the producer warpgroup, SS_SM90_PRODUCER, comes on top)
  static constexpr int BM = 128, BN = 128, WGS = 2, THREADS = 128 * WGS, WM = 64, NT = BN / 8, DT = D / 8;
  static constexpr int STAGES = SS_SM90_STAGES;
  static constexpr int Q_BYTES = BM * D, K_BYTES = BN * D, V_BYTES = BN * D * 2, STAGE_BYTES = K_BYTES + V_BYTES;
  static constexpr int BARS = (2 * STAGES + 4) * 8;  // full + empty mbarrier per stage and per Q buffer
  static constexpr int SMEM = 2 * Q_BYTES + STAGES * STAGE_BYTES + 1024 + BARS;
};

static_assert(FlashTraits<64>::SMEM == 49152 && FlashTraits<128>::SMEM == 98304, "ABI.md smem table");
static_assert(SageTraits<64, 0>::SMEM == 32768 && SageTraits<128, 0>::SMEM == 65536, "ABI.md smem table");
static_assert(SS_SM90_STAGES != 4 || (Sm90SageTraits<64>::SMEM == 115808 && Sm90SageTraits<128>::SMEM == 230496),
              "ABI.md smem table, build.sh manifest");
static_assert(SageTraits<64, 2>::SMEM == 24576 && SageTraits<128, 2>::SMEM == 49152, "ABI.md smem table");

}  // namespace ss
