// Tile shapes of the attention kernels, in one place. Each CTA owns BM = 128 query rows of one
// (batch, head) and walks the keys in blocks of BN = 64 with a two-stage cp.async pipeline; 4 warps,
// each owns WM = 32 query rows (MT = 2 m16 tiles), which is also SageAttention's WARPQ, so a warp
// needs exactly one Q scale.
// Block sizes and dynamic shared memory of every entry come from here: abi_manifest.cpp writes
// them into the build manifest (the only table of them outside this file), and the entries in
// sagestudio_kernels.cu take their __launch_bounds__ from the same constants.
#pragma once

// Experiment switches for A/B builds (-D on the nvcc line): bit 1 = head dim 64, bit 2 = head dim 128; the defaults
// are the measured choice.
#ifndef SS_SM90_PINGPONG
#define SS_SM90_PINGPONG 2  // D = 128 only (run 17: at D = 64 with three warpgroups the turns cost 1-4 %)
#endif
#ifndef SS_SM90_QK_AHEAD
#define SS_SM90_QK_AHEAD 0  // none (run 17: at D = 64 three warpgroups on the plain schedule beat it by 9-24 %)
#endif
#ifndef SS_SM90_QK_AHEAD_SUB64
#define SS_SM90_QK_AHEAD_SUB64 2  // head dims whose QK-ahead steps are 64 keys (else 128)
#endif
#ifndef SS_SM90_FP8_D64_NOSPILL
#define SS_SM90_FP8_D64_NOSPILL 0  // 1: the FP8 D = 64 consumer's Q descriptor and row from a warp-uniform index (no spill)
#endif
#ifndef SS_SM90_WGS3
#define SS_SM90_WGS3 1  // head dims (D = 64 only) whose Sage sm90 CTA has three consumer warpgroups (192 query rows)
#endif

namespace ss {

// Preprocessing: elementwise / per-channel kernels and the INT8 quantization (one thread per
// 16-byte chunk of a row); no dynamic shared memory.
struct PreTraits {
  static constexpr int THREADS = 256, QUANT_THREADS = 128;
};

// The non-finite check (finite_check.cuh): grid-stride passes of VECTORS 16-byte loads per thread, all in
// flight before any is examined; the host launches enough blocks for one pass over the tensor, at most
// eight per multiprocessor (DeviceFiniteCheck.blocks; two per multiprocessor made a 48 MiB check 40 % slower).
struct FiniteCheckTraits {
  static constexpr int THREADS = 256, VECTORS = 4;
};

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
  // Keys per online-softmax step: the whole 64-key block. 32 at D = 128 fits O (128 regs) + Q
  // fragments (32) + scores in 255 registers without spills, but measured slower on H100 (NOTES.md,
  // run 2: 389 vs 415 TOPS at N = 16k) than one 64-key step with ~124 bytes of spills.
  static constexpr int KS = 64;
};

