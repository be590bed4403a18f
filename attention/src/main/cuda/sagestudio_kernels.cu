// The ONE place where entry points are defined and dispatched on dtype and head dim. Every
// extern "C" __global__ here is documented in ABI.md (parameter struct, launch rules); its block and
// shared-memory size are in the build manifest (abi_manifest.cpp, from traits.cuh).
#include <type_traits>
#include "common.cuh"
#include "params.cuh"
#include "preprocess.cuh"
#include "flash_fwd_sm80.cuh"
#include "flash_fwd_sm90.cuh"
#include "sage_int8_sm80.cuh"
#include "sage_int8_sm90.cuh"
#include "finite_check.cuh"

using ss::View;

// Every entry takes ONE parameter: its family's struct from params.cuh, by value in the parameter
// bank (__grid_constant__: read in place, never copied to local memory).
#define SS_ENTRY(BLOCK, NAME, PARAMS) extern "C" __global__ void __launch_bounds__(BLOCK) NAME(const __grid_constant__ ss::PARAMS p)

// ---------------------------------------------------------------- preprocessing
#define SS_VIEW View{p.B, p.H, p.N, p.D, p.sb, p.sh, p.sn}
#define SS_PRE_THREADS ss::PreTraits::THREADS
#define SS_QUANT_THREADS ss::PreTraits::QUANT_THREADS

#define SS_PRE_ENTRIES(SUF, T)                                                                             \
  SS_ENTRY(SS_PRE_THREADS, pre_to_f16_##SUF, PreParams) {                                                  \
    ss::to_f16<T>(static_cast<const T*>(p.in), static_cast<__half*>(p.out), SS_VIEW);                      \
  }                                                                                                        \
  SS_ENTRY(SS_QUANT_THREADS, pre_sage_stats_##SUF, SagePrepParams) {                                       \
    if (p.D == 128) ss::sage_stats<T, 128, SS_QUANT_THREADS>(p);                                           \
    else ss::sage_stats<T, 64, SS_QUANT_THREADS>(p);                                                       \
  }                                                                                                        \
  SS_ENTRY(SS_QUANT_THREADS, pre_sage_quant_##SUF, SagePrepParams) {                                       \
    if (p.D == 128) ss::sage_quant<T, 128, SS_QUANT_THREADS>(p);                                           \
    else ss::sage_quant<T, 64, SS_QUANT_THREADS>(p);                                                       \
  }

SS_PRE_ENTRIES(f32, float)
SS_PRE_ENTRIES(f16, __half)
SS_PRE_ENTRIES(bf16, __nv_bfloat16)

// ---------------------------------------------------------------- flash-fp16
// The flash body takes the fields as values, unpacked here: measured on sm_80/sm_89, reading them
// lazily from the struct (as the Sage bodies do) costs flash_fwd_*_d128 24 bytes of spills.
#define SS_FLASH_ENTRY(SUF, T, HD)                                                                          \
  SS_ENTRY(ss::FlashTraits<HD>::THREADS, flash_fwd_##SUF##_d##HD, FlashParams) {                           \
    extern __shared__ __align__(128) char smem[];                                                           \
    const ss::AttnArgs a{p.B, p.Hq, p.Hkv, p.Nq, p.Nk};                                                     \
    const T* q = static_cast<const T*>(p.q);                                                                \
    const T* k = static_cast<const T*>(p.k);                                                                \
    const T* v = static_cast<const T*>(p.v);                                                                \
    if (p.causal)                                                                                           \
      ss::flash_fwd_body<T, HD, true>(q, k, v, p.o, a, p.q_sb, p.q_sh, p.q_sn, p.k_sb, p.k_sh, p.k_sn, p.v_sb, \
                                      p.v_sh, p.v_sn, p.o_sb, p.o_sh, p.o_sn, p.softmax_scale, p.out_dtype, smem); \
    else                                                                                                    \
      ss::flash_fwd_body<T, HD, false>(q, k, v, p.o, a, p.q_sb, p.q_sh, p.q_sn, p.k_sb, p.k_sh, p.k_sn, p.v_sb, \
                                       p.v_sh, p.v_sn, p.o_sb, p.o_sh, p.o_sn, p.softmax_scale, p.out_dtype, smem); \
  }

SS_FLASH_ENTRY(f16, __half, 64)
SS_FLASH_ENTRY(f16, __half, 128)
SS_FLASH_ENTRY(bf16, __nv_bfloat16, 64)
SS_FLASH_ENTRY(bf16, __nv_bfloat16, 128)

// flash_fwd_<dt>_sm90_d*: the same FlashParams and numerics on Hopper wgmma (flash_fwd_sm90.cuh), any grid
// (one CTA per SM from the Java side). As the Sage sm90 entries: only the sm_90a SASS has them, every
// other target's entry traps (manifest min_cc 90).
#define SS_FLASH_SM90_ENTRY(SUF, T, HD)                                                                     \
  extern "C" __global__ void __launch_bounds__(ss::Sm90FlashTraits<HD>::BLOCK, 1)                          \
      flash_fwd_##SUF##_sm90_d##HD(const __grid_constant__ ss::FlashParams p) {                             \
    extern __shared__ __align__(128) char smem[];                                                           \
    if (p.causal) ss::flash_fwd_sm90<T, HD, true>(p, smem);                                                 \
    else ss::flash_fwd_sm90<T, HD, false>(p, smem);                                                         \
  }

SS_FLASH_SM90_ENTRY(f16, __half, 64)
SS_FLASH_SM90_ENTRY(f16, __half, 128)
SS_FLASH_SM90_ENTRY(bf16, __nv_bfloat16, 64)
SS_FLASH_SM90_ENTRY(bf16, __nv_bfloat16, 128)

// ---------------------------------------------------------------- SageAttention (mma.sync)
#define SS_SAGE_ENTRY(NAME, PV, HD)                                                                         \
  SS_ENTRY((ss::SageTraits<HD, PV>::THREADS), NAME##_d##HD, SageParams) {                                   \
    extern __shared__ __align__(128) char smem[];                                                           \
    if (p.causal) ss::sage_fwd_body<HD, true, PV>(p, smem);                                                 \
    else ss::sage_fwd_body<HD, false, PV>(p, smem);                                                         \
  }

SS_SAGE_ENTRY(sage_int8_fp16, ss::kPvF16F32, 64)
SS_SAGE_ENTRY(sage_int8_fp16, ss::kPvF16F32, 128)
SS_SAGE_ENTRY(sage_int8_fp16acc, ss::kPvF16F16, 64)
SS_SAGE_ENTRY(sage_int8_fp16acc, ss::kPvF16F16, 128)

// FP8 PV needs the e4m3 mma of sm_89+; on older targets the entry exists and traps.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 890
SS_SAGE_ENTRY(sage_int8_fp8, ss::kPvFp8, 64)
SS_SAGE_ENTRY(sage_int8_fp8, ss::kPvFp8, 128)
#else
#define SS_SAGE_TRAP(HD) \
  SS_ENTRY((ss::SageTraits<HD, ss::kPvFp8>::THREADS), sage_int8_fp8_d##HD, SageParams) { __trap(); }
SS_SAGE_TRAP(64)
SS_SAGE_TRAP(128)
#endif

// ---------------------------------------------------------------- SageAttention on Hopper wgmma
// sage_int8_fp16_sm90 (FP16 P·V) and sage_int8_fp8_sm90 (FP8 P·V): the SageParams of the mma.sync
// entries (the fp8 one reads vt8/vs as sage_int8_fp8_dD does), one CTA per SM. Only the sm_90a SASS
// has them; every other target (sm_80/86/89 SASS, compute_90 PTX) gets an entry that traps, so the
// Java side launches them on compute capability 9.0 only (manifest min_cc 90).
#define SS_SAGE_SM90_ENTRY(NAME, PV, HD)                                                                    \
  extern "C" __global__ void __launch_bounds__(ss::Sm90SageTraits<HD, PV>::BLOCK, 1)                       \
      NAME##_d##HD(const __grid_constant__ ss::SageParams p) {                                              \
    extern __shared__ __align__(128) char smem[];                                                           \
    if (p.causal) ss::sage_fwd_sm90<HD, true, PV>(p, smem);                                                 \
    else ss::sage_fwd_sm90<HD, false, PV>(p, smem);                                                         \
  }

SS_SAGE_SM90_ENTRY(sage_int8_fp16_sm90, ss::kPvF16F32, 64)
SS_SAGE_SM90_ENTRY(sage_int8_fp16_sm90, ss::kPvF16F32, 128)
SS_SAGE_SM90_ENTRY(sage_int8_fp8_sm90, ss::kPvFp8, 64)
SS_SAGE_SM90_ENTRY(sage_int8_fp8_sm90, ss::kPvFp8, 128)

// ---------------------------------------------------------------- non-finite check (fidelity guard)
// check_finite_<dt>: NaN/Inf count and first index of a contiguous array into one result slot.
SS_ENTRY(ss::FiniteCheckTraits::THREADS, check_finite_f32, FiniteCheckParams) { ss::finite_check<ss::FloatBits<uint32_t>, uint32_t>(p); }
SS_ENTRY(ss::FiniteCheckTraits::THREADS, check_finite_f16, FiniteCheckParams) { ss::finite_check<ss::FloatBits<uint16_t>, uint16_t>(p); }
SS_ENTRY(ss::FiniteCheckTraits::THREADS, check_finite_bf16, FiniteCheckParams) { ss::finite_check<ss::Bf16Bits, uint16_t>(p); }