// Sage on Hopper wgmma (sage_int8_sm90.cuh): 2 compute warpgroups × 64 query rows = the same 128-row CTA
// (same tiles; 3 × 64 = 192 rows with SS_SM90_WGS3), 128-key blocks (2 K scales each), STAGES-deep ring of K + V blocks (the copy engine fills it), two Q
// buffers (a persistent CTA loads the next tile's Q during the current one). The tiles start on
// 1024-byte boundaries (the wgmma swizzle atoms), hence the 1 KiB of slack: the kernel rounds the
// dynamic shared-memory base up. PV: kPvF16F32 (fp16 V [BN][D], MN-major) or kPvFp8 (e4m3 V^T
// [D][BN], K-major, as pre_sage_quant writes it). 4 stages: 3 measured the same within noise
// (NOTES.md, run 4); 5 do not fit at D = 128 with fp16 V. FP8 at D = 128 (32 KiB stages) takes 6: +2.6 % in
// run 15's A/B, inside that call's noise, and the version its suite and harness ran.
template <int D, int PV = kPvF16F32>
struct Sm90SageTraits {
  static constexpr int DBIT = D == 128 ? 2 : 1;  // this head dim's bit in the experiment switches
  // Compute (consumer) warpgroups of 64 query rows each: 2 (BM = 128), or 3 (BM = 192, SS_SM90_WGS3) so that the
  // tensor pipe has a third MMA stream while the others run their softmax (FlashAttention-3's tile at head dim 64).
  static constexpr int WGS = (SS_SM90_WGS3 & DBIT) ? 3 : 2;
  static_assert(WGS == 2 || D == 64, "three consumer warpgroups: D = 64 only (160 registers hold no D = 128 output)");
  // THREADS: the compute warpgroups; BLOCK adds the producer warpgroup that issues every copy.
  static constexpr int WM = 64, BM = WM * WGS, BN = 128, THREADS = 128 * WGS, BLOCK = THREADS + 128;
  static constexpr int NT = BN / 8, DT = D / 8;
  static constexpr int STAGES = (PV == kPvFp8 && D == 128) ? 6 : 4;
  // setmaxnreg's split (sage_int8_sm90.cuh): the launch gives each of the BLOCK threads 65536 / BLOCK registers
  // (168 at 384, 128 at 512), the producer gives its share to the consumers. 3 consumer warpgroups: 24 + 3·160 = 504
  // of 512 (168 would need 528).
  static constexpr int PRODUCER_REGS = 24, CONSUMER_REGS = WGS == 3 ? 160 : 240;
  static_assert((PRODUCER_REGS + WGS * CONSUMER_REGS) * 128 <= 65536, "setmaxnreg.inc would wait forever");
  // Warpgroup ping-pong (the compute warpgroups take turns issuing their MMAs, round robin): pays at D = 128; at
  // D = 64 it cost with the plain schedule (runs 13b, 14), paid with the QK-ahead one (run 16: +7-8 %), and costs
  // 1-4 % with three warpgroups (run 17), the D = 64 default.
  static constexpr bool PINGPONG = SS_SM90_PINGPONG < 0 ? true : (SS_SM90_PINGPONG & DBIT) != 0;
  // QK-ahead schedule (sage_int8_sm90.cuh): block j+1's Q·K^T issued before block j's exponentials. Off: at D = 128
  // its 64-key steps lost 8-11 % (NOTES.md, v14); at D = 64 it won with two warpgroups (run 16: 519 vs 479 TOPS FP16
  // at N = 8k) but does not fit three (wgmma serialized), and three warpgroups on the plain schedule beat it (run 17,
  // H200: FP16 572 vs 508, FP8 552 vs 446 TOPS at N = 8k, the same output bits).
  static constexpr bool QK_AHEAD = (SS_SM90_QK_AHEAD & DBIT) != 0;
  // Keys per step of that schedule: 128 (one stage) where two 128-key score fragments and the output fit the
  // consumers' 240 registers, 64 at D = 128 (with 128-key steps ptxas spills ~2 KB in FP8 and serializes FP16).
  static constexpr int QK_AHEAD_SUB = (SS_SM90_QK_AHEAD_SUB64 & DBIT) ? 64 : 128;
  // Keys per online-softmax step (where P is rounded against the running max): the build manifest carries it
  // for the CPU emulator the GPU tests compare with.
  static constexpr int SOFTMAX_KEYS = QK_AHEAD ? QK_AHEAD_SUB : BN;
  // Row max by the three-input integer max (DPX) over the scores' bits: +5 % at D = 64 (runs 14 and 15),
  // -1.5 % at D = 128 (run 14).
  static constexpr bool DPX_MAX = D == 64;
  static constexpr int Q_BYTES = BM * D, K_BYTES = BN * D, V_BYTES = BN * D * (PV == kPvFp8 ? 1 : 2);
  static constexpr int STAGE_BYTES = K_BYTES + V_BYTES;
  static constexpr int BARS = (2 * STAGES + 4) * 8;  // full + empty mbarrier per stage and per Q buffer
  static constexpr int SMEM = 2 * Q_BYTES + STAGES * STAGE_BYTES + 1024 + BARS;
};

// flash-fp16 / bf16 on Hopper wgmma (flash_fwd_sm90.cuh): the CTA of Sm90SageTraits (2 compute
// warpgroups × 64 query rows, a producer warpgroup, 128-key blocks), with 16-bit Q, K and V, all
// in 128-byte-swizzled 64-column panels. K and V have rings of their own: a K stage is released
// as soon as its Q·K^T has run, a V stage after its P·V, so the producer refills K a block earlier
// than one shared ring would let it. D = 128: 2 Q buffers (64 KiB) + 2 K + 2 V stages (128 KiB);
// D = 64: 4 stages each. PINGPONG: the two compute warpgroups take turns issuing their MMAs
// (sage_int8_sm90.cuh); measured for the Sage FP16 kernel as a gain at D = 128 and a loss at D = 64
// (attention/bench/NOTES.md, run 13b), so D = 64 runs without it.
template <int D>
struct Sm90FlashTraits {
  static constexpr int BM = 128, BN = 128, WGS = 2, THREADS = 128 * WGS, BLOCK = THREADS + 128, WM = 64;
  static constexpr int NT = BN / 8, DT = D / 8;
  static constexpr int PANEL_COLS = 64;  // 16-bit elements per 128-byte swizzled panel row
  static constexpr int K_STAGES = D == 128 ? 2 : 4, V_STAGES = K_STAGES;
  static constexpr bool PINGPONG = D == 128;
  static constexpr int Q_BYTES = BM * D * 2, K_BYTES = BN * D * 2, V_BYTES = BN * D * 2;
  static constexpr int BARS = (2 * K_STAGES + 2 * V_STAGES + 4) * 8;  // full + empty per stage and per Q buffer
  static constexpr int SMEM = 2 * Q_BYTES + K_STAGES * K_BYTES + V_STAGES * V_BYTES + 1024 + BARS;
};

}  // namespace ss
